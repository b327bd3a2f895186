"""Randomisation balance and reproducibility; interval formulas against published examples."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.solve import Bolus, Infusion
from sepsistwin.trial.chunk import chunk_seeds, screening_times, split_schedule
from sepsistwin.trial.randomize import randomize
from sepsistwin.trial.stats import compare_survival, newcombe_ci, paired_difference, wilson_ci


def test_simple_randomisation_follows_the_allocation_ratio() -> None:
    arms = randomize([2, 1], 30_000, np.random.default_rng(1))
    share = np.bincount(arms) / arms.size
    assert share[0] == pytest.approx(2 / 3, abs=0.01)


def test_same_stream_gives_same_allocation() -> None:
    a = randomize([1, 1, 1], 500, np.random.default_rng(9))
    b = randomize([1, 1, 1], 500, np.random.default_rng(9))
    assert (a == b).all()


def test_permuted_blocks_balance_every_stratum_to_within_one_block() -> None:
    rng = np.random.default_rng(3)
    stratum = rng.choice(np.array(["MALS", "immunoparalysis", "intermediate"]), 301)
    arms = randomize([1, 1], stratum.size, np.random.default_rng(4), strata=[stratum], block_size=4)
    for level in np.unique(stratum):
        counts = np.bincount(arms[stratum == level], minlength=2)
        assert abs(int(counts[0]) - int(counts[1])) <= 2


def test_block_size_must_fit_the_allocation() -> None:
    with pytest.raises(ValueError, match="multiple"):
        randomize([1, 2], 10, np.random.default_rng(0), strata=[np.zeros(10)], block_size=4)
    with pytest.raises(ValueError, match="positive weights"):
        randomize([1, 0], 10, np.random.default_rng(0))


def test_chunk_seeds_depend_only_on_spec_seed_and_chunk_index() -> None:
    s1 = [s.generate_state(2).tolist() for s in chunk_seeds(7, 2)]
    s2 = [s.generate_state(2).tolist() for s in chunk_seeds(7, 2)]
    s3 = [s.generate_state(2).tolist() for s in chunk_seeds(7, 3)]
    assert s1 == s2 and s1 != s3 and len({str(x) for x in s1}) == 3


def test_screening_window_is_the_day_before_screening() -> None:
    t = screening_times(48.0, 2)
    assert t.min() == 4.0 and t.max() == 48.0 and (np.diff(t) == 4.0).all()
    assert screening_times(6.0, 1).tolist() == [2.0, 6.0]  # nothing before onset


def test_split_schedule_cuts_an_infusion_at_screening() -> None:
    before, after = split_schedule(
        Infusion("x", 20.0, 10.0, 2.0) + Bolus("x", 4.0, 1.0) + Bolus("x", 24.0, 1.0), 24.0
    )
    assert [type(d).__name__ for d in before.doses] == ["Infusion", "Bolus"]
    assert before.doses[0].duration == 4.0
    inf_after = next(d for d in after.doses if isinstance(d, Infusion))
    assert (inf_after.start, inf_after.duration, inf_after.rate) == (24.0, 6.0, 2.0)
    assert any(isinstance(d, Bolus) and d.time == 24.0 for d in after.doses)


def test_wilson_interval_matches_newcombe_1998_table() -> None:
    # Newcombe, Stat Med 1998;17:857, Table I: 81/263 -> 0.2553 to 0.3662 (Wilson, method 3).
    lo, hi = wilson_ci(81, 263)
    assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)


def test_newcombe_hybrid_interval_matches_the_published_example() -> None:
    # Newcombe, Stat Med 1998;17:873, Table II example (a): 56/70 - 48/80, method 10:
    # +0.0524 to +0.3339.
    lo, hi = newcombe_ci(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_cox_hazard_ratio_points_the_right_way_and_logrank_detects_it() -> None:
    rng = np.random.default_rng(0)
    t_ref = rng.exponential(10.0, 2000)
    t_arm = rng.exponential(5.0, 2000)  # twice the hazard
    e_ref, e_arm = t_ref < 28, t_arm < 28
    c = compare_survival(np.minimum(t_ref, 28), e_ref, np.minimum(t_arm, 28), e_arm)
    assert c.hazard_ratio is not None and c.hazard_ratio_ci is not None
    # True HR 2 (exponential times); +-25% is several standard errors at this size.
    assert 1.5 < c.hazard_ratio < 2.5
    assert c.hazard_ratio_ci[0] < c.hazard_ratio < c.hazard_ratio_ci[1]
    assert c.p_logrank is not None and c.p_logrank < 1e-6


def test_hazard_ratio_is_withheld_with_a_reason_when_a_group_has_no_death() -> None:
    c = compare_survival(
        np.full(10, 28.0), np.zeros(10, bool), np.array([1.0, 28.0]), np.array([True, False])
    )
    assert c.hazard_ratio is None and c.note is not None and "no deaths" in c.note


def test_paired_difference_counts_helped_and_harmed() -> None:
    d = paired_difference(np.array([0, 0, 1, 1, 0.0]), np.array([1, 1, 1, 0, 0.0]))
    assert (d["helped"], d["harmed"], d["n"]) == (2, 1, 5)
    assert d["risk_difference"] == pytest.approx(-0.2)
    assert 0 < d["p_mcnemar"] <= 1


def test_split_schedule_with_per_patient_times_gives_each_dose_once() -> None:
    # patient 0's bolus is before screening, patient 1's after; infusions likewise straddle.
    sched = Bolus("x", np.array([10.0, 30.0]), 2.0) + Infusion(
        "y", np.array([20.0, 2.0]), 8.0, np.array([1.0, 3.0])
    )
    before, after = split_schedule(sched, 24.0)
    b_pre, i_pre = before.doses
    b_post, i_post = after.doses
    assert np.asarray(b_pre.amount).tolist() == [2.0, 0.0]
    assert np.asarray(b_post.amount).tolist() == [0.0, 2.0]
    assert (np.asarray(b_post.time) >= 24.0).all()
    # infused amount before + after equals the whole infusion, per patient
    pre_amount = np.asarray(i_pre.rate) * np.asarray(i_pre.duration)
    post_amount = np.asarray(i_post.rate) * np.asarray(i_post.duration)
    assert (pre_amount + post_amount).tolist() == [8.0, 24.0]
    assert (np.asarray(i_post.start) >= 24.0).all()


def test_round_off_below_zero_restarts_at_zero_but_real_negatives_are_kept() -> None:
    from sepsistwin.trial.chunk import _state_at_end

    states = np.array([[1.0, -6e-17], [1.0, -0.5], [1.0, 2.0]])
    assert _state_at_end(states).tolist() == [0.0, -0.5, 2.0]


def test_aggregated_cox_fit_matches_lifelines_on_the_individual_rows() -> None:
    import pandas as pd
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(11)
    t_ref, t_arm = rng.exponential(20.0, 1500), rng.exponential(14.0, 1500)
    e_ref, e_arm = t_ref < 28, t_arm < 28
    t_ref, t_arm = np.minimum(t_ref, 28), np.minimum(t_arm, 28)
    c = compare_survival(t_ref, e_ref, t_arm, e_arm)
    raw = pd.DataFrame(
        {
            "time": np.concatenate([t_ref, t_arm]),
            "event": np.concatenate([e_ref, e_arm]).astype(int),
            "arm": np.repeat([0.0, 1.0], 1500),
        }
    )
    s = CoxPHFitter().fit(raw, "time", "event").summary.loc["arm"]
    assert c.hazard_ratio == pytest.approx(float(s["exp(coef)"]), rel=2e-3)
    assert c.hazard_ratio_ci[0] == pytest.approx(float(s["exp(coef) lower 95%"]), rel=2e-3)
    assert c.hazard_ratio_ci[1] == pytest.approx(float(s["exp(coef) upper 95%"]), rel=2e-3)
