"""Per-patient stiff fallback (Rodas4) on a genuinely stiff problem, and failure statuses."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sepsistwin.model import Model
from sepsistwin.solve import SolverOptions, Status, simulate_batch

T = np.concatenate([[0.0], np.logspace(-3, 3, 25)])


def _robertson_ref(k2: float) -> np.ndarray:
    def f(_t: float, y: np.ndarray) -> list[float]:
        r1, r2, r3 = 0.04 * y[0], k2 * y[1] ** 2, 1e4 * y[1] * y[2]
        return [-r1 + r3, r1 - r2 - r3, r2]

    sol = solve_ivp(
        f, (0, T[-1]), [1.0, 0.0, 0.0], method="Radau", t_eval=T, rtol=1e-11, atol=1e-15
    )
    return sol.y


@pytest.mark.slow
def test_stiff_patients_switch_to_rosenbrock_and_stay_accurate(robertson: Model) -> None:
    r = simulate_batch(robertson, {"k2": [3e7, 3e5]}, {}, T, atol=1e-14)
    assert r.ok.all()
    assert all(Status.STIFF_FALLBACK in r.status_of(i) for i in range(2))
    assert (r.n_stiff_steps > 0).all()
    for i, k2 in enumerate([3e7, 3e5]):
        ref = _robertson_ref(k2)
        got = np.stack([r.states[s][i] for s in ("y1", "y2", "y3")])
        floor = 1e-6 * np.abs(ref).max(axis=1, keepdims=True)
        rel = np.abs(got - ref) / np.maximum(np.abs(ref), floor)
        assert rel.max() < 1e-4


@pytest.mark.slow
def test_without_fallback_a_stiff_patient_fails_loudly_with_nan_tail(robertson: Model) -> None:
    opts = SolverOptions(stiff_fallback=False, max_steps=5_000)
    with pytest.warns(RuntimeWarning, match="failed to integrate"):
        r = simulate_batch(robertson, {}, {}, T, options=opts)
    st = r.status_of(0)
    assert st.failed and Status.MAX_STEPS in st
    y1 = r.states["y1"][0]
    first_nan = int(np.flatnonzero(np.isnan(y1))[0])
    assert first_nan > 0 and np.isnan(y1[first_nan:]).all() and np.isfinite(y1[:first_nan]).all()
    assert "max steps" in r.summary()


def test_overflowing_patient_is_reported_and_others_are_unaffected(two_decay: Model) -> None:
    # k_a = -20 /h makes A grow like exp(20 t): it overflows float64 near t = 35 h.
    t = [0.0, 1.0, 10.0, 50.0, 60.0]
    with pytest.warns(RuntimeWarning, match="1 of 2 patient"):
        r = simulate_batch(two_decay, {"k_a": [-20.0, 0.1]}, {}, t, rtol=1e-9, atol=1e-13)
    assert r.status_of(0).failed and not r.status_of(1).failed
    assert r.states["A"][0, 1] == pytest.approx(np.exp(20.0), rel=1e-6)
    assert np.isnan(r.states["A"][0, 3:]).all()
    np.testing.assert_allclose(r.states["A"][1], np.exp(-0.1 * np.array(t)), rtol=1e-7)
