"""Dose schedules: boluses (jumps in a state) and constant-rate infusions, optionally repeated.

A field (time, amount, start, duration, rate) may be a scalar (same for every patient) or an
array of length n (one value per patient), so per-patient schedules stay vectorised. A schedule
becomes an event table (times, ends, values of shape (n, m); state index and kind of shape (m,))
that the kernel reads; the integrator restarts at every event time.

Examples
--------
>>> s = Bolus("P", time=12.0, amount=0.5).repeat(every=24.0, n=3) + Infusion("CA", 0.0, 48.0, 0.01)
>>> [round(float(d.time), 1) for d in s.doses if isinstance(d, Bolus)]
[12.0, 36.0, 60.0]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sepsistwin.solve import _kernel

EV_BOLUS = _kernel.EV_BOLUS
EV_INFUSION = _kernel.EV_INFUSION

Value = Union[float, ArrayLike]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class Bolus:
    """Add ``amount`` to ``state`` at ``time`` (hours).

    Examples
    --------
    >>> Bolus("P", 0.0, 1.0).amount
    1.0
    """

    state: str
    time: Value
    amount: Value

    def repeat(self, every: float, n: int) -> Schedule:
        """``n`` doses, ``every`` hours apart, starting at ``time``."""
        every, n = _check_repeat(every, n)
        return Schedule(
            tuple(Bolus(self.state, _shift(self.time, k * every), self.amount) for k in range(n))
        )

    def __add__(self, other: Schedule | Dose) -> Schedule:
        return Schedule((self,)) + other


@dataclass(frozen=True)
class Infusion:
    """Add ``rate`` (state units per hour) to d(state)/dt from ``start`` for ``duration`` hours.

    Examples
    --------
    >>> Infusion("CA", 0.0, 24.0, 0.01).duration
    24.0
    """

    state: str
    start: Value
    duration: Value
    rate: Value

    def repeat(self, every: float, n: int) -> Schedule:
        """``n`` infusions, ``every`` hours apart; they must not overlap (``every >= duration``)."""
        every, n = _check_repeat(every, n)
        dur = np.asarray(self.duration, dtype=float)
        if n > 1 and np.any(dur > every):
            raise ValueError(
                f"Infusion into {self.state!r}: repeat every={every} h is shorter than the "
                f"duration ({float(np.max(dur))} h); repeated infusions would overlap"
            )
        return Schedule(
            tuple(
                Infusion(self.state, _shift(self.start, k * every), self.duration, self.rate)
                for k in range(n)
            )
        )

    def __add__(self, other: Schedule | Dose) -> Schedule:
        return Schedule((self,)) + other


Dose = Union[Bolus, Infusion]  # noqa: UP007


@dataclass(frozen=True)
class Schedule:
    """An ordered collection of doses; ``+`` concatenates schedules and doses.

    Examples
    --------
    >>> len((Bolus("P", 0, 1) + Bolus("P", 5, 1)).doses)
    2
    """

    doses: tuple[Dose, ...] = ()

    def __add__(self, other: Schedule | Dose) -> Schedule:
        return Schedule(self.doses + as_schedule(other).doses)

    def __len__(self) -> int:
        return len(self.doses)


def as_schedule(doses: Schedule | Dose | Iterable[Dose | Schedule] | None) -> Schedule:
    """Normalise ``None``, a dose, a schedule or an iterable of them into a :class:`Schedule`."""
    if doses is None:
        return Schedule()
    if isinstance(doses, Schedule):
        return doses
    if isinstance(doses, Bolus | Infusion):
        return Schedule((doses,))
    out: list[Dose] = []
    for d in doses:
        out.extend(as_schedule(d).doses)
    return Schedule(tuple(out))


def _shift(v: Value, dt: float) -> Value:
    if np.ndim(v) == 0:
        return float(v) + dt  # type: ignore[arg-type]
    return np.asarray(v, dtype=float) + dt


def _check_repeat(every: float, n: int) -> tuple[float, int]:
    try:
        every_f = float(every)
    except (TypeError, ValueError):
        raise ValueError(f"repeat: every must be a number of hours, got {every!r}") from None
    if not math.isfinite(every_f) or every_f <= 0:
        raise ValueError(f"repeat: every must be > 0 hours, got {every!r}")
    if isinstance(n, bool) or int(n) != n or int(n) < 1:
        raise ValueError(f"repeat: n must be a positive integer, got {n!r}")
    return every_f, int(n)


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


_SPEC = re.compile(
    r"^\s*(?P<state>[A-Za-z_]\w*)\s*:\s*(?P<amount>[^@/]+?)\s*(?P<per>/h)?\s*@\s*"
    r"(?P<time>[^,]+?)\s*(?:,(?P<opts>.*))?$"
)


def parse_dose(spec: str) -> Schedule:
    """Parse a dose string into a :class:`Schedule`.

    Forms: ``STATE:AMOUNT@HOURS`` (bolus), ``STATE:RATE/h@START-END`` (infusion from START to
    END hours), each optionally followed by ``,every=H,n=N`` to repeat.

    Examples
    --------
    >>> parse_dose("P:0.5@12,every=24,n=2").doses[1].time
    36.0
    >>> parse_dose("CA:0.01/h@0-48").doses[0].duration
    48.0
    """
    m = _SPEC.match(spec)
    if not m:
        raise ValueError(
            f"dose {spec!r}: expected STATE:AMOUNT@HOURS or STATE:RATE/h@START-END, "
            "optionally followed by ,every=H,n=N"
        )
    state = m["state"]

    def num(text: str, field: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"dose {spec!r}: {field} {text!r} is not a number") from None

    opts: dict[str, str] = {}
    if m["opts"]:
        for part in m["opts"].split(","):
            key, sep, val = part.partition("=")
            if not sep or key.strip() not in ("every", "n"):
                raise ValueError(
                    f"dose {spec!r}: option {part.strip()!r} not understood; "
                    "expected every=H or n=N"
                )
            opts[key.strip()] = val.strip()
    if m["per"]:
        start_s, sep, end_s = m["time"].partition("-")
        if not sep:
            raise ValueError(f"dose {spec!r}: an infusion needs START-END hours after '@'")
        start, end = num(start_s, "start"), num(end_s, "end")
        if end <= start:
            raise ValueError(f"dose {spec!r}: infusion end {end} h must be after start {start} h")
        dose: Dose = Infusion(state, start, end - start, num(m["amount"], "rate"))
    else:
        dose = Bolus(state, num(m["time"], "time"), num(m["amount"], "amount"))
    if opts:
        if "every" not in opts or "n" not in opts:
            raise ValueError(f"dose {spec!r}: repeating needs both every=H and n=N")
        n_s = opts["n"]
        if not n_s.isdigit():
            raise ValueError(f"dose {spec!r}: n={n_s!r} must be a positive integer")
        return dose.repeat(num(opts["every"], "every"), int(n_s))
    return Schedule((dose,))
