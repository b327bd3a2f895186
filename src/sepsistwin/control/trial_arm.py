"""The twin-guided trial arm: the closed loop run on every virtual patient of the arm.

Per patient (from its state at enrollment): observe the days up to enrollment and each
decision day as an ICU does (:mod:`sepsistwin.control.observe`), fit then update its twin,
optimise, give the next 24 h of the plan's doses, simulate the patient with them, and repeat
for ``decision_days`` days (:func:`sepsistwin.control.closed_loop`). The doses given become the
patient's therapy entries; the trial simulates and scores them like any other arm's. All
randomness (noise, missingness, the fits, the search) is seeded by the trial seed and the
patient's global id, so a patient gets the same decisions in any chunk order, process or Dask
worker, and in the randomised and the counterfactual rows.

Registered with the trial package as the arm kind ``twin_guided`` (entry point
``sepsistwin.trial_arms``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sepsistwin.control.loop import ClosedLoop, closed_loop
from sepsistwin.control.observe import icu_observations, icu_times, screening_observations
from sepsistwin.control.optimize import Objective, OptimizerSettings
from sepsistwin.control.space import parse_regimen
from sepsistwin.solve import Schedule
from sepsistwin.trial.arms import ArmContext
from sepsistwin.trial.spec import ArmSpec, Dose, TherapySpec, TwinGuidedSpec
from sepsistwin.twin import SamplerSettings, observation_model, without_discrepancy

#: Save step (hours) of the simulated patient between observations.
STEP_HOURS = 4.0


def therapy_entries(doses: Sequence[str], origin: float) -> list[TherapySpec]:
    """The trial's therapy entries of single-dose specifications, timed from ``origin``.

    Examples
    --------
    >>> t = therapy_entries(["anakinra:200mg@30,route=iv"], 24.0)[0]
    >>> t.therapy, t.dose.text, t.route, t.start_hours
    ('anakinra', '200 mg', 'IV', 6.0)
    """
    out = []
    for spec in doses:
        r = parse_regimen(spec)
        out.append(
            TherapySpec(
                therapy=r.therapy,
                dose=Dose.from_text(f"{r.dose:g} {r.unit}"),
                route=r.route,
                start_hours=max(0.0, r.start_hours - origin),
                every_hours=r.interval_hours if r.n_doses > 1 else None,
                doses=r.n_doses,
                infusion_hours=None,
            )
        )
    return out


@dataclass
class TwinGuidedArm:
    """Arm kind ``twin_guided``: see the module docstring."""

    arm: ArmSpec

    @property
    def settings(self) -> TwinGuidedSpec:
        """The arm's loop settings."""
        if self.arm.twin_guided is None:
            raise ValueError(f"arm {self.arm.name!r} has no twin_guided block")
        return self.arm.twin_guided

    def therapies(self, context: ArmContext) -> tuple[list[list[TherapySpec]], list[str]]:
        """Run the loop on every patient of ``context``; their doses and decisions (JSON)."""
        lists, notes = [], []
        for i in range(len(context.cohort)):
            loop = self.run_patient(context, i)
            lists.append(therapy_entries(loop.given, context.enrollment_hours))
            notes.append(
                json.dumps(
                    {
                        "given": loop.given,
                        "days": [
                            {
                                "day": d.day,
                                "plan": None
                                if d.plan is None or d.plan.regimen is None
                                else d.plan.regimen.spec,
                                "converged": d.converged,
                                "why": d.note if d.plan is None else d.plan.reason,
                            }
                            for d in loop.decisions
                        ],
                    },
                    separators=(",", ":"),
                )
            )
        return lists, notes

    def run_patient(self, ctx: ArmContext, i: int) -> ClosedLoop:
        """The closed loop of the ``i``-th patient of ``ctx``."""
        cfg = self.settings
        sim = ctx.simulator
        at = ctx.enrollment_hours
        pid = f"T{int(ctx.patient_ids[i])}"
        one = ctx.cohort.take(np.array([i]))
        background = _row(ctx.background, i)
        om = without_discrepancy(observation_model())
        rng = np.random.default_rng(ctx.patient_seed(i, 0))
        weight = float(np.asarray(one.params["body_weight"])[0])
        care = one.extra.get("care_start_hours")
        history = {k: v[i] for k, v in ctx.history.items()}
        first = icu_observations(pid, ctx.history_time, history, om, rng, t_from=-1.0, t_to=at)
        # The screening labs that enrolled the patient are known to every arm.
        k_at = int(np.argmin(np.abs(ctx.history_time - at)))
        screened = screening_observations(
            pid, {v: float(x[k_at]) for v, x in history.items()}, om, rng, at=at
        )
        fixed = [
            {"patient_id": pid, "time": 0.0, "variable": "weight", "value": weight, "unit": "kg"}
        ]
        if care is not None:
            fixed.append(
                {
                    "patient_id": pid,
                    "time": float(np.asarray(care)[0]),
                    "variable": "antibiotic",
                    "value": 1.0,
                    "unit": "",
                }
            )
        frames = [pd.DataFrame(fixed), first, screened]
        observed_to = at
        death = [math.inf]

        def simulate(
            until: float, given: Sequence[str]
        ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
            grid = np.unique(np.concatenate([[at], icu_times(at, until), [until]]))
            sched = background + sim.schedule(therapy_entries(given, at), at, one)
            res = sim.simulate(one, sched, grid)
            death[0] = float(sim.death_hours(res, one)[0])
            return res.time, {k: np.atleast_2d(v)[0] for k, v in res.observables.items()}

        def observe(day: int, given: Sequence[str]) -> pd.DataFrame:
            nonlocal observed_to
            until = 24.0 * (day + 1)
            if until > observed_to:
                t, obs = simulate(until, given)
                day_rng = np.random.default_rng(ctx.patient_seed(i, 1, day))
                frames.append(
                    icu_observations(
                        pid,
                        t,
                        obs,
                        om,
                        day_rng,
                        t_from=observed_to,
                        t_to=until,
                        death_hours=death[0],
                    )
                )
                observed_to = until
            return pd.concat(frames, ignore_index=True)

        def alive(day: int, given: Sequence[str]) -> bool:
            # Day ``day`` decides at its end, once its data are in.
            decision = max(at, 24.0 * (day + 1))
            if decision > at:
                simulate(decision, given)
            return death[0] > decision

        first_day = max(0, math.ceil(at / 24.0) - 1)
        seed = int(ctx.patient_seed(i, 2).generate_state(1)[0] % (2**31))
        return closed_loop(
            observe,
            pid,
            first_day=first_day,
            last_day=first_day + cfg.decision_days - 1,
            horizon_days=cfg.horizon_days,
            objective=Objective(harm_cap=cfg.harm_cap),
            settings=OptimizerSettings(
                draws=cfg.draws,
                report_draws=cfg.report_draws,
                popsize=cfg.popsize,
                generations=cfg.generations,
                seed=seed,
            ),
            sampler=SamplerSettings(
                n_walkers=cfg.walkers,
                burn=cfg.burn,
                block=min(cfg.steps, 50),
                min_steps=cfg.steps,
                max_steps=cfg.steps,
                init_draws=cfg.init_draws,
                ess_min=cfg.ess_min,
                rhat_max=cfg.rhat_max,
                tau_factor=0.5,
            ),
            observation=om,
            alive=alive,
            not_before=at,
            seed=seed,
            complete_last_plan=cfg.complete_last_plan,
        )


def _row(schedule: Schedule, i: int) -> Schedule:
    """Patient ``i``'s part of a per-patient schedule."""
    from sepsistwin.solve import Bolus, Infusion

    def one(v: object) -> object:
        a = np.asarray(v)
        return v if a.ndim == 0 else a[i : i + 1]

    doses: list[Bolus | Infusion] = []
    for d in schedule.doses:
        if isinstance(d, Bolus):
            doses.append(Bolus(d.state, one(d.time), one(d.amount)))  # type: ignore[arg-type]
        else:
            doses.append(
                Infusion(d.state, one(d.start), one(d.duration), one(d.rate))  # type: ignore[arg-type]
            )
    return Schedule(tuple(doses))
