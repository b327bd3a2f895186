"""Self-contained HTML report of a trial: summary tables, Kaplan-Meier curves, trajectories."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plotly.io as pio

from sepsistwin import DISCLAIMER, __version__
from sepsistwin.report.figures import (
    consort_svg,
    forest_figure,
    km_figure,
    trajectory_figure,
)
from sepsistwin.trial.analysis import SummaryTable, summary_tables

if TYPE_CHECKING:
    from sepsistwin.trial.analysis import TrialResult

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #666; font-size: 0.9em; }
.flag { background: #fff4e5; border-left: 4px solid #e67e22; padding: 6px 12px; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 0.85em; }
td.text, th.text { text-align: left; }
"""

#: Packages whose versions the methods appendix lists.
_SOFTWARE = ("numpy", "scipy", "pandas", "numba", "lifelines", "duckdb", "plotly", "pydantic")


def _table(
    headers: list[str], rows: list[list[str]], *, text: bool = False, table_id: str = ""
) -> str:
    """An HTML table; ``text`` left-aligns every column (descriptions, not numbers)."""
    cls = " class='text'" if text else ""
    head = "".join(f"<th{cls}>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{cls}>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    ident = f" id='{table_id}'" if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(table: SummaryTable) -> str:
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    return f"<h2>{html.escape(table.title)}</h2>{note}" + _table(table.headers, table.rows)


def _route(t: dict[str, Any]) -> str:
    from sepsistwin.trial.spec import ROUTES

    route = str(t.get("route", ""))
    return ROUTES.get(route.lower(), route)


def _dose_text(t: dict[str, Any]) -> str:
    dose = t.get("dose")
    return str(dose.get("text") if isinstance(dose, dict) else dose)


def _schedule_text(t: dict[str, Any], origin: str) -> str:
    n = int(t.get("doses") or 1)
    start = float(t.get("start_hours") or 0.0)
    parts = [f"from {start:g} h after {origin}"]
    if n > 1 and t.get("every_hours"):
        every = float(t["every_hours"])
        parts.append(f"every {every:g} h x {n} (over {every * (n - 1) / 24:.3g} d)")
    else:
        parts.append("once" if n == 1 else f"x {n}")
    if t.get("infusion_hours"):
        parts.append(f"each infused over {float(t['infusion_hours']):g} h")
    return ", ".join(parts)


def arm_descriptions(result: TrialResult) -> list[list[str]]:
    """What each arm received: one row per therapy (``arm, given to, therapy, dose, route,
    schedule, studied range``), background care first, from the specification as run."""
    from sepsistwin.trial.dose_ranges import check_dose

    spec = result.spec
    rows: list[list[str]] = []

    def studied(t: dict[str, Any]) -> str:
        try:
            c = check_dose(str(t["therapy"]), _dose_text(t))
        except (KeyError, ValueError):
            return "not checked"
        if c.within is None:
            return "not checked"
        return (
            "within"
            if c.within
            else f"OUTSIDE ({c.factor:.3g}x; studied {c.low:g}-{c.high:g} {c.unit})"
        )

    for t in spec.get("background", []):
        rows.append(
            [
                "all arms (background)",
                "everyone",
                t["therapy"],
                _dose_text(t),
                _route(t),
                _schedule_text(t, "onset"),
                studied(t),
            ]
        )
    for arm in spec.get("arms", []):
        given = False
        for t in arm.get("therapies", []):
            given = True
            rows.append(
                [
                    arm["name"],
                    "every patient",
                    t["therapy"],
                    _dose_text(t),
                    _route(t),
                    _schedule_text(t, "enrolment"),
                    studied(t),
                ]
            )
        for ph, ts in (arm.get("guided") or {}).items():
            for t in ts:
                given = True
                rows.append(
                    [
                        arm["name"],
                        f"{ph} only",
                        t["therapy"],
                        _dose_text(t),
                        _route(t),
                        _schedule_text(t, "enrolment"),
                        studied(t),
                    ]
                )
        if not given:
            rows.append([arm["name"], "-", "no study therapy (reference)", "-", "-", "-", "-"])
    return rows


def _at_risk_table(result: TrialResult) -> str:
    ar = result.at_risk
    if not len(ar):
        return ""
    days = sorted(ar["day"].unique().tolist())
    rows = [
        [str(arm), *(str(int(g.loc[g["day"] == d, "n"].iloc[0])) for d in days)]
        for arm, g in ar.groupby("arm", sort=False)
    ]
    return _table(
        ["numbers at risk / day", *(str(int(d)) for d in days)], rows, table_id="numbers-at-risk"
    )


def _versions() -> list[list[str]]:
    import platform
    from importlib import metadata

    out = [["python", platform.python_version()], ["sepsistwin", __version__]]
    for name in _SOFTWARE:
        try:
            out.append([name, metadata.version(name)])
        except metadata.PackageNotFoundError:
            out.append([name, "not installed"])
    return out


def _model_line(result: TrialResult) -> str:
    sim = result.run_meta.get("simulator", "")
    name = sim.split(":", 1)[0]
    try:
        from sepsistwin.model import get_model

        m = get_model(name)
    except (KeyError, ValueError, ImportError):
        return f"simulator {sim or 'not recorded'}"
    return (
        f"model {m.name} ({len(m.state_names)} states, {len(m.parameter_names)} parameters, "
        f"{len(m.observable_names)} observables); simulator fingerprint {sim} (model "
        "fingerprint, calibration digest 'cal=', samples per day, tolerances)"
    )


def _methods(result: TrialResult) -> str:
    import yaml

    meta = result.run_meta
    d = result.to_dict()["methods"]
    rows = [
        ["run id", result.run_id],
        ["seed", str(result.spec.get("seed", meta.get("seed", "-")))],
        [
            "population",
            f"{meta.get('size', '-')} sampled, preset "
            f"{result.spec.get('population', {}).get('preset', '-')}",
        ],
        ["chunks", f"{meta.get('n_chunks', '-')} of {meta.get('chunk_size', '-')} patients"],
        ["paired counterfactual", str(meta.get("counterfactual", "-"))],
        ["model and calibration", _model_line(result)],
        ["completed", str(meta.get("completed_at", "-"))],
        ["store", result.store_path],
        *([k.replace("_", " "), v] for k, v in d.items()),
    ]
    spec_yaml = yaml.safe_dump(result.spec, sort_keys=False, allow_unicode=True)
    return (
        "<h2 id='methods'>Methods appendix</h2>"
        + _table(["item", "value"], rows, text=True, table_id="methods-table")
        + "<h3>Software</h3>"
        + _table(["package", "version"], _versions(), table_id="software")
        + "<h3>Trial specification as run</h3>"
        + f"<pre id='spec'>{html.escape(spec_yaml)}</pre>"
    )


def render_report(result: TrialResult) -> str:
    """The report as one HTML document (Plotly's JavaScript embedded: works offline).

    Examples
    --------
    >>> "<html" in render_report(result)  # doctest: +SKIP
    True
    """
    sc = result.screening
    tables = summary_tables(result)
    flags = [n for n in result.notes if "changed no enrolled patient" in n]
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>sepsistwin trial {html.escape(result.name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>In-silico trial: {html.escape(result.name)}</h1>",
        f"<p>Run {html.escape(result.run_id)}. {sc['n_sampled']} virtual patients sampled, "
        f"{sc['n_died_before_screening']} died before screening, {sc['n_screened']} screened, "
        f"{sc['n_enrolled']} enrolled; follow-up {result.follow_up_days} days.</p>",
        *(f"<p class='flag no-effect'>{html.escape(f)}</p>" for f in flags),
        "<h2 id='consort-flow'>CONSORT flow</h2>",
        consort_svg(result),
        "<h2 id='arm-descriptions'>What each arm received</h2>",
        _table(
            ["arm", "given to", "therapy", "dose", "route", "schedule", "studied dose range"],
            arm_descriptions(result),
            text=True,
            table_id="arms-received",
        ),
        *(_section(t) for t in tables[:2]),
        "<h2>Kaplan-Meier</h2>",
        pio.to_html(km_figure(result), include_plotlyjs=True, full_html=False, div_id="km-curves"),
        _at_risk_table(result),
        "<h2>Trajectories</h2>",
        "<p class='note'>Medians and IQR bands are among the patients alive that day "
        "(survivors only): a median that falls while patients die describes the survivors, "
        "not the arm. The last panel shows the share of each arm alive.</p>",
        pio.to_html(
            trajectory_figure(result),
            include_plotlyjs=False,
            full_html=False,
            div_id="trajectories",
        ),
        "<h2>Subgroups</h2>",
        pio.to_html(
            forest_figure(result), include_plotlyjs=False, full_html=False, div_id="forest"
        ),
    ]
    parts += [_section(t) for t in tables[2:]]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    if notes:
        parts.append(f"<h2>Notes</h2><ul class='note'>{notes}</ul>")
    parts.append(_methods(result))
    parts.append(f"<p class='note'>{html.escape(DISCLAIMER)}</p></body></html>")
    return "\n".join(parts)


def write_report(result: TrialResult, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (folders created); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(result), encoding="utf-8")
    return out
