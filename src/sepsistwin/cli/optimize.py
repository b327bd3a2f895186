"""``sepsistwin optimize TIMELINE --patient ID``: therapy optimisation on the patient's twin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sepsistwin.cli._common import check_output_path, fail, print_json, waiting
from sepsistwin.cli.twin import Doses, Onset, Patient, Received, Seed, Steps, Timeline, _fit


def optimize_command(
    timeline: Timeline,
    patient: Patient,
    onset: Onset = None,
    day: Annotated[
        int | None,
        typer.Option(
            "--day", help="Decide at the end of this day's data (0 = onset; default: the last)."
        ),
    ] = None,
    horizon_days: Annotated[
        int, typer.Option("--horizon-days", help="Planning horizon: doses within this many days.")
    ] = 7,
    therapy: Annotated[
        list[str] | None,
        typer.Option(
            "--therapy", help="Only these recommended therapies (repeatable; default: all)."
        ),
    ] = None,
    harm_cap: Annotated[
        float,
        typer.Option("--harm-cap", help="Largest accepted P(harm: 28-day death +2 pp or more)."),
    ] = 0.10,
    doses: Doses = None,
    received: Received = None,
    seed: Seed = 0,
    max_steps: Steps = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the plan as JSON to this file.")
    ] = None,
) -> None:
    """Optimise the immunotherapy regimen on the patient's twin (research decision support,
    never a dosing order).

    Fits the twin to the end of --day, then searches dose, start, interval and number of
    doses of each therapy the recommendation allows for expected 28-day survival over the
    twin's posterior (penalties for hyperinflammation and exposure, P(harm) capped).
    """
    from sepsistwin.control import Objective, optimize
    from sepsistwin.twin import NotConvergedError

    if out is not None:
        check_output_path("--out", out, (".json",))
    if horizon_days < 1:
        fail(f"--horizon-days {horizon_days}: expected a positive number of days")
    if not 0.0 <= harm_cap <= 1.0:
        fail(f"--harm-cap {harm_cap}: expected a probability between 0 and 1")
    twin = _fit(timeline, patient, onset, day, doses, received, seed, max_steps)
    try:
        with waiting(f"optimising the regimen of {patient} on its twin (CMA-ES)"):
            plan = optimize(
                twin,
                horizon_days=horizon_days,
                therapies=therapy,
                objective=Objective(harm_cap=harm_cap),
            )
    except NotConvergedError as exc:
        fail(str(exc), code=1)
    if out is not None:
        out.write_text(json.dumps(plan.to_dict(), indent=2))
        typer.echo(f"plan: {out}", err=True)
    if json_out:
        print_json(plan.to_dict())
    else:
        typer.echo(plan.summary())


def register(app: typer.Typer) -> None:
    """Add the ``optimize`` command to ``app``."""
    app.command("optimize")(optimize_command)
