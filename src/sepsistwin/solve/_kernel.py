"""Per-patient integration kernel (Numba): Dormand-Prince 5(4) with a Rodas4 stiff fallback.

Written against the model hooks ``derive(p, q)`` (parameters plus parameter-only values, once
per patient), ``rhs(t, y, q, dy)``, ``rhs_lanes`` (the same for ``LANES`` patients),
``jac(t, y, q, J)``, ``observables_series(t_eval, states, q, gi, obs)`` (one patient's
observables at every save time) and the constants ``USES_TIME``, ``N_STATES``, ``N_PARAMETERS``,
``N_DERIVED`` and ``LANES``, and against the methods' coefficients of ``_tableau.py``. Here both
are imported at the end of this file (the hooks of ``_hooks.py``, a linear test problem); for a
real model ``compile.py`` fills its module template with the model's generated hooks, the
tableau and this file's source up to those imports, so Numba compiles (and caches on disk) one
kernel per model with the right-hand side inlined. The kernel knows no biology: states are
indices, parameters a vector.

The parts, in the order of this file, each a few small functions (the way diffrax separates
terms, solver, step-size controller and saving):

* **step-size control**: the PI controller of DOPRI5 (``_dopri5_control``, Hairer's DOPRI5
  constants), Rodas4's step factor, the starting step (``_initial_step``), Hairer's stiffness
  test (``_stiff_step``, ``_count_stiffness``) and the pre-attempt check (``_ready``);
* **output**: save points at dose boundaries (``_save_exact``, right-continuous: after any
  bolus at that time), inside DOPRI5 steps (``_save_dopri5``, its 4th-order dense output) and
  Rodas4 steps (``_save_hermite``, cubic Hermite), the terminal condition (``_stop_after``) and
  the NaN fill after a failure;
* **steppers**: one lock-step DOPRI5 attempt over all lanes (``_dopri5_attempt``), one Rodas4
  attempt (``_rodas4_attempt``: Hairer & Wanner's RODAS, 6 stages, order 4(3), analytic
  Jacobian, dense or sparse-aware LU) and the Rodas4 segment loop (``_rodas_segment``);
* **the lane state machine**: ``integrate_block`` runs blocks of patients on ``LANES`` lanes; a
  lane holds one patient's whole integrator state (named rows ``LS_*`` of ``LS``) and a phase
  (``PH_*``), each phase one function (``_phase_load``, ``_phase_boundary``, ``_phase_dopri``,
  ``_phase_check``, ``_phase_step``, ``_phase_rodas``, ``_phase_finish``). DOPRI5 attempts run
  in lock step over the lanes stage by stage (independent patients' right-hand sides overlap
  in the CPU); all other work is per lane. Arguments travel in a few bundles (tuples).

Per patient:

* the horizon ``[t_eval[0], t_eval[-1]]`` is split at dose times (bolus times, infusion starts
  and ends); at each boundary boluses are added to their state, the piecewise-constant infusion
  input ``u`` is recomputed, and integration restarts from scratch (fresh derivative, fresh
  initial step), so no step straddles a discontinuity;
* stiffness: Hairer's test (h*|lambda| > 3.25 on 15 accepted steps), applied per component, or a
  step-size collapse switches that patient to Rodas4. Rodas4 hands the patient back to DOPRI5
  when its own steps are no longer worth their cost (shorter than ``rodas_cost(n)`` times the
  step DOPRI5 was held to); each hand-back doubles the evidence needed to switch again;
* failures stop that patient only, fill its remaining save points with NaN and set its status
  bits (see ``status.py``); other patients are unaffected.

Every helper that runs per step or per phase is inlined into ``integrate_block`` at Numba's IR
level (``inline="always"``), so the split into small functions costs nothing at run time, and no
array views are taken per step: a compiled call increments and decrements the reference count
of every array argument with atomic operations, which cost ~20 % of the integration time.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numba.core import cgutils
from numba.core import types as nbt
from numba.extending import intrinsic

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

# Rodas4 step control (coefficients: RODAS4 in _tableau.py).
RO_FAC_MIN = 0.2
RO_FAC_MAX = 6.0
RO_FAC_REJ = 0.1
SPARSE_LU_MIN_N = 12  # from this many states on, the LU skips zeros (_lu_factor_sparse)
# Switching back from Rodas4 to DOPRI5 (see _rodas_segment).
BACK_COUNT = 3
BACK_MIN_STEPS = 3
BLOCK = 128  # patients per parallel block (each block runs on LANES interleaved lanes)


@intrinsic
def _as_voidptr(typingctx, addr):
    """The integer address ``addr`` as a ``void*`` (for ``nb.carray``)."""

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return nbt.voidptr(addr), codegen


@nb.njit(cache=True, inline="always")
def _borrow(a):
    """A view of the C-contiguous array ``a`` without a reference count (``meminfo`` NULL).

    Every array a compiled function binds (an argument, an inlined helper's parameter, a row
    view) costs an atomic increment and decrement of its owner's reference count; in the
    per-step code those were ~7 % of the integration time (perf). The block's working arrays
    are used through borrowed views, so those updates are tests of a NULL pointer. The caller
    keeps the owner alive for as long as the view is used (a use of the owner after the last
    use of the view).
    """
    return nb.carray(_as_voidptr(a.ctypes.data), a.shape, a.dtype)  # type: ignore[call-arg]


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def rodas_cost(n):
    """Cost of a Rodas4 step in DOPRI5 steps for ``n`` states (both make 6 RHS calls; Rodas4
    adds a Jacobian, an LU and six solves). Through ~2.5 for Reynolds (n=4) and
    7.9 for the full sepsistwin model (about 50 states: 12.1 against 1.5 us per attempt, one
    thread, trial patients, every patient on one method; the older 2.2 + 0.08 n gave 6.4 there,
    and the trial's patients then spent ~5 % more CPU in Rodas4 than DOPRI5 would have). The
    branch-free sparse LU brought the measured ratio to ~6.8; the fit is
    not redone yet."""
    return 2.08 + 0.11 * n


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _f(t, y, p, u, dy):
    """Model right-hand side plus the piecewise-constant infusion input.

    ``u`` is empty in segments without an active infusion (the common case), which skips the add.
    """
    rhs(t, y, p, dy)
    for i in range(u.size):
        dy[i] += u[i]


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _lu_factor_sparse(M, piv, nzc, lp, li, up, ui):
    """``_lu_factor`` for larger, sparse matrices; also records the nonzero pattern.

    Row updates only touch the nonzero columns of the pivot row (``nzc`` is scratch of at
    least ``2 n``: the pivot row's nonzero columns, then the pivot column's rows), and the
    pattern of L (by column: ``li[lp[k]:lp[k+1]]``) and of U (by row: ``ui[up[k]:up[k+1]]``)
    lets ``_lu_solve_sparse`` skip the zeros: the full immune model has ~8 % nonzeros.
    Same operations on the nonzeros as the dense version.
    """
    n = M.shape[0]
    for k in range(n):
        if not _pivot(M, k, piv):
            return False
        inv = 1.0 / M[k, k]
        M[k, k] = inv
        # Nonzero columns of the pivot row (nzc[:cnt]) and rows of the pivot column
        # (nzc[n:n + rcnt]), collected without branches: whether an entry is zero follows no
        # pattern the branch predictor could learn, and mispredictions dominated this loop.
        cnt = 0
        for c in range(k + 1, n):
            nzc[cnt] = c
            cnt += 1 if M[k, c] != 0.0 else 0
        rcnt = 0
        for i in range(k + 1, n):
            nzc[n + rcnt] = i
            rcnt += 1 if M[i, k] != 0.0 else 0
        for r in range(rcnt):
            i = nzc[n + r]
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
            li[cl] = i
            cl += 1 if M[i, k] != 0.0 else 0
        up[k] = cu
        for c in range(k + 1, n):
            ui[cu] = c
            cu += 1 if M[k, c] != 0.0 else 0
    lp[n] = cl
    up[n] = cu
    return True


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _solve(M, piv, sp, b):
    """Dense or sparse triangular solves, as factored by ``_factor``."""
    if sp.shape[0] == 0:
        _lu_solve(M, piv, b)
    else:
        n = M.shape[0]
        _lu_solve_sparse(M, piv, sp[0, : n + 1], sp[1], sp[2, : n + 1], sp[3], b)


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _factor(M, piv, sp):
    """LU of ``M``: dense for small systems, sparse-aware (``sp`` non-empty) for larger ones."""
    if sp.shape[0] == 0:
        return _lu_factor(M, piv)
    n = M.shape[0]
    return _lu_factor_sparse(M, piv, sp[4], sp[0, : n + 1], sp[1], sp[2, : n + 1], sp[3])


# Lane record rows (LS[row, lane]; one patient's integrator state). Rows LS_T..LS_CROSSED are
# the segment state that ``_rodas_segment`` and ``_stop_after`` read and write (as a 1-D record
# ``state`` of the same layout).
LS_T = 0  # time
LS_H = 1  # step size
LS_J = 2  # next save index
LS_H_EXP = 3  # the explicit step DOPRI5 was held to at the last stiff switch
LS_BACK = 4  # switches back from Rodas4 to DOPRI5
LS_NSTIFF = 5  # stiff steps counted towards the stiffness test
LS_NNONSTIFF = 6  # non-stiff steps counted towards the stiffness test
LS_CROSSED = 7  # the terminal condition was crossed (0/1)
LS_SEG_END = 8  # end of the current dose segment
LS_LFAC = 9  # log of the previous accepted error (PI controller memory)
LS_STIFF_COUNT = 10  # stiff steps needed to switch to Rodas4
LS_REJECT = 11  # the previous attempt was rejected (0/1)
LS_LAST = 12  # this attempt ends the segment (0/1)
N_LS = 13

# Terminal-condition record (``stop``; ``STOPS[lane]``).
STOP_STATE = 0  # state index (-1: never)
STOP_VALUE = 1  # the value that, once reached at a save point, stops the patient
STOP_ORIGIN = 2  # origin of the grid of save times to stop on
STOP_GRID = 3  # grid spacing (<= 0: stop at once)
N_STOP = 4


# ---- step-size control ------------------------------------------------------------------------


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _dopri5_control(h, err2, lfac):
    """PI control of a DOPRI5 attempt of size ``h`` (Hairer's DOPRI5 controller).

    ``err2``: the attempt's squared scaled RMS error; ``lfac``: log of the last accepted error.
    Returns ``(accepted, h_next, lfac_next)``: the step to try next (before the caps applied by
    the caller) and the controller's memory. A non-finite error (a stage left the domain) is a
    rejection with the largest decrease. ``err**EXPO1 / facold**BETA`` is one log and one exp
    (two pow calls cost more).
    """
    if not math.isfinite(err2):
        return False, h * FAC_MIN, lfac
    lerr = 0.5 * math.log(err2) if err2 > 1e-300 else -345.0
    if err2 > 1.0:
        return False, h / min(1.0 / FAC_MIN, math.exp(EXPO1 * lerr) / SAFE), lfac
    fac = math.exp(EXPO1 * lerr - BETA * lfac)
    fac = max(1.0 / FAC_MAX, min(1.0 / FAC_MIN, fac / SAFE))
    return True, h / fac, max(lerr, LOG_ERR_MIN)


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _rodas4_factor(err):
    """Step-size factor after a Rodas4 attempt with scaled RMS error ``err`` (order 4(3))."""
    return min(RO_FAC_MAX, max(RO_FAC_MIN, SAFE / math.sqrt(math.sqrt(max(err, 1e-10)))))


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _stiff_step(h, YT, YN, k6, k7, ln):
    """Hairer's stiffness test on lane ``ln``'s accepted DOPRI5 step of size ``h``.

    ``h*|lambda| > STIFF_LIMIT``, with lambda estimated from the two evaluations at ``t + h``
    (stage 6 in ``YT``/``k6``, the solution in ``YN``/``k7``), per component: a state decaying
    far below atol (P after clearance) caps the step by stability while the whole-vector norm
    only sees the O(1) states. Differences at rounding level are ignored.
    """
    L = LANES
    stiff = False
    for i in range(N_STATES):
        c = i * L + ln
        dyi = abs(YN[c] - YT[c])
        if dyi > 1e-13 * abs(YN[c]) and h * abs(k7[c] - k6[c]) > STIFF_LIMIT * dyi:
            stiff = True
    return stiff


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _count_stiffness(LS, ln, stiff):
    """Count lane ``ln``'s step towards the stiffness test: ``STIFF_COUNT``-like stiff steps in
    a row switch to Rodas4; ``NONSTIFF_RESET`` non-stiff steps in a row forget them."""
    if stiff:
        LS[LS_NNONSTIFF, ln] = 0.0
        LS[LS_NSTIFF, ln] += 1.0
    else:
        LS[LS_NNONSTIFF, ln] += 1.0
        if LS[LS_NNONSTIFF, ln] == NONSTIFF_RESET:
            LS[LS_NSTIFF, ln] = 0.0


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _ready(LS, ln, n_attempts, max_steps):
    """Before an attempt, the common case: within the step budget and no collapsed step. Then
    clip the step to the segment end (marking the last step) and return True; otherwise return
    False and leave the decision (give up, or switch to Rodas4) to the caller."""
    t = LS[LS_T, ln]
    h = LS[LS_H, ln]
    if n_attempts >= max_steps or h <= 1e-14 * max(abs(t), 1.0):
        return False
    seg_end = LS[LS_SEG_END, ln]
    last = t + 1.01 * h >= seg_end
    if last:
        LS[LS_H, ln] = seg_end - t
    LS[LS_LAST, ln] = 1.0 if last else 0.0
    return True


# ---- output: save points, the terminal condition, failures ------------------------------------


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _stop_after(out, gi, j, t_eval, state, stop):
    """True if the patient stops after save point ``j`` (just written).

    ``stop = [state index (-1: never), value, grid origin, grid spacing]``: once the state has
    reached the value at a save point (``state[LS_CROSSED]`` remembers it), integration goes on
    to the next save time on the grid ``origin + k * spacing`` (at once if spacing <= 0), so that
    a daily summary of the day the condition was met is complete.
    """
    k = int(stop[STOP_STATE])
    if k < 0:
        return False
    if state[LS_CROSSED] == 0.0:
        if out[k, gi, j] >= stop[STOP_VALUE]:
            state[LS_CROSSED] = 1.0
        else:
            return False
    if stop[STOP_GRID] <= 0.0:
        return True
    x = (t_eval[j] - stop[STOP_ORIGIN]) / stop[STOP_GRID]
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _lane_stops(out, gi, j, t_eval, LS, ln, st, STOPS):
    """``_stop_after`` for the patient on lane ``ln`` (its crossed flag lives in
    ``LS[LS_CROSSED, ln]``, ``st`` is scratch)."""
    st[LS_CROSSED] = LS[LS_CROSSED, ln]
    hit = _stop_after(out, gi, j, t_eval, st, STOPS[ln])
    LS[LS_CROSSED, ln] = st[LS_CROSSED]
    return hit


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _save_exact(out, gi, j, t, t_eval, Y, LS, ln, st, STOPS):
    """Save lane ``ln``'s state at every save time ``<= t`` from index ``j`` on (the state at
    a dose boundary, after its boluses: right-continuous). Returns ``(next j, stopped)``."""
    L = LANES
    n_t = t_eval.size
    while j < n_t and t_eval[j] <= t:
        for k in range(N_STATES):
            out[k, gi, j] = Y[k * L + ln]
        j += 1
        if STOPS[ln, STOP_STATE] >= 0.0 and _lane_stops(out, gi, j - 1, t_eval, LS, ln, st, STOPS):
            return j, True
    return j, False


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _dopri5_dense_coefficients(Q, h, k1, k3, k4, k5, k6, k7, ln):
    """Rows of ``Q``: lane ``ln``'s continuous extension over its accepted DOPRI5 step,
    ``y(t + x h) = y + sum_k Q[k] x**(k + 1)`` (``DOPRI5.dense``; stage 2 has no weight)."""
    L = LANES
    for i in range(N_STATES):
        c = i * L + ln
        Q[0, i] = h * P10 * k1[c]
        Q[1, i] = h * (
            P11 * k1[c] + P31 * k3[c] + P41 * k4[c] + P51 * k5[c] + P61 * k6[c] + P71 * k7[c]
        )
        Q[2, i] = h * (
            P12 * k1[c] + P32 * k3[c] + P42 * k4[c] + P52 * k5[c] + P62 * k6[c] + P72 * k7[c]
        )
        Q[3, i] = h * (
            P13 * k1[c] + P33 * k3[c] + P43 * k4[c] + P53 * k5[c] + P63 * k6[c] + P73 * k7[c]
        )


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _save_dopri5(out, gi, j, t, h, t_new, seg_end, t_eval, Y, stages, Q, LS, ln, st, STOPS):
    """Save points in ``(t, t_new]``, strictly before the segment end, from lane ``ln``'s
    accepted DOPRI5 step (dense output). Returns ``(next j, stopped)``."""
    k1, k2, k3, k4, k5, k6, k7, YT, YN, TT, E2 = stages
    L = LANES
    n_t = t_eval.size
    if not (j < n_t and t_eval[j] <= t_new and t_eval[j] < seg_end):
        return j, False
    _dopri5_dense_coefficients(Q, h, k1, k3, k4, k5, k6, k7, ln)  # once per step
    hinv = 1.0 / h
    while j < n_t and t_eval[j] <= t_new and t_eval[j] < seg_end:
        x = (t_eval[j] - t) * hinv
        for i in range(N_STATES):
            out[i, gi, j] = Y[i * L + ln] + x * (
                Q[0, i] + x * (Q[1, i] + x * (Q[2, i] + x * Q[3, i]))
            )
        j += 1
        if STOPS[ln, STOP_STATE] >= 0.0 and _lane_stops(out, gi, j - 1, t_eval, LS, ln, st, STOPS):
            return j, True
    return j, False


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _save_hermite(out, gi, j, t, h, t_new, t_end, t_eval, y, f0, ynew, f1, state, stop):
    """Save points in ``(t, t_new]``, strictly before ``t_end``, from an accepted Rodas4 step:
    cubic Hermite interpolation of ``(y, f0)`` and ``(ynew, f1)``. Returns ``(next j,
    stopped)``."""
    n_t = t_eval.size
    while j < n_t and t_eval[j] <= t_new and t_eval[j] < t_end:
        x = (t_eval[j] - t) / h
        h00 = (1.0 + 2.0 * x) * (1.0 - x) ** 2
        h10 = x * (1.0 - x) ** 2
        h01 = x * x * (3.0 - 2.0 * x)
        h11 = x * x * (x - 1.0)
        for i in range(N_STATES):
            out[i, gi, j] = h00 * y[i] + h10 * h * f0[i] + h01 * ynew[i] + h11 * h * f1[i]
        j += 1
        if stop[STOP_STATE] >= 0.0 and _stop_after(out, gi, j - 1, t_eval, state, stop):
            return j, True
    return j, False


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _fill_failed(out, gi, j, n_t):
    """NaN at save points ``j..n_t - 1`` of patient ``gi`` (after a failure or a stop)."""
    for jj in range(j, n_t):
        for k in range(N_STATES):
            out[k, gi, jj] = np.nan


# ---- steppers ---------------------------------------------------------------------------------


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _f_lanes(T, Y, q, U, DY):
    """Right-hand sides of all lanes plus their infusion inputs (zero when none is running).

    Lane arrays are flat, ``x[i * LANES + lane]``: with constant offsets the generated code's
    hundreds of distinct state and parameter reads need no stride arithmetic (2-D indexing
    made the full sepsistwin model ~25 % slower).
    """
    if LANES == 1:
        # One lane is the scalar layout: the plain right-hand side (no loop around it) lets LLVM
        # optimise a large model's straight-line code as before lanes existed.
        rhs(T[0], Y, q, DY)
    else:
        rhs_lanes(T, Y, q, DY)
    L = LANES
    for i in range(N_STATES):
        for ln in range(L):
            c = i * L + ln
            DY[c] += U[c]


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def _dopri5_attempt(Y, stages, U, QL, LS, rtol, atol):
    """One DOPRI5 attempt on every lane, stage by stage (coefficients: ``DOPRI5``).

    ``stages = (k1, ..., k7, YT, YN, TT, E2)``: stage derivatives (``k1`` holds f(t, y) on entry:
    first same as last), stage states in ``YT`` (stage 6 left there for the stiffness test),
    the 5th-order solution in ``YN``, stage times in ``TT`` and the squared scaled error norms
    (times n) in ``E2``. Stages are separate arrays, not rows of one (a row view costs
    reference-count updates per call).
    """
    k1, k2, k3, k4, k5, k6, k7, YT, YN, TT, E2 = stages
    n = N_STATES
    L = LANES
    for i in range(n):
        for ln in range(L):
            c = i * L + ln
            YT[c] = Y[c] + LS[LS_H, ln] * A21 * k1[c]
    for ln in range(L):
        TT[ln] = LS[LS_T, ln] + C2 * LS[LS_H, ln]
    _f_lanes(TT, YT, QL, U, k2)
    for i in range(n):
        for ln in range(L):
            c = i * L + ln
            YT[c] = Y[c] + LS[LS_H, ln] * (A31 * k1[c] + A32 * k2[c])
    for ln in range(L):
        TT[ln] = LS[LS_T, ln] + C3 * LS[LS_H, ln]
    _f_lanes(TT, YT, QL, U, k3)
    for i in range(n):
        for ln in range(L):
            c = i * L + ln
            YT[c] = Y[c] + LS[LS_H, ln] * (A41 * k1[c] + A42 * k2[c] + A43 * k3[c])
    for ln in range(L):
        TT[ln] = LS[LS_T, ln] + C4 * LS[LS_H, ln]
    _f_lanes(TT, YT, QL, U, k4)
    for i in range(n):
        for ln in range(L):
            c = i * L + ln
            YT[c] = Y[c] + LS[LS_H, ln] * (A51 * k1[c] + A52 * k2[c] + A53 * k3[c] + A54 * k4[c])
    for ln in range(L):
        TT[ln] = LS[LS_T, ln] + C5 * LS[LS_H, ln]
    _f_lanes(TT, YT, QL, U, k5)
    for i in range(n):
        for ln in range(L):
            c = i * L + ln
            YT[c] = Y[c] + LS[LS_H, ln] * (
                A61 * k1[c] + A62 * k2[c] + A63 * k3[c] + A64 * k4[c] + A65 * k5[c]
            )
    for ln in range(L):
        TT[ln] = LS[LS_SEG_END, ln] if LS[LS_LAST, ln] != 0.0 else LS[LS_T, ln] + LS[LS_H, ln]
    _f_lanes(TT, YT, QL, U, k6)
    for i in range(n):
        for ln in range(L):
            c = i * L + ln
            YN[c] = Y[c] + LS[LS_H, ln] * (
                B1 * k1[c] + B3 * k3[c] + B4 * k4[c] + B5 * k5[c] + B6 * k6[c]
            )
    _f_lanes(TT, YN, QL, U, k7)
    # Squared scaled RMS error, weights atol + rtol*max(|y|, |ynew|) (no sqrt needed: the
    # controller works with its log).
    for ln in range(L):
        E2[ln] = 0.0
    for i in range(n):
        for ln in range(L):
            c = i * L + ln
            r = LS[LS_H, ln] * (
                E1 * k1[c] + E3 * k3[c] + E4 * k4[c] + E5 * k5[c] + E6 * k6[c] + E7 * k7[c]
            )
            r /= atol[i] + rtol[i] * max(abs(Y[c]), abs(YN[c]))
            E2[ln] += r * r


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _rodas4_attempt(t, h, y, p, u, work, rtol, atol):
    """One Rodas4 attempt of size ``h`` from ``(t, y)`` (coefficients: ``RODAS4``), with the
    matrix ``I/(gamma h) - J`` already factored in ``work``.

    Stages in ``K`` (rows), the new solution in ``ynew``; returns the scaled RMS error (the
    last stage is the error estimate: the method is stiffly accurate). The six stages are
    written out (constant coefficients; c_ij / h folded once per step).
    """
    st, ys, K, Q, ytmp, ynew, f0, f1, dfdt, J, M, piv, sp = work
    n = N_STATES
    k1 = K[0]
    k2 = K[1]
    k3 = K[2]
    k4 = K[3]
    k5 = K[4]
    k6 = K[5]
    hinv = 1.0 / h
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
        k6[i] += hinv * (RC61 * k1[i] + RC62 * k2[i] + RC63 * k3[i] + RC64 * k4[i] + RC65 * k5[i])
    _solve(M, piv, sp, k6)
    for i in range(n):
        ynew[i] = ytmp[i] + k6[i]
    return _rms(k6, y, ynew, rtol, atol)


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _rodas_segment(state, y, p, u, t_end, problem, control, output, gi, work, stop):
    """Integrate from ``state[LS_T]`` to ``t_end`` with Rodas4 (stiff); same contract as DOPRI5.

    ``state``: the lane's record (``LS_*`` layout); ``y``, ``p``, ``u``: its state,
    parameters and infusion input; the bundles as in ``integrate_block``. Unless every step is
    forced to be stiff, returns ``_SWITCH`` (continue with DOPRI5, starting step in
    ``state[LS_H]``) once Rodas4's steps are no longer worth their cost: ``BACK_COUNT`` accepted
    steps in a row shorter than ``rodas_cost(n)`` times ``state[LS_H_EXP]``, the step DOPRI5 was
    held to when it detected stiffness. Transients after the switch are then crossed
    explicitly, which is cheaper per step (the idea of LSODA's method switching).
    """
    y0_, p_, t_eval = problem
    rtol, atol, max_steps, h_max, allow_stiff, force_stiff = control
    out, obs, offset, stats = output
    st, ys, K, Q, ytmp, ynew, f0, f1, dfdt, J, M, piv, sp = work
    allow_back = not force_stiff
    n = N_STATES  # a compile-time constant: LLVM unrolls and vectorises the state loops
    t = state[LS_T]
    j = int(state[LS_J])
    h = state[LS_H]
    cost = rodas_cost(n)
    n_small = 0
    n_here = 0
    h_exp = state[LS_H_EXP]
    if not (h > 0.0) or not math.isfinite(h):
        h = 1e-6 * max(1.0, t_end - t)
    h = min(h, t_end - t, h_max)
    _f(t, y, p, u, f0)
    stats[gi, STAT_RHS] += 1
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
            stats[gi, STAT_RHS] += 1
            for i in range(n):
                dfdt[i] = (dfdt[i] - f0[i]) / delta
        accepted = False
        n_singular = 0
        while not accepted:
            if stats[gi, STAT_ACCEPTED] + stats[gi, STAT_REJECTED] >= max_steps:
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
            err = _rodas4_attempt(t, h, y, p, u, work, rtol, atol)
            stats[gi, STAT_RHS] += 5
            if not math.isfinite(err):
                stats[gi, STAT_REJECTED] += 1
                h *= RO_FAC_REJ
                reject_last = True
                continue
            h_new = h * _rodas4_factor(err)
            if err <= 1.0:
                accepted = True
                stats[gi, STAT_ACCEPTED] += 1
                stats[gi, STAT_STIFF_STEPS] += 1
                t_new = t_end if last else t + h
                _f(t_new, ynew, p, u, f1)
                stats[gi, STAT_RHS] += 1
                j, stopped = _save_hermite(
                    out, gi, j, t, h, t_new, t_end, t_eval, y, f0, ynew, f1, state, stop
                )
                state[LS_J] = j
                if stopped:
                    return _STOP
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
                        state[LS_T] = t
                        state[LS_H] = min(h, h_exp)
                        state[LS_J] = j
                        state[LS_BACK] += 1.0
                        stats[gi, STAT_BACK] += 1
                        return _SWITCH
            else:
                stats[gi, STAT_REJECTED] += 1
                if reject_more:
                    h_new = h * RO_FAC_REJ
                reject_more = reject_last
                reject_last = True
                h = h_new
    state[LS_T] = t_end
    state[LS_H] = h
    state[LS_J] = j
    return _DONE


# ---- the lane state machine: one function per phase --------------------------------------------
# Lane phases: what a lane needs next. Only PH_STEP lanes take part in a lock-step attempt.
PH_IDLE = 0  # no patient left for this lane
PH_LOAD = 1  # take the next patient
PH_BOUNDARY = 2  # at a dose boundary (or the start): boluses, save points, next segment
PH_RODAS = 3  # run Rodas4 to the segment end or a switch back
PH_DOPRI = 4  # (re)start DOPRI5: fresh derivative and starting step
PH_CHECK = 5  # before an attempt: step budget, step collapse, last step of the segment
PH_STEP = 6  # ready for a DOPRI5 attempt; after it, step control (``_phase_step``)
PH_FINISH = 7  # the patient is done (``CODE`` says how): NaN-fill, status, observables
#
# Bundles shared by the phases (tuples of borrowed views, see ``integrate_block``):
# ``lanes = (Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS)``: per-lane state, the
# lock-step arrays flat (``x[i * LANES + lane]``), the others one row per lane;
# ``stages = (k1, ..., k7, YT, YN, TT, E2)``: the DOPRI5 attempt's arrays;
# ``work = (st, ys, K, Q, ytmp, ynew, f0, f1, dfdt, J, M, piv, sp)``: one lane's scalar scratch.


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_load(ln, i, problem, control, terminal, lanes):
    """PH_LOAD: put chunk patient ``i`` on lane ``ln``: state, derived parameters, a fresh
    record; a non-finite initial state or parameter fails it at once."""
    y0, p, t_eval = problem
    rtol, atol, max_steps, h_max, allow_stiff, force_stiff = control
    stop_state, stop_value, stop_origin, stop_grid = terminal
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    L = LANES
    nq = N_PARAMETERS + N_DERIVED
    PAT[ln] = i
    q = QS[ln]
    derive(p[i], q)
    code = _DONE
    for k in range(N_STATES):
        Y[k * L + ln] = y0[i, k]
        if not math.isfinite(y0[i, k]):
            code = -ST_NON_FINITE
    for k in range(nq):
        QL[k * L + ln] = q[k]
        if not math.isfinite(q[k]):
            code = -ST_NON_FINITE
    for k in range(N_LS):
        LS[k, ln] = 0.0
    LS[LS_H_EXP, ln] = math.inf
    LS[LS_T, ln] = t_eval[0]
    STIFF[ln] = force_stiff
    STOPS[ln, STOP_STATE] = stop_state
    STOPS[ln, STOP_VALUE] = stop_value[i] if stop_value.size > 1 else stop_value[0]
    STOPS[ln, STOP_ORIGIN] = stop_origin
    STOPS[ln, STOP_GRID] = stop_grid
    CODE[ln] = code
    PH[ln] = PH_BOUNDARY if code == _DONE else PH_FINISH


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_idle(ln, lanes):
    """PH_IDLE: no patient left; the lane rides along in lock-step attempts without moving."""
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    PH[ln] = PH_IDLE
    LS[LS_H, ln] = 0.0
    for k in range(N_STATES):
        U[k * LANES + ln] = 0.0


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_boundary(ln, gi, problem, events, lanes, output, work):
    """PH_BOUNDARY: at a dose boundary (or the start) apply the boluses due now, save the
    points at t (right-continuous), then set up the next dose segment: its end and the
    piecewise-constant infusion input; integration restarts there with a fresh step."""
    y0, p, t_eval = problem
    ev_time, ev_end, ev_val, ev_state, ev_kind = events
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    out, obs, offset, stats = output
    st = work[0]
    n = N_STATES
    L = LANES
    m = ev_kind.size
    tf = t_eval[t_eval.size - 1]
    i = PAT[ln]
    t = LS[LS_T, ln]
    for k in range(m):
        if ev_kind[k] == EV_BOLUS and ev_time[i, k] == t:
            Y[ev_state[k] * L + ln] += ev_val[i, k]
    j, stopped = _save_exact(out, gi, int(LS[LS_J, ln]), t, t_eval, Y, LS, ln, st, STOPS)
    LS[LS_J, ln] = j
    if stopped:
        CODE[ln] = _STOP
        PH[ln] = PH_FINISH
        return
    if t >= tf:
        CODE[ln] = _DONE
        PH[ln] = PH_FINISH
        return
    u = US[ln]
    for k in range(n):
        u[k] = 0.0
    seg_end = tf
    for k in range(m):
        if ev_time[i, k] > t and ev_time[i, k] < seg_end:
            seg_end = ev_time[i, k]
        if ev_kind[k] == EV_INFUSION:
            if ev_time[i, k] <= t and t < ev_end[i, k]:
                u[ev_state[k]] += ev_val[i, k]
            if ev_end[i, k] > t and ev_end[i, k] < seg_end:
                seg_end = ev_end[i, k]
    any_u = False
    for k in range(n):
        U[k * L + ln] = u[k]
        if u[k] != 0.0:
            any_u = True
    ANY_U[ln] = any_u
    LS[LS_SEG_END, ln] = seg_end
    LS[LS_H, ln] = 0.0  # fresh starting step after a boundary
    # Within a dose segment the patient may move between the methods either way.
    PH[ln] = PH_RODAS if STIFF[ln] else PH_DOPRI


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_rodas(ln, gi, problem, control, lanes, output, work):
    """PH_RODAS: run Rodas4 on the lane's patient to the segment end (then PH_BOUNDARY), to a
    switch back to DOPRI5 (PH_DOPRI), or to a stop or failure (PH_FINISH)."""
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    st, ys, K, Q, ytmp, ynew, f0, f1, dfdt, J, M, piv, sp = work
    L = LANES
    row = US[ln]
    uu = row if ANY_U[ln] else row[:0]  # empty: _f skips the add
    for k in range(N_STATES):
        ys[k] = Y[k * L + ln]
    for k in range(N_LS):
        st[k] = LS[k, ln]
    code = _rodas_segment(
        st, ys, QS[ln], uu, LS[LS_SEG_END, ln], problem, control, output, gi, work, STOPS[ln]
    )
    for k in range(N_STATES):
        Y[k * L + ln] = ys[k]
    for k in range(N_LS):
        LS[k, ln] = st[k]
    if code == _SWITCH:
        STIFF[ln] = False
        PH[ln] = PH_DOPRI
    elif code == _DONE:
        PH[ln] = PH_BOUNDARY  # t is the segment end
    else:
        CODE[ln] = code
        PH[ln] = PH_FINISH


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_dopri(ln, gi, control, lanes, output, work, stages, stiff_base):
    """PH_DOPRI: (re)start DOPRI5 on the lane, as on entering a segment: a fresh derivative
    (``k1``), a starting step (Hairer's heuristic, or Rodas4's estimate of the stable explicit
    step when coming back from it) and a fresh controller memory."""
    rtol, atol, max_steps, h_max, allow_stiff, force_stiff = control
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    out, obs, offset, stats = output
    st, ys, K, Q, ytmp, ynew, f0, f1, dfdt, J, M, piv, sp = work
    k1 = stages[0]
    L = LANES
    row = US[ln]
    uu = row if ANY_U[ln] else row[:0]
    t = LS[LS_T, ln]
    for k in range(N_STATES):
        ys[k] = Y[k * L + ln]
    _f(t, ys, QS[ln], uu, f0)
    stats[gi, STAT_RHS] += 1
    finite = True
    for k in range(N_STATES):
        k1[k * L + ln] = f0[k]
        if not math.isfinite(f0[k]):
            finite = False
    if not finite:
        CODE[ln] = -ST_NON_FINITE
        PH[ln] = PH_FINISH
        return
    hmax = min(h_max, LS[LS_SEG_END, ln] - t)
    if LS[LS_H, ln] > 0.0:
        # Coming back from Rodas4: its estimate of the stable explicit step.
        LS[LS_H, ln] = min(LS[LS_H, ln], hmax)
    else:
        LS[LS_H, ln] = _initial_step(t, ys, f0, QS[ln], uu, rtol, atol, hmax, ytmp, f1)
        stats[gi, STAT_RHS] += 1
    LS[LS_LFAC, ln] = math.log(1e-4)
    # Evidence needed to switch to Rodas4: Hairer's 15 stiff steps, scaled by what a Rodas4
    # step costs relative to a small model's, doubled by each switch back (no ping-pong). The
    # stiff/non-stiff counts carry over dose boundaries (q8h antibiotics must not reset them).
    LS[LS_STIFF_COUNT, ln] = stiff_base << min(int(LS[LS_BACK, ln]), 4)
    LS[LS_REJECT, ln] = 0.0
    PH[ln] = PH_CHECK


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _to_rodas(ln, gi, lanes, stats):
    """Switch lane ``ln``'s patient to Rodas4 (stiffness detected, or DOPRI5's step
    collapsed); the stiffness counts start again."""
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    LS[LS_NSTIFF, ln] = 0.0
    LS[LS_NNONSTIFF, ln] = 0.0
    STIFF[ln] = True
    stats[gi, STAT_STATUS] |= ST_STIFF
    PH[ln] = PH_RODAS


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_check(ln, gi, control, lanes, output):
    """PH_CHECK: before an attempt: ready (PH_STEP), out of steps (PH_FINISH), or the step
    collapsed: Rodas4 if allowed, else a failure."""
    rtol, atol, max_steps, h_max, allow_stiff, force_stiff = control
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    out, obs, offset, stats = output
    n_att = stats[gi, STAT_ACCEPTED] + stats[gi, STAT_REJECTED]
    if _ready(LS, ln, n_att, max_steps):
        PH[ln] = PH_STEP
    elif n_att >= max_steps:
        CODE[ln] = -ST_MAX_STEPS
        PH[ln] = PH_FINISH
    elif allow_stiff:
        LS[LS_H, ln] = 0.0
        LS[LS_H_EXP, ln] = 0.0  # no explicit step to go back to
        _to_rodas(ln, gi, lanes, stats)
    else:
        CODE[ln] = -ST_STEP_TOO_SMALL
        PH[ln] = PH_FINISH


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_finish(ln, gi, problem, control, lanes, output):
    """PH_FINISH: close the lane's patient: NaN after a stop or failure, status bits, its
    observables at every save time (its states are still in cache); then load the next."""
    y0, p, t_eval = problem
    rtol, atol, max_steps, h_max, allow_stiff, force_stiff = control
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    out, obs, offset, stats = output
    code = CODE[ln]
    if code < 0 or code == _STOP:
        stats[gi, STAT_STATUS] |= -code if code < 0 else ST_STOPPED
        _fill_failed(out, gi, int(LS[LS_J, ln]), t_eval.size)
    if force_stiff:
        stats[gi, STAT_STATUS] |= ST_STIFF
    if obs.shape[0] > 0:
        observables_series(t_eval, out, QS[ln], gi, obs)
    PAT[ln] = -1
    PH[ln] = PH_LOAD


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def _phase_step(ln, gi, problem, control, lanes, output, work, stages):
    """PH_STEP, after the lock-step attempt: step control of lane ``ln``. A rejected attempt
    is retried smaller (PH_CHECK); an accepted one is counted for the stiffness test, fills the
    save points it covers, and advances the lane: to the next attempt, the segment end
    (PH_BOUNDARY), Rodas4 (PH_RODAS) or a stop (PH_FINISH)."""
    y0, p, t_eval = problem
    rtol, atol, max_steps, h_max, allow_stiff, force_stiff = control
    Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS = lanes
    out, obs, offset, stats = output
    st, ys, K, Q, ytmp, ynew, f0, f1, dfdt, J, M, piv, sp = work
    k1, k2, k3, k4, k5, k6, k7, YT, YN, TT, E2 = stages
    L = LANES
    stats[gi, STAT_RHS] += 6
    h = LS[LS_H, ln]
    t = LS[LS_T, ln]
    PH[ln] = PH_CHECK
    accepted, h_new, lfac = _dopri5_control(h, E2[ln] * (1.0 / N_STATES), LS[LS_LFAC, ln])
    if not accepted:
        stats[gi, STAT_REJECTED] += 1
        LS[LS_H, ln] = h_new
        LS[LS_REJECT, ln] = 1.0
        return
    LS[LS_LFAC, ln] = lfac
    stats[gi, STAT_ACCEPTED] += 1
    _count_stiffness(LS, ln, _stiff_step(h, YT, YN, k6, k7, ln))
    last = LS[LS_LAST, ln] != 0.0
    seg_end = LS[LS_SEG_END, ln]
    t_new = seg_end if last else t + h
    j, stopped = _save_dopri5(
        out, gi, int(LS[LS_J, ln]), t, h, t_new, seg_end, t_eval, Y, stages, Q, LS, ln, st, STOPS
    )
    LS[LS_J, ln] = j
    if stopped:
        CODE[ln] = _STOP
        PH[ln] = PH_FINISH
        return
    for i in range(N_STATES):
        c = i * L + ln
        Y[c] = YN[c]
        k1[c] = k7[c]
    LS[LS_T, ln] = t_new
    if LS[LS_REJECT, ln] != 0.0:
        h_new = min(h_new, h)  # no growth right after a rejection
    LS[LS_REJECT, ln] = 0.0
    LS[LS_H, ln] = min(h_new, h_max)
    if last:
        PH[ln] = PH_BOUNDARY  # segment done: t is its end
    elif allow_stiff and LS[LS_NSTIFF, ln] >= LS[LS_STIFF_COUNT, ln]:
        LS[LS_H_EXP, ln] = LS[LS_H, ln]  # the stability-limited explicit step, for the way back
        _to_rodas(ln, gi, lanes, stats)
    elif _ready(LS, ln, stats[gi, STAT_ACCEPTED] + stats[gi, STAT_REJECTED], max_steps):
        PH[ln] = PH_STEP  # the common case, without a pass through the phase loop


@nb.njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def integrate_block(lo, hi, problem, events, control, output, terminal):
    """Integrate chunk patients ``lo..hi`` on ``LANES`` interleaved lanes; see ``integrate_chunk``.

    Each lane holds one patient's whole integrator state (its own time, step, method, dose
    segment and save index). DOPRI5 attempts run in lock step over the lanes, stage by stage,
    so the right-hand sides of different patients overlap in the CPU (a small model's RHS is a
    latency-bound chain of divisions) and vectorise across lanes; everything else (dose
    boundaries, the starting step, Rodas4, save points, failures) is per-lane scalar work, one
    function per lane phase (``_phase_*``). A lane that finishes its patient takes the next
    one. Per patient the arithmetic is that of one patient alone, so results do not depend on
    ``LANES`` or on the other patients.

    The arguments come in bundles (tuples): ``problem = (y0, p, t_eval)`` (what is solved),
    ``events = (ev_time, ev_end, ev_val, ev_state, ev_kind)`` (the dose event table),
    ``control = (rtol, atol, max_steps, h_max, allow_stiff, force_stiff)`` (step control and
    method choice), ``output = (out, obs, offset, stats)`` (what is saved) and
    ``terminal = (stop_state, stop_value, stop_origin, stop_grid)`` (the terminal condition).
    """
    rtol_in, atol_in, max_steps, h_max, allow_stiff, force_stiff = control
    out, obs, offset, stats = output
    n = N_STATES
    L = LANES
    nq = N_PARAMETERS + N_DERIVED
    # Lock-step (lane-major) arrays. Each has its own owner and is used through a borrowed view
    # (``_borrow``); carving them as rows of a few owners measured no faster (Reynolds, 4
    # alternating rounds: 39.4-44.0 vs 38.7-39.4 us per patient).
    Y_own = np.zeros(n * L)
    Y = _borrow(Y_own)
    YT_own = np.zeros(n * L)
    YT = _borrow(YT_own)
    YN_own = np.zeros(n * L)
    YN = _borrow(YN_own)
    k1_own = np.zeros(n * L)  # DOPRI5 stages (k1 also holds f(t, y): FSAL)
    k1 = _borrow(k1_own)
    k2_own = np.zeros(n * L)
    k2 = _borrow(k2_own)
    k3_own = np.zeros(n * L)
    k3 = _borrow(k3_own)
    k4_own = np.zeros(n * L)
    k4 = _borrow(k4_own)
    k5_own = np.zeros(n * L)
    k5 = _borrow(k5_own)
    k6_own = np.zeros(n * L)
    k6 = _borrow(k6_own)
    k7_own = np.zeros(n * L)
    k7 = _borrow(k7_own)
    U_own = np.zeros(n * L)
    U = _borrow(U_own)
    QL_own = np.zeros(nq * L)
    QL = _borrow(QL_own)
    LS_own = np.zeros((N_LS, L))
    LS = _borrow(LS_own)
    TT_own = np.zeros(L)
    TT = _borrow(TT_own)
    E2_own = np.zeros(L)
    E2 = _borrow(E2_own)
    PH_own = np.full(L, PH_LOAD, np.int64)
    PH = _borrow(PH_own)
    PAT_own = np.full(L, -1, np.int64)
    PAT = _borrow(PAT_own)
    CODE_own = np.zeros(L, np.int64)
    CODE = _borrow(CODE_own)
    STIFF_own = np.zeros(L, np.bool_)
    STIFF = _borrow(STIFF_own)
    ANY_U_own = np.zeros(L, np.bool_)
    ANY_U = _borrow(ANY_U_own)
    # Per-lane rows for scalar work.
    QS_own = np.zeros((L, nq))
    QS = _borrow(QS_own)
    US_own = np.zeros((L, n))
    US = _borrow(US_own)
    STOPS_own = np.zeros((L, N_STOP))
    STOPS = _borrow(STOPS_own)
    # Scalar scratch (Rodas4, starting step, dense output).
    st_own = np.zeros(N_LS)
    st = _borrow(st_own)
    ys_own = np.empty(n)
    ys = _borrow(ys_own)
    K_own = np.empty((6, n))  # Rodas4 stages
    K = _borrow(K_own)
    Q_own = np.empty((4, n))  # dense-output coefficients of one lane's step
    Q = _borrow(Q_own)
    ytmp_own = np.empty(n)
    ytmp = _borrow(ytmp_own)
    ynew_own = np.empty(n)
    ynew = _borrow(ynew_own)
    f0_own = np.empty(n)
    f0 = _borrow(f0_own)
    f1_own = np.empty(n)
    f1 = _borrow(f1_own)
    dfdt_own = np.zeros(n)
    dfdt = _borrow(dfdt_own)
    Jm_own = np.empty((n, n))
    Jm = _borrow(Jm_own)
    Mm_own = np.empty((n, n))
    Mm = _borrow(Mm_own)
    piv_own = np.empty(n, np.int64)
    piv = _borrow(piv_own)
    # Sparse-LU pattern and scratch rows (lp, li, up, ui, nzc), only for larger models.
    sp_own = np.empty((5 if n >= SPARSE_LU_MIN_N else 0, n * n + 1), np.int64)
    sp = _borrow(sp_own)
    rt_own = rtol_in.copy()
    rtol = _borrow(rt_own)
    at_own = atol_in.copy()
    atol = _borrow(at_own)
    control = (rtol, atol, max_steps, h_max, allow_stiff, force_stiff)
    lanes = (Y, U, QL, LS, PH, PAT, CODE, STIFF, ANY_U, QS, US, STOPS)
    stages = (k1, k2, k3, k4, k5, k6, k7, YT, YN, TT, E2)
    work = (st, ys, K, Q, ytmp, ynew, f0, f1, dfdt, Jm, Mm, piv, sp)
    stiff_base = int(STIFF_COUNT * rodas_cost(n) / rodas_cost(4) + 0.5)
    nxt = lo
    while True:
        # ---- per-lane phases until every lane is ready for an attempt or idle ----
        n_ready = 0
        for ln in range(L):
            while PH[ln] != PH_STEP and PH[ln] != PH_IDLE:
                gi = offset + PAT[ln]
                ph = PH[ln]
                if ph == PH_LOAD:
                    if nxt >= hi:
                        _phase_idle(ln, lanes)
                    else:
                        _phase_load(ln, nxt, problem, control, terminal, lanes)
                        nxt += 1
                elif ph == PH_BOUNDARY:
                    _phase_boundary(ln, gi, problem, events, lanes, output, work)
                elif ph == PH_RODAS:
                    _phase_rodas(ln, gi, problem, control, lanes, output, work)
                elif ph == PH_DOPRI:
                    _phase_dopri(ln, gi, control, lanes, output, work, stages, stiff_base)
                elif ph == PH_CHECK:
                    _phase_check(ln, gi, control, lanes, output)
                else:  # PH_FINISH
                    _phase_finish(ln, gi, problem, control, lanes, output)
            if PH[ln] == PH_STEP:
                n_ready += 1
        if n_ready == 0:
            break
        # ---- one DOPRI5 attempt on every lane, stage by stage ----
        _dopri5_attempt(Y, stages, U, QL, LS, rtol, atol)
        # ---- per-lane step control ----
        for ln in range(L):
            if PH[ln] == PH_STEP:
                _phase_step(ln, offset + PAT[ln], problem, control, lanes, output, work, stages)
    # The owners of the borrowed views are used last, so they live as long as the views.
    keep = 0
    keep += Y_own.size
    keep += YT_own.size
    keep += YN_own.size
    keep += k1_own.size
    keep += k2_own.size
    keep += k3_own.size
    keep += k4_own.size
    keep += k5_own.size
    keep += k6_own.size
    keep += k7_own.size
    keep += U_own.size
    keep += QL_own.size
    keep += LS_own.size
    keep += TT_own.size
    keep += E2_own.size
    keep += PH_own.size
    keep += PAT_own.size
    keep += CODE_own.size
    keep += STIFF_own.size
    keep += ANY_U_own.size
    keep += QS_own.size
    keep += US_own.size
    keep += STOPS_own.size
    keep += st_own.size
    keep += ys_own.size
    keep += K_own.size
    keep += Q_own.size
    keep += ytmp_own.size
    keep += ynew_own.size
    keep += f0_own.size
    keep += f1_own.size
    keep += dfdt_own.size
    keep += Jm_own.size
    keep += Mm_own.size
    keep += piv_own.size
    keep += sp_own.size
    keep += rt_own.size
    keep += at_own.size


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
    n_threads,
):
    """Integrate patients ``0..len(y0)`` of a chunk in parallel into ``out[:, offset+i, :]``.

    ``ev_time``, ``ev_end`` and ``ev_val`` are (n, m) (rows may be broadcast views);
    ``ev_state`` and ``ev_kind`` are (m,), shared by all patients. The observables of each
    patient are evaluated right after it is integrated (its states are still in cache) into
    ``obs[:, offset+i, :]``; ``obs`` may have zero rows. The terminal condition: state index
    ``stop_state`` (-1: none) reaching ``stop_value[i]`` (one value for all if of length 1),
    then on to the next save time on the grid ``stop_origin + k * stop_grid`` (see
    ``_stop_after``). Blocks of patients run in parallel, each on ``LANES`` interleaved lanes
    (``integrate_block``); at least four blocks per thread (``n_threads``) keep the threads
    balanced.
    """
    n_pat = y0.shape[0]
    per_block = min(BLOCK, max(LANES, -(-n_pat // (4 * max(n_threads, 1)))))
    n_blocks = -(-n_pat // per_block)
    # The argument bundles of ``integrate_block`` (see its docstring).
    problem = (y0, p, t_eval)
    events = (ev_time, ev_end, ev_val, ev_state, ev_kind)
    control = (rtol, atol, max_steps, h_max, allow_stiff, force_stiff)
    output = (out, obs, offset, stats)
    terminal = (stop_state, stop_value, stop_origin, stop_grid)
    for b in nb.prange(n_blocks):
        integrate_block(
            b * per_block,
            min(n_pat, (b + 1) * per_block),
            problem,
            events,
            control,
            output,
            terminal,
        )


# ---- model hooks ------------------------------------------------------------------------------
# Everything above is the kernel proper. Compiled for a model (``compile.py``), the module is
# the model's generated hooks and the tableau followed by the kernel up to this line, so the
# names below are the model's and the tableau section's; imported as is, the kernel runs on the
# test problem of ``_hooks.py``.
from sepsistwin.solve._hooks import (  # noqa: E402
    LANES,
    N_DERIVED,
    N_PARAMETERS,
    N_STATES,
    USES_TIME,
    derive,
    jac,
    observables_series,
    rhs,
    rhs_lanes,
)
from sepsistwin.solve._tableau import (  # noqa: E402
    A21,
    A31,
    A32,
    A41,
    A42,
    A43,
    A51,
    A52,
    A53,
    A54,
    A61,
    A62,
    A63,
    A64,
    A65,
    B1,
    B3,
    B4,
    B5,
    B6,
    C2,
    C3,
    C4,
    C5,
    E1,
    E3,
    E4,
    E5,
    E6,
    E7,
    P10,
    P11,
    P12,
    P13,
    P31,
    P32,
    P33,
    P41,
    P42,
    P43,
    P51,
    P52,
    P53,
    P61,
    P62,
    P63,
    P71,
    P72,
    P73,
    RA21,
    RA31,
    RA32,
    RA41,
    RA42,
    RA43,
    RA51,
    RA52,
    RA53,
    RA54,
    RAL2,
    RAL3,
    RAL4,
    RC21,
    RC31,
    RC32,
    RC41,
    RC42,
    RC43,
    RC51,
    RC52,
    RC53,
    RC54,
    RC61,
    RC62,
    RC63,
    RC64,
    RC65,
    RG1,
    RG2,
    RG3,
    RG4,
    RO_GAMMA,
)
