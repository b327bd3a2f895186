"""Register the tables of a dataset on disk (CSV, CSV.gz, Parquet or a folder of Parquet
shards) as DuckDB views, with one error naming the file when a table cannot be read or lacks
a column the importer needs. Shared by the MIMIC-IV and eICU-CRD importers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from sepsistwin.data.errors import file_error


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def relation(path: Path) -> str:
    """The DuckDB relation that reads ``path``: all text for CSV, so mixed columns never break
    type detection (cast where used).

    Examples
    --------
    >>> relation(Path("icu/chartevents.parquet"))
    "read_parquet('icu/chartevents.parquet')"
    """
    if path.is_dir():
        return f"read_parquet('{_sql_path(path)}/*.parquet', union_by_name = true)"
    if path.name.endswith(".parquet"):
        return f"read_parquet('{_sql_path(path)}')"
    return f"read_csv('{_sql_path(path)}', header = true, all_varchar = true)"


def register_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    path: Path,
    required: Sequence[str],
    dataset: str,
) -> None:
    """Create view ``name`` over ``path`` and check it has the ``required`` columns."""
    try:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {relation(path)}")
        columns = [str(c[0]).lower() for c in con.execute(f"DESCRIBE {name}").fetchall()]
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise file_error(path.name, f"cannot read {dataset} table {name}: {first}") from None
    missing = [c for c in required if c not in columns]
    if missing:
        raise file_error(
            path.name,
            f"{dataset} table {name} lacks column(s) {', '.join(missing)}; expected "
            f"{', '.join(required)} (found: {', '.join(columns) or 'none'})",
            field=missing[0],
            expected=", ".join(required),
        )


def read_stay_ids(path: Path, columns: Sequence[str], dataset: str) -> list[int]:
    """The stay ids of a one-column stay list (CSV): the first of ``columns`` found (case
    and spaces ignored), each a whole number, else one error naming file, row and value."""
    import pandas as pd

    from sepsistwin.data.errors import InputError

    file = path.name
    if not path.is_file():
        raise file_error(file, f"file not found: {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise file_error(file, f"cannot read the stay list: {exc}") from None
    wanted = [c.lower() for c in columns]
    col = next((c for c in frame.columns if str(c).strip().lower() in wanted), None)
    if col is None:
        raise file_error(file, f"missing required column '{columns[0]}'", field=columns[0])
    ids: list[int] = []
    for i, text in enumerate(frame[col].tolist()):
        value = str(text).strip()
        if not value.isdigit():
            raise InputError(
                f"row {i + 2} of {file}: {columns[0]} '{text}' is not a whole number",
                file=file,
                row=i + 2,
                field=str(col),
                value=text,
                expected=f"a {dataset} {columns[0]} (whole number)",
            )
        ids.append(int(value))
    return ids
