"""Sweeney module scores and MARS ratio pairs: direction, refusals, standardisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sepsistwin.omics import endotype, load_signatures
from sepsistwin.omics.examples import synthetic_expression
from sepsistwin.omics.scores import geometric_mean, standardise


def _matrix(n: int = 30, seed: int = 7) -> pd.DataFrame:
    genes = sorted(set(load_signatures()["sweeney"].genes) | set(load_signatures()["mars"].genes))
    return synthetic_expression(n, seed=seed, genes=genes)


def _raise(frame: pd.DataFrame, genes: tuple[str, ...], sample: str, by: float) -> pd.DataFrame:
    out = frame.copy()
    out.loc[out["gene"].isin(genes), sample] += by
    return out


@pytest.mark.parametrize("cls", ["Inflammopathic", "Adaptive", "Coagulopathic"])
def test_raising_up_genes_raises_the_sweeney_score(cls: str) -> None:
    sig = load_signatures()["sweeney"]
    base = _matrix()
    col = f"sweeney_{cls.lower()}"
    before = endotype(base, methods=["sweeney"]).table.loc["s5", col]
    up = sig.gene_sets[f"{cls.lower()}_up"]
    after = endotype(_raise(base, up, "s5", 3.0), methods=["sweeney"]).table.loc["s5", col]
    assert after > before
    down = sig.gene_sets[f"{cls.lower()}_down"]
    lowered = endotype(_raise(base, down, "s5", 3.0), methods=["sweeney"]).table.loc["s5", col]
    assert lowered < before


def test_a_sample_high_in_inflammopathic_genes_is_called_inflammopathic() -> None:
    sig = load_signatures()["sweeney"]
    frame = _raise(_matrix(), sig.gene_sets["inflammopathic_up"], "s3", 6.0)
    table = endotype(frame, methods=["sweeney"]).table
    assert table.loc["s3", "sweeney"] == "Inflammopathic"
    assert "class_rule_recalled" in table.loc["s3", "sweeney_quality"]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_raising_the_mars_up_gene_raises_its_score(k: int) -> None:
    sig = load_signatures()["mars"]
    base = _matrix()
    col = f"mars_mars{k}"
    before = endotype(base, methods=["mars"]).table.loc["s2", col]
    after = endotype(
        _raise(base, sig.gene_sets[f"mars{k}_up"], "s2", 2.0), methods=["mars"]
    ).table.loc["s2", col]
    assert after > before


def test_scores_do_not_depend_on_gene_order() -> None:
    frame = _matrix()
    shuffled = frame.sample(frac=1.0, random_state=11)
    a = endotype(frame, methods=["sweeney", "mars"]).table
    b = endotype(shuffled, methods=["sweeney", "mars"]).table
    pd.testing.assert_frame_equal(a, b)


def test_too_few_samples_to_standardise_are_refused() -> None:
    from sepsistwin.data import InputError

    with pytest.raises(InputError, match="at least 10 needed"):
        endotype(_matrix(n=4), methods=["sweeney"])


def test_a_few_missing_sweeney_genes_are_tolerated_and_reported() -> None:
    frame = _matrix()
    frame = frame[~frame["gene"].isin(["LTF", "PPL"])]
    calls = endotype(frame, methods=["sweeney"]).calls
    assert set(calls["genes_missing"]) == {"LTF;PPL"}
    assert calls["quality"].str.contains("genes_missing").all()


def test_too_many_missing_sweeney_genes_refuse_the_method() -> None:
    sig = load_signatures()["sweeney"]
    frame = _matrix()
    frame = frame[~frame["gene"].isin(sig.genes[:10])]
    res = endotype(frame, methods=["sweeney", "mars"])
    assert [r["method"] for r in res.refused] == ["sweeney"]
    assert "10 of 33 genes missing" in res.refused[0]["reason"]


def test_a_missing_mars_gene_refuses_mars() -> None:
    frame = _matrix()
    frame = frame[frame["gene"] != "NOP53"]
    res = endotype(frame, methods=["sweeney", "mars"])
    assert res.refused[0]["method"] == "mars" and res.refused[0]["genes_missing"] == ["NOP53"]


def test_geometric_mean_and_standardise() -> None:
    assert geometric_mean(np.array([[2.0, 8.0]]))[0] == pytest.approx(4.0)
    assert np.isnan(geometric_mean(np.array([[np.nan, np.nan]]))[0])
    z = standardise(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(z, [-1.0, 0.0, 1.0])
    assert np.isnan(standardise(np.array([5.0, 5.0]))).all()
