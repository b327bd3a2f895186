"""The virtual patient simulator a trial runs on: a small protocol and its data containers.

The runner knows nothing of the biology. It asks a :class:`TrialSimulator` to

1. ``sample`` a cohort of virtual patients (parameters, initial states, per-patient draws),
2. turn therapy entries of the spec into dose ``schedule`` s,
3. ``simulate`` a cohort over a time grid with a schedule (continuing from given states),
4. produce canonical ``observations`` (long table, with assay noise) that the clinical code
   assesses at screening, exactly as it assesses a real patient,
5. read ``death_hours`` and daily ``outcomes`` (SOFA, organ support, biomarkers, secondary
   infection, hyperinflammation) from a simulation.

The default implementation, :class:`sepsistwin.trial.sepsistwin_simulator.SepsistwinSimulator`,
uses the ``sepsistwin`` model and its virtual population.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.solve import Schedule, SimulationResult
from sepsistwin.trial.spec import TherapySpec

#: Daily outcome arrays every simulator must provide (shape (n, n_days), day 1..n_days).
DAILY_OUTCOMES = ("sofa", "organ_support", "lymphocytes", "mhla_dr", "hyperinflammation")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Cohort:
    """Virtual patients: per-patient parameter values, initial states and other draws.

    Every array has length ``n``; ``extra`` holds draws the simulator needs later (e.g. the
    uniform numbers behind a death or an infection), so a patient keeps them whichever arm or
    subset it is simulated in. ``extra["care_start_hours"]``, when present, is when each
    patient's care begins: background therapies are timed from it (else from onset).

    Examples
    --------
    >>> c = Cohort({"k": np.array([1.0, 2.0, 3.0])}, {"x": np.zeros(3)})
    >>> c.take(np.array([2, 0])).params["k"].tolist(), len(c)
    ([3.0, 1.0], 3)
    """

    params: dict[str, FloatArray]
    init: dict[str, FloatArray]
    extra: dict[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sizes = {
            f"{kind}.{k}": np.asarray(v).shape[0]
            for kind, d in (("params", self.params), ("init", self.init), ("extra", self.extra))
            for k, v in d.items()
        }
        if len(set(sizes.values())) > 1:
            raise ValueError(f"Cohort arrays must all have length n; got {sizes}")

    def __len__(self) -> int:
        for d in (self.params, self.init, self.extra):
            for v in d.values():
                return int(np.asarray(v).shape[0])
        return 0

    def take(self, index: NDArray[np.intp]) -> Cohort:
        """The patients at ``index`` (in that order)."""

        def sub(d: Mapping[str, FloatArray]) -> dict[str, FloatArray]:
            return {k: np.asarray(v)[index] for k, v in d.items()}

        return Cohort(sub(self.params), sub(self.init), sub(self.extra))

    def with_init(self, init: Mapping[str, FloatArray]) -> Cohort:
        """The same patients starting from ``init`` (e.g. their states at screening)."""
        return Cohort(self.params, dict(init), self.extra)


@dataclass(frozen=True)
class Outcomes:
    """What the endpoints are computed from, for ``n`` patients followed ``n_days`` days.

    Attributes
    ----------
    death_hours : (n,) float
        Time of death in hours since sepsis onset; ``inf`` if alive at the end of the horizon.
    daily : dict name -> (n, n_days)
        Values on days 1..n_days after enrollment (day d = the worst over the 24 h ending
        d days after enrollment); at least :data:`DAILY_OUTCOMES`; NaN after death.
        ``organ_support`` and ``hyperinflammation`` are 0/1.
    secondary_infection : (n,) bool
        A secondary (hospital-acquired) infection during follow-up.
    """

    death_hours: FloatArray
    daily: dict[str, FloatArray]
    secondary_infection: NDArray[np.bool_]

    def __post_init__(self) -> None:
        n = np.asarray(self.death_hours).shape[0]
        missing = [k for k in DAILY_OUTCOMES if k not in self.daily]
        if missing:
            raise ValueError(
                f"Outcomes.daily lacks {missing}; expected at least {list(DAILY_OUTCOMES)}"
            )
        bad = {
            k: np.shape(v) for k, v in self.daily.items() if np.ndim(v) != 2 or np.shape(v)[0] != n
        }
        if bad or np.shape(self.secondary_infection) != (n,):
            raise ValueError(
                f"Outcomes arrays must have n={n} rows; got daily {bad or 'ok'}, "
                f"secondary_infection {np.shape(self.secondary_infection)}"
            )


@runtime_checkable
class TrialSimulator(Protocol):
    """What a trial needs from a virtual patient model (see the module docstring).

    Implementations must be picklable (chunks run in other processes) and deterministic:
    the same inputs and seeds give the same outputs. An implementation may also define
    ``enrolment_criterion(preset) -> str | None``: the screening assessment column every
    enrolled patient of that population preset must meet (e.g. ``"septic_shock"``).
    """

    #: Save points per day during follow-up (the grid ``outcomes`` reads).
    samples_per_day: int

    def fingerprint(self) -> str:
        """Text that changes whenever the model or its settings change (part of a run id)."""
        ...

    def sample(self, n: int, preset: str, seed: np.random.SeedSequence) -> Cohort:
        """Draw ``n`` virtual patients of ``preset``."""
        ...

    def schedule(
        self, therapies: Sequence[TherapySpec], origin_hours: float | FloatArray, cohort: Cohort
    ) -> Schedule:
        """Doses of ``therapies`` for the patients of ``cohort`` (per-kg doses use each
        patient's weight), start times counted from ``origin_hours`` (hours since onset;
        one value or one per patient)."""
        ...

    def simulate(
        self, cohort: Cohort, schedule: Schedule, t_eval: FloatArray, until_death: bool = False
    ) -> SimulationResult:
        """Integrate ``cohort`` (from its ``init``) over ``t_eval`` (hours since onset).

        With ``until_death`` an implementation may stop a patient at the end of the day (counted
        from ``t_eval[0]``) in which it died; later save points are then NaN. Follow-up uses it:
        nothing after the day of death enters an endpoint, and integrating it is wasted.
        """
        ...

    def observations(
        self, result: SimulationResult, cohort: Cohort, rng: np.random.Generator
    ) -> pd.DataFrame:
        """Canonical long observations ``patient_id, hours, variable, value`` at every save
        time (``patient_id`` = row index in the cohort), with assay noise from ``rng``."""
        ...

    def death_hours(self, result: SimulationResult, cohort: Cohort) -> FloatArray:
        """Time of death (hours since onset) of each patient, ``inf`` if alive."""
        ...

    def outcomes(
        self, result: SimulationResult, cohort: Cohort, start_hours: float, n_days: int
    ) -> Outcomes:
        """Daily outcomes over days 1..n_days after ``start_hours``."""
        ...
