"""``sepsistwin calibrate``: reproducible calibration of the model and virtual population."""

from __future__ import annotations

import os
from pathlib import Path

import typer


def user_calibration_path() -> Path:
    """Where ``calibrate`` writes by default: the user's data folder, not the package.

    ``$XDG_DATA_HOME/sepsistwin/calibration.yaml`` (``~/.local/share/sepsistwin/...`` when
    the variable is unset), so a calibration run never changes the installed calibration
    that every simulation and trial reads unless the user asks (``--install``).

    Examples
    --------
    >>> user_calibration_path().name
    'calibration.yaml'
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sepsistwin" / "calibration.yaml"


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
            True,
            "--store/--no-store",
            help="Write the calibrated values to --calibration (a user file; the installed "
            "calibration is left alone unless --install).",
        ),
        calibration: Path | None = typer.Option(
            None,
            "--calibration",
            help="Where to write the calibrated values (YAML; default calibration.yaml in "
            "the user data folder, XDG_DATA_HOME or ~/.local/share, under sepsistwin). Use "
            "them with 'simulate --parameters PATH'.",
        ),
        install: bool = typer.Option(
            False,
            "--install",
            help="Also replace the installed package's calibration, which every later "
            "simulation and trial uses by default.",
        ),
        report_only: bool = typer.Option(
            False,
            "--report-only",
            help="Only evaluate the stored calibration and rewrite the report (simulates the "
            "calibration population: minutes, not seconds).",
        ),
    ) -> None:
        """Calibrate the sepsistwin model to its targets and write the report."""
        from sepsistwin.cli._common import check_out_path, err_console
        from sepsistwin.cli._compile import ensure_compiled
        from sepsistwin.population.calibrate import evaluate_calibration, run_calibration
        from sepsistwin.population.calibrated import (
            CALIBRATED_PATH,
            load_calibrated_parameters,
            write_calibration,
        )
        from sepsistwin.population.report import write_report

        check_out_path(out)
        target = calibration if calibration is not None else user_calibration_path()
        if store and not report_only:
            target.parent.mkdir(parents=True, exist_ok=True)
            check_out_path(target, "--calibration")
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
        if install:
            cmd += " --install"
        result = run_calibration(size=size, seed=seed, command=cmd, rounds=rounds, log=typer.echo)
        if store:
            written = write_calibration(result.calibration, target)
            typer.echo(f"stored: {written} (use it with: simulate --parameters {written})")
        if install:
            typer.echo(f"installed: {write_calibration(result.calibration, CALIBRATED_PATH)}")
        paths = write_report(result, out)
        typer.echo(f"report: {paths['report']} (figure {paths['figure']})")
