"""Endotypes in the assessment, explain, recommend and the twin prior."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sepsistwin.api import assess
from sepsistwin.clinical.explain import explain
from sepsistwin.data import InputError
from sepsistwin.examples import example_path
from sepsistwin.omics import add_endotypes, endotype, twin_prior
from sepsistwin.omics.examples import example_expression_path
from sepsistwin.recommend import recommend


def _calls(tmp_path: Path) -> pd.DataFrame:
    # s4 is SRS1 and s6 SRS2 in the example matrix (SepstratifieR test_data samples).
    expr = pd.read_csv(example_expression_path())[["gene", "s4", "s6"]]
    sheet = pd.DataFrame(
        {"sample_id": ["s4", "s6"], "patient_id": ["ICU-002", "ICU-002"], "hours": [30.0, 60.0]}
    )
    calls = endotype(expr, samples=sheet, methods=["srs_davenport"]).calls
    assert calls.set_index("sample_id")["class"].to_dict() == {"s4": "SRS1", "s6": "SRS2"}
    return calls


def test_assessment_gains_endotype_columns_on_sampled_days_only(tmp_path: Path) -> None:
    calls = _calls(tmp_path)
    a = assess(example_path("cohort.csv"), onset=example_path("onsets.csv"), endotypes=calls)
    p = a[a["patient_id"] == "ICU-002"].set_index("day")
    assert p.loc[1, "srs"] == "SRS1" and p.loc[2, "srs"] == "SRS2"
    assert p.loc[0, "srs"] is None
    assert 0.6 < p.loc[1, "srsq"] <= 1.0
    assert a.loc[a["patient_id"] == "ICU-001", "srs"].isna().all()


def test_calls_saved_to_csv_are_read_back(tmp_path: Path) -> None:
    f = tmp_path / "calls.csv"
    _calls(tmp_path).to_csv(f, index=False)
    a = assess(example_path("cohort.csv"), onset=example_path("onsets.csv"), endotypes=f)
    assert a.loc[(a["patient_id"] == "ICU-002") & (a["day"] == 1), "srs"].item() == "SRS1"


def test_explain_shows_the_endotype(tmp_path: Path) -> None:
    a = assess(
        example_path("cohort.csv"), onset=example_path("onsets.csv"), endotypes=_calls(tmp_path)
    )
    text = explain(a, "ICU-002", 1)
    assert "Transcriptomic endotype from sample s4: SRS1 (SRSq" in text
    assert "Transcriptomic endotype" not in explain(a, "ICU-002", 0)


def test_recommend_reads_srs1_as_support_and_srs2_as_a_caution(tmp_path: Path) -> None:
    a = assess(
        example_path("cohort.csv"), onset=example_path("onsets.csv"), endotypes=_calls(tmp_path)
    )
    rs = recommend(a)
    day1 = rs.get("ICU-002", 1)
    stimulants = [o for o in day1.options if o["therapy_class"] == "immunostimulant"]
    assert stimulants
    for o in stimulants:
        ids = [e["id"] for e in o["endotype_evidence"]]
        assert ids == ["srs1_immunosuppression"]
        assert o["endotype_evidence"][0]["source"] == "davenport2016"
    day2 = rs.get("ICU-002", 2)
    assert any(n.startswith("SRS2:") and "antcliffe2019" in n for n in day2.notes)
    assert not any("endotype_evidence" in o for o in rs.get("ICU-002", 0).options)


def test_calls_without_a_sample_sheet_cannot_be_placed_on_days() -> None:
    calls = endotype(example_expression_path(), methods=["srs_davenport"]).calls
    a = pd.DataFrame({"patient_id": ["P1"], "day": [0]})
    with pytest.raises(InputError, match="sample sheet"):
        add_endotypes(a, calls)


def test_twin_prior_is_a_sourced_proposal() -> None:
    p = twin_prior("SRS1")
    assert p["status"] == "PROPOSAL" and p["source"] == "davenport2016"
    assert p["observables"]["mhla_dr"] == "lower"
    with pytest.raises(KeyError, match="no twin prior"):
        twin_prior("SRS9")
