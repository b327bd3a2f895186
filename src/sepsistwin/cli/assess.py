"""``sepsistwin assess``: SOFA, Sepsis-3, septic shock and immune phenotype per patient-day."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from sepsistwin import DISCLAIMER
from sepsistwin.cli._common import (
    ENCODING_HELP,
    check_out_path,
    console,
    err_console,
    fail,
    frame_records,
    print_json,
)
from sepsistwin.clinical import SOFA_COMPONENTS

_PHENOTYPE_STYLE = {
    "MALS": "bold red",
    "immunoparalysis": "bold blue",
    "intermediate": "green",
    "indeterminate": "dim",
}


def _phenotype_reason(reasons: list[str], phenotype: str) -> str:
    for r in reasons:
        if r.startswith(phenotype) or r.startswith("phenotype indeterminate"):
            return r
    return ""


def render_assessment(result: pd.DataFrame, out: Console, *, details: bool = False) -> None:
    """Print one Rich table per patient (a row per day), the phenotype rule of each day and,
    with ``details``, every rule that fired and the missing variables."""
    for patient_id, rows in result.groupby("patient_id", sort=True):
        table = Table(title=f"Patient {patient_id}", title_justify="left", expand=False)
        table.add_column("day", justify="right")
        table.add_column("SOFA", justify="right")
        has_sofa2 = "sofa2" in rows.columns
        if has_sofa2:
            table.add_column("SOFA-2", justify="right")
        table.add_column("resp·coag·liver·cv·cns·renal", justify="center", no_wrap=True)
        table.add_column("qSOFA", justify="right")
        table.add_column("SIRS", justify="right")
        table.add_column("Sepsis-3", justify="center")
        table.add_column("shock", justify="center")
        table.add_column("phenotype", justify="left")
        table.add_column("immune state", justify="left")
        table.add_column("missing", justify="right")
        for _, r in rows.iterrows():
            comps = "·".join(str(r[c]) for c in SOFA_COMPONENTS)
            style = _PHENOTYPE_STYLE.get(r["phenotype"], "")
            table.add_row(
                str(r["day"]),
                f"[bold]{r['sofa']}[/]",
                *([f"[bold]{r['sofa2']}[/]"] if has_sofa2 else []),
                comps,
                str(r["qsofa"]),
                str(r["sirs"]),
                "yes" if r["sepsis3"] else "no",
                "[bold]yes[/]" if r["septic_shock"] else "no",
                f"[{style}]{r['phenotype']}[/]",
                r["immune_state"],
                str(len(r["missing"])),
            )
        out.print(table)
        for _, r in rows.iterrows():
            if details:
                out.print(
                    f"  [bold]day {r['day']}[/] rules: " + ("; ".join(r["reasons"]) or "-"),
                    highlight=False,
                )
                out.print(
                    "         missing: " + (", ".join(r["missing"]) or "nothing"), highlight=False
                )
            else:
                out.print(
                    f"  day {r['day']}: {_phenotype_reason(r['reasons'], r['phenotype'])}",
                    highlight=False,
                )
    out.print(f"[dim]{DISCLAIMER}[/]")


def _write(result: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        result.to_parquet(path, index=False)
    elif suffix == ".csv":
        flat = result.copy()
        for col in ("reasons", "missing"):
            flat[col] = flat[col].map("; ".join)
        flat.to_csv(path, index=False)
    else:
        fail(f"--out {path}: unsupported file type {suffix!r}; expected .parquet or .csv")


def register(app: typer.Typer) -> None:
    """Add the ``assess`` command to ``app``."""

    @app.command("assess")
    def assess_command(
        input: Annotated[
            Path, typer.Argument(help="Timeline: long CSV/Parquet, FHIR Bundle (.json) or NDJSON.")
        ],
        onset: Annotated[
            Path | None,
            typer.Option(
                help="Per-patient time zero: CSV/Parquet with patient_id, onset[, baseline_sofa]."
            ),
        ] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print a JSON array of patient-day records.")
        ] = False,
        out: Annotated[
            Path | None, typer.Option(help="Also write the result to FILE.parquet or FILE.csv.")
        ] = None,
        lenient: Annotated[
            bool,
            typer.Option(
                help="Drop invalid rows (listed on stderr) instead of stopping at the first."
            ),
        ] = False,
        config: Annotated[
            Path | None, typer.Option(help="YAML file overriding clinical thresholds.")
        ] = None,
        details: Annotated[
            bool,
            typer.Option(help="Print every rule that fired and the missing variables per day."),
        ] = False,
        score: Annotated[
            str,
            typer.Option(help="'sofa2' adds SOFA-2 (JAMA 2025) beside SOFA in the results."),
        ] = "sofa",
        sepsis3_score: Annotated[
            str,
            typer.Option(help="Score whose rise defines Sepsis-3: 'sofa' (default) or 'sofa2'."),
        ] = "sofa",
        endotypes: Annotated[
            Path | None,
            typer.Option(
                help="Endotype calls from 'sepsistwin endotype --samples S --out FILE' "
                "(CSV/Parquet): adds srs, srsq, sweeney, mars columns on sampled days."
            ),
        ] = None,
        encoding: Annotated[str, typer.Option(help=ENCODING_HELP)] = "utf-8",
    ) -> None:
        """Assess a patient timeline day by day: SOFA, qSOFA, SIRS, Sepsis-3, septic shock,
        PROVIDE immune phenotype and immune state, with the rules that fired."""
        import warnings

        from sepsistwin.api import assess
        from sepsistwin.clinical import ConfigError
        from sepsistwin.data import InputError

        for name, value in (("--score", score), ("--sepsis3-score", sepsis3_score)):
            if value not in ("sofa", "sofa2"):
                fail(f"{name} '{value}' is not known; expected 'sofa' or 'sofa2'")
        check_out_path(out)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = assess(
                    input,
                    onset=onset,
                    lenient=lenient,
                    config=config,
                    score=score,  # type: ignore[arg-type]
                    sepsis3_score=sepsis3_score,  # type: ignore[arg-type]
                    endotypes=endotypes,
                    encoding=encoding,
                )
        except (InputError, ConfigError, FileNotFoundError) as exc:
            fail(str(exc))
        rejected = result.attrs.get("rejected") or []
        if rejected:
            err_console.print(f"[yellow]{len(rejected)} invalid row(s) dropped (--lenient):[/]")
            for r in rejected:
                err_console.print(f"  {r['message']}", highlight=False, soft_wrap=True)
        skipped = result.attrs.get("skipped") or []
        if skipped:
            err_console.print(
                f"[yellow]{len(skipped)} input item(s) skipped[/] (listed by 'sepsistwin data "
                "check')",
                highlight=False,
            )
        if out is not None:
            _write(result, out)
        if json_out:
            print_json(frame_records(result))
        else:
            render_assessment(result, console, details=details)
