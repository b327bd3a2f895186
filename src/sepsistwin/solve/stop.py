"""Terminal condition: stop integrating a patient once a state reaches a value (e.g. death).

A trial has no use for a patient's trajectory after death, and integrating it is most of the
cost of the patients who die. ``StopWhen("HZ", -log(U))`` stops each patient once its cumulative
hazard reaches its own threshold; with ``grid=24`` it first goes on to the end of that day, so a
daily summary of the day of death is complete. Later save points are NaN and the patient's status
has the informational bit :attr:`~sepsistwin.solve.status.Status.STOPPED` (not a failure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class StopWhen:
    """Stop each patient at the first save time where ``state >= value``.

    Parameters
    ----------
    state : str
        State name.
    value : float or array of length n
        Threshold, one per patient or shared.
    grid : float, optional
        After the condition is met, continue to the next save time on the grid
        ``origin + k * grid`` (hours). ``None``: stop at once.
    origin : float, optional
        Origin of the grid (default: the first save time).

    Examples
    --------
    >>> import numpy as np
    >>> from sepsistwin import simulate_batch
    >>> r = simulate_batch("reynolds2006", {"k_pg": 0.6}, {"P": 1.0}, np.arange(0, 97.0, 12),
    ...                    stop=StopWhen("D", 1.0, grid=24.0))
    >>> r.status_of(0).describe(), bool(np.isnan(r.states["D"][0, -1]))
    ('ok (stopped at the terminal condition)', True)
    """

    state: str
    value: Any
    grid: float | None = None
    origin: float | None = None

    def resolve(
        self, state_names: list[str], n: int, t0: float
    ) -> tuple[int, NDArray[np.float64], float, float]:
        """Kernel arguments ``(state index, values, origin, grid)``; errors name the field."""
        if self.state not in state_names:
            raise ValueError(
                f"stop: unknown state {self.state!r}; states: {', '.join(state_names)}"
            )
        v: NDArray[np.float64] = np.asarray(self.value, dtype=float).reshape(-1)
        if v.size not in (1, n):
            raise ValueError(f"stop: value has {v.size} entries, expected 1 or {n} (patients)")
        if np.isnan(v).any():
            raise ValueError("stop: value must not be NaN")
        grid = 0.0 if self.grid is None else float(self.grid)
        if not (grid >= 0.0 and np.isfinite(grid)):
            raise ValueError(f"stop: grid must be a finite number of hours >= 0, got {self.grid}")
        origin = t0 if self.origin is None else float(self.origin)
        return state_names.index(self.state), np.ascontiguousarray(v), origin, grid


def as_stop(
    stop: StopWhen | None, state_names: list[str], n: int, t0: float
) -> tuple[int, NDArray[np.float64], float, float]:
    """Kernel arguments of ``stop``; ``None`` never stops (state index -1)."""
    return (-1, np.zeros(1), 0.0, 0.0) if stop is None else stop.resolve(state_names, n, t0)


__all__ = ["StopWhen", "as_stop"]
