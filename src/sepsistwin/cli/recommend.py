"""``sepsistwin recommend INPUT [--patient ID] [--day N] [--json]``."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from sepsistwin.cli._common import ENCODING_HELP, console, fail, jsonable


def _assess(
    input: Path,
    *,
    onset: Path | None,
    lenient: bool,
    endotypes: Path | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Run the assessment through the public API (``sepsistwin.assess``)."""
    from sepsistwin.api import assess  # what ``sepsistwin.assess`` exposes

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result: pd.DataFrame = assess(
            input, onset=onset, lenient=lenient, endotypes=endotypes, encoding=encoding
        )
    return result


def register(app: typer.Typer) -> None:
    """Add the ``recommend`` command to ``app``."""

    @app.command("recommend")
    def recommend_command(
        input: Annotated[
            Path, typer.Argument(help="Timeline: long CSV/Parquet, FHIR Bundle (.json) or NDJSON.")
        ],
        patient: Annotated[str | None, typer.Option(help="Only this patient id.")] = None,
        day: Annotated[int | None, typer.Option(help="Only this day.")] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print a JSON array of patient-day objects.")
        ] = False,
        onset: Annotated[
            Path | None,
            typer.Option(
                help="Per-patient time zero: CSV/Parquet with patient_id, onset[, baseline_sofa]."
            ),
        ] = None,
        lenient: Annotated[
            bool, typer.Option(help="Drop invalid input rows instead of stopping.")
        ] = False,
        details: Annotated[bool, typer.Option(help="Show every effect and adverse event.")] = False,
        endotypes: Annotated[
            Path | None,
            typer.Option(
                help="Endotype calls from 'sepsistwin endotype --samples S --out FILE' "
                "(CSV/Parquet): SRS read as evidence on the days a sample exists."
            ),
        ] = None,
        encoding: Annotated[str, typer.Option(help=ENCODING_HELP)] = "utf-8",
    ) -> None:
        """Assess the timeline and list ranked, phenotype-matched immunotherapy options per
        patient-day, with rationale, evidence, warnings and timing. Research decision support,
        not a prescription."""
        from sepsistwin.recommend import recommend, render

        if not input.exists():
            fail(f"INPUT {input}: file not found")
        try:
            assessment = _assess(
                input, onset=onset, lenient=lenient, endotypes=endotypes, encoding=encoding
            )
        except (ValueError, KeyError) as exc:
            fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))
        try:
            result = recommend(assessment).filter(patient=patient, day=day)
        except KeyError as exc:
            fail(str(exc.args[0]) if exc.args else str(exc))
        except ValueError as exc:
            fail(str(exc))
        if json_out:
            typer.echo(json.dumps(jsonable(result.to_records()), indent=2, ensure_ascii=False))
            return
        render(result, console, details=details)
