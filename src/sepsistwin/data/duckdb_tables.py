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
