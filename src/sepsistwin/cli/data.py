"""``sepsistwin data``: check input files, convert them, list the variable catalogue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sepsistwin.cli._common import (
    ENCODING_HELP,
    check_out_path,
    check_output_path,
    console,
    err_console,
    fail,
    frame_records,
    print_json,
)
from sepsistwin.cli._output import (
    Column,
    OutputFormat,
    format_option,
    print_frame,
    print_records,
    print_table,
    resolve_format,
)

if TYPE_CHECKING:
    from sepsistwin.data.eicu import EicuImport
    from sepsistwin.data.mimic import MimicImport

data_app = typer.Typer(
    name="data",
    help="Input data: check a file, convert it (CSV/Parquet/FHIR), list the variables.",
    no_args_is_help=True,
)

_INPUT = typer.Argument(help="CSV/Parquet long table, FHIR Bundle (.json) or NDJSON.")
_ONSET = typer.Option(help="Onset file: patient_id, onset[, baseline_sofa].")
_LENIENT = typer.Option(
    help="Drop and list bad rows (and conflicting duplicates: the first is kept) instead of "
    "stopping at the first."
)
_ENCODING = typer.Option(help=ENCODING_HELP)
_STRICT = typer.Option(help="Stop at the first bad row instead of listing it.")
_JSON_SUMMARY = typer.Option("--json", help="Print a JSON summary.")


@data_app.command("check")
def check(
    input: Annotated[Path, _INPUT],
    onset: Annotated[Path | None, _ONSET] = None,
    lenient: Annotated[bool, _LENIENT] = False,
    json_out: Annotated[bool, _JSON_SUMMARY] = False,
    encoding: Annotated[str, _ENCODING] = "utf-8",
    fmt: Annotated[OutputFormat | None, format_option()] = None,
) -> None:
    """Validate a file and summarise it: patients, observations per variable, rejected rows
    and skipped input (resources holding no observation, onsets of patients without data).

    The file goes through the same reader and day-by-day assessment as 'assess', so a file
    that passes here is one 'assess' accepts. Exit code 2 on bad input (strict), 1 if
    --lenient dropped rows, 0 if all rows are good.
    """
    from sepsistwin.data import InputError, read_timeline

    form = resolve_format(fmt, json_out)
    try:
        tl = read_timeline(input, onset=onset, lenient=lenient, encoding=encoding)
    except InputError as exc:
        fail(str(exc))
    _assess_or_fail(tl, input.name)
    obs = tl.observations
    per_variable = obs.groupby("variable", observed=True)["value"].agg(["count", "min", "max"])
    if form in (OutputFormat.csv, OutputFormat.tsv):
        from sepsistwin.data import CATALOGUE

        table = per_variable.reset_index()
        table["unit"] = [CATALOGUE[str(v)].canonical_unit for v in table["variable"]]
        print_frame(table, form)
        for message in tl.rejected["message"]:
            err_console.print(f"  rejected: {message}", highlight=False, soft_wrap=True)
        _print_skipped(tl.skipped)
    elif form is OutputFormat.json:
        print_json(
            {
                "file": input.name,
                "patients": len(tl.patients),
                "observations": len(obs),
                "rejected": frame_records(tl.rejected),
                "skipped": frame_records(tl.skipped),
                "variables": {
                    str(k): {"count": int(r["count"]), "min": r["min"], "max": r["max"]}
                    for k, r in per_variable.iterrows()
                },
            }
        )
    else:
        console.print(
            f"{input.name}: {len(tl.patients)} patients, {len(obs)} observations, "
            f"{len(tl.rejected)} rejected rows, {len(tl.skipped)} skipped",
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
        _print_skipped(tl.skipped)
    if len(tl.rejected):
        raise typer.Exit(1)


def _print_skipped(skipped: object) -> None:
    import pandas as pd

    assert isinstance(skipped, pd.DataFrame)
    for r in skipped.itertuples(index=False):
        where = f"{r.file}: {r.row}" if r.row is not None else str(r.file)
        err_console.print(f"  skipped: {where}: {r.reason}", highlight=False, soft_wrap=True)


def _assess_or_fail(timeline: object, file: str) -> None:
    """Run the day-by-day assessment 'assess' runs, so check fails where assess would."""
    from sepsistwin.clinical import assess as assess_observations
    from sepsistwin.data import Timeline

    assert isinstance(timeline, Timeline)
    try:
        assess_observations(timeline.observations, baseline_sofa=timeline.baseline_sofa)
    except (ValueError, KeyError, MemoryError) as exc:
        fail(f"{file}: the assessment fails on this file: {exc}")


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
    encoding: Annotated[str, _ENCODING] = "utf-8",
) -> None:
    """Convert a file to canonical units (long table) or to FHIR R4."""
    from sepsistwin.data import InputError, read_timeline, to_fhir_bundle

    check_out_path(output, "OUTPUT")
    try:
        tl = read_timeline(input, onset=onset, lenient=lenient, encoding=encoding)
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
    strict: Annotated[bool, _STRICT] = False,
    json_out: Annotated[bool, _JSON_SUMMARY] = False,
    fmt: Annotated[OutputFormat | None, format_option()] = None,
) -> None:
    """Import MIMIC-IV ICU stays (labs, vitals, GCS, urine, vasopressors, antibiotics).

    Exit code 0 when every mapped row was used, 1 when rows were skipped or rejected
    (listed in the side files), 2 on unusable input.
    """
    from sepsistwin.data import InputError
    from sepsistwin.data.mimic import read_mimic_iv

    check_output_path("--out", out, (".csv", ".parquet", ".pq"))
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
    _write_import(result, out, mimic_dir, resolve_format(fmt, json_out))


def _write_import(
    result: MimicImport | EicuImport, out: Path, source_dir: Path, form: OutputFormat
) -> None:
    """Write an import (MIMIC-IV, eICU-CRD) and its side files, print the summary, and exit
    1 when rows were left out."""
    tl = result.timeline
    _write_table(tl.to_long_table(), out)
    side = {
        "stays": out.with_name(f"{out.stem}.stays.csv"),
        "skipped": out.with_name(f"{out.stem}.skipped.csv"),
        "rejected": out.with_name(f"{out.stem}.rejected.csv"),
    }
    result.stays.to_csv(side["stays"], index=False)
    skipped = result.skipped
    for key, frame in (("skipped", skipped), ("rejected", tl.rejected)):
        if len(frame):
            frame.to_csv(side[key], index=False)
        elif side[key].exists():
            side[key].unlink()
    summary = result.summary()
    summary["out"] = str(out)
    notes = result.notes
    summary["notes"] = notes
    if form is OutputFormat.json:
        print_json(summary)
    elif form in (OutputFormat.csv, OutputFormat.tsv):
        import pandas as pd

        counts = summary["per_variable"]
        print_frame(
            pd.DataFrame({"variable": list(counts), "observations": list(counts.values())}),
            form,
        )
    else:
        console.print(
            f"{source_dir.name or source_dir}: {summary['stays']} stays, "
            f"{summary['observations']} observations, {summary['rejected']} rejected, "
            f"{summary['skipped']} skipped rows ({summary['seconds']:.1f} s) -> {out}",
            highlight=False,
        )
        for name, count in summary["per_variable"].items():
            console.print(f"  {name:<24} {count:>9}", highlight=False)
        for note in notes:
            err_console.print(f"  note: {note}", highlight=False, soft_wrap=True)
        for key in ("skipped", "rejected"):
            if side[key].exists():
                err_console.print(f"  {key} rows listed in {side[key]}", highlight=False)
    if summary["rejected"] or summary["skipped"]:
        raise typer.Exit(1)


@data_app.command("from-eicu")
def from_eicu(
    eicu_dir: Annotated[
        Path,
        typer.Argument(help="eICU-CRD folder (patient, lab, ... as .csv.gz, .csv or .parquet)."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Timeline to write (.parquet or .csv): canonical long table, time in hours "
            "since unit admission; beside it <stem>.stays.csv, and <stem>.skipped.csv / "
            "<stem>.rejected.csv when rows were left out."
        ),
    ],
    stays: Annotated[
        Path | None,
        typer.Option(help="CSV with a patientunitstayid column: import only these stays."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Import at most this many stays.")] = None,
    strict: Annotated[bool, _STRICT] = False,
    json_out: Annotated[bool, _JSON_SUMMARY] = False,
    fmt: Annotated[OutputFormat | None, format_option()] = None,
) -> None:
    """Import eICU-CRD ICU unit stays (labs, vitals, GCS, urine, vasopressors, antibiotics).

    Exit code 0 when every mapped row was used, 1 when rows were skipped or rejected
    (listed in the side files), 2 on unusable input.
    """
    from sepsistwin.data import InputError
    from sepsistwin.data.eicu import read_eicu

    check_output_path("--out", out, (".csv", ".parquet", ".pq"))
    try:
        result = read_eicu(eicu_dir, stays=stays, limit=limit, lenient=not strict)
    except InputError as exc:
        fail(str(exc))
    _write_import(result, out, eicu_dir, resolve_format(fmt, json_out))


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
    strict: Annotated[bool, _STRICT] = False,
    json_out: Annotated[bool, _JSON_SUMMARY] = False,
    fmt: Annotated[OutputFormat | None, format_option()] = None,
) -> None:
    """Import a MEDS dataset: codes mapped to the catalogue, units converted, rows counted.

    Exit code 0 when every row was used, 1 when rows were skipped (unmapped codes) or
    rejected (listed in the side files), 2 on unusable input.
    """
    from sepsistwin.data import InputError
    from sepsistwin.data.catalogue import CatalogueError
    from sepsistwin.data.meds import read_meds

    check_output_path("--out", out, (".csv", ".parquet", ".pq"))
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
    form = resolve_format(fmt, json_out)
    if form is OutputFormat.json:
        print_json(summary)
    elif form in (OutputFormat.csv, OutputFormat.tsv):
        import pandas as pd

        counts = tl.observations["variable"].value_counts().sort_index()
        print_frame(
            pd.DataFrame({"variable": counts.index.astype(str), "observations": counts.values}),
            form,
        )
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
    encoding: Annotated[str, _ENCODING] = "utf-8",
) -> None:
    """Write a timeline (any input format) as a MEDS dataset."""
    from sepsistwin.data import InputError, read_timeline
    from sepsistwin.data.meds import write_meds

    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        fail(f"{out_dir}: the folder is not empty; give a new or empty folder")
    check_out_path(out_dir, "OUT_DIR")
    try:
        tl = read_timeline(input, onset=onset, lenient=lenient, encoding=encoding)
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
