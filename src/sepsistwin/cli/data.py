"""``sepsistwin data``: check input files, convert them, list the variable catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sepsistwin.cli._common import console, err_console, fail, frame_records, print_json

data_app = typer.Typer(
    name="data",
    help="Input data: check a file, convert it (CSV/Parquet/FHIR), list the variables.",
    no_args_is_help=True,
)

_INPUT = typer.Argument(help="CSV/Parquet long table, FHIR Bundle (.json) or NDJSON.")
_ONSET = typer.Option(help="Onset file: patient_id, onset[, baseline_sofa].")
_LENIENT = typer.Option(help="Drop and list bad rows instead of stopping at the first.")


@data_app.command("check")
def check(
    input: Annotated[Path, _INPUT],
    onset: Annotated[Path | None, _ONSET] = None,
    lenient: Annotated[bool, _LENIENT] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Validate a file and summarise it: patients, observations per variable, rejected rows.

    Exit code 2 on bad input (strict), 1 if --lenient dropped rows, 0 if all rows are good.
    """
    from sepsistwin.data import InputError, read_timeline

    try:
        tl = read_timeline(input, onset=onset, lenient=lenient)
    except InputError as exc:
        fail(str(exc))
    obs = tl.observations
    per_variable = obs.groupby("variable", observed=True)["value"].agg(["count", "min", "max"])
    if json_out:
        print_json(
            {
                "file": input.name,
                "patients": len(tl.patients),
                "observations": len(obs),
                "rejected": frame_records(tl.rejected),
                "variables": {
                    str(k): {"count": int(r["count"]), "min": r["min"], "max": r["max"]}
                    for k, r in per_variable.iterrows()
                },
            }
        )
    else:
        console.print(
            f"{input.name}: {len(tl.patients)} patients, {len(obs)} observations, "
            f"{len(tl.rejected)} rejected rows",
            highlight=False,
        )
        from sepsistwin.data import CATALOGUE

        for name, r in per_variable.iterrows():
            unit = CATALOGUE[str(name)].canonical_unit
            console.print(
                f"  {name:<24} {int(r['count']):>9}  {r['min']:.4g} to {r['max']:.4g} {unit}",
                highlight=False,
            )
        for message in tl.rejected["message"]:
            err_console.print(f"  rejected: {message}", highlight=False, soft_wrap=True)
    if len(tl.rejected):
        raise typer.Exit(1)


@data_app.command("convert")
def convert(
    input: Annotated[Path, _INPUT],
    output: Annotated[
        Path,
        typer.Argument(
            help="Output: .csv/.parquet (canonical long table, time in hours since time zero: "
            "patient_id, time, variable, value, unit) or .json/.ndjson (FHIR R4)."
        ),
    ],
    onset: Annotated[Path | None, _ONSET] = None,
    lenient: Annotated[bool, _LENIENT] = False,
) -> None:
    """Convert a file to canonical units (long table) or to FHIR R4."""
    from sepsistwin.data import CATALOGUE, InputError, read_timeline, to_fhir_bundle

    try:
        tl = read_timeline(input, onset=onset, lenient=lenient)
    except InputError as exc:
        fail(str(exc))
    suffix = output.suffix.lower()
    if suffix in (".json", ".ndjson"):
        doc = to_fhir_bundle(
            tl.observations,
            time_zero=tl.time_zero,
            baseline_sofa=tl.baseline_sofa,
            as_ndjson=suffix == ".ndjson",
        )
        output.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=1) + "\n")
    elif suffix in (".csv", ".parquet", ".pq"):
        table = (
            tl.observations.drop(columns="source")
            .rename(columns={"hours": "time"})
            .astype({"patient_id": str, "variable": str})
        )
        units = {name: var.canonical_unit for name, var in CATALOGUE.items()}
        table["unit"] = table["variable"].map(units).replace("1", "")
        if suffix == ".csv":
            table.to_csv(output, index=False)
        else:
            table.to_parquet(output, index=False)
    else:
        fail(
            f"{output.name}: unsupported output type '{suffix}'; use .csv, .parquet, .json or "
            ".ndjson"
        )
    err_console.print(f"wrote {output} ({len(tl.observations)} observations)", highlight=False)
    if len(tl.rejected):
        for message in tl.rejected["message"]:
            err_console.print(f"  rejected: {message}", highlight=False, soft_wrap=True)


@data_app.command("variables")
def variables(
    json_out: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
) -> None:
    """List the variable catalogue: names, canonical units, accepted units, ranges, codes."""
    from sepsistwin.data import CATALOGUE
    from sepsistwin.data.catalogue import catalogue_markdown

    if json_out:
        print_json({name: var.model_dump() for name, var in CATALOGUE.items()})
    else:
        console.print(catalogue_markdown(), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the main app."""
    app.add_typer(data_app, name="data")
