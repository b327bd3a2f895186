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
        rounds: int = typer.Option(
            2, "--rounds", min=1, help="Repeats of the interacting stages 2-4."
        ),
        out: Path = typer.Option(
            Path("docs/calibration.md"),
            "--out",
            help="Markdown report (a PNG is written beside it).",
        ),
        store: bool = typer.Option(
            True, "--store/--no-store", help="Write the calibrated values to the package data file."
        ),
        report_only: bool = typer.Option(
            False,
            "--report-only",
            help="Only evaluate the stored calibration and rewrite the report (simulates the "
            "calibration population: minutes, not seconds).",
        ),
    ) -> None:
        """Calibrate the sepsistwin model to its targets and write the report."""
        from sepsistwin.cli._common import err_console
        from sepsistwin.cli._compile import ensure_compiled
        from sepsistwin.population.calibrate import evaluate_calibration, run_calibration
        from sepsistwin.population.calibrated import load_calibrated_parameters, write_calibration
        from sepsistwin.population.report import write_report

        ensure_compiled("sepsistwin", err_console)
        if report_only:
            stored = load_calibrated_parameters()
            if not stored.model:
                raise typer.BadParameter(
                    "no stored calibration to report on; run 'sepsistwin calibrate' first",
                    param_hint="--report-only",
                )
            size, seed = int(stored.meta.get("size", size)), int(stored.meta.get("seed", seed))
            with err_console.status(
                f"evaluating the stored calibration on {size:,} virtual patients "
                "(a few minutes on 2 cores)"
            ):
                evaluated = evaluate_calibration(stored, size, seed)
            paths = write_report(evaluated, out)
            typer.echo(f"report: {paths['report']} (figure {paths['figure']})")
            return
        cmd = f"sepsistwin calibrate --size {size} --seed {seed} --rounds {rounds} --out {out}"
        result = run_calibration(size=size, seed=seed, command=cmd, rounds=rounds, log=typer.echo)
        if store:
            typer.echo(f"stored: {write_calibration(result.calibration)}")
        paths = write_report(result, out)
        typer.echo(f"report: {paths['report']} (figure {paths['figure']})")
