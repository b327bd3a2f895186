"""Endpoint definitions on hand-made outcomes (each patient's expected values worked out here)."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.trial.endpoints import compute_endpoints
from sepsistwin.trial.simulator import DAILY_OUTCOMES, Outcomes

DAYS = 28
ENROLL = 24.0


def outcomes(
    death_hours: list[float],
    sofa: list[list[float]] | None = None,
    support: list[list[float]] | None = None,
    hyper: list[list[float]] | None = None,
    n_days: int = DAYS,
) -> Outcomes:
    n = len(death_hours)
    daily = {k: np.zeros((n, n_days)) for k in DAILY_OUTCOMES}
    if sofa is not None:
        daily["sofa"] = np.array(sofa, dtype=float)
    if support is not None:
        daily["organ_support"] = np.array(support, dtype=float)
    if hyper is not None:
        daily["hyperinflammation"] = np.array(hyper, dtype=float)
    daily["lymphocytes"] = np.full((n, n_days), 1.0)
    return Outcomes(np.array(death_hours, dtype=float), daily, np.zeros(n, dtype=bool))


def ends(
    out: Outcomes, base_sofa: list[float], hyper0: list[bool] | None = None, follow_up: int = DAYS
) -> dict[str, np.ndarray]:
    n = len(base_sofa)
    return compute_endpoints(
        out,
        enrollment_hours=ENROLL,
        follow_up_days=follow_up,
        baseline={
            "sofa": np.array(base_sofa),
            "lymphocytes": np.full(n, 0.5),
            "mhla_dr": np.full(n, 3000.0),
        },
        baseline_hyperinflammation=np.array(hyper0 or [False] * n),
    )


def test_death_on_day_5_is_a_28_day_death_with_time_from_enrollment() -> None:
    e = ends(outcomes([ENROLL + 5 * 24.0, np.inf]), [8.0, 8.0])
    assert e["time_days"].tolist() == [5.0, 28.0]
    assert e["died"].tolist() == [True, False]
    assert e["dead_28d"].tolist() == [1.0, 0.0]
    assert np.isnan(e["dead_90d"]).all()  # follow-up too short: missing, not "alive"


def test_death_after_follow_up_is_censored() -> None:
    e = ends(outcomes([ENROLL + 40 * 24.0]), [8.0])
    assert e["time_days"][0] == 28.0 and not e["died"][0] and e["dead_28d"][0] == 0.0


def test_sofa_drop_of_1p4_by_day_9_needs_survival_and_the_full_drop() -> None:
    sofa = np.full((3, DAYS), 7.0)
    sofa[0, 8] = 6.6  # drop 1.4 exactly on day 9 -> success
    sofa[1, 8] = 6.7  # drop 1.3 -> failure
    sofa[2, 8] = 2.0  # big drop but dead on day 8 -> failure
    e = ends(outcomes([np.inf, np.inf, ENROLL + 8 * 24.0], sofa.tolist()), [8.0, 8.0, 8.0])
    assert e["sofa_drop_1p4_day9"].tolist() == [1.0, 0.0, 0.0]
    assert np.isnan(e["sofa_day9"][2])


def test_alive_with_sofa_decrease_after_day_7_and_sofa_change() -> None:
    sofa = np.full((3, DAYS), 9.0)
    sofa[0, 6] = 5.0
    sofa[2, 6] = 4.0
    e = ends(outcomes([np.inf, np.inf, ENROLL + 6.5 * 24.0], sofa.tolist()), [8.0, 8.0, 8.0])
    assert e["alive_sofa_decrease_day7"].tolist() == [1.0, 0.0, 0.0]
    assert e["sofa_change_day7"][0] == -3.0 and e["sofa_change_day7"][1] == 1.0
    assert np.isnan(e["sofa_change_day7"][2])  # dead by day 7: no change, not a made-up one


def test_organ_support_free_days_count_days_off_support_and_zero_for_deaths() -> None:
    support = np.zeros((2, DAYS))
    support[0, :10] = 1.0
    e = ends(outcomes([np.inf, ENROLL + 20 * 24.0], support=support.tolist()), [8.0, 8.0])
    assert e["organ_support_free_days"].tolist() == [18.0, 0.0]


def test_hyperinflammation_counts_as_adverse_event_only_when_new() -> None:
    hyper = np.zeros((3, DAYS))
    hyper[0, 3] = 1.0
    hyper[1, 3] = 1.0
    e = ends(outcomes([np.inf] * 3, hyper=hyper.tolist()), [8.0] * 3, hyper0=[False, True, False])
    assert e["hyperinflammation_ae"].tolist() == [True, False, False]


def test_trajectories_start_at_baseline_and_stop_at_death() -> None:
    e = ends(outcomes([ENROLL + 2.5 * 24.0]), [8.0])
    traj = e["lymphocytes_traj"][0]
    assert traj.shape == (DAYS + 1,)
    assert traj[0] == pytest.approx(0.5)
    assert traj[1] == 1.0 and traj[2] == 1.0
    assert np.isnan(traj[3:]).all()


def test_short_follow_up_leaves_day_28_endpoints_missing() -> None:
    e = ends(outcomes([np.inf], n_days=7), [8.0], follow_up=7)
    assert np.isnan(e["dead_28d"][0]) and np.isnan(e["organ_support_free_days"][0])
    assert np.isnan(e["sofa_drop_1p4_day9"][0])


def test_outcomes_shorter_than_follow_up_are_an_error() -> None:
    with pytest.raises(ValueError, match="covers 7 days"):
        ends(outcomes([np.inf], n_days=7), [8.0], follow_up=28)
