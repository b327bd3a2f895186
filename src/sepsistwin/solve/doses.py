"""Dose events for the kernel: a schedule (:mod:`sepsistwin.dosing`) as an event table.

A schedule becomes an event table (times, ends, values of shape (n, m); state index and kind of
shape (m,)) that the kernel reads; the integrator restarts at every event time. The schedule
types and the dose grammar live in :mod:`sepsistwin.dosing` (re-exported here).

Examples
--------
>>> et = event_table(Bolus("P", 12.0, 0.5) + Infusion("CA", 0.0, 48.0, 0.01), ["P", "CA"], n=2)
>>> et.end.tolist(), et.kind.tolist() == [EV_BOLUS, EV_INFUSION]
([[12.0, 48.0], [12.0, 48.0]], True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sepsistwin.dosing import Bolus, Dose, Infusion, Schedule, Value, as_schedule, parse_dose
from sepsistwin.solve import _kernel

EV_BOLUS = _kernel.EV_BOLUS
EV_INFUSION = _kernel.EV_INFUSION

__all__ = [
    "EV_BOLUS",
    "EV_INFUSION",
    "Bolus",
    "Dose",
    "EventTable",
    "Infusion",
    "Schedule",
    "as_schedule",
    "event_table",
    "parse_dose",
]


@dataclass(frozen=True)
class EventTable:
    """Dose events as arrays for the kernel (rows of the (n, m) arrays may be broadcast views)."""

    time: NDArray[np.float64]  # (n, m) bolus time or infusion start
    end: NDArray[np.float64]  # (n, m) infusion end (= time for boluses)
    value: NDArray[np.float64]  # (n, m) bolus amount or infusion rate
    state: NDArray[np.int64]  # (m,)
    kind: NDArray[np.int64]  # (m,)

    @property
    def n_events(self) -> int:
        """Number of dose entries ``m``."""
        return int(self.state.size)

    def rows(self, start: int, stop: int) -> EventTable:
        """The events of patients ``start..stop`` (views, no copy)."""
        return EventTable(
            self.time[start:stop],
            self.end[start:stop],
            self.value[start:stop],
            self.state,
            self.kind,
        )


def _field(
    v: Value, n: int, where: str, *, nonneg: bool, positive: bool = False
) -> NDArray[np.float64]:
    arr = np.asarray(v, dtype=float) if not isinstance(v, str) else None
    if arr is None:
        raise ValueError(f"{where} must be a number or array of numbers, got {v!r}")
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, n)):
        raise ValueError(
            f"{where} must be a scalar or have length n={n} (one per patient), "
            f"got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where} must be finite, got {v!r}")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{where} must be > 0, got {float(np.min(arr))}")
    if nonneg and np.any(arr < 0):
        raise ValueError(f"{where} must be >= 0, got {float(np.min(arr))}")
    return np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (n,))


def event_table(
    doses: Schedule | Dose | Sequence[Dose] | None,
    state_names: Sequence[str],
    n: int,
    t0: float = 0.0,
) -> EventTable:
    """Validate ``doses`` against the model's states and build the kernel's event table.

    Raises ``ValueError`` naming the dose and field for an unknown state, a negative or
    non-finite amount/rate, a non-positive duration or a time before the start ``t0``.

    Examples
    --------
    >>> et = event_table(Bolus("P", 1.0, 2.0), ["P", "N"], n=3)
    >>> et.time.shape, et.state.tolist()
    ((3, 1), [0])
    """
    sched = as_schedule(doses)
    index = {s: i for i, s in enumerate(state_names)}
    times, ends, values, states, kinds = [], [], [], [], []
    for k, d in enumerate(sched.doses):
        label = f"dose[{k}] ({type(d).__name__} into {getattr(d, 'state', '?')!r})"
        if not isinstance(d, Bolus | Infusion):
            raise ValueError(f"dose[{k}]: expected Bolus or Infusion, got {type(d).__name__}")
        if d.state not in index:
            raise ValueError(
                f"{label}: state {d.state!r} is not a model state; states: {list(state_names)}"
            )
        if isinstance(d, Bolus):
            t = _field(d.time, n, f"{label}: time", nonneg=False)
            v = _field(d.amount, n, f"{label}: amount", nonneg=True)
            e = t
            kind = EV_BOLUS
        else:
            t = _field(d.start, n, f"{label}: start", nonneg=False)
            dur = _field(d.duration, n, f"{label}: duration", nonneg=True, positive=True)
            v = _field(d.rate, n, f"{label}: rate", nonneg=True)
            e = t + dur
            kind = EV_INFUSION
        if np.any(t < t0):
            raise ValueError(
                f"{label}: time {float(np.min(t))} h is before the start of the simulation ({t0} h)"
            )
        times.append(t)
        ends.append(e)
        values.append(v)
        states.append(index[d.state])
        kinds.append(kind)
    m = len(states)
    if m == 0:
        empty = np.zeros((n, 0))
        return EventTable(empty, empty, empty, np.zeros(0, np.int64), np.zeros(0, np.int64))

    def stack(cols: list[NDArray[np.float64]]) -> NDArray[np.float64]:
        # Scalar-only columns stay a zero-stride broadcast of one row (no n*m memory).
        if n == 0:  # no patients: nothing to dose
            return np.zeros((0, m))
        if all(c.strides == (0,) for c in cols):
            return np.broadcast_to(np.array([c[0] for c in cols], dtype=float), (n, m))
        return np.stack(cols, axis=1)

    return EventTable(
        stack(times),
        stack(ends),
        stack(values),
        np.asarray(states, dtype=np.int64),
        np.asarray(kinds, dtype=np.int64),
    )
