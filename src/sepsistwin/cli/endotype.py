"""``sepsistwin endotype``: transcriptomic endotypes (SRS/SRSq, Sweeney, MARS) per sample."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from sepsistwin import DISCLAIMER
from sepsistwin.cli._common import check_output_path, console, fail, print_json, waiting
from sepsistwin.cli._output import OutputFormat, print_frame, resolve_format

_STYLE = {"SRS1": "bold red", "SRS2": "green", "SRS3": "dim"}


def render_endotypes(table: pd.DataFrame, refused: list[dict[str, object]], out: Console) -> None:
    """Print one row per sample: each method's class, SRSq and quality flags."""
    t = Table(title="Transcriptomic endotypes", title_justify="left")
    t.add_column("sample")
    for col in ("patient_id", "day"):
        if col in table.columns:
            t.add_column(col)
    shown = [
        (c, label)
        for c, label in (
            ("srs", "SRS (7)"),
            ("srsq", "SRSq"),
            ("srs19", "SRS (19)"),
            ("srsq19", "SRSq19"),
            ("sweeney", "Sweeney"),
            ("mars", "MARS"),
        )
        if c in table.columns
    ]
    for _, label in shown:
        t.add_column(label)
    t.add_column("flags")
    for sample_id, r in table.iterrows():
        cells = [str(sample_id)]
        for col in ("patient_id", "day"):
            if col in table.columns:
                cells.append("" if pd.isna(r[col]) else str(r[col]))
        for col, _ in shown:
            v = r[col]
            if isinstance(v, float):
                cells.append("" if pd.isna(v) else f"{v:.2f}")
            else:
                text = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                style = _STYLE.get(text, "")
                cells.append(f"[{style}]{text}[/]" if style else text)
        flags = sorted(
            {
                f
                for c in table.columns
                if c.endswith("_quality") and isinstance(r[c], str)
                for f in r[c].split(";")
                if f != "ok"
            }
        )
        cells.append(", ".join(flags))
        t.add_row(*cells)
    out.print(t)
    for r in refused:
        out.print(f"[yellow]{r['method']} refused:[/] {r['reason']}", highlight=False)
    out.print(f"[dim]{DISCLAIMER}[/]")


def register(app: typer.Typer) -> None:
    """Add the ``endotype`` command to ``app``."""

    @app.command("endotype")
    def endotype_command(
        expr: Annotated[
            Path,
            typer.Argument(
                help="Gene x sample matrix (CSV/TSV/Parquet): first column HGNC symbols or "
                "Ensembl gene ids, one column per sample, log scale; or an AnnData .h5ad "
                "(samples x genes)."
            ),
        ],
        samples: Annotated[
            Path | None,
            typer.Option(help="Sample sheet: sample_id, patient_id, day or hours from time zero."),
        ] = None,
        platform: Annotated[
            str, typer.Option(help="rnaseq (log2 CPM), microarray (log2 intensity), qpcr (-Cq).")
        ] = "rnaseq",
        method: Annotated[
            list[str] | None,
            typer.Option(
                help="Method(s) to score: srs_davenport, srs_extended, sweeney, mars "
                "(repeat; default all)."
            ),
        ] = None,
        srs_mode: Annotated[
            str,
            typer.Option(
                help="SRS: align (mNN to the reference, >= 25 samples), project (per sample) or "
                "auto."
            ),
        ] = "auto",
        k: Annotated[int, typer.Option(help="Neighbours for the mNN alignment.")] = 20,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        fmt: Annotated[
            OutputFormat | None,
            typer.Option(
                "--format",
                "-f",
                help="table, json (everything) or csv/tsv (the per-sample calls).",
                case_sensitive=False,
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(help="Write the per-sample calls to FILE.csv or FILE.parquet."),
        ] = None,
    ) -> None:
        """Assign whole-blood transcriptomic endotypes: SRS1/2/3 and SRSq (Davenport 2016,
        Cano-Gamez 2022), Sweeney 2018 Inflammopathic/Adaptive/Coagulopathic, MARS1-4
        (Scicluna 2017); genes used and missing and a quality flag per sample."""
        from sepsistwin.data import InputError
        from sepsistwin.omics import endotype

        form = resolve_format(fmt, json_out)
        if out is not None:
            check_output_path("--out", out, (".csv", ".parquet"))
        if srs_mode not in ("auto", "align", "project"):
            fail(f"--srs-mode '{srs_mode}' is not known; expected auto, align or project")
        try:
            with waiting(f"scoring endotypes in {expr.name}"):
                result = endotype(
                    expr,
                    samples=samples,
                    platform=platform,
                    methods=method or None,
                    srs_mode=srs_mode,  # type: ignore[arg-type]
                    k=k,
                )
        except InputError as exc:
            fail(str(exc))
        if out is not None:
            suffix = out.suffix.lower()
            if suffix == ".csv":
                result.calls.to_csv(out, index=False)
            elif suffix == ".parquet":
                result.calls.to_parquet(out, index=False)
            else:
                fail(f"--out {out}: unsupported file type {suffix!r}; expected .csv or .parquet")
        if form is OutputFormat.json:
            print_json(result.to_dict())
        elif form is not OutputFormat.table:
            print_frame(result.calls, form)
        else:
            render_endotypes(result.table, result.refused, console)
