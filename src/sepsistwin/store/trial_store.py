"""DuckDB store of one trial run: metadata, per-patient rows, chunk ledger, per-arm summaries.

Tables
------
``run``
    ``key, value`` text pairs: run id, spec (JSON), seed, size, chunk size, version, simulator.
``chunks``
    The ledger: one row per committed chunk (patients sampled, died before screening,
    enrolled, seconds). A chunk's rows and its ledger row are committed in one transaction,
    so a run killed at any moment holds only whole chunks.
``screening``
    Per chunk and phenotype at screening: patients screened (alive) and enrolled.
``patients``
    One row per randomised patient: arm, screening values, endpoints, daily trajectories.
``counterfactual``
    Paired mode: one row per enrolled patient and arm (every patient in every arm).
``arm_summaries``, ``comparisons``
    Written by the analysis when the run is complete.

Examples
--------
>>> import pandas as pd
>>> with TrialStore(":memory:") as st:
...     st.initialise({"run_id": "abc"})
...     st.commit_chunk(0, {"patients": pd.DataFrame({"patient_id": [0, 1]})}, {"n_sampled": 2})
...     st.completed_chunks(), len(st.table("patients"))
({0}, 2)
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

#: Tables a chunk may write (besides its ledger row).
CHUNK_TABLES = ("patients", "counterfactual", "screening")
#: DuckDB memory limit per store connection.
MEMORY_LIMIT = "1GB"
LEDGER_COLUMNS = ("n_sampled", "n_died_before_screening", "n_screened", "n_enrolled", "seconds")


class StoreError(RuntimeError):
    """The store cannot be used as asked (another run's file, wrong mode)."""


def to_arrow(frame: pd.DataFrame | pa.Table) -> pa.Table:
    """``frame`` as the Arrow table :meth:`TrialStore.commit_chunk` inserts (as is if it is
    one already). Converting in a worker saves the parent the conversion, and an Arrow table
    pickles and unpickles in a fraction of the time of a frame with list columns."""
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


class TrialStore:
    """An embedded DuckDB database holding one trial run (``":memory:"`` for a throwaway run).

    Parameters
    ----------
    path
        Database file (created with its folder) or ``":memory:"``.
    read_only
        Open an existing file without writing.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            p = Path(self.path)
            if read_only and not p.exists():
                raise StoreError(f"store {self.path}: no such file")
            p.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(self.path, read_only=read_only)
        # Bounded memory: DuckDB would otherwise take up to 80% of RAM for large analyses;
        # beyond the limit it spills to a temporary folder next to the database.
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        if not read_only:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS run (key VARCHAR PRIMARY KEY, value VARCHAR)"
            )
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS chunks (chunk INTEGER PRIMARY KEY, "
                "n_sampled BIGINT, n_died_before_screening BIGINT, n_screened BIGINT, "
                "n_enrolled BIGINT, seconds DOUBLE, committed_at VARCHAR)"
            )

    # --- context manager ----------------------------------------------------------------
    def __enter__(self) -> TrialStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (committed chunks are durable on disk)."""
        self.con.close()

    # --- metadata -----------------------------------------------------------------------
    def metadata(self) -> dict[str, str]:
        """The ``run`` table as a dict (empty for a new store)."""
        if not self.has_table("run"):
            return {}
        return dict(self.con.execute("SELECT key, value FROM run").fetchall())

    def initialise(self, meta: Mapping[str, Any]) -> None:
        """Write the run metadata of a new run (values stored as text / JSON)."""
        rows = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in meta.items()]
        self.con.execute("BEGIN TRANSACTION")
        self.con.execute("DELETE FROM run")
        self.con.executemany("INSERT INTO run VALUES (?, ?)", rows)
        self.con.execute("COMMIT")

    def set_meta(self, key: str, value: Any) -> None:
        """Insert or replace one metadata entry."""
        text = value if isinstance(value, str) else json.dumps(value)
        self.con.execute("INSERT OR REPLACE INTO run VALUES (?, ?)", [key, text])

    def reset(self) -> None:
        """Drop every result table and the ledger (a fresh run in an existing file)."""
        for t in (*CHUNK_TABLES, "arm_summaries", "comparisons"):
            self.con.execute(f"DROP TABLE IF EXISTS {t}")
        self.con.execute("DELETE FROM chunks")
        self.con.execute("DELETE FROM run")

    # --- chunks -------------------------------------------------------------------------
    def completed_chunks(self) -> set[int]:
        """Indices of the chunks already committed."""
        return {int(r[0]) for r in self.con.execute("SELECT chunk FROM chunks").fetchall()}

    def commit_chunk(
        self, chunk: int, tables: Mapping[str, pd.DataFrame | pa.Table], ledger: Mapping[str, float]
    ) -> None:
        """Insert a chunk's rows into each table and its ledger row, in one transaction.

        A table is created from the first chunk's columns. Committing a chunk twice is an
        error (the ledger's primary key), so a resumed run cannot duplicate rows.
        """
        unknown = [t for t in tables if t not in CHUNK_TABLES]
        if unknown:
            raise StoreError(f"commit_chunk: unknown table(s) {unknown}; expected {CHUNK_TABLES}")
        views = {name: f"_chunk_{name}" for name in tables}
        for name, frame in tables.items():
            self.con.register(views[name], to_arrow(frame))
        try:
            self.con.execute("BEGIN TRANSACTION")
            try:
                for name, view in views.items():
                    self.con.execute(
                        f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM {view} LIMIT 0"
                    )
                    self.con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {view}")
                values = [
                    int(chunk),
                    *[float(ledger.get(c, 0.0)) for c in LEDGER_COLUMNS],
                    _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                ]
                self.con.execute("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)", values)
                self.con.execute("COMMIT")
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
        finally:
            for view in views.values():
                self.con.unregister(view)

    # --- reading ------------------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        """Whether table ``name`` exists."""
        q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
        row = self.con.execute(q, [name]).fetchone()
        return bool(row and row[0])

    def table(
        self, name: str, columns: Iterable[str] | None = None, order_by: str | None = "patient_id"
    ) -> pd.DataFrame:
        """A table as a DataFrame (selected columns; ordered for reproducible analysis)."""
        if not self.has_table(name):
            raise StoreError(f"store {self.path}: table {name!r} does not exist")
        cols = ", ".join(f'"{c}"' for c in columns) if columns is not None else "*"
        have = {
            r[0]
            for r in self.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [name]
            ).fetchall()
        }
        order = ""
        if order_by:
            keys = [k.strip() for k in order_by.split(",") if k.strip() in have]
            order = f" ORDER BY {', '.join(keys)}" if keys else ""
        return self.con.execute(f"SELECT {cols} FROM {name}{order}").df()

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace table ``name`` with ``frame`` (summaries written by the analysis)."""
        self.con.register("_frame", to_arrow(frame))
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _frame")
        finally:
            self.con.unregister("_frame")

    def export_parquet(
        self,
        directory: str | Path,
        tables: Iterable[str] = (
            "patients",
            "counterfactual",
            "screening",
            "arm_summaries",
            "comparisons",
            "chunks",
        ),
    ) -> list[Path]:
        """Write each existing table to ``directory/<table>.parquet``; return the paths."""
        out_dir = Path(directory)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for t in tables:
            if not self.has_table(t):
                continue
            path = out_dir / f"{t}.parquet"
            order = " ORDER BY patient_id" if t in ("patients", "counterfactual") else ""
            target = str(path).replace("'", "''")
            self.con.execute(f"COPY (SELECT * FROM {t}{order}) TO '{target}' (FORMAT parquet)")
            written.append(path)
        return written
