"""``sepsistwin simulate`` and ``sepsistwin export-sbml``: run or export a mechanistic model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from sepsistwin.api import parse_assignments
from sepsistwin.cli._common import check_output_path, console, fail, print_json
from sepsistwin.cli._output import OutputFormat, print_frame, resolve_format

_PARAM_HELP = "Parameter override NAME=VALUE (repeatable)."
_INIT_HELP = "Initial state override STATE=VALUE (repeatable)."
_DOSE_HELP = (
    "A therapy dose in clinical units, THERAPY:AMOUNTUNIT@HOURS followed by any of ,every=H "
    ",n=N ,route=R ,over=H ,conc=C (e.g. nivolumab:480mg@24, il7:10ug/kg@48,every=84,n=8 or "
    "anakinra:2mg/kg/h@24-96; model 'sepsistwin'), or a raw state dose, STATE:AMOUNT@HOURS "
    "(bolus) or STATE:RATE/h@START-END (infusion), with ,every=H ,n=N if repeated "
    "(docs/dosing.md). Repeatable."
)
_WEIGHT_HELP = "Body weight (kg) for per-kg therapy doses."


def _inputs(
    model: str,
    params: list[str] | None,
    init: list[str] | None,
    doses: list[str] | None,
    weight_kg: float = 75.0,
    parameters: str = "calibrated",
) -> tuple[Any, dict[str, float], dict[str, float], Any]:
    from sepsistwin.dosing import Schedule
    from sepsistwin.model import get_model
    from sepsistwin.model.pharmacology import dose_schedule
    from sepsistwin.population.calibrated import parameter_set

    if not (weight_kg > 0) or not np.isfinite(weight_kg):
        fail(f"--weight must be > 0 kg, got {weight_kg}")
    try:
        m = get_model(model)
        # The calibrated set applies to the model it was calibrated for; other presets keep
        # their defaults unless a set is named explicitly.
        base = (
            parameter_set(parameters, m.parameter_names)
            if parameters != "calibrated" or m.name == "sepsistwin"
            else {}
        )
        p = {**base, **parse_assignments(params, "--param")}
        y = parse_assignments(init, "--init")
        sched = Schedule()
        for spec in doses or []:
            sched = sched + dose_schedule(spec, m.state_names, weight_kg)
    except ValueError as exc:
        fail(str(exc))
    missing_states = sorted({d.state for d in sched.doses} - set(m.state_names))
    if missing_states:
        fail(
            f"--dose: model {m.name!r} has no state(s) {missing_states} for these doses; "
            "therapy doses need a model with pharmacology, e.g. --model sepsistwin"
        )
    for kind, vals, valid in (
        ("parameter", p, m.parameter_names),
        ("initial state", y, m.state_names),
    ):
        unknown = [k for k in vals if k not in valid]
        if unknown:
            fail(f"unknown {kind} name(s) {unknown}; valid: {', '.join(valid)}")
    return m, p, y, sched


_MAX_PANELS = 12  # larger models: plot the observables (clinical read-outs), not every state


def _plot(result: Any, path: Path, title: str) -> None:
    series = result.states if len(result.states) <= _MAX_PANELS else result.observables
    names = list(series)[: 3 * _MAX_PANELS]
    if path.suffix.lower() == ".html":
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots

        fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, subplot_titles=names)
        for i, s in enumerate(names, start=1):
            fig.add_trace(go.Scatter(x=result.time, y=series[s], name=s), row=i, col=1)
        fig.update_layout(title=title, height=220 * len(names), showlegend=False)
        fig.update_xaxes(title_text="time (h)", row=len(names), col=1)
        # Plotly's JavaScript embedded: the file opens offline.
        fig.write_html(str(path), include_plotlyjs=True)
    elif path.suffix.lower() == ".png":
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(len(names), 1, sharex=True, figsize=(7, 1.8 * len(names)))
        for ax, s in zip(np.atleast_1d(axes), names, strict=True):
            ax.plot(result.time, series[s])
            ax.set_ylabel(s)
        np.atleast_1d(axes)[-1].set_xlabel("time (h)")
        fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
    else:  # pragma: no cover - _check_paths refused it before the simulation
        fail(f"--plot {path}: expected a .png or .html file name")


def _therapy_amount(spec: str) -> tuple[str, str] | tuple[()]:
    """``(therapy, amount)`` of a ``THERAPY:AMOUNT@HOURS...`` dose; ``()`` for others."""
    from sepsistwin.dosing import DoseError, parse_dose_text

    try:
        dose = parse_dose_text(spec)
    except DoseError:
        return ()
    return (dose.target.lower(), dose.amount.text)


def check_dose_ranges(
    doses: list[tuple[str, str, str]], weight_kg: float = 75.0, *, strict: bool = False
) -> None:
    """Warn on stderr (``strict``: refuse) for each ``(where, therapy, dose)`` outside the
    evidence base's studied range, naming the range and its sources."""
    from sepsistwin.cli._common import err_console
    from sepsistwin.trial.dose_ranges import dose_warnings

    found = dose_warnings(doses, weight_kg)
    for where, check in found:
        err_console.print(
            f"[yellow]{'error' if strict else 'warning'}:[/] {where}: {check.message}",
            highlight=False,
            soft_wrap=True,
        )
    if found and strict:
        fail(f"{len(found)} dose(s) outside the studied range (--strict); see above")


#: Observables shown per day in the readable summary, when the model has them (label, unit).
#: The number is the column's priority (higher is left out first on a narrow terminal).
_KEY_OBSERVABLES = (
    ("death_probability", "P(death)", "%", 1),
    ("il6", "IL-6", "pg/mL", 2),
    ("ferritin", "ferritin", "ng/mL", 2),
    ("mhla_dr", "mHLA-DR", "AB/C", 2),
    ("lymphocytes", "lymph", "10^9/L", 2),
    ("lactate", "lactate", "mmol/L", 3),
    ("map", "MAP", "mmHg", 4),
    ("norepinephrine", "NE", "ug/kg/min", 4),
    ("pathogen_load", "pathogen", "10^6 CFU/mL", 5),
)


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "-"
    a = abs(v)
    if a < 5e-4:  # solver round-off around zero (e.g. a cleared pathogen) reads as 0
        return "0"
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 10 or v == 0:
        return f"{v:.0f}" if a >= 100 else f"{v:.1f}"
    return f"{v:.2g}" if a < 0.01 else f"{v:.2f}"


def daily_assessment(result: Any, day_hours: Any) -> Any:
    """The clinical assessment (SOFA, phenotype ...) of the simulated patient on each day,
    from its catalogue observables at ``day_hours`` (no assay noise); ``None`` when the model
    has no SOFA variables."""
    import pandas as pd

    from sepsistwin.clinical import assess
    from sepsistwin.data import CATALOGUE

    names = [v for v in result.observables if v in CATALOGUE]
    if "platelets" not in names:
        return None
    idx = [int(np.argmin(np.abs(result.time - h))) for h in day_hours]
    rows = [
        ("sim", float(result.time[i]), v, float(result.observables[v][i]))
        for v in names
        for i in idx
        if np.isfinite(result.observables[v][i])
    ]
    obs = pd.DataFrame(rows, columns=["patient_id", "hours", "variable", "value"])
    if "gcs" in names:
        gcs = obs["variable"] == "gcs"
        obs.loc[gcs, "value"] = obs.loc[gcs, "value"].round().clip(3, 15)
    return assess(obs)


def render_simulation(
    m: Any, r: Any, status: Any, dose_specs: list[str], weight_kg: float, out: Any
) -> None:
    """A readable account of one simulation: the model, the doses given, then one row per
    day (SOFA, death probability, phenotype and key biomarkers when the model has them;
    the states otherwise), fitted to the terminal."""
    from sepsistwin.cli._output import Column, print_table
    from sepsistwin.model.pharmacology import dose_schedule

    n_obs = len(m.observable_names)
    out.print(
        f"[bold]{m.name}[/]: {len(m.state_names)} states, {len(m.parameter_names)} parameters, "
        f"{n_obs} observables; integration {status.describe()}; 0 to {r.time[-1]:g} h",
        highlight=False,
    )
    for spec in dose_specs:
        # Parsed again on its own (it parsed before the run) to say what it became.
        out.print(
            f"  dose {spec}: {_describe(dose_schedule(spec, m.state_names, weight_kg))}",
            highlight=False,
        )
    if not dose_specs:
        out.print("  no doses", highlight=False)
    days = np.arange(0.0, float(r.time[-1]) + 1e-9, 24.0)
    if len(days) < 2:
        days = np.array([0.0, float(r.time[-1])])
    idx = [int(np.argmin(np.abs(r.time - h))) for h in days]
    assessment = daily_assessment(r, r.time[idx])
    rows: list[list[str]] = []
    if assessment is not None:
        by_day = assessment.set_index("day")
        keys = [k for k in _KEY_OBSERVABLES if k[0] in r.observables]
        columns = [
            Column("day", 0, "right"),
            Column("SOFA", 0, "right"),
            Column("phenotype", 3),
            *(Column(label, prio, "right") for _, label, _u, prio in keys),
        ]
        for h, i in zip(days, idx, strict=True):
            d = round(float(h) / 24.0)
            a = by_day.loc[d] if d in by_day.index else None
            rows.append(
                [
                    str(d),
                    "-" if a is None else str(int(a["sofa"])),
                    "-" if a is None else str(a["phenotype"]),
                    *(
                        _fmt(float(r.observables[k][i]) * (100.0 if unit == "%" else 1.0))
                        for k, _l, unit, _p in keys
                    ),
                ]
            )
        units = ", ".join(f"{label} {u}" for _, label, u, _p in keys if u)
        print_table(out, columns, rows, hint="widen the terminal or use --json")
        out.print(f"[dim]units: {units}; P(death) is cumulative[/]", highlight=False)
    else:
        names = list(r.states)[:12]
        columns = [Column("t (h)", 0, "right")] + [
            Column(n, 1 + k, "right") for k, n in enumerate(names)
        ]
        for i in idx:
            rows.append([f"{r.time[i]:g}", *(_fmt(float(r.states[n][i])) for n in names)])
        print_table(out, columns, rows, hint="widen the terminal or use --json")
    out.print(
        "[dim]every state and observable at every save time: --json or --out FILE.parquet[/]",
        highlight=False,
    )


def _describe(sched: Any) -> str:
    doses = list(sched.doses)
    if not doses:
        return "nothing given"
    states = sorted({d.state for d in doses})
    times = sorted(float(getattr(d, "time", getattr(d, "start", 0.0))) for d in doses)
    kinds = {"infusion" if hasattr(d, "rate") else "bolus" for d in doses}
    span = f"at {times[0]:g} h" if len(times) == 1 else f"{times[0]:g} to {times[-1]:g} h"
    return (
        f"{len(doses)} {'administration' if len(doses) == 1 else 'administrations'} "
        f"({' and '.join(sorted(kinds))}) into "
        f"{', '.join(states)}, {span}"
    )


def simulate_cmd(
    model: Annotated[str, typer.Option("--model", "-m", help="Model preset name.")] = (
        "reynolds2006"
    ),
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help=_PARAM_HELP)] = None,
    init: Annotated[list[str] | None, typer.Option("--init", "-i", help=_INIT_HELP)] = None,
    dose: Annotated[list[str] | None, typer.Option("--dose", "-d", help=_DOSE_HELP)] = None,
    weight: Annotated[float, typer.Option("--weight", help=_WEIGHT_HELP)] = 75.0,
    parameters: Annotated[
        str,
        typer.Option(
            "--parameters",
            help="Parameter set applied before --param: 'calibrated' (the stored calibration, "
            "sepsistwin model), 'defaults' (the model's own defaults) or a calibration YAML.",
        ),
    ] = "calibrated",
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse a therapy dose outside the evidence base's studied range (default: "
            "warn and run).",
        ),
    ] = False,
    hours: Annotated[float, typer.Option("--hours", help="Horizon in hours.")] = 672.0,
    step: Annotated[float, typer.Option("--step", help="Save interval in hours.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trajectories as JSON.")] = (
        False
    ),
    fmt: Annotated[
        OutputFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="table (a readable summary), json (every state and observable) or csv/tsv "
            "(a row per save time, a column per state and observable).",
            case_sensitive=False,
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write a Parquet file.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a .png or .html plot.")] = (
        None
    ),
) -> None:
    """Simulate one virtual patient of a mechanistic model (time in hours).

    Example: sepsistwin simulate --model reynolds2006 --param k_pg=0.6 --init P=1.0 --hours 500
    """
    from sepsistwin.solve import simulate

    form = resolve_format(fmt, as_json)
    as_json = form is OutputFormat.json
    if not (hours > 0) or not np.isfinite(hours):
        fail(f"--hours must be > 0, got {hours}")
    if not (step > 0) or not np.isfinite(step):
        fail(f"--step must be > 0, got {step}")
    if out is not None:
        check_output_path("--out", out, (".parquet",))
    if plot is not None:
        check_output_path("--plot", plot, (".png", ".html"))
    m, p, y, sched = _inputs(model, param, init, dose, weight, parameters)
    check_dose_ranges(
        [(f"--dose {d}", *_therapy_amount(d)) for d in dose or [] if _therapy_amount(d)],
        weight,
        strict=strict,
    )
    from sepsistwin.cli._common import err_console
    from sepsistwin.cli._compile import ensure_compiled

    ensure_compiled(m.name, err_console)
    t = np.unique(np.r_[np.arange(0.0, hours, step), hours])  # always ends at --hours
    try:
        r = simulate(m, p, y, t, doses=sched if len(sched) else None)
    except ValueError as exc:
        fail(str(exc))
    status = r.status_of(0)
    if as_json:
        print_json(
            {
                "model": m.name,
                "time": r.time,
                "states": r.states,
                "observables": r.observables,
                "status": status.describe(),
            }
        )
    if out is not None:
        frame = r.to_wide().drop(columns="patient")
        frame.to_parquet(out, index=False)
    if plot is not None:
        _plot(r, plot, f"{m.name}: " + ", ".join(f"{k}={v:g}" for k, v in {**p, **y}.items()))
    if form in (OutputFormat.csv, OutputFormat.tsv):
        print_frame(r.to_wide().drop(columns="patient"), form)
    elif not as_json:
        render_simulation(m, r, status, list(dose or []), weight, console)
        for path in (out, plot):
            if path is not None:
                console.print(f"wrote {path}", highlight=False)
    if status.failed:
        raise typer.Exit(1)


def export_sbml_cmd(
    out: Annotated[Path, typer.Argument(help="Output SBML file (.xml).")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model preset name.")] = (
        "reynolds2006"
    ),
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help=_PARAM_HELP)] = None,
    init: Annotated[list[str] | None, typer.Option("--init", "-i", help=_INIT_HELP)] = None,
    dose: Annotated[list[str] | None, typer.Option("--dose", "-d", help=_DOSE_HELP)] = None,
    weight: Annotated[float, typer.Option("--weight", help=_WEIGHT_HELP)] = 75.0,
    parameters: Annotated[
        str,
        typer.Option(
            "--parameters",
            help="Parameter set written as the SBML values: 'calibrated', 'defaults' or a "
            "calibration YAML.",
        ),
    ] = "calibrated",
) -> None:
    """Write a model as SBML Level 3 (doses become SBML events).

    Example: sepsistwin export-sbml --model reynolds2006 reynolds.xml
    """
    from sepsistwin.model.sbml import write_sbml

    m, p, y, sched = _inputs(model, param, init, dose, weight, parameters)
    try:
        path = write_sbml(m, out, p, y, sched if len(sched) else None)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"wrote {path} (SBML L3V2, model {m.name!r})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and ``export-sbml`` to the ``sepsistwin`` app."""
    app.command("simulate")(simulate_cmd)
    app.command("export-sbml")(export_sbml_cmd)
