"""The receding horizon: observe, update the twin, re-optimise, give the day's doses, repeat.

Each decision day the twin is conditioned on the data to the end of that day and on every dose
given so far (the first day by :func:`~sepsistwin.twin.fit`, later days by
:meth:`~sepsistwin.twin.Twin.update`, warm-started), a plan is optimised over the whole
horizon, and only its doses of the next 24 hours are given; the next day re-plans with the
new data. A day whose fit has not converged gives no immunotherapy (and says so).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from sepsistwin.control.optimize import Objective, OptimizerSettings, Plan, optimize

if TYPE_CHECKING:
    from sepsistwin.data import Timeline
    from sepsistwin.twin import ObservationModel, SamplerSettings, Twin

#: Hours of doses given after each decision before the next one re-plans.
REPLAN_HOURS = 24.0


@dataclass(frozen=True)
class DayDecision:
    """One day of the loop: when it decided, the plan, and the doses it gave.

    Attributes
    ----------
    day : int
        Data to the end of this day.
    hours : float
        Decision time (hours since time zero).
    plan : Plan or None
        ``None`` when the twin did not converge (nothing given that day).
    given : list of str
        Doses given until the next decision.
    converged : bool
        Whether the twin's fit converged.
    note : str
        Why nothing was given, when nothing was.
    """

    day: int
    hours: float
    plan: Plan | None
    given: list[str]
    converged: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the plan in full)."""
        return {
            "day": self.day,
            "hours": self.hours,
            "converged": self.converged,
            "given": list(self.given),
            "note": self.note,
            "plan": None if self.plan is None else self.plan.to_dict(),
        }


@dataclass
class ClosedLoop:
    """The decisions of a closed loop and every dose it gave."""

    patient_id: str
    decisions: list[DayDecision] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    twin: Twin | None = None
    seconds: float = 0.0

    @property
    def n_not_converged(self) -> int:
        """Decision days whose twin did not converge."""
        return sum(not d.converged for d in self.decisions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "patient_id": self.patient_id,
            "given": list(self.given),
            "completed": list(self.completed),
            "decisions": [d.to_dict() for d in self.decisions],
            "seconds": self.seconds,
        }


def closed_loop(
    observe: Callable[[int, Sequence[str]], Timeline | pd.DataFrame],
    patient_id: str,
    *,
    first_day: int,
    last_day: int,
    received: Sequence[str] = (),
    horizon_days: int = 7,
    objective: Objective | None = None,
    settings: OptimizerSettings | None = None,
    sampler: SamplerSettings | None = None,
    observation: ObservationModel | None = None,
    alive: Callable[[int, Sequence[str]], bool] | None = None,
    not_before: float = 0.0,
    seed: int = 0,
    complete_last_plan: bool = False,
) -> ClosedLoop:
    """Run the receding-horizon loop from ``first_day`` to ``last_day`` (inclusive).

    Parameters
    ----------
    observe : callable
        ``observe(day, given)``: the patient's data to the end of ``day`` when the doses
        ``given`` (dose specifications) have been given (a replayed timeline ignores them; a
        virtual patient is simulated with them).
    patient_id : str
        The patient.
    first_day, last_day : int
        Decision days.
    received : list of str
        Doses given before the loop starts.
    horizon_days : int
        Planning horizon of each decision.
    objective, settings : optional
        Passed to :func:`~sepsistwin.control.optimize`.
    sampler : SamplerSettings, optional
        The twin's MCMC settings.
    observation : ObservationModel, optional
        The twin's observation model.
    alive : callable, optional
        ``alive(day, given)``: whether the patient is alive at the decision of ``day`` (the
        loop stops when not).
    not_before : float
        No dose before this hour (e.g. enrollment).
    seed : int
        Seed of the fits and of the search.
    complete_last_plan : bool
        After the last decision day, give the rest of its plan (listed in
        ``ClosedLoop.completed`` and in ``given``): a loop that stops re-planning does not cut
        a course short. Default: only each day's next 24 h.

    Returns
    -------
    ClosedLoop

    Examples
    --------
    >>> loop = closed_loop(lambda d, given: timeline, "ICU-001", first_day=1,
    ...                    last_day=3)  # doctest: +SKIP
    >>> loop.given  # doctest: +SKIP
    """
    from dataclasses import replace

    from sepsistwin.twin import fit

    t_start = time.perf_counter()
    out = ClosedLoop(patient_id, given=list(received))
    twin: Twin | None = None
    committed_until = float(not_before)
    cfg = settings or OptimizerSettings()
    for day in range(int(first_day), int(last_day) + 1):
        if alive is not None and not alive(day, out.given):
            break
        data = observe(day, list(out.given))
        if twin is None:
            twin = fit(
                data,
                patient_id,
                until_day=day,
                received=list(out.given),
                observation=observation,
                settings=sampler,
                seed=seed,
            )
        else:
            twin = twin.update(data, until_day=day, received=list(out.given))
        out.twin = twin
        t0 = max(float(twin.data.last_hours), committed_until)
        if not twin.converged:
            out.decisions.append(
                DayDecision(
                    day,
                    t0,
                    None,
                    [],
                    False,
                    f"twin not converged ({twin.diagnostics.reason}): no immunotherapy today",
                )
            )
            continue
        plan = optimize(
            twin,
            horizon_days=horizon_days,
            objective=objective,
            settings=replace(cfg, seed=cfg.seed + day),
            earliest_start=committed_until,
        )
        t_from = max(plan.decision_hours, committed_until)
        t_to = t_from + REPLAN_HOURS
        given = plan.doses_between(t_from, t_to)
        out.given.extend(given)
        committed_until = t_to
        out.decisions.append(DayDecision(day, plan.decision_hours, plan, given, True))
    last = out.decisions[-1].plan if out.decisions else None
    if complete_last_plan and last is not None:
        out.completed = last.doses_between(committed_until, float("inf"))
        out.given.extend(out.completed)
    out.seconds = time.perf_counter() - t_start
    return out
