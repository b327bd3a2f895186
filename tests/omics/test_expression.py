"""Reading expression matrices and sample sheets: identifiers, orientation, scale, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sepsistwin.data import InputError
from sepsistwin.omics import check_scale, endotype, expression_from_frame, read_samples
from sepsistwin.omics.examples import synthetic_expression
from sepsistwin.omics.expression import read_expression


def _srs7(n: int = 5, seed: int = 1) -> pd.DataFrame:
    return synthetic_expression(
        n,
        seed=seed,
        genes=["ARL14EP", "CCNB1IP1", "DYRK2", "ADGRE3", "MDC1", "TDRD9", "ZAP70"],
        mean=5.0,
    )


def test_symbols_and_ensembl_ids_give_identical_calls() -> None:
    by_symbol = _srs7()
    by_ensembl = by_symbol.copy()
    by_ensembl["gene"] = [
        "ENSG00000152219.9",
        "ENSG00000100814",
        "ENSG00000127334",
        "EMR3",  # previous symbol of ADGRE3
        "ENSG00000137337",
        "ENSG00000156414",
        "ENSG00000115085",
    ]
    a = endotype(by_symbol, methods=["srs_davenport"]).calls
    b = endotype(by_ensembl, methods=["srs_davenport"]).calls
    pd.testing.assert_frame_equal(a, b)


def test_samples_as_rows_are_recognised_and_transposed() -> None:
    genes_as_rows = _srs7()
    samples_as_rows = genes_as_rows.set_index("gene").T.reset_index(names="sample")
    a = expression_from_frame(genes_as_rows).values
    b = expression_from_frame(samples_as_rows).values
    np.testing.assert_allclose(a.to_numpy(), b[a.columns].to_numpy())


def test_rows_mapping_to_one_gene_are_averaged() -> None:
    t = pd.DataFrame({"gene": ["ZAP70", "ENSG00000115085"], "s1": [6.0, 8.0]})
    expr = expression_from_frame(t)
    assert expr.values.loc["s1", "ZAP70"] == 7.0
    assert expr.duplicates_averaged == ["ZAP70"]


def test_non_numeric_value_names_row_gene_and_sample(tmp_path: Path) -> None:
    t = _srs7(3)
    t = t.astype({"s2": object})
    t.loc[2, "s2"] = "n/a?"
    f = tmp_path / "expr.csv"
    t.to_csv(f, index=False)
    with pytest.raises(InputError) as err:
        read_expression(f)
    msg = str(err.value)
    assert "expr.csv" in msg and "row 4" in msg and "DYRK2" in msg and "'s2'" in msg
    assert err.value.value == "n/a?"


def test_no_known_gene_is_a_clear_error() -> None:
    t = pd.DataFrame({"probe": ["A_23_P1", "A_23_P2"], "s1": [1.0, 2.0]})
    with pytest.raises(InputError, match="is a signature gene"):
        expression_from_frame(t)


def test_raw_counts_are_refused_with_the_expected_unit() -> None:
    counts = _srs7(4)
    counts.iloc[:, 1:] = np.round(2 ** counts.iloc[:, 1:].to_numpy() * 40)
    with pytest.raises(InputError) as err:
        endotype(counts, methods=["srs_davenport"])
    msg = str(err.value)
    assert "raw counts" in msg and "log2(CPM + 1)" in msg
    assert err.value.expected == "log2 counts per million, log2(CPM + 1)"


def test_positive_cq_values_are_refused_for_qpcr() -> None:
    cq = _srs7(4)
    cq.iloc[:, 1:] = 20.0 + cq.iloc[:, 1:].to_numpy()
    with pytest.raises(InputError, match="look like Cq values"):
        endotype(cq, platform="qpcr", methods=["srs_davenport"])
    negated = cq.copy()
    negated.iloc[:, 1:] = -cq.iloc[:, 1:].to_numpy()
    assert endotype(negated, platform="qpcr", methods=["srs_davenport"]).calls.shape[0] == 4


def test_check_scale_accepts_log_values() -> None:
    check_scale(pd.DataFrame({"ZAP70": [4.0, 12.5, -1.0]}), "microarray", "x")


def test_h5ad_gets_an_explanation(tmp_path: Path) -> None:
    f = tmp_path / "data.h5ad"
    f.write_bytes(b"\x89HDF")
    with pytest.raises(InputError, match="AnnData"):
        read_expression(f)


def test_tsv_and_parquet_read_the_same(tmp_path: Path) -> None:
    t = _srs7(3)
    t.to_csv(tmp_path / "e.tsv", sep="\t", index=False)
    t.to_parquet(tmp_path / "e.parquet", index=False)
    a = read_expression(tmp_path / "e.tsv").values
    b = read_expression(tmp_path / "e.parquet").values
    pd.testing.assert_frame_equal(a, b)


def test_sample_sheet_days_from_hours_and_errors(tmp_path: Path) -> None:
    s = read_samples(
        pd.DataFrame({"sample_id": ["a", "b"], "patient_id": ["P1", "P1"], "hours": [2, 49.5]})
    )
    assert s["day"].tolist() == [0, 2]
    with pytest.raises(InputError, match="missing column"):
        read_samples(pd.DataFrame({"sample_id": ["a"], "patient_id": ["P1"]}))
    f = tmp_path / "sheet.csv"
    pd.DataFrame({"sample_id": ["a", "b"], "patient_id": ["P1", "P2"], "day": [0, "x"]}).to_csv(
        f, index=False
    )
    with pytest.raises(InputError) as err:
        read_samples(f)
    assert "row 3 of sheet.csv" in str(err.value) and err.value.field == "day"


def test_samples_missing_from_the_sheet_are_named() -> None:
    sheet = pd.DataFrame({"sample_id": ["s1"], "patient_id": ["P1"], "day": [0]})
    with pytest.raises(InputError, match="'s2'"):
        endotype(_srs7(2), samples=sheet, methods=["srs_davenport"])


def test_parquet_layouts_read_the_same(tmp_path: Path) -> None:
    t = _srs7(3)
    t.to_parquet(tmp_path / "plain.parquet", index=False)
    t.set_index("gene").to_parquet(tmp_path / "indexed.parquet")
    t.set_index("gene").T.rename_axis("sample").reset_index().to_parquet(
        tmp_path / "samples_as_rows.parquet", index=False
    )
    pd.DataFrame({"gene": ["NOT_A_GENE"], "s1": [1.0]}).to_parquet(
        tmp_path / "none.parquet", index=False
    )
    a = read_expression(tmp_path / "plain.parquet").values
    for name in ("indexed.parquet", "samples_as_rows.parquet"):
        b = read_expression(tmp_path / name).values
        pd.testing.assert_frame_equal(a, b[a.columns])
    with pytest.raises(InputError, match="NOT_A_GENE"):
        read_expression(tmp_path / "none.parquet")


def _write_h5ad(path: Path, table: pd.DataFrame, sparse: bool) -> None:
    """An AnnData file in its on-disk format (h5py only): X samples x genes, obs, var."""
    import h5py
    import scipy.sparse as sp

    x = table.set_index("gene").T  # samples x genes
    strings = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"], f.attrs["encoding-version"] = "anndata", "0.1.0"
        for key, names in (("obs", list(x.index)), ("var", list(x.columns))):
            g = f.create_group(key)
            g.attrs["encoding-type"], g.attrs["encoding-version"] = "dataframe", "0.2.0"
            g.attrs["_index"], g.attrs["column-order"] = "_index", np.array([], dtype="S1")
            g.create_dataset("_index", data=np.array(names, dtype=object), dtype=strings)
        if sparse:
            m = sp.csr_matrix(x.to_numpy())
            g = f.create_group("X")
            g.attrs["encoding-type"], g.attrs["encoding-version"] = "csr_matrix", "0.1.0"
            g.attrs["shape"] = np.array(m.shape)
            for name in ("data", "indices", "indptr"):
                g.create_dataset(name, data=getattr(m, name))
        else:
            f.create_dataset("X", data=x.to_numpy())


@pytest.mark.parametrize("sparse", [False, True])
def test_h5ad_reads_like_the_csv(tmp_path: Path, sparse: bool) -> None:
    t = _srs7(4)
    t.to_csv(tmp_path / "e.csv", index=False)
    _write_h5ad(tmp_path / "e.h5ad", t, sparse)
    a = read_expression(tmp_path / "e.csv").values
    b = read_expression(tmp_path / "e.h5ad").values
    pd.testing.assert_frame_equal(a, b, check_names=False)
    assert list(b.index) == [c for c in t.columns if c != "gene"]


def test_h5ad_without_var_names_is_refused(tmp_path: Path) -> None:
    import h5py

    f = tmp_path / "x.h5ad"
    with h5py.File(f, "w") as h:
        h.create_dataset("X", data=np.ones((2, 2)))
        h.create_group("obs")
    with pytest.raises(InputError, match="no 'var'"):
        read_expression(f)
