"""``simulate_batch`` and ``simulate``: validate inputs, chunk patients, run the compiled kernel."""

from __future__ import annotations

import math
import mmap
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from sepsistwin.solve import _kernel
from sepsistwin.solve.compile import load_compiled
from sepsistwin.solve.doses import Dose, Schedule, event_table
from sepsistwin.solve.result import SimulationResult
from sepsistwin.solve.status import Status
from sepsistwin.solve.stop import StopWhen, as_stop

#: Default tolerances. Chosen so hourly outputs over 28 days of the Reynolds model stay within
#: 1e-4 relative error of a scipy LSODA rtol=1e-10 reference (tests/solve/test_accuracy.py):
#: measured worst case 2.9e-5 over 412 random and near-threshold patients (1e-6 / 1e-10 gives
#: 1.6e-4, too loose; 1e-8 / 1e-12 gives 3.6e-6 for ~40 % more steps).
DEFAULT_RTOL = 1e-7
DEFAULT_ATOL = 1e-11
#: Result arrays at least this large bypass numpy's allocator (see ``_result_array``).
_MMAP_MIN_BYTES = 1 << 22


@dataclass(frozen=True)
class SolverOptions:
    """How to integrate (not what): tolerances, limits, stiff fallback, chunking.

    Parameters
    ----------
    rtol, atol : float
        Default relative and absolute tolerances (``simulate_batch`` arguments override them).
    max_steps : int
        Maximum attempted steps per patient over the whole horizon.
    h_max : float
        Largest step in hours (save points never limit the step: dense output fills them).
    stiff_fallback : bool
        Allow the per-patient switch to Rodas4 when stiffness is detected.
    force_stiff : bool
        Use Rodas4 for every patient from the start (diagnostics, benchmarks).
    chunk_size : int
        Patients per kernel call; bounds the working memory for large populations.
    lanes : int or None
        Patients integrated side by side per thread (their DOPRI5 stages interleaved); ``None``
        picks by model size (``sepsistwin.solve.compile.default_lanes``). Each patient's result
        is independent of the others in the batch; different lane counts agree to rounding.

    Examples
    --------
    >>> SolverOptions(max_steps=10_000).max_steps
    10000
    """

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    max_steps: int = 500_000
    h_max: float = math.inf
    stiff_fallback: bool = True
    force_stiff: bool = False
    chunk_size: int = 65_536
    lanes: int | None = None

    def __post_init__(self) -> None:
        if not (self.max_steps >= 1):
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps!r}")
        if not (self.h_max > 0):
            raise ValueError(f"h_max must be > 0 hours, got {self.h_max!r}")
        if not (self.chunk_size >= 1):
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size!r}")
        if self.lanes is not None and not (1 <= self.lanes <= 16):
            raise ValueError(f"lanes must be between 1 and 16 (or None), got {self.lanes!r}")


def _buddy_free_bytes(buddyinfo: str, min_order: int = 9) -> int:
    """Free bytes in blocks of order ``min_order`` or more in ``/proc/buddyinfo`` text.

    Examples
    --------
    >>> _buddy_free_bytes("Node 0, zone Normal 5 0 0 0 0 0 0 0 0 2 1")  # 2 x 2 MiB + 4 MiB
    8388608
    """
    total = 0
    for line in buddyinfo.splitlines():
        counts = line.split()[4:]  # "Node 0, zone Normal c0 c1 ... c10"
        for order, c in enumerate(counts):
            if order >= min_order and c.isdigit():
                total += int(c) << (order + 12)
    return total


def _free_huge_page_bytes() -> int:
    """Free memory in blocks of at least 2 MiB (buddy order >= 9 of 4 KiB pages), in bytes.

    These blocks back transparent huge pages without compaction. 0 where the kernel does not
    say (no ``/proc/buddyinfo``, another page size) or transparent huge pages are disabled.
    """
    try:
        if mmap.PAGESIZE != 4096:
            return 0
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as fh:
            if "[never]" in fh.read():
                return 0
        with open("/proc/buddyinfo") as fh:
            return _buddy_free_bytes(fh.read())
    except OSError:
        return 0


def _result_array(shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Uninitialised float64 array for results, backed by an anonymous private mapping.

    The kernel's threads fault the result's pages in as they write, and with 4 KiB pages that
    is ~2.3 us per page on the benchmark VMs: 10,000 Reynolds patients hourly for 28 days
    (215 MB) spend ~0.12 s of CPU in page faults, a fifth of the computation. The mapping is
    therefore advised as transparent huge pages (one fault per 2 MiB) when the kernel has enough
    free 2 MiB blocks to back it at once (``/proc/buddyinfo``): median of 6 alternating calls
    0.312 s (4 KiB pages) vs 0.276 s (huge pages) on 2 cores. Without enough free blocks the
    advice would make each first write compact memory synchronously (with THP defrag set to
    ``madvise``, a common default), which once cost ~0.25 s per call on a busy VM; then, as
    when huge pages are disabled, plain pages are used. ``np.empty`` would advise huge pages
    unconditionally. Small arrays and platforms without ``MAP_ANONYMOUS`` use ``np.empty``.
    The mapping is freed with the last view of the array.

    Examples
    --------
    >>> a = _result_array((2, 3))
    >>> a.shape, a.dtype, a.flags.writeable
    ((2, 3), dtype('float64'), True)
    """
    nbytes = 8 * math.prod(shape)
    if nbytes < _MMAP_MIN_BYTES or not hasattr(mmap, "MAP_ANONYMOUS"):
        return np.empty(shape)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    if hasattr(mmap, "MADV_HUGEPAGE") and _free_huge_page_bytes() >= 2 * nbytes:
        buf.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(buf, dtype=np.float64).reshape(shape)


def _resolve_model(model: Any) -> Any:
    if isinstance(model, str):
        from sepsistwin.model import get_model

        return get_model(model)
    for attr in ("state_names", "parameter_names", "fingerprint"):
        if not hasattr(model, attr):
            raise TypeError(f"model must be a preset name or a Model, got {type(model).__name__}")
    return model


def _columns(
    values: Mapping[str, ArrayLike] | None,
    valid: Sequence[str],
    kind: str,
) -> dict[str, NDArray[np.float64]]:
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise TypeError(
            f"{kind} must be a mapping of name -> value(s), got {type(values).__name__}"
        )
    unknown = [k for k in values if k not in valid]
    if unknown:
        raise ValueError(f"unknown {kind} name(s) {unknown}; valid {kind} names: {list(valid)}")
    out: dict[str, NDArray[np.float64]] = {}
    for k, v in values.items():
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"{kind} {k!r}: expected a number or array of numbers, got {v!r}"
            ) from None
        if arr.ndim > 1:
            raise ValueError(f"{kind} {k!r}: expected a scalar or 1-D array, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            bad = int(np.flatnonzero(~np.isfinite(arr.reshape(-1)))[0])
            raise ValueError(
                f"{kind} {k!r}: value at index {bad} is not finite ({arr.reshape(-1)[bad]})"
            )
        out[k] = arr
    return out


def _batch_size(cols: dict[str, NDArray[np.float64]], n: int | None) -> int:
    sizes = {k: a.size for k, a in cols.items() if a.ndim == 1}
    lengths = set(sizes.values()) - ({1} if n is None or n != 1 else set())
    if n is not None:
        bad = {k: s for k, s in sizes.items() if s not in (1, n)}
        if bad:
            raise ValueError(f"arrays must have length n={n}; got lengths {bad}")
        return n
    if len(lengths) > 1:
        raise ValueError(f"per-patient arrays disagree in length: {sizes}")
    return lengths.pop() if lengths else 1


def _tolerance(
    value: float | Mapping[str, float] | ArrayLike | None,
    default: float,
    names: Sequence[str],
    kind: str,
) -> NDArray[np.float64]:
    if value is None:
        arr = np.full(len(names), default)
    elif isinstance(value, Mapping):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"{kind}: unknown state name(s) {unknown}; states: {list(names)}")
        arr = np.array([float(value.get(s, default)) for s in names])
    else:
        arr = np.broadcast_to(np.asarray(value, dtype=float), (len(names),)).copy()
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{kind} must be finite and > 0, got {value!r}")
    if kind == "rtol" and np.any(arr < 1e-14):
        raise ValueError(f"rtol must be >= 1e-14 (double precision), got {value!r}")
    return arr


def _time_grid(t_eval: ArrayLike) -> NDArray[np.float64]:
    t = np.asarray(t_eval, dtype=float).reshape(-1) if np.ndim(t_eval) <= 1 else None
    if t is None:
        raise ValueError(f"t_eval must be 1-D, got shape {np.shape(t_eval)}")
    if t.size == 0:
        raise ValueError("t_eval must contain at least one time")
    if not np.all(np.isfinite(t)):
        raise ValueError("t_eval must contain only finite times (hours)")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be strictly increasing (hours)")
    return np.ascontiguousarray(t)


def simulate_batch(
    model: Any,
    params: Mapping[str, ArrayLike] | None = None,
    init: Mapping[str, ArrayLike] | None = None,
    t_eval: ArrayLike = (0.0, 24.0),
    rtol: float | Mapping[str, float] | None = None,
    atol: float | Mapping[str, float] | None = None,
    doses: Schedule | Dose | Sequence[Dose] | None = None,
    *,
    n: int | None = None,
    options: SolverOptions | None = None,
    stop: StopWhen | None = None,
) -> SimulationResult:
    """Integrate many virtual patients at once, each with its own parameters, state and doses.

    Parameters
    ----------
    model : str or Model
        A preset name (``"reynolds2006"``) or a built model.
    params, init : mapping of name -> scalar or array of length n
        Parameter values and initial states; missing names take the model defaults.
    t_eval : array of float
        Strictly increasing save times in hours; integration starts at ``t_eval[0]``.
    rtol, atol : float or mapping state -> float, optional
        Tolerances (default :data:`DEFAULT_RTOL`, :data:`DEFAULT_ATOL`).
    doses : Schedule, Bolus, Infusion or list of them, optional
        Dose events (fields scalar or per-patient arrays of length n).
    n : int, optional
        Number of patients when every input is scalar (default: from the array lengths).
    options : SolverOptions, optional
        Step limits, stiff fallback, chunk size.
    stop : StopWhen, optional
        Terminal condition (e.g. death): each patient stops at the first save time where the
        state reaches its value (optionally continuing to the end of that day); later save
        points are NaN and the status has ``Status.STOPPED``.

    Returns
    -------
    SimulationResult
        ``.time`` (n_t,), ``.states``/``.observables`` name -> (n, n_t), ``.status`` (n,).

    Examples
    --------
    >>> import numpy as np
    >>> r = simulate_batch("reynolds2006", {"k_pg": [0.3, 0.6]}, {"P": 1.0},
    ...                    np.arange(0, 501.0, 100.0))
    >>> bool(r.states["P"][0, -1] < 1e-3), bool(r.states["P"][1, -1] > 4.0)
    (True, True)
    """
    m = _resolve_model(model)
    opts = options or SolverOptions()
    t = np.require(_time_grid(t_eval), requirements=("C", "W"))  # one kernel signature
    state_names = list(m.state_names)
    param_names = list(m.parameter_names)
    pcols = _columns(params, param_names, "parameter")
    icols = _columns(init, state_names, "initial state")
    for k, a in icols.items():
        if np.any(a < 0):
            bad = int(np.flatnonzero(a.reshape(-1) < 0)[0])
            raise ValueError(
                f"initial state {k!r}: concentrations must be >= 0, got "
                f"{a.reshape(-1)[bad]} (index {bad})"
            )
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n_pat = _batch_size({**pcols, **icols}, n)
    rt = _tolerance(rtol, opts.rtol, state_names, "rtol")
    at = _tolerance(atol, opts.atol, state_names, "atol")
    events = event_table(doses, state_names, n_pat, float(t[0]))
    stop_state, stop_value, stop_origin, stop_grid = as_stop(stop, state_names, n_pat, float(t[0]))

    mod = load_compiled(m, opts.lanes)
    n_s, n_p, n_t = len(state_names), len(param_names), t.size
    out = _result_array((n_s, n_pat, n_t))
    n_o = len(m.observable_names)
    obs = _result_array((n_o, n_pat, n_t))
    stats = np.zeros((n_pat, _kernel.N_STATS), dtype=np.int64)
    pdef = m.default_parameters
    ydef = m.initial_state
    chunk = int(opts.chunk_size)
    for start in range(0, n_pat, chunk):
        end = min(start + chunk, n_pat)
        c = end - start
        pc = np.empty((c, n_p))
        for j, name in enumerate(param_names):
            pa = pcols.get(name)
            pc[:, j] = pdef[name] if pa is None else (pa if pa.size == 1 else pa[start:end])
        yc = np.empty((c, n_s))
        for j, name in enumerate(state_names):
            ya = icols.get(name)
            yc[:, j] = ydef[name] if ya is None else (ya if ya.size == 1 else ya[start:end])
        ev = events.rows(start, end)
        # Contiguous, writable copies of this chunk's rows: Numba types a read-only array (a
        # broadcast schedule) or another layout as a different signature and compiles the
        # kernel again for it, so every call passes one array type.
        ev_time, ev_end, ev_val, ev_state, ev_kind = (
            np.require(a, requirements=("C", "W"))
            for a in (ev.time, ev.end, ev.value, ev.state, ev.kind)
        )
        stop_chunk = stop_value if stop_value.size == 1 else stop_value[start:end]
        mod.integrate_chunk(
            yc,
            pc,
            t,
            ev_time,
            ev_end,
            ev_val,
            ev_state,
            ev_kind,
            rt,
            at,
            int(opts.max_steps),
            float(opts.h_max),
            bool(opts.stiff_fallback),
            bool(opts.force_stiff),
            out,
            obs,
            start,
            stats,
            stop_state,
            np.require(stop_chunk, requirements=("C", "W")),
            stop_origin,
            stop_grid,
            numba.get_num_threads(),
        )
    status = stats[:, _kernel.STAT_STATUS].copy()
    result = SimulationResult(
        model_name=m.name,
        time=t,
        states={s: out[i] for i, s in enumerate(state_names)},
        observables={o: obs[k] for k, o in enumerate(m.observable_names)},
        status=status,
        n_steps=stats[:, _kernel.STAT_ACCEPTED].copy(),
        n_rejected=stats[:, _kernel.STAT_REJECTED].copy(),
        n_stiff_steps=stats[:, _kernel.STAT_STIFF_STEPS].copy(),
        n_rhs=stats[:, _kernel.STAT_RHS].copy(),
        info={
            "rtol": rt,
            "atol": at,
            "options": opts,
            "n_dose_events": events.n_events,
            "n_switches_back": stats[:, _kernel.STAT_BACK].copy(),
        },
    )
    failed = ~result.ok
    if failed.any():
        first = int(np.flatnonzero(failed)[0])
        warnings.warn(
            f"{int(failed.sum())} of {n_pat} patient(s) failed to integrate (their outputs are "
            f"NaN from the failure on; see result.status); first: patient {first}: "
            f"{Status(int(status[first])).describe()}",
            RuntimeWarning,
            stacklevel=2,
        )
    return result


def simulate(
    model: Any,
    params: Mapping[str, float] | None = None,
    init: Mapping[str, float] | None = None,
    t_eval: ArrayLike = (0.0, 24.0),
    rtol: float | Mapping[str, float] | None = None,
    atol: float | Mapping[str, float] | None = None,
    doses: Schedule | Dose | Sequence[Dose] | None = None,
    *,
    options: SolverOptions | None = None,
) -> SimulationResult:
    """Simulate one patient; same arguments as :func:`simulate_batch` with scalar values.

    The result's state and observable arrays have shape (n_t,).

    Examples
    --------
    >>> r = simulate("reynolds2006", {"k_pg": 0.6}, {"P": 1.0}, [0.0, 500.0])
    >>> round(float(r.states["P"][-1]), 2)
    4.94
    """
    for kind, vals in (("parameter", params), ("initial state", init)):
        for k, v in (vals or {}).items():
            if np.ndim(v) != 0:
                raise ValueError(
                    f"simulate() is for one patient: {kind} {k!r} must be a scalar; "
                    "use simulate_batch for arrays"
                )
    r = simulate_batch(model, params, init, t_eval, rtol, atol, doses, n=1, options=options)
    return replace(
        r,
        states={k: v[0] for k, v in r.states.items()},
        observables={k: v[0] for k, v in r.observables.items()},
        single=True,
    )
