"""Per-patient integration kernel (Numba): Dormand-Prince 5(4) with a Rodas4 stiff fallback.

Written against the model hooks ``derive(p, q)`` (parameters plus parameter-only values, once
per patient), ``rhs(t, y, q, dy)``, ``jac(t, y, q, J)``, ``observables(t, y, q, out)`` and the
constants ``USES_TIME``, ``N_STATES``, ``N_PARAMETERS`` and ``N_DERIVED``.
Here they come from ``_hooks.py`` (a linear test problem); for a real model ``compile.py`` writes
a module holding the model's generated hooks followed by this file's source, without the hook
import line, so Numba compiles (and caches on disk) one kernel per model with the right-hand side
inlined. The kernel knows no biology: states are indices, parameters a vector.

Per patient:

* the horizon ``[t_eval[0], t_eval[-1]]`` is split at dose times (bolus times, infusion starts
  and ends); at each boundary boluses are added to their state, the piecewise-constant infusion
  input ``u`` is recomputed, and integration restarts from scratch (fresh derivative, fresh
  initial step), so no step straddles a discontinuity;
* save points use the state after any bolus at that time (right-continuous);
* Dormand-Prince 5(4) with PI step control (Hairer's DOPRI5 constants) and its 4th-order dense
  output fills save points;
* stiffness: Hairer's test (h*|lambda| > 3.25 on 15 accepted steps), applied per component, or a
  step-size collapse switches that patient to Rodas4 (Hairer & Wanner, 6 stages, order 4(3),
  analytic Jacobian, cubic Hermite dense output). Rodas4 hands the patient back to DOPRI5 when
  its own steps are no longer worth their cost (shorter than ``rodas_cost(n)`` times the step
  DOPRI5 was held to); each hand-back doubles the evidence needed to switch again. Larger models
  use a sparse-aware LU;
* failures stop that patient only, fill its remaining save points with NaN and set its status
  bits (see ``status.py``); other patients are unaffected.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from sepsistwin.solve._hooks import (  # MODEL-HOOKS (replaced when compiled)
    N_DERIVED,  # MODEL-HOOKS
    N_PARAMETERS,  # MODEL-HOOKS
    N_STATES,  # MODEL-HOOKS
    USES_TIME,  # MODEL-HOOKS
    derive,  # MODEL-HOOKS
    jac,  # MODEL-HOOKS
    observables,  # MODEL-HOOKS
    rhs,  # MODEL-HOOKS
)  # MODEL-HOOKS

#: LLVM fast-math flags for all kernel code: only fused multiply-add contraction. Flags that
#: assume no NaN/inf ('nnan', 'ninf', hence 'fast') would break the finiteness checks.
FASTMATH = {"contract"}

# Status bits (mirrored by sepsistwin.solve.status.Status).
ST_STIFF = 1
ST_MAX_STEPS = 2
ST_NON_FINITE = 4
ST_STEP_TOO_SMALL = 8
ST_SINGULAR = 16
ST_STOPPED = 32  # informational: stopped at the terminal condition (e.g. death)

# Event kinds (mirrored by sepsistwin.solve.doses).
EV_BOLUS = 0
EV_INFUSION = 1

# Statistics columns.
STAT_STATUS = 0
STAT_ACCEPTED = 1
STAT_REJECTED = 2
STAT_STIFF_STEPS = 3
STAT_RHS = 4
STAT_BACK = 5  # switches from Rodas4 back to DOPRI5
N_STATS = 6

# Segment return codes.
_DONE = 0
_SWITCH = 1
_STOP = 2  # the terminal condition is met: no further save points

# ---- Dormand-Prince 5(4) (Dormand & Prince 1980; dense output: Shampine 1986 / Hairer) -------
C2, C3, C4, C5 = 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0
A21 = 1.0 / 5.0
A31, A32 = 3.0 / 40.0, 9.0 / 40.0
A41, A42, A43 = 44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0
A51, A52, A53, A54 = 19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0
A61, A62, A63 = 9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0
A64, A65 = 49.0 / 176.0, -5103.0 / 18656.0
B1, B3, B4, B5, B6 = 35.0 / 384.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0
E1, E3, E4 = -71.0 / 57600.0, 71.0 / 16695.0, -71.0 / 1920.0
E5, E6, E7 = 17253.0 / 339200.0, -22.0 / 525.0, 1.0 / 40.0
# Dense output: y(t + x h) = y + h * sum_k Q[:, k] x^(k+1), Q = K^T P (rows: stages 1..7).
P10, P11, P12, P13 = (
    1.0,
    -8048581381.0 / 2820520608.0,
    8663915743.0 / 2820520608.0,
    -12715105075.0 / 11282082432.0,
)
P31, P32, P33 = (
    131558114200.0 / 32700410799.0,
    -68118460800.0 / 10900136933.0,
    87487479700.0 / 32700410799.0,
)
P41, P42, P43 = (
    -1754552775.0 / 470086768.0,
    14199869525.0 / 1410260304.0,
    -10690763975.0 / 1880347072.0,
)
P51, P52, P53 = (
    127303824393.0 / 49829197408.0,
    -318862633887.0 / 49829197408.0,
    701980252875.0 / 199316789632.0,
)
P61, P62, P63 = -282668133.0 / 205662961.0, 2019193451.0 / 616988883.0, -1453857185.0 / 822651844.0
P71, P72, P73 = 40617522.0 / 29380423.0, -110615467.0 / 29380423.0, 69997945.0 / 29380423.0

# PI step control (Hairer's DOPRI5 defaults).
SAFE = 0.9
FAC_MIN = 0.2  # largest decrease: h_new >= 0.2 h
FAC_MAX = 10.0  # largest increase
BETA = 0.04
EXPO1 = 0.2 - BETA * 0.75
LOG_ERR_MIN = math.log(1e-4)  # facold floor
STIFF_LIMIT = 3.25
STIFF_COUNT = 15
NONSTIFF_RESET = 6

# ---- Rodas4 (Hairer & Wanner 1996, RODAS order 4(3)), stored row-wise below the diagonal ----
RO_GAMMA = 0.25
RO_A = (
    1.544,
    0.9466785280815826,
    0.2557011698983284,
    3.314825187068521,
    2.896124015972201,
    0.9986419139977817,
    1.221224509226641,
    6.019134481288629,
    12.53708332932087,
    -0.6878860361058950,
    1.221224509226641,
    6.019134481288629,
    12.53708332932087,
    -0.6878860361058950,
    1.0,
)
RO_C = (
    -5.6688,
    -2.430093356833875,
    -0.2063599157091915,
    -0.1073529058151375,
    -9.594562251023355,
    -20.47028614809616,
    7.496443313967647,
    -10.24680431464352,
    -33.99990352819905,
    11.70890893206160,
    8.083246795921522,
    -7.981132988064893,
    -31.52159432874371,
    16.31930543123136,
    -6.058818238834054,
)
RO_ALPHA = (0.0, 0.386, 0.21, 0.63, 1.0, 1.0)
RO_GAMMAS = (0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0)
RA21 = RO_A[0]
RA31, RA32 = RO_A[1], RO_A[2]
RA41, RA42, RA43 = RO_A[3], RO_A[4], RO_A[5]
RA51, RA52, RA53, RA54 = RO_A[6], RO_A[7], RO_A[8], RO_A[9]
RC21 = RO_C[0]
RC31, RC32 = RO_C[1], RO_C[2]
RC41, RC42, RC43 = RO_C[3], RO_C[4], RO_C[5]
RC51, RC52, RC53, RC54 = RO_C[6], RO_C[7], RO_C[8], RO_C[9]
RC61, RC62, RC63, RC64, RC65 = RO_C[10], RO_C[11], RO_C[12], RO_C[13], RO_C[14]
RAL2, RAL3, RAL4 = RO_ALPHA[1], RO_ALPHA[2], RO_ALPHA[3]
RG1, RG2, RG3, RG4 = RO_GAMMAS[0], RO_GAMMAS[1], RO_GAMMAS[2], RO_GAMMAS[3]
RO_FAC_MIN = 0.2
RO_FAC_MAX = 6.0
RO_FAC_REJ = 0.1
SPARSE_LU_MIN_N = 12  # from this many states on, the LU skips zeros (_lu_factor_sparse)
# Switching back from Rodas4 to DOPRI5 (see _rodas_segment).
BACK_COUNT = 3
BACK_MIN_STEPS = 3


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def rodas_cost(n):
    """Cost of a Rodas4 step in DOPRI5 steps for ``n`` states (both make 6 RHS calls; Rodas4
    adds a Jacobian, an LU and six solves). Measured: ~2.5 for Reynolds (n=4), ~6 for the
    52-state sepsistwin model."""
    return 2.2 + 0.08 * n


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _f(t, y, p, u, dy):
    """Model right-hand side plus the piecewise-constant infusion input.

    ``u`` is empty in segments without an active infusion (the common case), which skips the add.
    """
    rhs(t, y, p, dy)
    for i in range(u.size):
        dy[i] += u[i]


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _rms(v, y0, y1, rtol, atol):
    """Scaled RMS norm of ``v`` with weights ``atol + rtol*max(|y0|, |y1|)``."""
    s = 0.0
    n = N_STATES
    for i in range(n):
        sk = atol[i] + rtol[i] * max(abs(y0[i]), abs(y1[i]))
        r = v[i] / sk
        s += r * r
    return math.sqrt(s / n)


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _initial_step(t, y, f0, p, u, rtol, atol, h_max, tmp, f1):
    """Hairer's starting step heuristic for an order-5 method."""
    n = N_STATES  # a compile-time constant: LLVM unrolls and vectorises the state loops
    dnf = 0.0
    dny = 0.0
    for i in range(n):
        sk = atol[i] + rtol[i] * abs(y[i])
        dnf += (f0[i] / sk) ** 2
        dny += (y[i] / sk) ** 2
    dnf = math.sqrt(dnf / n)
    dny = math.sqrt(dny / n)
    if dnf <= 1e-5 or dny <= 1e-5:
        h = 1e-6
    else:
        h = 0.01 * dny / dnf
    h = min(h, h_max)
    for i in range(n):
        tmp[i] = y[i] + h * f0[i]
    _f(t + h, tmp, p, u, f1)
    der2 = 0.0
    for i in range(n):
        sk = atol[i] + rtol[i] * abs(y[i])
        der2 += ((f1[i] - f0[i]) / sk) ** 2
    der2 = math.sqrt(der2 / n) / h
    der12 = max(abs(der2), dnf)
    if der12 <= 1e-15:
        h1 = max(1e-6, abs(h) * 1e-3)
    else:
        h1 = (0.01 / der12) ** 0.2
    h = min(100.0 * abs(h), h1, h_max)
    if not (h > 0.0) or not math.isfinite(h):
        h = 1e-6
    return h


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _dopri_segment(
    state,
    y,
    p,
    u,
    t_end,
    t_eval,
    rtol,
    atol,
    max_steps,
    h_max,
    allow_stiff,
    out,
    gi,
    stats,
    K,
    ytmp,
    ynew,
    stop,
):
    """Integrate from ``state[0]`` to ``t_end`` with DOPRI5; fill save points before ``t_end``.

    ``state`` holds ``[t, h, next save index, h at the last switch to Rodas4, number of switches
    back, stiff steps, non-stiff steps]``; ``h > 0`` on entry is used as the starting step.
    Returns ``_DONE``, ``_SWITCH`` (stiffness detected: continue with Rodas4 from ``state[0]``,
    ``y``) or a negative status bit.
    """
    n = N_STATES  # a compile-time constant: LLVM unrolls and vectorises the state loops
    t = state[0]
    j = int(state[2])
    n_t = t_eval.size
    k1 = K[0]
    k2 = K[1]
    k3 = K[2]
    k4 = K[3]
    k5 = K[4]
    k6 = K[5]
    k7 = K[6]
    Q = K[7:11]
    _f(t, y, p, u, k1)
    stats[STAT_RHS] += 1
    for i in range(n):
        if not math.isfinite(k1[i]):
            return -ST_NON_FINITE
    hmax = min(h_max, t_end - t)
    if state[1] > 0.0:
        # Coming back from Rodas4: its estimate of the stable explicit step is a good start.
        h = min(state[1], hmax)
    else:
        h = _initial_step(t, y, k1, p, u, rtol, atol, hmax, ytmp, k2)
        stats[STAT_RHS] += 1
    lfacold = math.log(1e-4)  # log of the previous accepted error (PI controller memory)
    inv_n = 1.0 / n
    # Evidence needed to switch to Rodas4: Hairer's 15 stiff steps, scaled by what a Rodas4 step
    # costs relative to a small model's (a trial that hands back costs >= BACK_MIN_STEPS Rodas4
    # steps), and doubled by each switch back (no ping-pong).
    stiff_count = int(STIFF_COUNT * rodas_cost(n) / rodas_cost(4) + 0.5) << min(int(state[4]), 4)
    reject = False
    # Stiffness evidence carries over dose boundaries: a dosing interval shorter than the
    # evidence needed (q8h antibiotics) must not reset it, or such patients never switch.
    n_stiff = int(state[5])
    n_nonstiff = int(state[6])
    while t < t_end:
        if stats[STAT_ACCEPTED] + stats[STAT_REJECTED] >= max_steps:
            return -ST_MAX_STEPS
        if h <= 1e-14 * max(abs(t), 1.0):
            if allow_stiff:
                state[0] = t
                state[1] = 0.0
                state[2] = j
                state[3] = 0.0  # no explicit step to go back to
                state[5] = 0.0
                state[6] = 0.0
                return _SWITCH
            return -ST_STEP_TOO_SMALL
        last = False
        if t + 1.01 * h >= t_end:
            h = t_end - t
            last = True
        for i in range(n):
            ytmp[i] = y[i] + h * A21 * k1[i]
        _f(t + C2 * h, ytmp, p, u, k2)
        for i in range(n):
            ytmp[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i])
        _f(t + C3 * h, ytmp, p, u, k3)
        for i in range(n):
            ytmp[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i])
        _f(t + C4 * h, ytmp, p, u, k4)
        for i in range(n):
            ytmp[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i])
        _f(t + C5 * h, ytmp, p, u, k5)
        for i in range(n):
            ytmp[i] = y[i] + h * (
                A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]
            )
        t_new = t + h
        if last:
            t_new = t_end
        _f(t_new, ytmp, p, u, k6)
        for i in range(n):
            ynew[i] = y[i] + h * (B1 * k1[i] + B3 * k3[i] + B4 * k4[i] + B5 * k5[i] + B6 * k6[i])
        _f(t_new, ynew, p, u, k7)
        stats[STAT_RHS] += 6
        # Squared scaled RMS error, weights atol + rtol*max(|y|, |ynew|) (no sqrt needed: the
        # controller works with its log).
        err2 = 0.0
        for i in range(n):
            r = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i])
            r /= atol[i] + rtol[i] * max(abs(y[i]), abs(ynew[i]))
            err2 += r * r
        err2 *= inv_n
        if not math.isfinite(err2):
            # A stage left the domain (e.g. overflow): retry smaller, as a rejected step.
            stats[STAT_REJECTED] += 1
            h *= FAC_MIN
            reject = True
            continue
        # err**EXPO1 / facold**BETA via one log and one exp (two pow calls cost more per step).
        lerr = 0.5 * math.log(err2) if err2 > 1e-300 else -345.0
        fac = math.exp(EXPO1 * lerr - BETA * lfacold)
        fac = max(1.0 / FAC_MAX, min(1.0 / FAC_MIN, fac / SAFE))
        h_new = h / fac
        if err2 <= 1.0:
            lfacold = max(lerr, LOG_ERR_MIN)
            stats[STAT_ACCEPTED] += 1
            # Hairer's stiffness test (h*|lambda| > STIFF_LIMIT from the two evaluations at t+h:
            # stage 6 in ytmp, and ynew), per component: a state decaying far below atol (P
            # after clearance) caps the step by stability while the whole-vector norm only sees
            # the O(1) states. Differences at rounding level are ignored.
            stiff_step = False
            for i in range(n):
                dyi = abs(ynew[i] - ytmp[i])
                if dyi > 1e-13 * abs(ynew[i]) and h * abs(k7[i] - k6[i]) > STIFF_LIMIT * dyi:
                    stiff_step = True
            if stiff_step:
                n_nonstiff = 0
                n_stiff += 1
            else:
                n_nonstiff += 1
                if n_nonstiff == NONSTIFF_RESET:
                    n_stiff = 0
            # Dense output for save points inside (t, t_new], strictly before the segment end.
            if j < n_t and t_eval[j] <= t_new and t_eval[j] < t_end:
                # Interpolant coefficients once per step (rows of Q; k2 is free scratch).
                for i in range(n):
                    Q[0, i] = h * P10 * k1[i]
                    Q[1, i] = h * (
                        P11 * k1[i]
                        + P31 * k3[i]
                        + P41 * k4[i]
                        + P51 * k5[i]
                        + P61 * k6[i]
                        + P71 * k7[i]
                    )
                    Q[2, i] = h * (
                        P12 * k1[i]
                        + P32 * k3[i]
                        + P42 * k4[i]
                        + P52 * k5[i]
                        + P62 * k6[i]
                        + P72 * k7[i]
                    )
                    Q[3, i] = h * (
                        P13 * k1[i]
                        + P33 * k3[i]
                        + P43 * k4[i]
                        + P53 * k5[i]
                        + P63 * k6[i]
                        + P73 * k7[i]
                    )
                hinv = 1.0 / h
                while j < n_t and t_eval[j] <= t_new and t_eval[j] < t_end:
                    x = (t_eval[j] - t) * hinv
                    for i in range(n):
                        out[i, gi, j] = y[i] + x * (
                            Q[0, i] + x * (Q[1, i] + x * (Q[2, i] + x * Q[3, i]))
                        )
                    j += 1
                    if stop[0] >= 0.0 and _stop_after(out, gi, j - 1, t_eval, state, stop):
                        state[2] = j
                        return _STOP
                state[2] = j
            for i in range(n):
                y[i] = ynew[i]
                k1[i] = k7[i]
            t = t_new
            if reject:
                h_new = min(h_new, h)
            reject = False
            h = min(h_new, h_max)
            if n_stiff >= stiff_count and allow_stiff and t < t_end:
                state[0] = t
                state[1] = h
                state[2] = j
                state[3] = h  # the stability-limited explicit step, for the way back
                state[5] = 0.0
                state[6] = 0.0
                return _SWITCH
        else:
            stats[STAT_REJECTED] += 1
            h = h / min(1.0 / FAC_MIN, math.exp(EXPO1 * lerr) / SAFE)
            reject = True
    state[0] = t_end
    state[1] = h
    state[2] = j
    state[5] = n_stiff
    state[6] = n_nonstiff
    return _DONE


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _pivot(M, k, piv):
    """Partial pivoting at column ``k``: swap the row with the largest ``|M[i, k]|``, i >= k,
    into row ``k`` and record it in ``piv[k]``; False if that pivot is zero or not finite."""
    n = M.shape[0]
    imax = k
    vmax = abs(M[k, k])
    for i in range(k + 1, n):
        if abs(M[i, k]) > vmax:
            vmax = abs(M[i, k])
            imax = i
    piv[k] = imax
    if vmax == 0.0 or not math.isfinite(vmax):
        return False
    if imax != k:
        for c in range(n):
            tmp = M[k, c]
            M[k, c] = M[imax, c]
            M[imax, c] = tmp
    return True


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _lu_factor(M, piv):
    """In-place LU with partial pivoting; returns False if the matrix is singular.

    The diagonal of ``M`` holds the reciprocals of the pivots afterwards (the solve multiplies).
    """
    n = M.shape[0]
    for k in range(n):
        if not _pivot(M, k, piv):
            return False
        inv = 1.0 / M[k, k]
        M[k, k] = inv
        for i in range(k + 1, n):
            M[i, k] *= inv
            lik = M[i, k]
            if lik != 0.0:
                for c in range(k + 1, n):
                    M[i, c] -= lik * M[k, c]
    return True


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _lu_solve(M, piv, b):
    """Solve ``M x = b`` in place given ``_lu_factor`` output."""
    n = M.shape[0]
    for k in range(n):
        pk = piv[k]
        if pk != k:
            tmp = b[k]
            b[k] = b[pk]
            b[pk] = tmp
    for i in range(1, n):
        s = b[i]
        for c in range(i):
            s -= M[i, c] * b[c]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for c in range(i + 1, n):
            s -= M[i, c] * b[c]
        b[i] = s * M[i, i]


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _lu_factor_sparse(M, piv, nzc, lp, li, up, ui):
    """``_lu_factor`` for larger, sparse matrices; also records the nonzero pattern.

    Row updates only touch the nonzero columns of the pivot row (``nzc`` is scratch), and the
    pattern of L (by column: ``li[lp[k]:lp[k+1]]``) and of U (by row: ``ui[up[k]:up[k+1]]``)
    lets ``_lu_solve_sparse`` skip the zeros: a 52-state immune model has ~8 % nonzeros.
    Same operations on the nonzeros as the dense version.
    """
    n = M.shape[0]
    for k in range(n):
        if not _pivot(M, k, piv):
            return False
        inv = 1.0 / M[k, k]
        M[k, k] = inv
        cnt = 0
        for c in range(k + 1, n):
            if M[k, c] != 0.0:
                nzc[cnt] = c
                cnt += 1
        for i in range(k + 1, n):
            if M[i, k] != 0.0:
                M[i, k] *= inv
                lik = M[i, k]
                for q in range(cnt):
                    c = nzc[q]
                    M[i, c] -= lik * M[k, c]
    cl = 0
    cu = 0
    for k in range(n):
        lp[k] = cl
        for i in range(k + 1, n):
            if M[i, k] != 0.0:
                li[cl] = i
                cl += 1
        up[k] = cu
        for c in range(k + 1, n):
            if M[k, c] != 0.0:
                ui[cu] = c
                cu += 1
    lp[n] = cl
    up[n] = cu
    return True


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _lu_solve_sparse(M, piv, lp, li, up, ui, b):
    """Solve ``M x = b`` in place given ``_lu_factor_sparse`` output (zeros skipped)."""
    n = M.shape[0]
    for k in range(n):
        pk = piv[k]
        if pk != k:
            tmp = b[k]
            b[k] = b[pk]
            b[pk] = tmp
    for k in range(n):
        bk = b[k]
        if bk != 0.0:
            for q in range(lp[k], lp[k + 1]):
                i = li[q]
                b[i] -= M[i, k] * bk
    for i in range(n - 1, -1, -1):
        s = b[i]
        for q in range(up[i], up[i + 1]):
            c = ui[q]
            s -= M[i, c] * b[c]
        b[i] = s * M[i, i]


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _solve(M, piv, sp, b):
    """Dense or sparse triangular solves, as factored by ``_factor``."""
    if sp.shape[0] == 0:
        _lu_solve(M, piv, b)
    else:
        n = M.shape[0]
        _lu_solve_sparse(M, piv, sp[0, : n + 1], sp[1], sp[2, : n + 1], sp[3], b)


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _factor(M, piv, sp):
    """LU of ``M``: dense for small systems, sparse-aware (``sp`` non-empty) for larger ones."""
    if sp.shape[0] == 0:
        return _lu_factor(M, piv)
    n = M.shape[0]
    return _lu_factor_sparse(M, piv, sp[4], sp[0, : n + 1], sp[1], sp[2, : n + 1], sp[3])


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _rodas_segment(
    state,
    y,
    p,
    u,
    t_end,
    t_eval,
    rtol,
    atol,
    max_steps,
    h_max,
    out,
    gi,
    stats,
    K,
    ytmp,
    ynew,
    f0,
    f1,
    dfdt,
    J,
    M,
    piv,
    sp,
    allow_back,
    stop,
):
    """Integrate from ``state[0]`` to ``t_end`` with Rodas4 (stiff); same contract as DOPRI.

    With ``allow_back``, returns ``_SWITCH`` (continue with DOPRI5, starting step in
    ``state[1]``) once Rodas4's steps are no longer worth their cost: ``BACK_COUNT`` accepted
    steps in a row shorter than ``rodas_cost(n)`` times ``state[3]``, the step DOPRI5 was
    held to when it detected stiffness. Transients after the switch are then crossed
    explicitly, which is cheaper per step (the idea of LSODA's method switching).
    """
    n = N_STATES  # a compile-time constant: LLVM unrolls and vectorises the state loops
    t = state[0]
    j = int(state[2])
    n_t = t_eval.size
    h = state[1]
    cost = rodas_cost(n)
    n_small = 0
    n_here = 0
    h_exp = state[3]
    if not (h > 0.0) or not math.isfinite(h):
        h = 1e-6 * max(1.0, t_end - t)
    h = min(h, t_end - t, h_max)
    _f(t, y, p, u, f0)
    stats[STAT_RHS] += 1
    reject_last = False
    reject_more = False
    while t < t_end:
        for i in range(n):
            if not math.isfinite(f0[i]):
                return -ST_NON_FINITE
        jac(t, y, p, J)
        if USES_TIME:
            delta = math.sqrt(2.2e-16) * max(1e-6, abs(t))
            _f(t + delta, y, p, u, dfdt)
            stats[STAT_RHS] += 1
            for i in range(n):
                dfdt[i] = (dfdt[i] - f0[i]) / delta
        accepted = False
        n_singular = 0
        while not accepted:
            if stats[STAT_ACCEPTED] + stats[STAT_REJECTED] >= max_steps:
                return -ST_MAX_STEPS
            if h <= 1e-14 * max(abs(t), 1.0):
                return -ST_STEP_TOO_SMALL
            last = False
            if t + 1.01 * h >= t_end:
                h = t_end - t
                last = True
            ghinv = 1.0 / (h * RO_GAMMA)
            for r in range(n):
                for c in range(n):
                    M[r, c] = -J[r, c]
                M[r, r] += ghinv
            if not _factor(M, piv, sp):
                n_singular += 1
                if n_singular > 5:
                    return -ST_SINGULAR
                h *= 0.5
                continue
            # Six stages, written out (constant coefficients; c_ij / h folded once per step).
            hinv = 1.0 / h
            k1 = K[0]
            k2 = K[1]
            k3 = K[2]
            k4 = K[3]
            k5 = K[4]
            k6 = K[5]
            for i in range(n):
                k1[i] = f0[i] + RG1 * h * dfdt[i] if USES_TIME else f0[i]
            _solve(M, piv, sp, k1)
            for i in range(n):
                ytmp[i] = y[i] + RA21 * k1[i]
            _f(t + RAL2 * h, ytmp, p, u, k2)
            for i in range(n):
                k2[i] += hinv * (RC21 * k1[i])
                if USES_TIME:
                    k2[i] += RG2 * h * dfdt[i]
            _solve(M, piv, sp, k2)
            for i in range(n):
                ytmp[i] = y[i] + RA31 * k1[i] + RA32 * k2[i]
            _f(t + RAL3 * h, ytmp, p, u, k3)
            for i in range(n):
                k3[i] += hinv * (RC31 * k1[i] + RC32 * k2[i])
                if USES_TIME:
                    k3[i] += RG3 * h * dfdt[i]
            _solve(M, piv, sp, k3)
            for i in range(n):
                ytmp[i] = y[i] + RA41 * k1[i] + RA42 * k2[i] + RA43 * k3[i]
            _f(t + RAL4 * h, ytmp, p, u, k4)
            for i in range(n):
                k4[i] += hinv * (RC41 * k1[i] + RC42 * k2[i] + RC43 * k3[i])
                if USES_TIME:
                    k4[i] += RG4 * h * dfdt[i]
            _solve(M, piv, sp, k4)
            for i in range(n):
                ytmp[i] = y[i] + RA51 * k1[i] + RA52 * k2[i] + RA53 * k3[i] + RA54 * k4[i]
            _f(t + h, ytmp, p, u, k5)
            for i in range(n):
                k5[i] += hinv * (RC51 * k1[i] + RC52 * k2[i] + RC53 * k3[i] + RC54 * k4[i])
            _solve(M, piv, sp, k5)
            # Stage 6 state = stage 5 state + k5 (a6j = a5j, a65 = 1); ynew = it + k6.
            for i in range(n):
                ytmp[i] += k5[i]
            _f(t + h, ytmp, p, u, k6)
            for i in range(n):
                k6[i] += hinv * (
                    RC61 * k1[i] + RC62 * k2[i] + RC63 * k3[i] + RC64 * k4[i] + RC65 * k5[i]
                )
            _solve(M, piv, sp, k6)
            stats[STAT_RHS] += 5
            for i in range(n):
                ynew[i] = ytmp[i] + k6[i]
            err = _rms(K[5], y, ynew, rtol, atol)
            if not math.isfinite(err):
                stats[STAT_REJECTED] += 1
                h *= RO_FAC_REJ
                reject_last = True
                continue
            fac = min(RO_FAC_MAX, max(RO_FAC_MIN, SAFE / math.sqrt(math.sqrt(max(err, 1e-10)))))
            h_new = h * fac
            if err <= 1.0:
                accepted = True
                stats[STAT_ACCEPTED] += 1
                stats[STAT_STIFF_STEPS] += 1
                t_new = t_end if last else t + h
                _f(t_new, ynew, p, u, f1)
                stats[STAT_RHS] += 1
                # Cubic Hermite dense output from (y, f0) and (ynew, f1).
                while j < n_t and t_eval[j] <= t_new and t_eval[j] < t_end:
                    x = (t_eval[j] - t) / h
                    h00 = (1.0 + 2.0 * x) * (1.0 - x) ** 2
                    h10 = x * (1.0 - x) ** 2
                    h01 = x * x * (3.0 - 2.0 * x)
                    h11 = x * x * (x - 1.0)
                    for i in range(n):
                        out[i, gi, j] = (
                            h00 * y[i] + h10 * h * f0[i] + h01 * ynew[i] + h11 * h * f1[i]
                        )
                    j += 1
                    if stop[0] >= 0.0 and _stop_after(out, gi, j - 1, t_eval, state, stop):
                        state[2] = j
                        return _STOP
                state[2] = j
                for i in range(n):
                    y[i] = ynew[i]
                    f0[i] = f1[i]
                t = t_new
                if reject_last:
                    h_new = min(h_new, h)
                reject_last = False
                reject_more = False
                h = min(h_new, h_max)
                n_here += 1
                if allow_back and not last:
                    if h < cost * h_exp:
                        n_small += 1
                    else:
                        n_small = 0
                    if n_small >= BACK_COUNT and n_here >= BACK_MIN_STEPS and t < t_end:
                        state[0] = t
                        state[1] = min(h, h_exp)
                        state[2] = j
                        state[4] += 1.0
                        stats[STAT_BACK] += 1
                        return _SWITCH
            else:
                stats[STAT_REJECTED] += 1
                if reject_more:
                    h_new = h * RO_FAC_REJ
                reject_more = reject_last
                reject_last = True
                h = h_new
    state[0] = t_end
    state[1] = h
    state[2] = j
    return _DONE


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _stop_after(out, gi, j, t_eval, state, stop):
    """True if the patient stops after save point ``j`` (just written).

    ``stop = [state index (-1: never), value, grid origin, grid spacing]``: once the state has
    reached the value at a save point (``state[7]`` remembers it), integration goes on to the
    next save time on the grid ``origin + k * spacing`` (at once if spacing <= 0), so that a
    daily summary of the day the condition was met is complete.
    """
    k = int(stop[0])
    if k < 0:
        return False
    if state[7] == 0.0:
        if out[k, gi, j] >= stop[1]:
            state[7] = 1.0
        else:
            return False
    if stop[3] <= 0.0:
        return True
    x = (t_eval[j] - stop[2]) / stop[3]
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def integrate_patient(
    y0,
    p,
    t_eval,
    ev_time,
    ev_end,
    ev_val,
    ev_state,
    ev_kind,
    rtol,
    atol,
    max_steps,
    h_max,
    allow_stiff,
    force_stiff,
    out,
    gi,
    stats,
    stop,
):
    """Integrate one patient over ``t_eval`` with its dose events; write ``out[:, gi, :]``.

    ``stats`` is this patient's row of the statistics table (status bits, accepted, rejected,
    stiff steps, right-hand-side evaluations). ``stop`` is the terminal condition
    ``[state index (-1: none), value, grid origin, grid spacing]`` (see ``_stop_after``); a
    stopped patient's later save points are NaN and its status has ``ST_STOPPED``.
    """
    n = N_STATES
    n_t = t_eval.size
    m = ev_time.size
    y = y0.copy()
    q = np.empty(N_PARAMETERS + N_DERIVED)  # parameters + parameter-only values (derive)
    derive(p, q)
    u = np.zeros(n)
    K = np.empty((11, n))  # 7 stages + 4 interpolant rows
    ytmp = np.empty(n)
    ynew = np.empty(n)
    f0 = np.empty(n)
    f1 = np.empty(n)
    dfdt = np.zeros(n)
    Jm = np.empty((n, n))
    Mm = np.empty((n, n))
    piv = np.empty(n, np.int64)
    # Sparse-LU pattern and scratch rows (lp, li, up, ui, nzc), only for larger models.
    sp = np.empty((5 if n >= SPARSE_LU_MIN_N else 0, n * n + 1), np.int64)
    # [t, h, next save index, explicit step at the last stiff switch, switches back,
    #  stiff steps and non-stiff steps counted towards the stiffness test,
    #  crossed the terminal condition (0/1)]
    state = np.zeros(8)
    state[3] = math.inf
    t = t_eval[0]
    tf = t_eval[n_t - 1]
    j = 0
    stiff = force_stiff
    code = _DONE
    for i in range(n):
        if not math.isfinite(y[i]):
            code = -ST_NON_FINITE
    for i in range(q.size):
        if not math.isfinite(q[i]):
            code = -ST_NON_FINITE
    while code >= 0:
        # Boundary at t: apply boluses due now, then record save points at t (right-continuous).
        for k in range(m):
            if ev_kind[k] == EV_BOLUS and ev_time[k] == t:
                y[ev_state[k]] += ev_val[k]
        while j < n_t and t_eval[j] <= t:
            for i in range(n):
                out[i, gi, j] = y[i]
            j += 1
            if stop[0] >= 0.0 and _stop_after(out, gi, j - 1, t_eval, state, stop):
                code = _STOP
                break
        if code == _STOP:
            state[2] = j
            break
        if t >= tf:
            break
        # Piecewise-constant infusion input and the end of this segment.
        for i in range(n):
            u[i] = 0.0
        seg_end = tf
        for k in range(m):
            if ev_time[k] > t and ev_time[k] < seg_end:
                seg_end = ev_time[k]
            if ev_kind[k] == EV_INFUSION:
                if ev_time[k] <= t and t < ev_end[k]:
                    u[ev_state[k]] += ev_val[k]
                if ev_end[k] > t and ev_end[k] < seg_end:
                    seg_end = ev_end[k]
        any_u = False
        for i in range(n):
            if u[i] != 0.0:
                any_u = True
        uu = u if any_u else u[:0]  # empty: _f skips the add
        state[0] = t
        state[1] = 0.0  # fresh starting step after a boundary
        state[2] = j
        # Within a dose segment the patient may move between the methods either way.
        code = _SWITCH
        while code == _SWITCH:
            if not stiff:
                code = _dopri_segment(
                    state,
                    y,
                    q,
                    uu,
                    seg_end,
                    t_eval,
                    rtol,
                    atol,
                    max_steps,
                    h_max,
                    allow_stiff,
                    out,
                    gi,
                    stats,
                    K,
                    ytmp,
                    ynew,
                    stop,
                )
                if code == _SWITCH:
                    stiff = True
                    stats[STAT_STATUS] |= ST_STIFF
            else:
                code = _rodas_segment(
                    state,
                    y,
                    q,
                    uu,
                    seg_end,
                    t_eval,
                    rtol,
                    atol,
                    max_steps,
                    h_max,
                    out,
                    gi,
                    stats,
                    K,
                    ytmp,
                    ynew,
                    f0,
                    f1,
                    dfdt,
                    Jm,
                    Mm,
                    piv,
                    sp,
                    not force_stiff,
                    stop,
                )
                if code == _SWITCH:
                    stiff = False
        j = int(state[2])
        t = seg_end
        if code == _STOP:
            break
    if code < 0 or code == _STOP:
        stats[STAT_STATUS] |= -code if code < 0 else ST_STOPPED
        j = int(state[2])
        while j < n_t:
            for i in range(n):
                out[i, gi, j] = np.nan
            j += 1
    if force_stiff:
        stats[STAT_STATUS] |= ST_STIFF


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def observe_patient(t_eval, states, p, gi, obs):
    """Evaluate the observables of patient ``gi`` at every save time into ``obs[:, gi, :]``."""
    n_s = states.shape[0]
    n_o = obs.shape[0]
    y = np.empty(n_s)
    o = np.empty(n_o)
    q = np.empty(N_PARAMETERS + N_DERIVED)
    derive(p, q)
    for j in range(t_eval.size):
        for s in range(n_s):
            y[s] = states[s, gi, j]
        observables(t_eval[j], y, q, o)
        for k in range(n_o):
            obs[k, gi, j] = o[k]


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, parallel=True)
def integrate_chunk(
    y0,
    p,
    t_eval,
    ev_time,
    ev_end,
    ev_val,
    ev_state,
    ev_kind,
    rtol,
    atol,
    max_steps,
    h_max,
    allow_stiff,
    force_stiff,
    out,
    obs,
    offset,
    stats,
    stop_state,
    stop_value,
    stop_origin,
    stop_grid,
):
    """Integrate patients ``0..len(y0)`` of a chunk in parallel into ``out[:, offset+i, :]``.

    ``ev_time``, ``ev_end`` and ``ev_val`` are (n, m) (rows may be broadcast views);
    ``ev_state`` and ``ev_kind`` are (m,), shared by all patients. The observables of each
    patient are evaluated right after it is integrated (its states are still in cache) into
    ``obs[:, offset+i, :]``; ``obs`` may have zero rows. The terminal condition: state index
    ``stop_state`` (-1: none) reaching ``stop_value[i]``, then on to the next save time on the
    grid ``stop_origin + k * stop_grid`` (see ``_stop_after``).
    """
    n_pat = y0.shape[0]
    for i in nb.prange(n_pat):
        stop = np.empty(4)
        stop[0] = stop_state
        stop[1] = stop_value[i] if stop_value.size > 1 else stop_value[0]
        stop[2] = stop_origin
        stop[3] = stop_grid
        integrate_patient(
            y0[i],
            p[i],
            t_eval,
            ev_time[i],
            ev_end[i],
            ev_val[i],
            ev_state,
            ev_kind,
            rtol,
            atol,
            max_steps,
            h_max,
            allow_stiff,
            force_stiff,
            out,
            offset + i,
            stats[offset + i],
            stop,
        )
        if obs.shape[0] > 0:
            observe_patient(t_eval, out, p[i], offset + i, obs)
