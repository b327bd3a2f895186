"""``sepsistwin calibrate``: reproducible calibration of the model and virtual population."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to ``app``."""

    @app.command("calibrate")
    def calibrate(
        size: int = typer.Option(1500, "--size", min=50, help="Virtual patients."),
        seed: int = typer.Option(2024, "--seed", help="Random seed."),
        out: Path = typer.Option(Path("docs/calibration.md"), "--out",
                                 help="Markdown report (a PNG is written beside it)."),
        store: bool = typer.Option(True, "--store/--no-store",
                                   help="Write the calibrated values to the package data file."),
    ) -> None:
        """Calibrate the sepsistwin model to its targets and write the report."""
        from sepsistwin.population.calibrate import run_calibration
        from sepsistwin.population.calibrated import write_calibration
        from sepsistwin.population.report import write_report

        cmd = f"sepsistwin calibrate --size {size} --seed {seed} --out {out}"
        result = run_calibration(size=size, seed=seed, command=cmd, log=typer.echo)
        if store:
            typer.echo(f"stored: {write_calibration(result.calibration)}")
        paths = write_report(result, out)
        typer.echo(f"report: {paths['report']} (figure {paths['figure']})")
