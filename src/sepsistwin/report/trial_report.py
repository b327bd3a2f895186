"""Self-contained HTML report of a trial: summary tables, Kaplan-Meier curves, trajectories."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import plotly.io as pio

from sepsistwin import DISCLAIMER
from sepsistwin.report.figures import km_figure, trajectory_figure

if TYPE_CHECKING:
    from sepsistwin.trial.analysis import TrialResult

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #666; font-size: 0.9em; }
"""


def _pct(x: float | None, ci: list[float] | None = None) -> str:
    if x is None:
        return "-"
    text = f"{100 * x:.1f}%"
    return f"{text} ({100 * ci[0]:.1f}-{100 * ci[1]:.1f})" if ci else text


def _num(x: float | None, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _arm_rows(result: TrialResult) -> list[list[str]]:
    comp: dict[str, dict[str, Any]] = {c["arm"]: c for c in result.comparisons}
    rows = []
    for a in result.arms:
        c = comp.get(a["name"], {})
        hr = c.get("hazard_ratio")
        hr_ci = c.get("hazard_ratio_ci")
        rd, rd_ci = c.get("risk_difference"), c.get("risk_difference_ci")
        rows.append(
            [
                a["name"],
                str(a["n"]),
                "-" if a["deaths_28d"] is None else str(a["deaths_28d"]),
                _pct(a["mortality_28d"], a["mortality_28d_ci"]),
                "-"
                if hr is None
                else f"{hr:.2f}" + (f" ({hr_ci[0]:.2f}-{hr_ci[1]:.2f})" if hr_ci else ""),
                _num(c.get("p_logrank"), ".3g"),
                "-"
                if rd is None
                else f"{100 * rd:+.1f}"
                + (f" ({100 * rd_ci[0]:+.1f} to {100 * rd_ci[1]:+.1f})" if rd_ci else ""),
                _pct(a["sofa_drop_1p4_day9"]),
                _pct(a["alive_sofa_decrease_day7"]),
                _num(a["organ_support_free_days_mean"], ".1f"),
                _pct(a["secondary_infection"]),
                _pct(a["hyperinflammation_ae"]),
            ]
        )
    return rows


def render_report(result: TrialResult) -> str:
    """The report as one HTML document (Plotly's JavaScript embedded: works offline).

    Examples
    --------
    >>> "<html" in render_report(result)  # doctest: +SKIP
    True
    """
    ref = result.arms[0]["name"] if result.arms else "-"
    sc = result.screening
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>sepsistwin trial {html.escape(result.name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>In-silico trial: {html.escape(result.name)}</h1>",
        f"<p>Run {html.escape(result.run_id)}. {sc['n_sampled']} virtual patients sampled, "
        f"{sc['n_died_before_screening']} died before screening, {sc['n_screened']} screened, "
        f"{sc['n_enrolled']} enrolled; follow-up {result.follow_up_days} days.</p>",
        "<h2>Arms</h2>",
        _table(
            [
                "arm",
                "n",
                "deaths 28d",
                "mortality 28d (95% CI)",
                f"HR vs {ref} (95% CI)",
                "log-rank p",
                "risk difference 28d, % (95% CI)",
                "SOFA -1.4 by day 9",
                "alive, SOFA down day 7",
                "organ-support-free days",
                "secondary infection",
                "hyperinflammation (AE)",
            ],
            _arm_rows(result),
        ),
        "<h2>Kaplan-Meier</h2>",
        pio.to_html(km_figure(result), include_plotlyjs=True, full_html=False, div_id="km-curves"),
        "<h2>Biomarker trajectories</h2>",
        pio.to_html(
            trajectory_figure(result),
            include_plotlyjs=False,
            full_html=False,
            div_id="trajectories",
        ),
    ]
    if result.subgroups:
        rows = []
        for s in result.subgroups:
            comp = {c["arm"]: c for c in s["comparisons"]}
            for a in s["arms"]:
                c = comp.get(a["name"], {})
                rows.append(
                    [
                        f"{s['phenotype']} / {a['name']}",
                        str(a["n"]),
                        _pct(a["mortality_28d"], a["mortality_28d_ci"]),
                        _num(c.get("hazard_ratio")),
                        _num(c.get("p_logrank"), ".3g"),
                    ]
                )
        parts += [
            "<h2>Subgroups by screening phenotype</h2>",
            _table(["phenotype / arm", "n", "mortality 28d (95% CI)", "HR", "log-rank p"], rows),
        ]
    if result.counterfactual:
        cf = result.counterfactual
        comp = {c["arm"]: c for c in cf["comparisons"]}
        rows = [
            [
                a["name"],
                str(a["n"]),
                _pct(a["mortality_28d"], a["mortality_28d_ci"]),
                _num(comp.get(a["name"], {}).get("risk_difference"), "+.3f"),
                _num(comp.get(a["name"], {}).get("p_mcnemar"), ".3g"),
            ]
            for a in cf["arms"]
        ]
        parts += [
            "<h2>Paired counterfactual (reported apart)</h2>",
            f"<p class='note'>{html.escape(cf['description'])}</p>",
            _table(["arm", "n", "mortality 28d", "paired risk difference", "McNemar p"], rows),
        ]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    if notes:
        parts.append(f"<h2>Notes</h2><ul class='note'>{notes}</ul>")
    parts.append(f"<p class='note'>{html.escape(DISCLAIMER)}</p></body></html>")
    return "\n".join(parts)


def write_report(result: TrialResult, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (folders created); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(result), encoding="utf-8")
    return out
