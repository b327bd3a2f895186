"""``sepsistwin recommend INPUT [--patient ID] [--day N] [--json]``."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from sepsistwin.cli._common import ENCODING_HELP, console, fail, jsonable, waiting
from sepsistwin.cli._output import (
    OutputFormat,
    format_option,
    print_records,
    resolve_format,
    terminal_width,
)


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

    with warnings.catch_warnings(), waiting(f"reading and assessing {input.name}"):
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
        fmt: Annotated[OutputFormat | None, format_option()] = None,
        table: Annotated[
            bool,
            typer.Option(
                "--table",
                help="Every patient-day's panel even for a large cohort or piped output "
                "(which otherwise print a summary).",
            ),
        ] = False,
        endotypes: Annotated[
            Path | None,
            typer.Option(
                help="Endotype calls from 'sepsistwin endotype --samples S --out FILE' "
                "(CSV/Parquet): SRS read as evidence on the days a sample exists."
            ),
        ] = None,
        encoding: Annotated[str, typer.Option(help=ENCODING_HELP)] = "utf-8",
        twin: Annotated[
            bool,
            typer.Option(
                "--twin",
                help="With --patient: fit the patient's digital twin to the end of --day (default "
                "the last day) and add its what-if numbers to each option (change in 28-day "
                "mortality, P(benefit), P(harm > 2 pp), hyperinflammation risk).",
            ),
        ] = False,
    ) -> None:
        """Assess the timeline and list ranked, phenotype-matched immunotherapy options per
        patient-day, with rationale, evidence, warnings and timing. Research decision support,
        not a prescription."""
        from sepsistwin.recommend import recommend, render

        form = resolve_format(fmt, json_out)
        started = time.perf_counter()
        if not input.exists():
            fail(f"INPUT {input}: file not found")
        if twin and patient is None:
            fail("--twin needs --patient ID (the twin is fitted to one patient)")
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
        annotated = (
            _twin_options(input, patient, day, onset) if twin and patient is not None else None
        )
        if form is OutputFormat.json:
            records = jsonable(result.to_records())
            if annotated is not None:
                records = {"recommendations": records, "twin": annotated}
            typer.echo(json.dumps(records, indent=2, ensure_ascii=False))
            return
        if form is not OutputFormat.table:
            print_records(option_rows(result), form)
            return
        from sepsistwin.cli.assess import wants_summary

        chosen = patient is not None or day is not None
        n_patients = len(result.patients())
        if not table and not chosen and wants_summary(console, n_patients, writes_file=False):
            render_recommend_summary(result, time.perf_counter() - started, console)
        else:
            render(result, console, details=details)
        if annotated is not None:
            _render_twin(annotated)


def _twin_options(
    timeline: Path, patient: str, day: int | None, onset: Path | None
) -> dict[str, Any]:
    """Fit the patient's twin and annotate the day's recommended options with its what-ifs."""
    from sepsistwin.data import InputError
    from sepsistwin.twin import NotConvergedError, TwinInputError, fit
    from sepsistwin.twin.twin import annotate_options

    try:
        with waiting(f"fitting the twin of {patient}"):
            tw = fit(timeline, patient, onset=onset, until_day=day)
            whatifs = tw.whatif([])
    except NotConvergedError as exc:
        return {"converged": False, "reason": str(exc), "options": []}
    except (TwinInputError, InputError) as exc:
        fail(str(exc).splitlines()[0])
    return {
        "converged": True,
        "fitted_until_day": tw.data.fitted_until_day,
        "options": annotate_options(tw.recommendation(), whatifs),
    }


def _render_twin(annotated: dict[str, Any]) -> None:
    if not annotated["converged"]:
        console.print(f"twin: {annotated['reason']} (no what-if numbers)", highlight=False)
        return
    console.print(
        f"[bold]Twin what-if[/] (fitted to day {annotated['fitted_until_day']}; change in "
        "28-day mortality against standard care over the posterior):",
        highlight=False,
    )
    for opt in annotated["options"]:
        w = opt["twin"]
        if w is None:
            console.print(f"  {opt['therapy']}: regimen not dosable in the model", highlight=False)
            continue
        m = w["delta_mortality_28d"]
        console.print(
            f"  {opt['therapy']}: {100 * m['mean']:+.1f} pp [90% {100 * m['lo90']:+.1f} to "
            f"{100 * m['hi90']:+.1f}], P(benefit) {w['p_benefit']:.0%}, P(harm) "
            f"{w['p_harm']:.0%}, hyperinflammation {w['hyperinflammation_risk']:.0%}",
            highlight=False,
        )


def option_rows(result: Any) -> list[dict[str, Any]]:
    """One flat row per patient-day and option (rank 0 and no therapy where none is offered),
    for CSV/TSV output."""
    rows: list[dict[str, Any]] = []
    for d in result:
        base = {
            "patient_id": d.patient_id,
            "day": d.day,
            "phenotype": d.phenotype,
            "immune_state": d.immune_state,
        }
        if not d.options:
            rows.append(
                {
                    **base,
                    "rank": 0,
                    "therapy": "",
                    "dose": "",
                    "route": "",
                    "schedule": "",
                    "evidence_level": "",
                    "why": d.no_immunotherapy_reason or "",
                }
            )
        for o in d.options:
            rows.append(
                {
                    **base,
                    "rank": o["rank"],
                    "therapy": o["therapy"],
                    "dose": o["dose"]["text"],
                    "route": o["route"],
                    "schedule": o["schedule"],
                    "evidence_level": o["evidence_level_label"],
                    "why": o["rationale"]["fired_because"],
                }
            )
    return rows


def render_recommend_summary(result: Any, seconds: float, out: Console) -> None:
    """Counts for a cohort: patient-days, first-ranked therapy per patient-day, patient-days
    without an immunotherapy option and why, time taken."""
    from collections import Counter

    from sepsistwin import DISCLAIMER

    days = list(result)
    n = max(len(days), 1)
    first = Counter(d.options[0]["therapy"] for d in days if d.options)
    none = Counter(d.phenotype for d in days if not d.options)
    phen = Counter(d.phenotype for d in days)
    piped = terminal_width(out) is None
    lines = [
        f"[bold]{len({d.patient_id for d in days}):,} patients, {len(days):,} patient-days[/] "
        f"assessed and matched in {seconds:.1f} s",
        "phenotype (patient-days): "
        + ", ".join(f"{k} {v:,} ({100 * v / n:.0f}%)" for k, v in phen.most_common()),
        "first-ranked option (patient-days): "
        + (", ".join(f"{k} {v:,}" for k, v in first.most_common()) or "none"),
        f"no immunotherapy option: {sum(none.values()):,} patient-days"
        + (
            " (by phenotype: " + ", ".join(f"{k} {v:,}" for k, v in none.most_common()) + ")"
            if none
            else ""
        ),
        "[dim]every panel: --table; one patient: --patient ID [--day N]; every option: "
        "--format csv|tsv|json[/]",
    ]
    for line in lines:
        out.print(line, highlight=False, soft_wrap=piped)
    out.print(f"[dim]{DISCLAIMER}[/]", soft_wrap=piped)
