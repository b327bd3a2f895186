"""``sepsistwin assess``: SOFA, Sepsis-3, septic shock and immune phenotype per patient-day."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console

from sepsistwin import DISCLAIMER
from sepsistwin.cli._common import (
    ENCODING_HELP,
    check_output_path,
    console,
    err_console,
    fail,
    waiting,
)
from sepsistwin.cli._output import (
    Column,
    OutputFormat,
    choose_columns,
    fit_table,
    format_option,
    print_frame,
    print_wide,
    resolve_format,
    terminal_width,
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


#: Per-organ SOFA columns, in the order of the compact "R·C·L·V·N·K" cell.
_ORGAN_LEGEND = "organs R·C·L·V·N·K = respiration·coagulation·liver·cardiovascular·CNS·renal"


def _columns(has_sofa2: bool) -> list[Column]:
    # priority 0 is never left out (day, SOFA, phenotype); higher numbers go first.
    cols = [Column("day", 0, "right"), Column("SOFA", 0, "right")]
    if has_sofa2:
        cols.append(Column("SOFA-2", 1, "right"))
    cols += [
        Column("R·C·L·V·N·K", 5, "center"),
        Column("qSOFA", 4, "right"),
        Column("SIRS", 4, "right"),
        Column("Sepsis-3", 1, "center"),
        Column("shock", 1, "center"),
        Column("phenotype", 0),
        Column("immune state", 2),
        Column("missing", 3, "right"),
    ]
    return cols


def render_assessment(result: pd.DataFrame, out: Console, *, details: bool = False) -> None:
    """Print one table per patient (a row per day) fitted to the terminal width, the
    phenotype rule of each day and, with ``details``, every rule that fired and the missing
    variables."""
    has_sofa2 = "sofa2" in result.columns
    columns = _columns(has_sofa2)
    width = terminal_width(out)
    cells: dict[str, list[list[str]]] = {}
    for patient_id, rows in result.groupby("patient_id", sort=True):
        table_rows = cells.setdefault(str(patient_id), [])
        for rec in rows.to_dict(orient="records"):
            style = _PHENOTYPE_STYLE.get(rec["phenotype"], "")
            table_rows.append(
                [
                    str(rec["day"]),
                    f"[bold]{rec['sofa']}[/]",
                    *([f"[bold]{rec['sofa2']}[/]"] if has_sofa2 else []),
                    "·".join(str(rec[c]) for c in SOFA_COMPONENTS),
                    str(rec["qsofa"]),
                    str(rec["sirs"]),
                    "yes" if rec["sepsis3"] else "no",
                    "[bold]yes[/]" if rec["septic_shock"] else "no",
                    f"[{style}]{rec['phenotype']}[/]" if style else str(rec["phenotype"]),
                    str(rec["immune_state"]),
                    str(len(rec["missing"])),
                ]
            )
    # One choice of columns for every patient, so the tables line up.
    keep = choose_columns(columns, [r for rows in cells.values() for r in rows], width)
    left_out_any = [c.header for i, c in enumerate(columns) if i not in keep]
    for patient_id, rows in result.groupby("patient_id", sort=True):
        table, _ = fit_table(
            columns, cells[str(patient_id)], width, title=f"Patient {patient_id}", keep=keep
        )
        print_wide(out, table, width)
        for _, r in rows.iterrows():
            if details:
                out.print(
                    f"  [bold]day {r['day']}[/] rules: " + ("; ".join(r["reasons"]) or "-"),
                    highlight=False,
                    soft_wrap=width is None,
                )
                out.print(
                    "         missing: " + (", ".join(r["missing"]) or "nothing"),
                    highlight=False,
                    soft_wrap=width is None,
                )
            else:
                out.print(
                    f"  day {r['day']}: {_phenotype_reason(r['reasons'], r['phenotype'])}",
                    highlight=False,
                    soft_wrap=width is None,
                )
    if "R·C·L·V·N·K" not in left_out_any:
        out.print(f"[dim]{_ORGAN_LEGEND}[/]", highlight=False)
    if left_out_any:
        out.print(
            f"[dim]not shown at this width: {', '.join(left_out_any)} (widen the terminal, "
            "or use --format csv or --json)[/]",
            highlight=False,
        )
    out.print(f"[dim]{DISCLAIMER}[/]")


def _top(counts: pd.Series, n: int = 6) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.head(n).items()) or "none"


def _rate(per_minute: float) -> str:
    if per_minute >= 1e5:
        return f"{per_minute / 1e6:.2f}M patient-days/min"
    return f"{per_minute:,.0f} patient-days/min"


def assessment_summary(result: pd.DataFrame, seconds: float) -> dict[str, Any]:
    """Counts a cohort-scale run prints instead of per-patient tables: patients and
    patient-days, phenotype and immune state per patient-day, Sepsis-3 and septic shock
    (patient-days and patients ever), missing data, time taken and throughput.

    Examples
    --------
    >>> from sepsistwin.api import assess
    >>> from sepsistwin.examples import example_path
    >>> s = assessment_summary(assess(example_path("cohort.csv")), 1.0)
    >>> s["patients"], s["patient_days"] > s["patients"]
    (10, True)
    """
    n_days = len(result)
    by_patient = result.groupby("patient_id", sort=False)
    n_missing = result["missing"].map(len) if n_days else pd.Series(dtype=int)
    missing_vars = result["missing"].explode().dropna().value_counts()
    return {
        "patients": int(result["patient_id"].nunique()),
        "patient_days": n_days,
        "phenotype_days": {str(k): int(v) for k, v in result["phenotype"].value_counts().items()},
        "immune_state_days": {
            str(k): int(v) for k, v in result["immune_state"].value_counts().items()
        },
        "sepsis3_days": int(result["sepsis3"].sum()),
        "sepsis3_patients": int(by_patient["sepsis3"].any().sum()) if n_days else 0,
        "septic_shock_days": int(result["septic_shock"].sum()),
        "septic_shock_patients": int(by_patient["septic_shock"].any().sum()) if n_days else 0,
        "days_with_missing": int((n_missing > 0).sum()),
        "missing_variables": {str(k): int(v) for k, v in missing_vars.items()},
        "rejected_rows": len(result.attrs.get("rejected") or []),
        "seconds": round(seconds, 3),
        "patient_days_per_minute": round(60.0 * n_days / seconds) if seconds > 0 else None,
    }


def render_summary(summary: dict[str, Any], out: Console, *, wrote: Path | None) -> None:
    """Print :func:`assessment_summary` as a few lines."""
    s = summary
    days = max(s["patient_days"], 1)

    def share(k: int) -> str:
        return f"{k:,} ({100 * k / days:.0f}%)"

    phen = pd.Series(s["phenotype_days"])
    state = pd.Series(s["immune_state_days"])
    lines = [
        f"[bold]{s['patients']:,} patients, {s['patient_days']:,} patient-days[/] assessed "
        f"in {s['seconds']:.1f} s"
        + (f" ({_rate(s['patient_days_per_minute'])})" if s["patient_days_per_minute"] else ""),
        "phenotype (patient-days): " + _top(phen.map(share), 8),
        "immune state (patient-days): " + _top(state.map(share), 8),
        f"Sepsis-3: {share(s['sepsis3_days'])} patient-days, {s['sepsis3_patients']:,} "
        "patients on at least one day",
        f"septic shock: {share(s['septic_shock_days'])} patient-days, "
        f"{s['septic_shock_patients']:,} patients on at least one day",
        f"missing data: {share(s['days_with_missing'])} patient-days lack a variable; most "
        "often: " + _top(pd.Series(s["missing_variables"], dtype=int).map("{:,}".format)),
    ]
    if s["rejected_rows"]:
        lines.append(f"[yellow]{s['rejected_rows']:,} invalid row(s) dropped (--lenient)[/]")
    if wrote is not None:
        lines.append(f"wrote {wrote}")
    lines.append(
        "[dim]per-patient tables: --table; every record: --format csv|tsv|json or --out[/]"
    )
    piped = terminal_width(out) is None
    for line in lines:
        out.print(line, highlight=False, soft_wrap=piped)
    out.print(f"[dim]{DISCLAIMER}[/]", soft_wrap=piped)


def wants_summary(out: Console, n_patients: int, *, writes_file: bool) -> bool:
    """Summary instead of tables: with ``--out``, when stdout is not a terminal, or when there
    are more patients than lines on the screen (a screenful of patients)."""
    return writes_file or not out.is_terminal or n_patients > out.height


#: Rejected rows listed on stderr (the rest are counted).
_MAX_LISTED = 20


def _write(result: pd.DataFrame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        result.to_parquet(path, index=False)
    elif suffix == ".csv":
        flat = result.copy()
        for col in ("reasons", "missing"):
            flat[col] = flat[col].map("; ".join)
        flat.to_csv(path, index=False)
    else:  # pragma: no cover - check_output_path ran first
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
        fmt: Annotated[OutputFormat | None, format_option()] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                help="Write every patient-day to FILE.parquet or FILE.csv and print a summary."
            ),
        ] = None,
        table: Annotated[
            bool,
            typer.Option(
                "--table",
                help="Per-patient tables even for a large cohort, --out or piped output "
                "(which otherwise print a summary).",
            ),
        ] = False,
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

        form = resolve_format(fmt, json_out)
        if out is not None:
            check_output_path("--out", out, (".parquet", ".csv"))
        for name, value in (("--score", score), ("--sepsis3-score", sepsis3_score)):
            if value not in ("sofa", "sofa2"):
                fail(f"{name} '{value}' is not known; expected 'sofa' or 'sofa2'")
        started = time.perf_counter()
        try:
            with warnings.catch_warnings(), waiting(f"reading and assessing {input.name}"):
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
            for r in rejected[:_MAX_LISTED]:
                err_console.print(f"  {r['message']}", highlight=False, soft_wrap=True)
            if len(rejected) > _MAX_LISTED:
                err_console.print(f"  ... and {len(rejected) - _MAX_LISTED} more", highlight=False)
        skipped = result.attrs.get("skipped") or []
        if skipped:
            err_console.print(
                f"[yellow]{len(skipped)} input item(s) skipped[/] (listed by 'sepsistwin data "
                "check')",
                highlight=False,
            )
        if out is not None:
            _write(result, out)
        seconds = time.perf_counter() - started
        if form is not OutputFormat.table:
            print_frame(result, form)
            return
        n_patients = int(result["patient_id"].nunique())
        if not table and wants_summary(console, n_patients, writes_file=out is not None):
            render_summary(assessment_summary(result, seconds), console, wrote=out)
        else:
            render_assessment(result, console, details=details)
