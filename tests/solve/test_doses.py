"""Dose events: boluses jump a state, infusions add a constant input, schedules repeat."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.model import Model
from sepsistwin.solve import Bolus, Infusion, Schedule, event_table, parse_dose, simulate_batch

T = np.arange(0.0, 73.0, 0.5)
#: Solver tolerances tighter than the assertions below (1e-6 relative, 1e-12 absolute), so the
#: comparisons with the analytic solutions test the dose handling, not the default tolerances.
TIGHT = {"rtol": 1e-9, "atol": 1e-13}


def _bolus_exact(
    t: np.ndarray, k: float, x0: float, doses: list[tuple[float, float]]
) -> np.ndarray:
    x = x0 * np.exp(-k * t)
    for td, amt in doses:
        x = x + np.where(t >= td, amt * np.exp(-k * (t - td)), 0.0)
    return x


def _infusion_exact(t: np.ndarray, k: float, start: float, dur: float, rate: float) -> np.ndarray:
    during = (rate / k) * (1 - np.exp(-k * np.clip(t - start, 0, dur)))
    after = np.where(t > start + dur, np.exp(-k * (t - start - dur)), 1.0)
    return np.where(t >= start, during * after, 0.0)


def test_bolus_adds_amount_to_its_state_only_and_matches_analytic(two_decay: Model) -> None:
    r = simulate_batch(two_decay, {}, {}, T, doses=Bolus("B", 10.25, 2.0), **TIGHT)
    np.testing.assert_allclose(r.states["A"][0], np.exp(-0.1 * T), rtol=1e-6)
    np.testing.assert_allclose(
        r.states["B"][0], _bolus_exact(T, 0.5, 0.0, [(10.25, 2.0)]), rtol=1e-6, atol=1e-12
    )


def test_save_point_at_bolus_time_reports_state_after_the_dose(two_decay: Model) -> None:
    r = simulate_batch(two_decay, {}, {}, [0.0, 10.0, 11.0], doses=Bolus("B", 10.0, 2.0))
    assert r.states["B"][0, 1] == pytest.approx(2.0)


def test_repeated_bolus_schedule_matches_sum_of_exponentials(two_decay: Model) -> None:
    sched = Bolus("A", 6.0, 1.5).repeat(every=12.0, n=4)
    r = simulate_batch(two_decay, {}, {"A": 0.0}, T, doses=sched, **TIGHT)
    exact = _bolus_exact(T, 0.1, 0.0, [(6.0 + 12 * k, 1.5) for k in range(4)])
    np.testing.assert_allclose(r.states["A"][0], exact, rtol=1e-6, atol=1e-12)


def test_infusion_matches_analytic_rise_and_decay(two_decay: Model) -> None:
    r = simulate_batch(two_decay, {}, {}, T, doses=Infusion("B", 3.3, 20.0, 0.7), **TIGHT)
    np.testing.assert_allclose(
        r.states["B"][0], _infusion_exact(T, 0.5, 3.3, 20.0, 0.7), rtol=1e-6, atol=1e-12
    )


def test_per_patient_dose_arrays_give_each_patient_its_own_schedule(two_decay: Model) -> None:
    times = np.array([2.0, 5.5, 30.0])
    amounts = np.array([1.0, 0.0, 3.0])
    r = simulate_batch(
        two_decay, {"k_b": [0.5, 0.5, 0.2]}, {}, T, doses=Bolus("B", times, amounts), **TIGHT
    )
    for i, kb in enumerate([0.5, 0.5, 0.2]):
        exact = _bolus_exact(T, kb, 0.0, [(times[i], amounts[i])])
        np.testing.assert_allclose(r.states["B"][i], exact, rtol=1e-6, atol=1e-12)


def test_overlapping_infusions_into_one_state_add_their_rates(two_decay: Model) -> None:
    doses = Infusion("B", 0.0, 10.0, 0.2) + Infusion("B", 5.0, 10.0, 0.3)
    r = simulate_batch(two_decay, {}, {}, T, doses=doses, **TIGHT)
    exact = _infusion_exact(T, 0.5, 0.0, 10.0, 0.2) + _infusion_exact(T, 0.5, 5.0, 10.0, 0.3)
    np.testing.assert_allclose(r.states["B"][0], exact, rtol=1e-6, atol=1e-12)


def test_parse_dose_reads_bolus_repeat_and_infusion_forms() -> None:
    s = parse_dose("P:0.5@12,every=24,n=3")
    assert [d.time for d in s.doses] == [12.0, 36.0, 60.0]
    assert all(isinstance(d, Bolus) and d.amount == 0.5 for d in s.doses)
    inf = parse_dose("CA:0.01/h@6-30").doses[0]
    assert isinstance(inf, Infusion)
    assert (inf.start, inf.duration, inf.rate) == (6.0, 24.0, 0.01)


@pytest.mark.parametrize(
    "spec",
    [
        "P0.5@12",
        "P:abc@1",
        "P:1@2,every=3",
        "P:1@2,n=0,every=3",
        "P:1/h@5",
        "P:1/h@5-2",
        "P:1@2,foo=1",
    ],
)
def test_parse_dose_rejects_malformed_specs(spec: str) -> None:
    with pytest.raises(ValueError, match=r"dose|repeat"):
        parse_dose(spec)


@pytest.mark.parametrize(
    ("dose", "field"),
    [
        (Bolus("X", 1.0, 1.0), "state 'X' is not a model state"),
        (Bolus("A", 1.0, -1.0), "amount must be >= 0"),
        (Bolus("A", -2.0, 1.0), "before the start"),
        (Bolus("A", float("nan"), 1.0), "time must be finite"),
        (Infusion("A", 1.0, 0.0, 1.0), "duration must be > 0"),
        (Infusion("A", 1.0, 2.0, -0.1), "rate must be >= 0"),
        (Bolus("A", [1.0, 2.0], 1.0), "length n=3"),
    ],
)
def test_invalid_doses_raise_errors_naming_the_field(dose: Bolus | Infusion, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        event_table(dose, ["A", "B"], n=3)


def test_repeated_infusions_that_would_overlap_are_rejected() -> None:
    with pytest.raises(ValueError, match="overlap"):
        Infusion("A", 0.0, 8.0, 1.0).repeat(every=6.0, n=3)


def test_repeat_rejects_nonpositive_interval_and_count() -> None:
    with pytest.raises(ValueError, match="every"):
        Bolus("A", 0.0, 1.0).repeat(every=0.0, n=2)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        Bolus("A", 0.0, 1.0).repeat(every=1.0, n=0)


def test_scalar_schedule_is_stored_once_not_per_patient() -> None:
    et = event_table(
        Schedule((Bolus("A", 1.0, 1.0), Infusion("B", 0.0, 2.0, 1.0))), ["A", "B"], n=1_000_000
    )
    assert et.time.shape == (1_000_000, 2)
    assert et.time.strides[0] == 0
