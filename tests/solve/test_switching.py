"""Per-patient method switching: DOPRI5 -> Rodas4 on stability-limited stretches, and back."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sepsistwin.model import Model, ModelBuilder
from sepsistwin.solve import SolverOptions, Status, simulate_batch


@pytest.fixture(scope="module")
def stiff_pulse() -> Model:
    """A fast decay (rate 50 /h, stiff once it has decayed) and a slow state hit by a pulse."""
    return (
        ModelBuilder("test_stiff_pulse", "fast decay plus a slow state hit by a smooth pulse")
        .add_state("F", "1", 1.0)
        .add_state("S", "1", 0.0)
        .add_parameter("k_f", 50.0, "1/h", "test value")
        .add_parameter("k_s", 0.1, "1/h", "test value")
        .add_parameter("t_p", 10.0, "h", "test value")
        .add_parameter("w_p", 0.3, "h", "test value")
        .add_term("F", "-k_f*F")
        .add_term("S", "-k_s*S + exp(-((t - t_p)/w_p)**2)")
        .build()
    )


@pytest.mark.slow
def test_rosenbrock_hands_back_to_dopri_for_a_transient_and_beats_both_methods(
    stiff_pulse: Model,
) -> None:
    # After F has decayed, DOPRI5 is held to h ~ 3.3/50 by stability: Rodas4 takes over; the
    # pulse at t = 10 h then needs short steps, where DOPRI5 is cheaper, so it hands back.
    t = np.linspace(0.0, 30.0, 301)
    ref = solve_ivp(
        lambda tt, y: [-50.0 * y[0], -0.1 * y[1] + np.exp(-(((tt - 10.0) / 0.3) ** 2))],
        (0.0, 30.0),
        [1.0, 0.0],
        method="Radau",
        t_eval=t,
        rtol=1e-12,
        atol=1e-15,
        max_step=0.05,
    ).y
    runs = {
        name: simulate_batch(stiff_pulse, {}, {}, t, options=SolverOptions(h_max=0.25, **kw))
        for name, kw in {
            "auto": {},
            "dopri": {"stiff_fallback": False},
            "rodas": {"force_stiff": True},
        }.items()
    }
    auto = runs["auto"]
    assert Status.STIFF_FALLBACK in auto.status_of(0)
    assert auto.info["n_switches_back"][0] >= 1
    assert 0 < auto.n_stiff_steps[0] < auto.n_steps[0]
    assert auto.n_steps[0] < runs["dopri"].n_steps[0]
    assert auto.n_steps[0] < runs["rodas"].n_steps[0]
    for r in runs.values():
        assert r.ok.all()
        assert np.abs(r.states["S"][0] - ref[1]).max() <= 1e-5 * np.abs(ref[1]).max()
        assert np.abs(r.states["F"][0] - ref[0]).max() <= 1e-8


def test_recovering_reynolds_patient_takes_its_stable_tail_with_rosenbrock() -> None:
    # k_pg 0.49, P(0) 1.82: the pathogen is cleared, then P decays like exp(-1.3 t) far below
    # atol, which caps explicit steps at ~2.6 h for the rest of the 28 days.
    t = np.arange(0.0, 28 * 24 + 1.0)
    args = ("reynolds2006", {"k_pg": 0.49}, {"P": 1.82}, t)
    auto = simulate_batch(*args)
    dopri = simulate_batch(*args, options=SolverOptions(stiff_fallback=False))
    ref = simulate_batch(*args, rtol=1e-11, atol=1e-15, options=SolverOptions(stiff_fallback=False))
    assert auto.states["P"][0, -1] < 1e-10  # cleared
    assert Status.STIFF_FALLBACK in auto.status_of(0) and auto.n_stiff_steps[0] > 0
    assert auto.n_steps[0] < 0.8 * dopri.n_steps[0]
    for s in ("P", "N", "D", "CA"):
        scale = np.abs(ref.states[s][0]).max()
        floor = 1e-6 * scale
        for r in (auto, dopri):
            rel = np.abs(r.states[s][0] - ref.states[s][0]) / np.maximum(
                np.abs(ref.states[s][0]), floor
            )
            assert rel.max() <= 1e-4, (s, rel.max())
