"""The shipped example cohort: up to date, coherent with its stories, same in CSV and FHIR."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sepsistwin
from sepsistwin.examples import COHORT_PATIENTS, example_path, write_example_cohort


@pytest.fixture(scope="module")
def assessed() -> pd.DataFrame:
    return sepsistwin.assess(example_path("cohort.csv"), onset=example_path("onsets.csv"))


def _phenotypes(result: pd.DataFrame, patient: str) -> list[str]:
    return result.loc[result["patient_id"] == patient].sort_values("day")["phenotype"].tolist()


def test_shipped_files_match_the_generator(tmp_path):
    write_example_cohort(tmp_path)
    for name in ("cohort.csv", "onsets.csv"):
        assert (tmp_path / name).read_text() == example_path(name).read_text(), name
    assert json.loads((tmp_path / "cohort_fhir.json").read_text()) == json.loads(
        example_path("cohort_fhir.json").read_text()
    )


def test_cohort_has_ten_patients_with_stories(assessed):
    assert len(COHORT_PATIENTS) == 10
    assert sorted(assessed["patient_id"].unique()) == sorted(p.patient_id for p in COHORT_PATIENTS)


def test_example_patients_show_the_phenotypes_their_stories_describe(assessed):
    assert set(_phenotypes(assessed, "ICU-001")) == {"MALS"}
    assert set(_phenotypes(assessed, "ICU-002")) == {"immunoparalysis"}
    assert set(_phenotypes(assessed, "ICU-003")) == {"intermediate"}
    p4 = _phenotypes(assessed, "ICU-004")
    assert p4[0] == "immunoparalysis" and p4[-1] == "intermediate"
    p5 = _phenotypes(assessed, "ICU-005")
    assert p5[0] == "intermediate" and p5[2] == "MALS"
    assert set(_phenotypes(assessed, "ICU-006")) == {"indeterminate"}
    rows10 = assessed[assessed["patient_id"] == "ICU-010"]
    assert not rows10["sepsis3"].any()
    assert set(rows10["immune_state"]) == {"balanced"}


def test_septic_shock_in_the_shock_patients_only(assessed):
    shocked = set(assessed.loc[assessed["septic_shock"], "patient_id"])
    assert {"ICU-001", "ICU-002", "ICU-008", "ICU-009"} <= shocked
    assert not shocked & {"ICU-003", "ICU-006", "ICU-010"}


def test_csv_and_fhir_versions_assess_identically(assessed):
    from_fhir = sepsistwin.assess(
        example_path("cohort_fhir.json"), onset=example_path("onsets.csv")
    )
    cols = [
        "patient_id",
        "day",
        "sofa",
        "sofa_respiration",
        "sofa_coagulation",
        "sofa_liver",
        "sofa_cardiovascular",
        "sofa_cns",
        "sofa_renal",
        "qsofa",
        "sirs",
        "sepsis3",
        "septic_shock",
        "phenotype",
        "immune_state",
        "reasons",
        "missing",
    ]
    pd.testing.assert_frame_equal(
        from_fhir[cols].reset_index(drop=True), assessed[cols].reset_index(drop=True)
    )
