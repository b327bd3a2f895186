"""``pow4``: four powers in one vector pass agree with C ``pow`` to rounding, lane by lane."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from sepsistwin.solve._vmath import pow4


@nb.njit(cache=False)
def _pow4_all(xs, ns, out):  # type: ignore[no-untyped-def]
    for i in range(0, xs.size, 4):
        r = pow4(xs[i], xs[i + 1], xs[i + 2], xs[i + 3], ns[i], ns[i + 1], ns[i + 2], ns[i + 3])
        out[i], out[i + 1], out[i + 2], out[i + 3] = r


def _run(xs: np.ndarray, ns: np.ndarray) -> np.ndarray:
    out = np.empty_like(xs)
    _pow4_all(xs, ns, out)
    return out


def test_pow4_matches_pow_within_the_rounding_of_n_log_x() -> None:
    rng = np.random.default_rng(5)
    n = 40_000
    xs = np.concatenate([10 ** rng.uniform(-12, 12, n), rng.uniform(0.5, 2.0, n)])
    ns = np.concatenate([rng.choice([0.3, 3.16, 3.68, 9.95], n), rng.uniform(-10.0, 10.0, n)])
    got = _run(xs, ns)
    want = xs**ns
    # exp(n*log(x)) inherits the rounding of n*log(x): relative error ~|n*log(x)|*2**-53.
    bound = (np.abs(ns * np.log(xs)) + 1.0) * 2.0**-52
    assert np.all(np.abs(got - want) <= bound * np.abs(want))
    assert np.any(got != want)  # a different algorithm from libm's pow, yet as accurate


def test_pow4_keeps_pow_semantics_off_the_fast_path() -> None:
    xs = np.array([0.0, -0.0, 5e-324, -2.0, math.inf, math.nan, 1e300, 1e-300, 2.0, 3.0, 0.0, 7.0])
    ns = np.array([0.3, 3.16, 2.0, 2.0, 0.3, 1.0, 9.95, 9.95, 0.0, -1.0, -1.5, math.nan])
    got = _run(xs, ns)
    with np.errstate(all="ignore"):
        want = xs**ns
    for g, w, x, e in zip(got, want, xs, ns, strict=True):
        if math.isnan(w):
            assert math.isnan(g), (x, e)
        else:
            assert g == w or abs(g - w) <= 1e-15 * abs(w), (x, e, g, w)


def test_pow4_lanes_are_independent() -> None:
    xs = np.array([2.0, 0.0, 1e-5, 3.5])
    ns = np.array([3.16, 0.3, 9.95, 0.5])
    got = _run(xs, ns)
    # Each lane alone (the others replaced by 1.0**1.0) gives the same value.
    for k in range(4):
        xk = np.ones(4)
        nk = np.ones(4)
        xk[k], nk[k] = xs[k], ns[k]
        assert _run(xk, nk)[k] == got[k]
