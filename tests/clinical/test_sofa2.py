"""SOFA-2 (JAMA 2025, mimic-code sofa-2.sql): each component at its boundaries, and its use."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.clinical import sofa2
from sepsistwin.clinical.assessment import assess
from sepsistwin.clinical.config import default_config

T = default_config().sofa2
NAN = np.nan


def _a(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=float)


def test_hemostasis_boundaries_are_at_or_below() -> None:
    plt = _a(151, 150, 100.1, 100, 80, 50.1, 50, NAN)
    assert sofa2.hemostasis(plt, T).tolist() == [0, 1, 1, 2, 3, 3, 4, 0]


def test_liver_boundaries_are_strictly_above() -> None:
    bili = _a(1.2, 1.21, 3.0, 3.01, 6.0, 6.01, 12.0, 12.01, NAN)
    assert sofa2.liver(bili, T).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 0]


def test_brain_gcs_bands() -> None:
    gcs = _a(15, 14, 13, 12, 9, 8, 6, 5, 3, NAN)
    assert sofa2.brain(gcs, T).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 0]


def test_respiration_caps_at_2_without_advanced_support_and_ecmo_is_4() -> None:
    pf = _a(301, 300, 225, 150, 75, 75, 150.1, 400)
    adv = np.array([False, False, False, True, True, False, True, False])
    ecmo = np.array([False] * 7 + [True])
    sf = np.full(8, NAN)
    assert sofa2.respiration(pf, sf, adv, ecmo, T).tolist() == [0, 1, 2, 3, 4, 2, 2, 4]


def test_spo2_fio2_is_used_only_without_pao2_fio2() -> None:
    pf = _a(NAN, NAN, NAN, 250)
    sf = _a(300, 250, 120, 120)
    adv = np.array([False, False, True, True])
    no = np.zeros(4, bool)
    assert sofa2.respiration(pf, sf, adv, no, T).tolist() == [1, 2, 4, 1]


@pytest.mark.parametrize(
    ("ne", "epi", "dop", "dob", "other", "mcs", "map_", "points"),
    [
        (NAN, NAN, NAN, NAN, False, False, 70.0, 0),
        (NAN, NAN, NAN, NAN, False, False, 69.0, 1),
        (NAN, NAN, NAN, NAN, True, False, 80.0, 2),  # another drug alone
        (0.2, NAN, NAN, NAN, False, False, 80.0, 2),  # sum <= 0.2
        (0.1, 0.11, NAN, NAN, False, False, 80.0, 3),  # sum 0.21
        (0.4, NAN, NAN, NAN, False, False, 80.0, 3),
        (0.41, NAN, NAN, NAN, False, False, 80.0, 4),
        (0.1, NAN, NAN, 5.0, False, False, 80.0, 3),  # low dose + dobutamine
        (0.3, NAN, NAN, NAN, True, False, 80.0, 4),  # medium dose + vasopressin
        (NAN, NAN, 20.0, NAN, False, False, 80.0, 2),  # dopamine only
        (NAN, NAN, 20.1, NAN, False, False, 80.0, 3),
        (NAN, NAN, 40.1, NAN, False, False, 80.0, 4),
        (0.05, NAN, 30.0, NAN, False, False, 80.0, 2),  # dopamine with NE: the sum path
        (NAN, NAN, NAN, NAN, False, True, 80.0, 4),  # mechanical circulatory support
    ],
)
def test_cardiovascular_paths(ne, epi, dop, dob, other, mcs, map_, points) -> None:
    got = sofa2.cardiovascular(
        _a(map_), _a(ne), _a(epi), _a(dop), _a(dob), np.array([other]), np.array([mcs]), T
    )
    assert got.tolist() == [points]


def test_kidney_creatinine_urine_per_kg_and_rrt() -> None:
    creat = _a(1.2, 1.21, 2.01, 3.51, 0.8, 0.8, 0.8, 0.8, 0.8)
    # 80 kg: 0.5 mL/kg/h = 960 mL/day, 0.3 mL/kg/h = 576 mL/day
    urine = _a(NAN, NAN, NAN, NAN, 960, 959, 575, 0, 2000)
    weight = np.full(9, 80.0)
    rrt = np.array([False] * 8 + [True])
    assert sofa2.kidney(creat, urine, weight, rrt, T).tolist() == [0, 1, 2, 3, 0, 2, 3, 3, 4]
    # without a weight the urine criteria are not scored (anuria still is)
    assert sofa2.kidney(_a(0.8, 0.8), _a(100, 0), _a(NAN, NAN), np.zeros(2, bool), T).tolist() == [
        0,
        3,
    ]


def _obs(rows: list[tuple[str, float, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["patient_id", "hours", "variable", "value"])


def test_sofa2_is_computed_beside_sofa_and_sepsis3_keeps_sofa_by_default() -> None:
    # bilirubin 1.5 -> liver 1 in both; platelets 90 -> 2 in both; GCS 12 -> 2 in both;
    # norepinephrine 0.05 -> SOFA cardiovascular 3, SOFA-2 2: SOFA 8, SOFA-2 7
    obs = _obs(
        [
            ("p", 1.0, "bilirubin", 1.5),
            ("p", 1.0, "platelets", 90.0),
            ("p", 1.0, "gcs", 12.0),
            ("p", 1.0, "norepinephrine", 0.05),
            ("p", 1.0, "infection_suspected", 1.0),
        ]
    )
    plain = assess(obs)
    assert "sofa2" not in plain.columns
    both = assess(obs, sofa2=True)
    assert int(both["sofa"].iloc[0]) == 8 and int(both["sofa2"].iloc[0]) == 7
    base = {"p": 6}
    assert bool(assess(obs, baseline_sofa=base)["sepsis3"].iloc[0])  # 8 - 6 >= 2
    by2 = assess(obs, baseline_sofa=base, sepsis3_score="sofa2")
    assert not bool(by2["sepsis3"].iloc[0])  # 7 - 6 < 2
    assert "sofa2" in by2.columns


def test_weight_is_carried_to_later_days_for_urine_per_kg() -> None:
    obs = _obs(
        [
            ("p", 0.0, "weight", 80.0),
            ("p", 30.0, "urine_output", 500.0),  # day 1: 500 / 80 / 24 = 0.26 mL/kg/h
        ]
    )
    day1 = assess(obs, sofa2=True).set_index("day").loc[1]
    assert int(day1["sofa2_kidney"]) == 3
    assert "weight" not in day1["missing"]


def test_cli_score_option(tmp_path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("patient_id,time,variable,value,unit\np,1,bilirubin,3.5,mg/dL\n")
    runner = CliRunner()
    res = runner.invoke(app, ["assess", str(path), "--score", "sofa2", "--json"])
    assert res.exit_code == 0, res.output
    assert '"sofa2_liver": 2' in res.stdout
    bad = runner.invoke(app, ["assess", str(path), "--score", "sofa3"])
    assert bad.exit_code == 2 and "--score 'sofa3' is not known" in bad.output
