"""The kernel's LU factorisations (dense, and sparse-aware for larger models) solve M x = b."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.solve import _kernel


def _system(n: int, density: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A sparse matrix like I/(gamma h) - J, with some zero diagonals to force row swaps."""
    rng = np.random.default_rng(seed)
    m = np.where(rng.random((n, n)) < density, rng.normal(size=(n, n)), 0.0)
    m[np.diag_indices(n)] += rng.uniform(0.5, 2.0, n)
    m[0, 0] = 0.0  # the first pivot must come from another row
    m[1, 0] = 1.5
    m[0, 1] = 1.0  # ... and row 0 stays nonzero
    assert np.linalg.cond(m) < 1e8
    return m, rng.normal(size=n)


@pytest.mark.parametrize(("n", "density", "seed"), [(4, 0.6, 1), (13, 0.1, 2), (52, 0.08, 3)])
def test_sparse_lu_solves_like_numpy_with_pivoting(n: int, density: float, seed: int) -> None:
    m, b = _system(n, density, seed)
    lu = m.copy()
    piv = np.empty(n, np.int64)
    sp = np.empty((5, n * n + 1), np.int64)
    assert _kernel._factor(lu, piv, sp)
    x = b.copy()
    _kernel._solve(lu, piv, sp, x)
    np.testing.assert_allclose(m @ x, b, rtol=1e-10, atol=1e-10)
    assert (piv != np.arange(n)).any()  # pivoting happened


@pytest.mark.parametrize(("n", "seed"), [(2, 4), (4, 5), (7, 6)])
def test_dense_lu_solves_like_numpy_with_pivoting(n: int, seed: int) -> None:
    m, b = _system(n, 1.0, seed)
    lu = m.copy()
    piv = np.empty(n, np.int64)
    none = np.empty((0, n * n + 1), np.int64)
    assert _kernel._factor(lu, piv, none)
    x = b.copy()
    _kernel._solve(lu, piv, none, x)
    np.testing.assert_allclose(x, np.linalg.solve(m, b), rtol=1e-10, atol=1e-12)


def test_singular_matrix_is_reported_by_both_factorisations() -> None:
    m = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [0.0, 0.0, 1.0]])
    piv = np.empty(3, np.int64)
    assert not _kernel._factor(m.copy(), piv, np.empty((0, 10), np.int64))
    assert not _kernel._factor(m.copy(), piv, np.empty((5, 10), np.int64))
