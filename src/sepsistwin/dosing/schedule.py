"""Dose schedules: boluses (jumps in a state) and constant-rate infusions, optionally repeated.

A field (time, amount, start, duration, rate) may be a scalar (same for every patient) or an
array of length n (one value per patient), so per-patient schedules stay vectorised. The solver
turns a schedule into its event table (:func:`sepsistwin.solve.event_table`).

Examples
--------
>>> s = Bolus("P", time=12.0, amount=0.5).repeat(every=24.0, n=3) + Infusion("CA", 0.0, 48.0, 0.01)
>>> [round(float(d.time), 1) for d in s.doses if isinstance(d, Bolus)]
[12.0, 36.0, 60.0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Union

import numpy as np
from numpy.typing import ArrayLike

from sepsistwin.dosing.errors import DoseError

Value = Union[float, ArrayLike]  # noqa: UP007 (a runtime alias)

#: Most administrations one dose entry may repeat (``n=``, a trial spec's ``doses``): 10,000 is
#: more than a year of hourly doses; a larger count is a typo, refused before any memory is used.
MAX_REPEATS = 10_000


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
        every, n = check_repeat(every, n)
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
        every, n = check_repeat(every, n)
        dur = np.asarray(self.duration, dtype=float)
        if n > 1 and np.any(dur > every):
            raise DoseError(
                f"Infusion into {self.state!r}",
                f"repeat every={every} h is shorter than the duration ({float(np.max(dur))} h); "
                "repeated infusions would overlap",
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
    """Normalise ``None``, a dose, a schedule or an iterable of them into a :class:`Schedule`.

    Examples
    --------
    >>> len(as_schedule([Bolus("P", 0, 1), Bolus("P", 5, 1) + Bolus("P", 9, 1)]))
    3
    """
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


def check_repeat(every: float, n: int, where: str = "repeat") -> tuple[float, int]:
    """Validate a repeat: ``every`` finite hours > 0, ``n`` an integer in 1..:data:`MAX_REPEATS`.

    Examples
    --------
    >>> check_repeat(24, 3)
    (24.0, 3)
    >>> try:
    ...     check_repeat(1, 1_000_000_000)
    ... except DoseError as e:
    ...     print(e)
    repeat: n=1000000000 is more than 10000 doses, the limit per dose entry
    """
    try:
        every_f = float(every)
    except (TypeError, ValueError):
        raise DoseError(where, f"every must be a number of hours, got {every!r}") from None
    if not math.isfinite(every_f) or every_f <= 0:
        raise DoseError(where, f"every must be > 0 hours, got {every!r}")
    return every_f, check_count(n, where)


def check_count(n: object, where: str = "repeat") -> int:
    """``n`` as an int in 1..:data:`MAX_REPEATS` (text digits accepted); :class:`DoseError` else.

    Examples
    --------
    >>> check_count("8")
    8
    """
    if isinstance(n, str):
        text = n.strip()
        # Compare the digits before converting: a huge count is refused without building it.
        if not text.isdigit():
            raise DoseError(where, f"n={n!r} must be a positive integer")
        if len(text.lstrip("0")) > len(str(MAX_REPEATS)):
            raise DoseError(where, _too_many(text))
        if int(text) < 1:
            raise DoseError(where, f"n={n!r} must be a positive integer")
        n = int(text)
    if isinstance(n, bool) or not isinstance(n, int | float | np.integer | np.floating):
        raise DoseError(where, f"n must be a positive integer, got {n!r}")
    if not math.isfinite(float(n)) or int(n) != n or int(n) < 1:
        raise DoseError(where, f"n must be a positive integer, got {n!r}")
    if int(n) > MAX_REPEATS:
        raise DoseError(where, _too_many(str(int(n))))
    return int(n)


def _too_many(n: str) -> str:
    return f"n={n} is more than {MAX_REPEATS} doses, the limit per dose entry"
