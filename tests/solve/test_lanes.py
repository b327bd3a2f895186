"""Patients integrated side by side (lanes): each one's result is its own."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.solve import SolverOptions, StopWhen, parse_dose, simulate_batch
from sepsistwin.solve.compile import default_lanes


def _population(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Reynolds patients across all three outcomes, a few close to the P(0) threshold."""
    rng = np.random.default_rng(seed)
    k_pg = rng.uniform(0.2, 0.7, n)
    p0 = rng.uniform(0.2, 2.0, n)
    p0[:3] = [1.03, 1.04, 0.36]
    k_pg[:3] = [0.3, 0.3, 0.6]
    return k_pg, p0


def _run(k_pg: np.ndarray, p0: np.ndarray, **kw: object):  # type: ignore[no-untyped-def]
    t = np.arange(0.0, 337.0, 1.0)
    doses = parse_dose("P:0.2@30,every=48,n=3") + parse_dose("CA:0.02/h@10-40")
    return simulate_batch("reynolds2006", {"k_pg": k_pg}, {"P": p0}, t, doses=doses, **kw)


def test_small_models_get_several_lanes_and_large_ones_one() -> None:
    assert default_lanes(4) > 1
    assert default_lanes(52) == 1


def test_a_patients_result_does_not_depend_on_the_rest_of_the_batch() -> None:
    k_pg, p0 = _population(45)
    whole = _run(k_pg, p0)
    assert whole.ok.all() and (whole.n_stiff_steps > 0).any()  # both methods are exercised
    perm = np.random.default_rng(0).permutation(k_pg.size)
    shuffled = _run(k_pg[perm], p0[perm])
    alone = _run(k_pg[perm[:1]], p0[perm[:1]])
    for s in whole.states:
        np.testing.assert_array_equal(whole.states[s][perm], shuffled.states[s])
        np.testing.assert_array_equal(whole.states[s][perm[:1]], alone.states[s])
    np.testing.assert_array_equal(whole.n_steps[perm], shuffled.n_steps)
    np.testing.assert_array_equal(whole.n_rhs[perm[:1]], alone.n_rhs)


def test_a_stopped_or_failed_lane_leaves_its_neighbours_alone() -> None:
    k_pg, p0 = _population(20)
    ref = _run(k_pg, p0)
    # Patient 5 stops at once (P above 0 at t=0); patient 9 overflows (P(0) = 1e300).
    p_bad = p0.copy()
    p_bad[9] = 1e300
    stop = StopWhen("P", np.where(np.arange(20) == 5, 0.0, np.inf))
    with pytest.warns(RuntimeWarning, match="failed"):
        r = _run(k_pg, p_bad, stop=stop)
    assert r.status[5] & 32 and not np.isfinite(r.states["P"][5, 1:]).any()
    assert not r.ok[9] and np.isnan(r.states["P"][9, 1:]).all()
    others = np.setdiff1d(np.arange(20), [5, 9])
    for s in ref.states:
        np.testing.assert_array_equal(ref.states[s][others], r.states[s][others])


@pytest.mark.slow
@pytest.mark.parametrize("lanes", [1, 3])
def test_lane_counts_agree_to_rounding(lanes: int) -> None:
    k_pg, p0 = _population(30)
    ref = _run(k_pg, p0)
    other = _run(k_pg, p0, options=SolverOptions(lanes=lanes))
    np.testing.assert_array_equal(ref.status, other.status)
    for s in ref.states:
        scale = 1e-6 * np.abs(ref.states[s]).max()
        err = np.abs(ref.states[s] - other.states[s]) / np.maximum(np.abs(ref.states[s]), scale)
        assert err.max() < 1e-7, s


def test_bad_lane_count_is_rejected() -> None:
    with pytest.raises(ValueError, match="lanes"):
        SolverOptions(lanes=0)
