"""Embedded storage: DuckDB schema and access for trial runs, Parquet export."""

from sepsistwin.store.trial_store import CHUNK_TABLES, StoreError, TrialStore

__all__ = ["CHUNK_TABLES", "StoreError", "TrialStore"]
