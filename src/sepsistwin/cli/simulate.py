"""``sepsistwin simulate`` and ``sepsistwin export-sbml``: run or export a mechanistic model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from sepsistwin.api import parse_assignments
from sepsistwin.cli._common import console, fail, print_json

_PARAM_HELP = "Parameter override NAME=VALUE (repeatable)."
_INIT_HELP = "Initial state override STATE=VALUE (repeatable)."
_DOSE_HELP = (
    "Therapy dose in clinical units THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N][,route=R][,over=H]"
    "[,conc=C] (e.g. nivolumab:480mg@24, il7:10ug/kg@48,every=84,n=8,route=im, "
    "anakinra:2mg/kg/h@24-96; model 'sepsistwin'), or a raw state dose STATE:AMOUNT@HOURS "
    "(bolus) / STATE:RATE/h@START-END (infusion), optionally ',every=H,n=N' (repeatable)."
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
        fig.write_html(str(path), include_plotlyjs="cdn")
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
    else:
        fail(f"--plot {path}: expected a .png or .html file name")


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
    hours: Annotated[float, typer.Option("--hours", help="Horizon in hours.")] = 672.0,
    step: Annotated[float, typer.Option("--step", help="Save interval in hours.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trajectories as JSON.")] = (
        False
    ),
    out: Annotated[Path | None, typer.Option("--out", help="Write a Parquet file.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a .png or .html plot.")] = (
        None
    ),
) -> None:
    """Simulate one virtual patient of a mechanistic model (time in hours).

    Example: sepsistwin simulate --model reynolds2006 --param k_pg=0.6 --init P=1.0 --hours 500
    """
    from sepsistwin.solve import simulate

    if not (hours > 0) or not np.isfinite(hours):
        fail(f"--hours must be > 0, got {hours}")
    if not (step > 0) or not np.isfinite(step):
        fail(f"--step must be > 0, got {step}")
    if out is not None and out.suffix.lower() != ".parquet":
        fail(f"--out {out}: expected a .parquet file name")
    m, p, y, sched = _inputs(model, param, init, dose, weight, parameters)
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
    if not as_json:
        final = ", ".join(f"{s}={v[-1]:.4g}" for s, v in r.states.items())
        console.print(
            f"{m.name}: {status.describe()}; at t={r.time[-1]:g} h: {final}", highlight=False
        )
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
