"""Analysis on hand-made per-patient rows: counts, intervals, comparisons, subgroups, notes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from sepsistwin.store import TrialStore
from sepsistwin.trial.analysis import KM_MAX_POINTS, _km, analyze
from sepsistwin.trial.stats import newcombe_ci, wilson_ci


def make_rows(arm: str, phenotype: str, deaths: int, n: int, death_day: float) -> pd.DataFrame:
    died = np.arange(n) < deaths
    return pd.DataFrame(
        {
            "arm": arm,
            "phenotype": phenotype,
            "time_days": np.where(died, death_day, 28.0),
            "died": died,
            "dead_28d": died.astype(float),
            "dead_90d": np.nan,
            "baseline_sofa": 8.0,
            "sofa_change_day7": np.where(died, np.nan, -2.0),
            "sofa_drop_1p4_day9": (~died).astype(float),
            "alive_sofa_decrease_day7": (~died).astype(float),
            "organ_support_free_days": np.where(died, 0.0, 20.0),
            "secondary_infection": False,
            "hyperinflammation_ae": False,
            "sofa_traj": [[8.0, 7.0]] * n,
            "lymphocytes_traj": [[0.5, 0.7]] * n,
            "mhla_dr_traj": [[4000.0, 6000.0]] * n,
        }
    )


@pytest.fixture
def store() -> TrialStore:
    # MALS: 30/50 vs 15/50 deaths; intermediate: 20/50 in both arms.
    parts = [
        make_rows("placebo", "MALS", 30, 50, 3.0),
        make_rows("placebo", "intermediate", 20, 50, 5.0),
        make_rows("drug", "MALS", 15, 50, 4.0),
        make_rows("drug", "intermediate", 20, 50, 5.0),
    ]
    rows = pd.concat(parts, ignore_index=True)
    rows.insert(0, "patient_id", np.arange(len(rows)))
    spec = {"name": "hand", "follow_up_days": 28, "arms": [{"name": "placebo"}, {"name": "drug"}]}
    st = TrialStore(":memory:")
    st.initialise({"run_id": "r", "spec": spec})
    st.commit_chunk(
        0,
        {
            "patients": rows,
            "screening": pd.DataFrame(
                {
                    "chunk": [0, 0],
                    "phenotype": ["MALS", "intermediate"],
                    "n_screened": [110, 120],
                    "n_enrolled": [100, 100],
                }
            ),
        },
        {"n_sampled": 240, "n_died_before_screening": 10, "n_screened": 230, "n_enrolled": 200},
    )
    return st


def test_arm_counts_and_wilson_intervals(store: TrialStore) -> None:
    r = analyze(store)
    placebo, drug = r.arms
    assert (placebo["n"], placebo["deaths_28d"], drug["deaths_28d"]) == (100, 50, 35)
    assert placebo["mortality_28d"] == 0.5
    assert placebo["mortality_28d_ci"] == pytest.approx(list(wilson_ci(50, 100)))
    assert drug["sofa_drop_1p4_day9"] == pytest.approx(0.65)
    assert drug["organ_support_free_days_mean"] == pytest.approx(13.0)
    assert placebo["mortality_90d"] is None
    assert any("90-day" in n for n in r.notes)


def test_comparison_against_the_first_arm(store: TrialStore) -> None:
    (c,) = analyze(store).comparisons
    assert (c["arm"], c["versus"]) == ("drug", "placebo")
    assert c["risk_difference"] == pytest.approx(-0.15)
    assert c["risk_difference_ci"] == pytest.approx(list(newcombe_ci(35, 100, 50, 100)))
    assert c["hazard_ratio"] < 1 and c["hazard_ratio_ci"][0] < c["hazard_ratio"]
    assert 0 < c["p_logrank"] < 0.1


def test_subgroups_split_the_effect_by_phenotype(store: TrialStore) -> None:
    subs = {s["phenotype"]: s for s in analyze(store).subgroups}
    assert set(subs) == {"MALS", "intermediate"}
    mals = subs["MALS"]["comparisons"][0]
    inter = subs["intermediate"]["comparisons"][0]
    assert mals["risk_difference"] == pytest.approx(-0.3)
    assert inter["risk_difference"] == pytest.approx(0.0)
    assert inter["p_logrank"] == pytest.approx(1.0)


def test_screening_counts_and_json(store: TrialStore) -> None:
    r = analyze(store)
    assert r.screening["n_sampled"] == 240 and r.screening["n_enrolled"] == 200
    # A store written without the reasons column: no reasons, the counts as they were.
    assert r.screening["by_phenotype"]["MALS"] == {
        "screened": 110,
        "enrolled": 100,
        "not_enrolled": {},
    }
    json.dumps(r.to_dict())
    traj = r.trajectories.query("variable == 'mhla_dr' and arm == 'drug'")
    assert traj["median"].tolist() == [4000.0, 6000.0]


def test_long_kaplan_meier_is_kept_exact_on_a_grid() -> None:
    rng = np.random.default_rng(0)
    t = rng.uniform(0, 28, 6000)
    d = pd.DataFrame({"time_days": t, "died": np.ones(t.size, bool)})
    km = _km(d)
    assert len(km) == KM_MAX_POINTS
    kmf = KaplanMeierFitter().fit(t, np.ones(t.size, bool))
    expected = kmf.survival_function_at_times(km["time_days"].to_numpy()).to_numpy()
    np.testing.assert_allclose(km["survival"].to_numpy(), expected)
