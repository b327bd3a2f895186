"""Terminal condition (``StopWhen``): stop a patient once a state reaches its value."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin import simulate_batch
from sepsistwin.solve import Status, StopWhen

T = np.arange(0.0, 169.0, 6.0)  # 7 days, 6-hourly
PARAMS = {"k_pg": np.array([0.6, 0.3, 0.6])}  # septic death, healthy, septic death
INIT = {"P": np.array([1.0, 1.0, 1.0])}


def test_stopped_patients_match_the_full_run_up_to_the_stop_then_nan() -> None:
    full = simulate_batch("reynolds2006", PARAMS, INIT, T)
    thresholds = np.array([1.0, 1e9, 1e9])  # D: crossed / never reached / never reached
    r = simulate_batch("reynolds2006", PARAMS, INIT, T, stop=StopWhen("D", thresholds))
    d = full.states["D"]
    first = int(np.argmax(d[0] >= 1.0))
    assert 0 < first < T.size - 1
    # Identical up to and including the first save point at or above the threshold.
    np.testing.assert_array_equal(r.states["D"][0, : first + 1], d[0, : first + 1])
    assert np.isnan(r.states["D"][0, first + 1 :]).all()
    assert np.isnan(r.observables["pathogen_load"][0, first + 1 :]).all()
    assert r.status_of(0) & Status.STOPPED and not r.status_of(0).failed
    assert r.ok.all()
    # Patients that never reach their threshold are untouched.
    for i in (1, 2):
        np.testing.assert_array_equal(r.states["D"][i], d[i])
        assert not r.status_of(i) & Status.STOPPED
    assert r.n_steps[0] < full.n_steps[0]
    assert "stopped at the terminal condition: 1" in r.summary()


def test_grid_continues_to_the_end_of_the_day_of_the_event() -> None:
    full = simulate_batch("reynolds2006", PARAMS, INIT, T)
    first = int(np.argmax(full.states["D"][0] >= 1.0))
    r = simulate_batch("reynolds2006", PARAMS, INIT, T, stop=StopWhen("D", 1.0, grid=24.0))
    last = first
    while T[last] % 24.0 != 0.0:
        last += 1
    np.testing.assert_array_equal(r.states["D"][0, : last + 1], full.states["D"][0, : last + 1])
    assert np.isnan(r.states["D"][0, last + 1 :]).all()


def test_stop_also_works_in_the_stiff_method_and_at_dose_boundaries() -> None:
    from sepsistwin.solve import Bolus, SolverOptions

    doses = Bolus("P", 36.0, 0.5)
    opts = SolverOptions(force_stiff=True)
    full = simulate_batch("reynolds2006", PARAMS, INIT, T, doses=doses, options=opts)
    # threshold = the value at 36 h (a dose boundary): the stop happens exactly there
    j36 = int(np.flatnonzero(T == 36.0)[0])
    thr = full.states["D"][0, j36]
    r = simulate_batch(
        "reynolds2006",
        PARAMS,
        INIT,
        T,
        doses=doses,
        options=opts,
        stop=StopWhen("D", np.array([thr, 1e9, 1e9])),
    )
    assert np.isnan(r.states["D"][0, j36 + 1 :]).all()
    np.testing.assert_array_equal(r.states["D"][0, : j36 + 1], full.states["D"][0, : j36 + 1])


@pytest.mark.parametrize(
    ("stop", "message"),
    [
        (StopWhen("X", 1.0), "unknown state 'X'"),
        (StopWhen("D", [1.0, 2.0]), "2 entries, expected 1 or 3"),
        (StopWhen("D", np.nan), "must not be NaN"),
        (StopWhen("D", 1.0, grid=-1.0), "grid must be"),
    ],
)
def test_bad_stop_conditions_name_the_field(stop: StopWhen, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_batch("reynolds2006", PARAMS, INIT, T, stop=stop)


def test_a_condition_met_at_the_start_stops_at_the_first_save_point() -> None:
    r = simulate_batch("reynolds2006", PARAMS, INIT, T, stop=StopWhen("CA", 0.0))
    assert (r.status & int(Status.STOPPED)).all() and r.ok.all()
    assert np.isfinite(r.states["CA"][:, 0]).all() and np.isnan(r.states["CA"][:, 1:]).all()
    assert (r.n_steps == 0).all()
