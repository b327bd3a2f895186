"""``sepsistwin demo``: the main job on the embedded defaults (example cohort and models)."""

from __future__ import annotations

from typing import Annotated

import typer

from sepsistwin.cli._common import console


def register(app: typer.Typer) -> None:
    """Add the ``demo`` and ``compile`` commands to ``app``."""

    @app.command("compile")
    def compile_command(
        model: Annotated[
            list[str] | None,
            typer.Option(
                "--model",
                "-m",
                help="Model to compile (repeatable; default: sepsistwin and reynolds2006).",
            ),
        ] = None,
    ) -> None:
        """Compile the models' integration kernels now (once per machine; they are cached),
        so later commands start at once. 'make install' runs it."""
        from sepsistwin.cli._common import fail
        from sepsistwin.cli._compile import ensure_compiled
        from sepsistwin.model import get_model

        for name in model or ["sepsistwin", "reynolds2006"]:
            try:
                get_model(name)
            except (KeyError, ValueError) as exc:
                fail(f"--model {name!r}: {exc.args[0] if exc.args else exc}")
            if ensure_compiled(name, console) == 0.0:
                console.print(f"'{name}' is compiled (cached)", highlight=False)

    @app.command("demo")
    def demo_command() -> None:
        """Run the main job on the bundled example data: assess the example cohort, recommend
        phenotype-matched immunotherapy for each patient's screening day, simulate one virtual
        patient with and without therapy, fit a digital twin of one patient (forecast and
        what-if), and run a small PROVIDE-like in-silico trial."""
        from sepsistwin.api import assess
        from sepsistwin.cli.assess import render_assessment
        from sepsistwin.examples import COHORT_PATIENTS, example_path
        from sepsistwin.recommend import recommend, render_day

        console.rule("[bold]1. Assess: the example ICU cohort, day by day")
        for p in COHORT_PATIENTS:
            console.print(f"  [bold]{p.patient_id}[/] {p.story}", highlight=False)
        result = assess(example_path("cohort.csv"), onset=example_path("onsets.csv"))
        render_assessment(result, console)

        console.rule("[bold]2. Recommend: options for each patient at screening (day 1)")
        recs = recommend(result)
        for p in COHORT_PATIENTS:
            days = sorted(r.day for r in recs.filter(patient=p.patient_id))
            # Day 1 = the PROVIDE screening window (~24 h); a one-day record uses its day 0.
            day = 1 if 1 in days else days[-1]
            render_day(recs.get(p.patient_id, day), console)

        from sepsistwin.cli._compile import ensure_compiled

        ensure_compiled("sepsistwin", console)
        _simulate_section()
        _twin_section()
        _trial_section()


_DEMO_TRIAL_SIZE = 1500  # virtual patients sampled; keeps the demo well under 2 minutes


def _simulate_section() -> None:
    """What-if on a virtual septic-shock cohort: standard care with and without nivolumab."""
    import numpy as np

    from sepsistwin.model.pharmacology import therapy_schedule
    from sepsistwin.population import sample_population

    console.rule("[bold]3. Simulate: 300 virtual septic-shock patients, with and without nivolumab")
    pop = sample_population(300, "septic_shock", seed=5)
    t = np.arange(0.0, 28 * 24 + 1.0, 24.0)
    nivolumab = therapy_schedule("nivolumab", "480 mg", at_hours=24.0, weight_kg=pop.weight_kg)
    runs = {
        "standard care (meropenem)": pop.simulate(t),
        "+ nivolumab 480 mg at 24 h": pop.simulate(t, doses=nivolumab),
    }
    lymphopenic = runs["standard care (meropenem)"].observables["lymphocytes"][:, 1] <= 1.1
    console.print(
        f"  {int(lymphopenic.sum())} of {pop.n} are lymphopenic at 24 h "
        "(ALC <= 1.1 x10^9/L, the nivolumab trials' entry criterion); their means:",
        highlight=False,
    )
    for label, r in runs.items():
        obs = r.observables
        console.print(
            f"  {label:28s} day 7 lymphocytes {obs['lymphocytes'][lymphopenic, 7].mean():.2f} "
            f"x10^9/L, mHLA-DR {obs['mhla_dr'][lymphopenic, 7].mean():,.0f} AB/C, PD-1 "
            f"occupancy day 28 {obs['pd1_receptor_occupancy'][lymphopenic, 28].mean():.2f}, "
            f"28-day death probability {obs['death_probability'][lymphopenic, 28].mean():.2f}",
            highlight=False,
        )


def _twin_section() -> None:
    """A twin of one example patient: fit days 0-2, forecast, what-if."""
    from sepsistwin.cli.twin import _whatif_table
    from sepsistwin.examples import example_path
    from sepsistwin.twin import NotConvergedError, fit

    console.rule("[bold]4. Twin: ICU-001 fitted to days 0-2, forecast and what-if")
    twin = fit(example_path("cohort.csv"), "ICU-001", onset=example_path("onsets.csv"), until_day=2)
    console.print(twin.summary(), highlight=False)
    try:
        console.print(_whatif_table(twin.whatif()), highlight=False)
    except NotConvergedError as exc:
        console.print(f"  {exc}", highlight=False)


def _trial_section() -> None:
    from sepsistwin.trial import run_trial

    console.rule("[bold]5. Trial: a small PROVIDE-like in-silico randomised trial")
    from sepsistwin.cli.trial import render_trial

    result = run_trial("provide-like", size=_DEMO_TRIAL_SIZE, store=":memory:", progress=True)
    render_trial(result, console)
