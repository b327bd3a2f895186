"""``sepsistwin demo``: the main job on the embedded defaults (example cohort and models)."""

from __future__ import annotations

import typer

from sepsistwin.cli._common import console


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to ``app``."""

    @app.command("demo")
    def demo_command() -> None:
        """Run the main job on the bundled example data: assess the example cohort."""
        from sepsistwin.api import assess
        from sepsistwin.cli.assess import render_assessment
        from sepsistwin.examples import COHORT_PATIENTS, example_path

        console.rule("[bold]1. Assess: the example ICU cohort, day by day")
        for p in COHORT_PATIENTS:
            console.print(f"  [bold]{p.patient_id}[/] {p.story}", highlight=False)
        result = assess(example_path("cohort.csv"), onset=example_path("onsets.csv"))
        render_assessment(result, console)
