"""Long-format tables (CSV, Parquet, in-memory frames) -> :class:`Timeline`.

Columns ``patient_id, time, variable, value, unit`` (names matched case-insensitively;
other columns are ignored). Row numbers in messages are spreadsheet rows: the header is
row 1, so the first data row is row 2 (blank lines are not counted). Parquet rows are
numbered the same way, so a CSV converted to Parquet reports the same row numbers.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sepsistwin.data.encoding import (
    DEFAULT_ENCODING,
    check_encoding,
    decode_error,
    first_undecodable,
)
from sepsistwin.data.errors import InputError, Problem, file_error, format_message
from sepsistwin.data.limits import MAX_TABLE_BYTES, check_size
from sepsistwin.data.timeline import Timeline
from sepsistwin.data.validate import OnsetValue, RawRows, build_timeline

REQUIRED_COLUMNS = ("patient_id", "time", "variable", "value", "unit")
_TEXT_COLUMNS = ("patient_id", "variable", "unit")


def match_columns(
    columns: list[str], file: str, required: tuple[str, ...] = REQUIRED_COLUMNS
) -> dict[str, str]:
    """Map required column names to the file's spelling (case and spaces ignored).

    Raises
    ------
    InputError
        Naming the first missing column and the columns found.

    Examples
    --------
    >>> match_columns(["Patient_ID", "time", "variable", "value", "unit"], "x.csv")["patient_id"]
    'Patient_ID'
    """
    by_key: dict[str, str] = {}
    for col in columns:
        key = str(col).strip().lower()
        if key in by_key and key in required:
            raise file_error(file, f"column '{key}' appears twice", field=key)
        by_key.setdefault(key, str(col))
    for need in required:
        if need not in by_key:
            found = ", ".join(str(c) for c in columns) or "none"
            raise file_error(
                file,
                f"missing required column '{need}'; expected columns "
                f"{', '.join(required)} (found: {found})",
                field=need,
                expected=", ".join(required),
            )
    return {need: by_key[need] for need in required}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column with a 0..n-1 index, without copying its data (a rename would copy all)."""
    ser = frame[name]
    index = ser.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return ser
    return pd.Series(ser.array, name=name)


def _raw_from_frame(frame: pd.DataFrame, file: str, row_offset: int) -> RawRows:
    cols = match_columns([str(c) for c in frame.columns], file)
    return RawRows(
        file=file,
        style="table",
        patient_id=_column(frame, cols["patient_id"]),
        time=_column(frame, cols["time"]),
        variable=_column(frame, cols["variable"]),
        value=_column(frame, cols["value"]),
        unit=_column(frame, cols["unit"]),
        row_offset=row_offset,
    )


def _read_header(path: Path, encoding: str) -> list[str]:
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        with path.open(newline="", encoding=codec) as fh:
            first = fh.readline(1 << 20)
    except UnicodeDecodeError:
        raise decode_error(path, codec) from None
    if not first.strip():
        return []
    try:
        return next(csv.reader([first]))
    except csv.Error as exc:
        raise file_error(path.name, f"cannot read the header row: {exc}") from None


class _BadRows:
    """Collects CSV rows with the wrong number of fields (single-threaded re-read)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int | None, int, int, str]] = []

    def __call__(self, row: Any) -> str:
        self.rows.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"


def read_csv_frame(
    path: str | Path, encoding: str = DEFAULT_ENCODING
) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a long CSV with pyarrow (multi-threaded, text columns as categoricals).

    Returns the frame and the rows pyarrow could not split into the header's number of
    fields (as problems; their row numbers follow the spreadsheet convention). A byte
    that is not valid in ``encoding`` raises an :class:`InputError` naming row and byte.
    """
    path = Path(path)
    file = path.name
    if not path.is_file():
        raise file_error(file, f"file not found: {path}")
    encoding = check_encoding(encoding)
    check_size(path, MAX_TABLE_BYTES, "a CSV long table")
    try:
        return _read_csv_frame(path, encoding)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if first_undecodable(path, encoding) is not None:
            raise decode_error(path, encoding) from None
        raise file_error(file, f"cannot read as CSV: {exc}") from None


def _read_csv_frame(path: Path, encoding: str) -> tuple[pd.DataFrame, list[Problem]]:
    file = path.name
    header = _read_header(path, encoding)
    if not header:
        raise file_error(
            file,
            f"the file is empty; expected a header row {','.join(REQUIRED_COLUMNS)} and data rows",
        )
    cols = match_columns(header, file)
    # Text columns are read as plain strings and dictionary-encoded afterwards: asking the
    # CSV reader for dictionaries directly is ~2x slower on 20 M rows.
    types: dict[str, pa.DataType] = {cols[c]: pa.string() for c in _TEXT_COLUMNS}
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
    read = pacsv.ReadOptions(encoding=encoding)
    try:
        table = pacsv.read_csv(path, read_options=read, convert_options=convert)
        bad: list[Problem] = []
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "conversion error" in text and "UTF8" not in text:
            # A later block broke the inferred type: read value and time as text.
            types.update({cols["value"]: pa.string(), cols["time"]: pa.string()})
            convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
            table = pacsv.read_csv(path, read_options=read, convert_options=convert)
            bad = []
        elif "Expected" in text and "columns" in text:
            # Bad bytes first: pyarrow's row handler cannot show a row it cannot decode.
            if first_undecodable(path, encoding) is not None:
                raise decode_error(path, encoding) from None
            table, bad = _read_csv_collecting_bad_rows(path, types, encoding)
        else:
            raise
    return _dictionary_encode(table, [cols[c] for c in _TEXT_COLUMNS]).to_pandas(), bad


def _dictionary_encode(table: pa.Table, names: list[str]) -> pa.Table:
    """Dictionary-encode string columns (pandas categoricals: small and fast to group)."""
    for name in names:
        i = table.schema.get_field_index(name)
        if pa.types.is_string(table.schema.field(i).type) or pa.types.is_large_string(
            table.schema.field(i).type
        ):
            table = table.set_column(i, name, table.column(i).dictionary_encode())
    return table


def _read_csv_collecting_bad_rows(
    path: Path, types: dict[str, pa.DataType], encoding: str
) -> tuple[pa.Table, list[Problem]]:
    file = path.name
    handler = _BadRows()
    parse = pacsv.ParseOptions(invalid_row_handler=handler)
    read = pacsv.ReadOptions(use_threads=False, encoding=encoding)
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False)
    table = pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    problems = []
    for number, expected, actual, text in handler.rows:
        # pyarrow numbers lines from 1 with the header as line 1, as a spreadsheet does.
        problem = f"row has {actual} fields but the header has {expected} ({text[:60]!r})"
        problems.append(
            Problem(
                file,
                number,
                "row",
                text,
                f"{expected} fields",
                None,
                format_message(file, number, problem),
            )
        )
    return table, problems


def _merge_bad_rows(timeline: Timeline, bad: list[Problem], lenient: bool) -> Timeline:
    if not bad:
        return timeline
    if not lenient:
        raise InputError.from_problems(bad[:10], total=len(bad))
    extra = pd.DataFrame(
        {
            "file": [p.file for p in bad],
            "row": [p.row for p in bad],
            "patient_id": [None] * len(bad),
            "field": [p.field for p in bad],
            "value": [p.value for p in bad],
            "message": [p.message for p in bad],
        },
        dtype=object,
    )
    timeline.rejected = pd.concat([extra, timeline.rejected], ignore_index=True)
    return timeline


def read_table_timeline(
    path: str | Path,
    *,
    onset: Mapping[str, OnsetValue] | None = None,
    onset_source: str = "onset",
    baseline_sofa: Mapping[str, int] | None = None,
    lenient: bool = False,
    encoding: str = DEFAULT_ENCODING,
) -> Timeline:
    """Read a long CSV or Parquet file into a :class:`Timeline` (see ``read_timeline``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    bad: list[Problem] = []
    if suffix == ".csv":
        frame, bad = read_csv_frame(path, encoding)
        if bad and not lenient:
            raise InputError.from_problems(bad[:10], total=len(bad))
    elif suffix in (".parquet", ".pq"):
        frame = read_parquet_frame(path)
    else:
        raise file_error(path.name, f"unsupported file type '{suffix}'; expected .csv or .parquet")
    raw = _raw_from_frame(frame, path.name, row_offset=2)
    timeline = build_timeline(
        raw,
        onset=onset,
        onset_source=onset_source,
        baseline_sofa=baseline_sofa,
        lenient=lenient,
    )
    return _merge_bad_rows(timeline, bad, lenient)


def read_parquet_frame(path: str | Path) -> pd.DataFrame:
    """Read a long Parquet file (text columns as categoricals where stored so)."""
    path = Path(path)
    file = path.name
    if not path.is_file():
        raise file_error(file, f"file not found: {path}")
    check_size(path, MAX_TABLE_BYTES, "a Parquet long table")
    try:
        schema = pq.read_schema(path)
        cols = match_columns(list(schema.names), file)
        table = pq.read_table(path, columns=[cols[c] for c in REQUIRED_COLUMNS])
        table = _text_columns_as_strings(table, [cols[c] for c in REQUIRED_COLUMNS], file)
        return _dictionary_encode(table, [cols[c] for c in _TEXT_COLUMNS]).to_pandas()
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        if isinstance(exc, InputError):
            raise
        raise file_error(file, f"cannot read as Parquet: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _text_columns_as_strings(table: pa.Table, names: list[str], file: str) -> pa.Table:
    """Binary text columns (bytes written by other tools) decoded as UTF-8, or an error
    naming the row; other types (numbers as ids) are left for the validation layer."""
    for name in names:
        i = table.schema.get_field_index(name)
        typ = table.schema.field(i).type
        if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
            column = table.column(i)
            try:
                table = table.set_column(i, name, column.cast(pa.large_string()))
            except pa.ArrowInvalid:
                bad = next(
                    k for k, v in enumerate(column.to_pylist()) if v is not None and not _is_utf8(v)
                )
                raise InputError(
                    format_message(
                        file, bad + 2, f"{name} holds bytes that are not valid UTF-8 text"
                    ),
                    file=file,
                    row=bad + 2,
                    field=name,
                    expected="UTF-8 text",
                ) from None
    return table


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def observations_from_frame(
    frame: pd.DataFrame,
    *,
    source_name: str = "<frame>",
    lenient: bool = False,
    onset: Mapping[str, OnsetValue] | None = None,
    baseline_sofa: Mapping[str, int] | None = None,
    row_offset: int = 2,
) -> Timeline:
    """Validate an in-memory long table exactly as ``read_timeline`` validates a file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``patient_id, time, variable, value, unit`` (others ignored).
    source_name : str
        Name used in messages and in the ``source`` column.
    lenient : bool
        Drop and list bad rows (``Timeline.rejected``) instead of raising.
    onset : mapping, optional
        Time zero per patient: ``pandas.Timestamp`` for ISO times, hours for numeric times.
    baseline_sofa : mapping, optional
        Baseline SOFA per patient.
    row_offset : int
        Row number of the frame's first row in messages (2: as if written to a CSV with
        a header, which is what a web upload is).

    Returns
    -------
    Timeline

    Examples
    --------
    >>> frame = pd.DataFrame({"patient_id": ["p1", "p1"], "time": [0.0, 24.0],
    ...                       "variable": ["creatinine", "creatinine"],
    ...                       "value": [88.4, 176.8], "unit": ["umol/L", "umol/L"]})
    >>> observations_from_frame(frame).observations["value"].round(2).tolist()
    [1.0, 2.0]
    """
    raw = _raw_from_frame(frame, source_name, row_offset=row_offset)
    return build_timeline(raw, onset=onset, baseline_sofa=baseline_sofa, lenient=lenient)


__all__ = [
    "REQUIRED_COLUMNS",
    "match_columns",
    "observations_from_frame",
    "read_csv_frame",
    "read_parquet_frame",
    "read_table_timeline",
]
