"""``sepsistwin demo``: the main job on the embedded defaults (example cohort and models)."""

from __future__ import annotations

import typer

from sepsistwin.cli._common import console


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""

    @app.command("demo")
    def demo_command() -> None:
        """Run the main job on the bundled example data: assess the example cohort, then
        recommend phenotype-matched immunotherapy for each patient's screening day."""
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
