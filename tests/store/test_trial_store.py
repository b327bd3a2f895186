"""TrialStore: chunks commit atomically with their ledger row; metadata; Parquet export."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sepsistwin.store import StoreError, TrialStore


def rows(ids: list[int], arm: str = "a") -> pd.DataFrame:
    return pd.DataFrame(
        {"patient_id": ids, "arm": [arm] * len(ids), "traj": [[1.0, 2.0]] * len(ids)}
    )


def test_chunk_rows_and_ledger_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with TrialStore(path) as st:
        st.initialise({"run_id": "r1", "size": 4})
        st.commit_chunk(1, {"patients": rows([2, 3])}, {"n_sampled": 2, "n_enrolled": 2})
        st.commit_chunk(0, {"patients": rows([0, 1])}, {"n_sampled": 2, "n_enrolled": 2})
    with TrialStore(path, read_only=True) as st:
        assert st.metadata() == {"run_id": "r1", "size": "4"}
        assert st.completed_chunks() == {0, 1}
        t = st.table("patients")
    assert t["patient_id"].tolist() == [0, 1, 2, 3]  # read back in patient order
    assert list(t["traj"].iloc[0]) == [1.0, 2.0]


def test_a_failing_commit_leaves_neither_rows_nor_ledger(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with TrialStore(path) as st:
        st.commit_chunk(0, {"patients": rows([0])}, {"n_sampled": 1})
        bad = pd.DataFrame({"patient_id": ["not-a-number"], "arm": ["a"], "traj": [[1.0]]})
        with pytest.raises(Exception, match=r"(?i)conver|cast"):
            st.commit_chunk(
                1, {"screening": pd.DataFrame({"chunk": [1]}), "patients": bad}, {"n_sampled": 1}
            )
        assert st.completed_chunks() == {0}
        assert not st.has_table("screening")
        assert len(st.table("patients")) == 1


def test_committing_a_chunk_twice_is_refused(tmp_path: Path) -> None:
    with TrialStore(tmp_path / "s.duckdb") as st:
        st.commit_chunk(0, {"patients": rows([0])}, {})
        with pytest.raises(Exception, match=r"(?i)constraint|duplicate"):
            st.commit_chunk(0, {"patients": rows([0])}, {})
        assert len(st.table("patients")) == 1


def test_unknown_table_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    with TrialStore(":memory:") as st, pytest.raises(StoreError, match="unknown table"):
        st.commit_chunk(0, {"patient": rows([0])}, {})
    with pytest.raises(StoreError, match="no such file"):
        TrialStore(tmp_path / "absent.duckdb", read_only=True)


def test_parquet_export_writes_each_existing_table(tmp_path: Path) -> None:
    with TrialStore(tmp_path / "s.duckdb") as st:
        st.commit_chunk(0, {"patients": rows([1, 0])}, {"n_sampled": 2})
        st.write_table("arm_summaries", pd.DataFrame({"name": ["a"], "n": [2]}))
        files = st.export_parquet(tmp_path / "out")
    assert sorted(f.name for f in files) == [
        "arm_summaries.parquet",
        "chunks.parquet",
        "patients.parquet",
    ]
    back = pd.read_parquet(tmp_path / "out" / "patients.parquet")
    assert back["patient_id"].tolist() == [0, 1]
