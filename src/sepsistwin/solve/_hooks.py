"""Model hooks the kernel in ``_kernel.py`` is written against, for a built-in test problem.

Each model's generated module defines its own ``rhs``, ``jac`` and ``USES_TIME`` and is followed
by the kernel's source (see ``compile.py``), so Numba compiles and caches one kernel per model
with the model inlined. This file supplies the same names for a two-state linear chain,
``y0' = -p0*y0``, ``y1' = p0*y0 - p1*y1``, whose exact solution lets the kernel be tested on its
own, without the model layer.
"""

from __future__ import annotations

import numba as nb

USES_TIME = False
N_STATES = 2
N_PARAMETERS = 2
N_DERIVED = 0
#: Patients integrated side by side per thread (see ``integrate_block`` in ``_kernel.py``).
LANES = 4


@nb.njit(cache=True, error_model="numpy")
def derive(p, q):
    q[0] = p[0]
    q[1] = p[1]


@nb.njit(cache=True, error_model="numpy")
def rhs(t, y, p, dy):
    dy[0] = -p[0] * y[0]
    dy[1] = p[0] * y[0] - p[1] * y[1]


@nb.njit(cache=True, error_model="numpy")
def rhs_lanes(t, y, p, dy):
    """``rhs`` for ``LANES`` patients at once; arrays are flat, element i of lane l at
    ``i * LANES + l``."""
    L = LANES
    for ln in range(L):
        dy[ln] = -p[ln] * y[ln]
        dy[L + ln] = p[ln] * y[ln] - p[L + ln] * y[L + ln]


@nb.njit(cache=True, error_model="numpy")
def jac(t, y, p, out):
    out[0, 0] = -p[0]
    out[0, 1] = 0.0
    out[1, 0] = p[0]
    out[1, 1] = -p[1]


@nb.njit(cache=True, error_model="numpy")
def observables_series(t_eval, states, p, gi, obs):
    """The observable ``y0 + y1`` at every save time of patient ``gi`` (``states``/``obs``:
    (k, n, n_t))."""
    for j in range(t_eval.size):
        obs[0, gi, j] = states[0, gi, j] + states[1, gi, j]
