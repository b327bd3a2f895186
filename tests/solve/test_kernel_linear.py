"""The kernel on its own built-in linear test problem (no model layer involved)."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.solve import _kernel

# The kernel module compiled with its built-in test hooks: a kernel variant of its own.
pytestmark = pytest.mark.slow


def _run(force_stiff: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 20.0, 41)
    p = np.array([[0.7, 0.2], [0.3, 1.1]])
    y0 = np.array([[1.0, 0.0], [2.0, 0.5]])
    out = np.empty((2, 2, t.size))
    obs = np.empty((1, 2, t.size))
    stats = np.zeros((2, _kernel.N_STATS), np.int64)
    empty = np.zeros((2, 0))
    none = np.zeros(0, np.int64)
    _kernel.integrate_chunk(
        y0,
        p,
        t,
        empty,
        empty,
        empty,
        none,
        none,
        np.full(2, 1e-9),
        np.full(2, 1e-13),
        100_000,
        np.inf,
        True,
        force_stiff,
        out,
        obs,
        0,
        stats,
        -1,
        np.zeros(1),
        0.0,
        0.0,
        1,
    )
    return t, out, obs, stats


def _exact(t: np.ndarray, a: float, b: float, y0: float, z0: float) -> tuple[np.ndarray, ...]:
    y = y0 * np.exp(-a * t)
    z = z0 * np.exp(-b * t) + a * y0 / (b - a) * (np.exp(-a * t) - np.exp(-b * t))
    return y, z


def test_dopri_kernel_matches_exact_linear_chain_at_dense_save_points() -> None:
    t, out, _, stats = _run(force_stiff=False)
    for i, (a, b, y0, z0) in enumerate([(0.7, 0.2, 1.0, 0.0), (0.3, 1.1, 2.0, 0.5)]):
        y, z = _exact(t, a, b, y0, z0)
        np.testing.assert_allclose(out[0, i], y, rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(out[1, i], z, rtol=1e-7, atol=1e-12)
    assert (stats[:, _kernel.STAT_STATUS] == 0).all()
    assert (stats[:, _kernel.STAT_ACCEPTED] > 0).all()


def test_rodas_kernel_matches_exact_linear_chain_when_forced() -> None:
    t, out, _, stats = _run(force_stiff=True)
    for i, (a, b, y0, z0) in enumerate([(0.7, 0.2, 1.0, 0.0), (0.3, 1.1, 2.0, 0.5)]):
        y, z = _exact(t, a, b, y0, z0)
        np.testing.assert_allclose(out[0, i], y, rtol=1e-6, atol=1e-11)
        np.testing.assert_allclose(out[1, i], z, rtol=1e-6, atol=1e-11)
    assert (stats[:, _kernel.STAT_STATUS] == _kernel.ST_STIFF).all()
    assert (stats[:, _kernel.STAT_STIFF_STEPS] == stats[:, _kernel.STAT_ACCEPTED]).all()


def test_kernel_evaluates_observables_of_each_patient_at_every_save_point() -> None:
    # The built-in test problem's observable is y0 + y1 (see _hooks.py).
    _, out, obs, _ = _run(force_stiff=False)
    np.testing.assert_allclose(obs[0], out[0] + out[1], rtol=1e-15)
