"""Every SOFA component at each boundary of the Sepsis-3 table (mimic-code edge cases)."""

from __future__ import annotations

import pandas as pd
import pytest

from sepsistwin.clinical import assess


def day0(**values: float) -> pd.Series:
    """Assess one patient-day holding the given variable values; return its row."""
    obs = pd.DataFrame(
        {
            "patient_id": "p",
            "hours": [1.0 + i for i in range(len(values))],
            "variable": list(values),
            "value": [float(v) for v in values.values()],
        }
    )
    return assess(obs).iloc[0]


@pytest.mark.parametrize(
    ("pao2", "fio2", "vent", "points"),
    [
        (400, 1.0, 0, 0),  # PF 400 -> 0
        (399, 1.0, 0, 1),  # PF 399 -> 1
        (300, 1.0, 0, 1),
        (299, 1.0, 0, 2),
        (199, 1.0, 0, 2),  # not ventilated: capped at 2
        (99, 1.0, 0, 2),
        (200, 1.0, 1, 2),
        (199, 1.0, 1, 3),  # ventilated: 3 below 200
        (100, 1.0, 1, 3),
        (99, 1.0, 1, 4),  # ventilated: 4 below 100
        (60, 0.3, 1, 2),  # FiO2 as fraction: 60 / 0.3 = 200 exactly -> not < 200 -> 2
    ],
)
def test_respiration_points_follow_pf_ratio_and_ventilation(pao2, fio2, vent, points):
    row = day0(fio2=fio2, pao2=pao2, mechanical_ventilation=vent)
    assert row["sofa_respiration"] == points


def test_respiration_uses_latest_fio2_before_pao2():
    obs = pd.DataFrame(
        {
            "patient_id": "p",
            "hours": [1.0, 2.0, 3.0, 4.0],
            "variable": ["fio2", "pao2", "fio2", "mechanical_ventilation"],
            "value": [0.21, 84.0, 1.0, 1.0],  # PaO2 84 on FiO2 0.21 -> PF 400 -> 0 points
        }
    )
    row = assess(obs).iloc[0]
    assert row["pf_ratio"] == pytest.approx(400.0)
    assert row["sofa_respiration"] == 0


def test_unventilated_cap_without_ventilation_record_is_reported_missing():
    row = day0(fio2=1.0, pao2=90)
    assert row["sofa_respiration"] == 2
    assert "mechanical_ventilation" in row["missing"]
    assert any("capped at 2" in r for r in row["reasons"])


@pytest.mark.parametrize(
    ("platelets", "points"),
    [(150, 0), (149.9, 1), (100, 1), (99, 2), (50, 2), (49, 3), (20, 3), (19, 4)],
)
def test_coagulation_points_at_platelet_boundaries(platelets, points):
    assert day0(platelets=platelets)["sofa_coagulation"] == points


@pytest.mark.parametrize(
    ("bilirubin", "points"),
    [(1.19, 0), (1.2, 1), (1.99, 1), (2.0, 2), (5.99, 2), (6.0, 3), (11.99, 3), (12.0, 4)],
)
def test_liver_points_at_bilirubin_boundaries(bilirubin, points):
    assert day0(bilirubin=bilirubin)["sofa_liver"] == points


@pytest.mark.parametrize(
    ("values", "points"),
    [
        ({"map": 70}, 0),
        ({"map": 69.9}, 1),
        ({"map": 80, "dopamine": 5}, 2),
        ({"map": 80, "dobutamine": 20}, 2),  # dobutamine at any dose -> 2
        ({"map": 80, "dopamine": 5.1}, 3),
        ({"map": 80, "dopamine": 15}, 3),
        ({"map": 80, "dopamine": 15.1}, 4),
        ({"map": 80, "norepinephrine": 0.01}, 3),
        ({"map": 80, "norepinephrine": 0.1}, 3),  # <= 0.1 -> 3
        ({"map": 80, "norepinephrine": 0.11}, 4),
        ({"map": 80, "epinephrine": 0.1}, 3),
        ({"map": 80, "epinephrine": 0.11}, 4),
        ({"map": 60, "dobutamine": 5, "norepinephrine": 0.05}, 3),  # worst wins
        ({"norepinephrine": 0.2}, 4),  # MAP missing but drug given
    ],
)
def test_cardiovascular_points_at_each_boundary(values, points):
    assert day0(**values)["sofa_cardiovascular"] == points


@pytest.mark.parametrize(
    ("gcs", "points"),
    [(15, 0), (14, 1), (13, 1), (12, 2), (10, 2), (9, 3), (6, 3), (5, 4), (3, 4)],
)
def test_cns_points_at_gcs_boundaries(gcs, points):
    assert day0(gcs=gcs)["sofa_cns"] == points


@pytest.mark.parametrize(
    ("values", "points"),
    [
        ({"creatinine": 1.19}, 0),
        ({"creatinine": 1.2}, 1),
        ({"creatinine": 1.99}, 1),
        ({"creatinine": 2.0}, 2),
        ({"creatinine": 3.49}, 2),
        ({"creatinine": 3.5}, 3),
        ({"creatinine": 4.99}, 3),
        ({"creatinine": 5.0}, 4),
        ({"urine_output": 500}, 0),
        ({"urine_output": 499}, 3),
        ({"urine_output": 200}, 3),
        ({"urine_output": 199}, 4),
        ({"creatinine": 1.5, "urine_output": 450}, 3),  # worst of the two
        ({"creatinine": 5.5, "urine_output": 450}, 4),
    ],
)
def test_renal_points_worst_of_creatinine_and_urine(values, points):
    assert day0(**values)["sofa_renal"] == points


def test_missing_components_score_zero_and_are_listed():
    row = day0(gcs=9)
    assert row["sofa"] == 3
    for name in ("pao2", "fio2", "platelets", "bilirubin", "map", "creatinine", "urine_output"):
        assert name in row["missing"]
    assert "gcs" not in row["missing"]


def test_sofa_total_is_sum_of_worst_values_of_the_day():
    obs = pd.DataFrame(
        {
            "patient_id": "p",
            "hours": [1.0, 5.0, 9.0, 30.0],
            "variable": ["platelets", "platelets", "bilirubin", "platelets"],
            "value": [140.0, 45.0, 2.5, 10.0],  # day 0 worst platelets 45 -> 3; day 1: 10 -> 4
        }
    )
    res = assess(obs)
    assert res["sofa_coagulation"].tolist() == [3, 4]
    assert res["sofa"].tolist() == [3 + 2, 4]
