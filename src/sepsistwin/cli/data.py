"""``sepsistwin data``: check input files, convert them, list the variable catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sepsistwin.cli._common import console, err_console, fail, frame_records, print_json
from sepsistwin.cli._output import (
    Column,
    OutputFormat,
    format_option,
    print_records,
    print_table,
    resolve_format,
)

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
    from sepsistwin.data import InputError, read_timeline, to_fhir_bundle

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
        table = tl.to_long_table()
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


def _write_table(frame: object, path: Path) -> None:
    """Write a DataFrame as CSV or Parquet by the path's suffix (the caller checked it)."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    if path.suffix.lower() == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        fail(f"{out.name}: unsupported output type '{out.suffix}'; use .csv or .parquet")
    if not out.parent.exists():
        fail(f"{out.name}: the folder {out.parent} does not exist")


@data_app.command("from-mimic-iv")
def from_mimic_iv(
    mimic_dir: Annotated[
        Path, typer.Argument(help="MIMIC-IV folder with hosp/ and icu/ (.csv.gz, .csv, .parquet).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Timeline to write (.parquet or .csv): canonical long table, time in hours "
            "since each stay's time zero; beside it <stem>.stays.csv (stay, subject, admission, "
            "onset), and <stem>.skipped.csv / <stem>.rejected.csv when rows were left out."
        ),
    ],
    stays: Annotated[
        Path | None, typer.Option(help="CSV with a stay_id column: import only these stays.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Import at most this many stays.")] = None,
    onset: Annotated[
        str,
        typer.Option(
            help="Time zero: 'icu' (ICU admission) or 'suspicion' (first suspicion of "
            "infection, else ICU admission)."
        ),
    ] = "icu",
    strict: Annotated[
        bool, typer.Option(help="Stop at the first bad row instead of listing it.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Import MIMIC-IV ICU stays (labs, vitals, GCS, urine, vasopressors, antibiotics).

    Exit code 0 when every mapped row was used, 1 when rows were skipped or rejected
    (listed in the side files), 2 on unusable input.
    """
    from sepsistwin.data import InputError
    from sepsistwin.data.mimic import read_mimic_iv

    _check_out(out)
    if onset not in ("icu", "suspicion"):
        fail(f"--onset '{onset}' is not known; expected 'icu' or 'suspicion'")
    try:
        result = read_mimic_iv(
            mimic_dir,
            stays=stays,
            limit=limit,
            onset=onset,  # type: ignore[arg-type]
            lenient=not strict,
        )
    except InputError as exc:
        fail(str(exc))
    tl = result.timeline
    _write_table(tl.to_long_table(), out)
    side = {
        "stays": out.with_name(f"{out.stem}.stays.csv"),
        "skipped": out.with_name(f"{out.stem}.skipped.csv"),
        "rejected": out.with_name(f"{out.stem}.rejected.csv"),
    }
    result.stays.to_csv(side["stays"], index=False)
    for key, frame in (("skipped", result.skipped), ("rejected", tl.rejected)):
        if len(frame):
            frame.to_csv(side[key], index=False)
        elif side[key].exists():
            side[key].unlink()
    summary = result.summary()
    summary["out"] = str(out)
    summary["notes"] = result.notes
    if json_out:
        print_json(summary)
    else:
        console.print(
            f"{mimic_dir.name or mimic_dir}: {summary['stays']} stays, "
            f"{summary['observations']} observations, {summary['rejected']} rejected, "
            f"{summary['skipped']} skipped rows ({summary['seconds']:.1f} s) -> {out}",
            highlight=False,
        )
        for name, count in summary["per_variable"].items():
            console.print(f"  {name:<24} {count:>9}", highlight=False)
        for note in result.notes:
            err_console.print(f"  note: {note}", highlight=False, soft_wrap=True)
        for key in ("skipped", "rejected"):
            if side[key].exists():
                err_console.print(f"  {key} rows listed in {side[key]}", highlight=False)
    if summary["rejected"] or summary["skipped"]:
        raise typer.Exit(1)


@data_app.command("from-meds")
def from_meds(
    meds_dir: Annotated[
        Path,
        typer.Argument(help="MEDS dataset folder (data/**/*.parquet, metadata/codes.parquet)."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Timeline to write (.parquet or .csv), time in hours since each subject's "
            "time zero; <stem>.skipped.csv / <stem>.rejected.csv beside it when rows were "
            "left out."
        ),
    ],
    code_map: Annotated[
        Path | None,
        typer.Option(help="YAML list of extra rules: pattern (regex), variable, unit."),
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="Stop at the first bad row instead of listing it.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Import a MEDS dataset: codes mapped to the catalogue, units converted, rows counted.

    Exit code 0 when every row was used, 1 when rows were skipped (unmapped codes) or
    rejected (listed in the side files), 2 on unusable input.
    """
    from sepsistwin.data import InputError
    from sepsistwin.data.catalogue import CatalogueError
    from sepsistwin.data.meds import read_meds

    _check_out(out)
    try:
        result = read_meds(meds_dir, code_map=code_map, lenient=not strict)
    except (InputError, CatalogueError) as exc:
        fail(str(exc))
    tl = result.timeline
    _write_table(tl.to_long_table(), out)
    skipped_rows = int(result.skipped["rows"].sum()) if len(result.skipped) else 0
    for key, frame in (("skipped", result.skipped), ("rejected", tl.rejected)):
        side = out.with_name(f"{out.stem}.{key}.csv")
        if len(frame):
            frame.to_csv(side, index=False)
        elif side.exists():
            side.unlink()
    summary = {
        "subjects": len(tl.patients),
        "observations": len(tl.observations),
        "rejected": len(tl.rejected),
        "skipped": skipped_rows,
        "skipped_codes": int(result.skipped["code"].nunique()) if len(result.skipped) else 0,
        "out": str(out),
    }
    if json_out:
        print_json(summary)
    else:
        console.print(
            f"{meds_dir.name}: {summary['subjects']} subjects, {summary['observations']} "
            f"observations, {summary['rejected']} rejected, {skipped_rows} skipped rows "
            f"({summary['skipped_codes']} codes) -> {out}",
            highlight=False,
        )
    if summary["rejected"] or skipped_rows:
        raise typer.Exit(1)


@data_app.command("to-meds")
def to_meds(
    input: Annotated[Path, _INPUT],
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the MEDS dataset into.")],
    onset: Annotated[Path | None, _ONSET] = None,
    lenient: Annotated[bool, _LENIENT] = False,
) -> None:
    """Write a timeline (any input format) as a MEDS dataset."""
    from sepsistwin.data import InputError, read_timeline
    from sepsistwin.data.meds import write_meds

    if out_dir.exists() and any(out_dir.iterdir()):
        fail(f"{out_dir}: the folder is not empty; give a new or empty folder")
    try:
        tl = read_timeline(input, onset=onset, lenient=lenient)
    except InputError as exc:
        fail(str(exc))
    write_meds(tl, out_dir, dataset_name=input.stem)
    err_console.print(
        f"wrote {out_dir} ({len(tl.patients)} subjects, {len(tl.observations)} observations)",
        highlight=False,
    )


@data_app.command("variables")
def variables(
    json_out: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
    fmt: Annotated[OutputFormat | None, format_option()] = None,
) -> None:
    """List the variable catalogue: names, canonical units, accepted units, ranges, codes."""
    from sepsistwin.data import CATALOGUE

    form = resolve_format(fmt, json_out)
    if form is OutputFormat.json:
        print_json({name: var.model_dump() for name, var in CATALOGUE.items()})
        return
    rows: list[dict[str, Any]] = [
        {
            "variable": name,
            "label": var.label,
            "unit": var.canonical_unit,
            "accepted_units": list(var.accepted_units),
            "plausible_min": var.plausible_min,
            "plausible_max": var.plausible_max,
            "loinc": list(var.loinc),
        }
        for name, var in CATALOGUE.items()
    ]
    if form is not OutputFormat.table:
        print_records(rows, form)
        return
    print_table(
        console,
        [
            Column("variable"),
            Column("unit"),
            Column("plausible range", 1, "right"),
            Column("accepted units", 2),
            Column("LOINC", 3),
        ],
        [
            [
                r["variable"],
                r["unit"] or "-",
                f"{r['plausible_min']:g} to {r['plausible_max']:g}"
                if r["plausible_min"] is not None and r["plausible_max"] is not None
                else "-",
                ", ".join(r["accepted_units"]) or "-",
                ", ".join(r["loinc"]) or "-",
            ]
            for r in rows
        ],
        title="Variable catalogue (docs/data-formats.md has the full table)",
        hint="widen the terminal or use --format csv",
    )


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to the main app."""
    app.add_typer(data_app, name="data")
