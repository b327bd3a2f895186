"""The result of a batched simulation: arrays per state and observable, status per patient."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.solve.status import FAILURE_MASK, Status


@dataclass(frozen=True)
class SimulationResult:
    """Trajectories of ``n`` patients at ``n_t`` save times.

    Attributes
    ----------
    time : ndarray (n_t,)
        Save times in hours.
    states, observables : dict of name -> ndarray (n, n_t)
        (For :func:`~sepsistwin.solve.simulate`, arrays of shape (n_t,).)
    status : ndarray (n,) of int
        :class:`~sepsistwin.solve.status.Status` bits per patient; failed patients have NaN from
        the failure time on (never silently).
    n_steps, n_rejected, n_stiff_steps, n_rhs : ndarray (n,)
        Accepted steps (both methods), rejected steps, Rosenbrock steps, right-hand-side calls.

    Examples
    --------
    >>> from sepsistwin import simulate_batch
    >>> r = simulate_batch("reynolds2006", {"k_pg": [0.3, 0.6]}, {}, [0.0, 24.0])
    >>> r.states["P"].shape, r.ok.all()
    ((2, 2), np.True_)
    """

    model_name: str
    time: NDArray[np.float64]
    states: dict[str, NDArray[np.float64]]
    observables: dict[str, NDArray[np.float64]]
    status: NDArray[np.int64]
    n_steps: NDArray[np.int64]
    n_rejected: NDArray[np.int64]
    n_stiff_steps: NDArray[np.int64]
    n_rhs: NDArray[np.int64]
    single: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_patients(self) -> int:
        """Number of patients ``n``."""
        return int(np.asarray(self.status).size)

    @property
    def ok(self) -> NDArray[np.bool_]:
        """True for patients whose integration completed (fallback allowed)."""
        return (np.asarray(self.status) & int(FAILURE_MASK)) == 0

    def status_of(self, i: int = 0) -> Status:
        """The :class:`Status` of patient ``i``."""
        return Status(int(np.asarray(self.status).reshape(-1)[i]))

    def final(self) -> pd.DataFrame:
        """End-of-horizon value of every state and observable, one row per patient."""
        cols = {**self.states, **self.observables}
        return pd.DataFrame({k: np.atleast_2d(v)[:, -1] for k, v in cols.items()})

    def to_frame(self) -> pd.DataFrame:
        """Long (tidy) table: columns ``patient, time, variable, value``."""
        frames = []
        n_t = self.time.size
        for name, arr in {**self.states, **self.observables}.items():
            a = np.atleast_2d(arr)
            frames.append(
                pd.DataFrame(
                    {
                        "patient": np.repeat(np.arange(a.shape[0]), n_t),
                        "time": np.tile(self.time, a.shape[0]),
                        "variable": name,
                        "value": a.reshape(-1),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def to_wide(self) -> pd.DataFrame:
        """Wide table: one row per (patient, time), one column per state/observable."""
        a0 = np.atleast_2d(next(iter(self.states.values())))
        n, n_t = a0.shape
        data: dict[str, Any] = {
            "patient": np.repeat(np.arange(n), n_t),
            "time": np.tile(self.time, n),
        }
        for name, arr in {**self.states, **self.observables}.items():
            data[name] = np.atleast_2d(arr).reshape(-1)
        return pd.DataFrame(data)

    def summary(self) -> str:
        """A short readable summary (patients, horizon, failures, work)."""
        st = np.asarray(self.status).reshape(-1)
        n_fail = int((~self.ok).sum()) if st.size else 0
        n_stiff = int(((st & int(Status.STIFF_FALLBACK)) != 0).sum())
        n_stop = int(((st & int(Status.STOPPED)) != 0).sum())
        stopped = f", stopped at the terminal condition: {n_stop}" if n_stop else ""
        lines = [
            f"SimulationResult: model {self.model_name!r}, {self.n_patients} patient(s), "
            f"{self.time.size} save times from {self.time[0]:g} to {self.time[-1]:g} h",
            f"  ok: {self.n_patients - n_fail}, failed: {n_fail}, stiff fallback: {n_stiff}"
            f"{stopped}",
            f"  steps per patient: median {float(np.median(self.n_steps)):.0f}, "
            f"max {int(np.max(self.n_steps)) if st.size else 0}",
        ]
        if n_fail:
            codes = pd.Series([Status(int(s)).describe() for s in st[~self.ok]]).value_counts()
            lines += [f"  {k}: {v}" for k, v in codes.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()
