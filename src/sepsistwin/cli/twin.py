"""``sepsistwin twin fit|forecast|whatif TIMELINE --patient ID``: the patient digital twin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sepsistwin.cli._common import fail, print_json, waiting
from sepsistwin.cli._output import OutputFormat, format_option, print_frame, resolve_format

twin_app = typer.Typer(
    help="Patient digital twin: fit the model to one patient, forecast to day 28, compare "
    "therapies (research decision support, not a clinical order).",
    no_args_is_help=True,
)

Timeline = Annotated[
    Path, typer.Argument(help="Timeline: long CSV/Parquet, FHIR Bundle (.json) or NDJSON.")
]
Patient = Annotated[str, typer.Option("--patient", help="The patient id to fit.")]
Onset = Annotated[
    Path | None, typer.Option(help="Per-patient time zero: CSV/Parquet with patient_id, onset.")
]
UntilDay = Annotated[
    int | None, typer.Option("--until-day", help="Fit data up to the end of this day (0 = onset).")
]
Json = Annotated[bool, typer.Option("--json", help="Print the twin as one JSON object.")]
Out = Annotated[
    Path | None, typer.Option("--out", help="Write the posterior draws to this Parquet file.")
]
Doses = Annotated[
    Path | None,
    typer.Option(
        "--doses",
        help="Therapies received: CSV with patient_id, hours, therapy, dose[, route, "
        "every_hours, n, infusion_hours].",
    ),
]
Received = Annotated[
    list[str] | None,
    typer.Option(
        "--received",
        help="A therapy received, as THERAPY:DOSE@HOURS with optional every=H, n=N and "
        "route=R after commas, e.g. anakinra:200mg@30,every=8,n=9 (repeatable).",
    ),
]
Plot = Annotated[
    Path | None, typer.Option("--plot", help="Write the forecast (and what-if) figure as PNG.")
]
Seed = Annotated[int, typer.Option(help="Seed of the sampler.")]
Fmt = Annotated[OutputFormat | None, format_option()]
Steps = Annotated[
    int | None, typer.Option("--max-steps", help="Most MCMC sampling steps after burn-in.")
]


def _fit(
    timeline: Path,
    patient: str,
    onset: Path | None,
    until_day: int | None,
    doses: Path | None,
    received: list[str] | None,
    seed: int,
    max_steps: int | None,
) -> Any:
    from dataclasses import replace

    from sepsistwin.data import InputError
    from sepsistwin.twin import SamplerSettings, TwinInputError, fit, read_doses

    if not timeline.exists():
        fail(f"{timeline}: no such file")
    specs = list(received or [])
    settings = SamplerSettings()
    if max_steps is not None:
        try:
            settings = replace(settings, max_steps=max_steps)
        except ValueError as exc:
            fail(f"--max-steps {max_steps}: {exc}")
    try:
        if doses is not None:
            specs += read_doses(doses, patient).get(patient, [])
        with waiting(
            f"fitting the twin of {patient} (MCMC over the population prior; the first run "
            "also compiles the model, minutes)"
        ):
            return fit(
                timeline,
                patient,
                onset=onset,
                until_day=until_day,
                received=specs,
                seed=seed,
                settings=settings,
            )
    except (TwinInputError, InputError) as exc:
        fail(str(exc).splitlines()[0])
    except RuntimeError as exc:
        fail(str(exc))


def _table(twin: Any, kind: str, whatifs: Any) -> Any:
    """The command's result as one flat table (``--format csv|tsv``)."""
    import pandas as pd

    if kind == "whatif":
        rows = []
        for w in whatifs or []:
            d = w.to_dict()
            flat = {k: v for k, v in d.items() if not isinstance(v, dict)}
            for key, band in d.items():
                if isinstance(band, dict):
                    flat.update({f"{key}_{k}": v for k, v in band.items()})
            rows.append(flat)
        return pd.DataFrame(rows)
    if kind == "forecast":
        bands = twin.forecast().to_dict()["observables"]
        return pd.DataFrame(
            [{"observable": name, **row} for name, rows in bands.items() for row in rows]
        )
    return twin.posterior()


def _finish(
    twin: Any,
    form: OutputFormat,
    out: Path | None,
    plot: Path | None,
    whatifs: Any,
    kind: str = "fit",
) -> None:
    from sepsistwin.twin import NotConvergedError

    if out is not None:
        twin.to_parquet(out)
    try:
        if plot is not None:
            for p in twin.plot(plot, whatifs):
                typer.echo(f"figure: {p}", err=True)
    except NotConvergedError as exc:
        fail(str(exc), code=1)
    if form is OutputFormat.json:
        print_json(twin.to_dict(whatifs=whatifs))
    elif form in (OutputFormat.csv, OutputFormat.tsv):
        print_frame(_table(twin, kind, whatifs), form)
    else:
        typer.echo(twin.summary())
        if whatifs:
            typer.echo(_whatif_table(whatifs))


def _whatif_table(whatifs: Any) -> str:
    lines = [
        "",
        "What-if against standard care (posterior over the twin's draws):",
        f"  {'therapy':<18} {'source':<10} {'d mortality 28d [90%]':<28} {'P(benefit)':>10} "
        f"{'P(harm)':>8} {'hyperinfl.':>10}",
    ]
    for w in whatifs:
        d = w.to_dict()
        m = d["delta_mortality_28d"]
        interval = f"{100 * m['mean']:+.1f} pp [{100 * m['lo90']:+.1f}, {100 * m['hi90']:+.1f}]"
        lines.append(
            f"  {w.therapy:<18} {w.source:<10} {interval:<28} {w.p_benefit:>10.0%} "
            f"{w.p_harm:>8.0%} {d['hyperinflammation_risk']:>10.0%}"
        )
        lines.append(f"    {w.regimen}")
    return "\n".join(lines)


@twin_app.command("fit")
def fit_command(
    timeline: Timeline,
    patient: Patient,
    onset: Onset = None,
    until_day: UntilDay = None,
    json_out: Json = False,
    out: Out = None,
    doses: Doses = None,
    received: Received = None,
    plot: Plot = None,
    seed: Seed = 0,
    max_steps: Steps = None,
    fmt: Fmt = None,
) -> None:
    """Fit the twin: posterior over the patient's quantities, convergence, forecast summary."""
    form = resolve_format(fmt, json_out)
    twin = _fit(timeline, patient, onset, until_day, doses, received, seed, max_steps)
    _finish(twin, form, out, plot if twin.converged else None, None)


@twin_app.command("forecast")
def forecast_command(
    timeline: Timeline,
    patient: Patient,
    onset: Onset = None,
    until_day: UntilDay = None,
    json_out: Json = False,
    out: Out = None,
    doses: Doses = None,
    received: Received = None,
    plot: Plot = None,
    seed: Seed = 0,
    max_steps: Steps = None,
    fmt: Fmt = None,
) -> None:
    """Fit, then forecast to day 28: bands per observable, phenotype per day, 28-day death.
    Refuses (exit 1) when the fit has not converged."""
    from sepsistwin.twin import NotConvergedError

    form = resolve_format(fmt, json_out)
    twin = _fit(timeline, patient, onset, until_day, doses, received, seed, max_steps)
    try:
        twin.forecast()
    except NotConvergedError as exc:
        fail(str(exc), code=1)
    _finish(twin, form, out, plot, None, "forecast")
    if form is OutputFormat.table:
        typer.echo(_forecast_table(twin))


def _forecast_table(twin: Any) -> str:
    f = twin.forecast()
    lines = ["", "Forecast (median [90% band]) at 08:00 of days 4, 7, 14, 28:"]
    for v in ("ferritin", "mhla_dr", "lymphocytes", "il6", "lactate", "platelets"):
        d = f.daily(v)
        if d.empty:
            continue
        cells = []
        for day in (4, 7, 14, 27):
            r = d[d["day"] == day]
            if len(r):
                r0 = r.iloc[0]
                cells.append(f"d{day} {r0['median']:.3g} [{r0['lo90']:.3g}-{r0['hi90']:.3g}]")
        lines.append(f"  {v:<12} " + "; ".join(cells))
    return "\n".join(lines)


@twin_app.command("whatif")
def whatif_command(
    timeline: Timeline,
    patient: Patient,
    onset: Onset = None,
    until_day: UntilDay = None,
    therapy: Annotated[
        list[str] | None,
        typer.Option(
            "--therapy",
            help="A regimen to compare, as THERAPY:DOSE@HOURS with optional every=H, n=N and "
            "route=R after commas (hours since time zero; repeatable). Recommended options are "
            "always included.",
        ),
    ] = None,
    json_out: Json = False,
    out: Out = None,
    doses: Doses = None,
    received: Received = None,
    plot: Plot = None,
    seed: Seed = 0,
    max_steps: Steps = None,
    fmt: Fmt = None,
) -> None:
    """Fit, then compare each option ``recommend`` lists for the patient (and each --therapy)
    against standard care: change in 28-day mortality and SOFA, P(benefit), P(harm > 2 pp),
    hyperinflammation risk. Refuses (exit 1) when the fit has not converged."""
    from sepsistwin.twin import NotConvergedError, TwinInputError
    from sepsistwin.twin.patient import check_dose_spec

    form = resolve_format(fmt, json_out)
    try:
        for spec in therapy or []:
            check_dose_spec(spec)
    except TwinInputError as exc:
        fail(str(exc))
    twin = _fit(timeline, patient, onset, until_day, doses, received, seed, max_steps)
    try:
        whatifs = twin.whatif(list(therapy or []))
    except NotConvergedError as exc:
        fail(str(exc), code=1)
    _finish(twin, form, out, plot, whatifs, "whatif")


def register(app: typer.Typer) -> None:
    """Add the ``twin`` command group to ``app``."""
    app.add_typer(twin_app, name="twin")
