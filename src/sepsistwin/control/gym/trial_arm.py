"""Arm kind ``random_daily``: the Gymnasium environment's random policy as a trial arm.

Each day from enrollment, for ``random_daily.days`` days, one action is drawn uniformly from
the environment's default action catalogue (:class:`~sepsistwin.control.gym.actions.
ActionCatalogue`, ``Discrete``: "nothing" or one dose level), and that level's doses of the
day become therapy entries, as the environment gives them (a level repeated ``every_hours``
within the day; an infusion over its hours). The draws are seeded from the trial seed and the
patient's global id, so a patient gets the same actions in the randomised and the
counterfactual rows, in any chunk order, process or Dask worker. The trial engine finds this
kind through the entry point group ``sepsistwin.trial_arms``.

It puts the environment's random baseline beside model-predictive and rule-based arms on the
same patients (``benchmarks/bench_control_baselines.py``, docs/control.md).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from sepsistwin.control.gym.actions import ActionCatalogue, DoseLevel
from sepsistwin.trial.arms import ArmContext
from sepsistwin.trial.spec import ArmSpec, Dose, RandomDailySpec, TherapySpec

#: Hours of one decision interval (the environment's default: daily).
INTERVAL_HOURS = 24.0


def level_entry(level: DoseLevel, start_hours: float) -> TherapySpec:
    """One interval of ``level`` from ``start_hours`` (after enrollment) as a therapy entry.

    Examples
    --------
    >>> from sepsistwin.control.gym.actions import DEFAULT_LEVELS
    >>> t = level_entry(DEFAULT_LEVELS[0], 48.0)
    >>> t.therapy, t.dose.text, t.start_hours, t.every_hours, t.doses
    ('anakinra', '200 mg', 48.0, 8.0, 3)
    """
    n = 1
    if level.every_hours:
        n = max(1, math.floor(INTERVAL_HOURS / level.every_hours + 1e-9))
    return TherapySpec(
        therapy=level.therapy,
        dose=Dose.from_text(level.dose),
        route="iv" if level.route == "iv_infusion" else level.route,
        start_hours=start_hours,
        every_hours=level.every_hours if n > 1 else None,
        doses=n,
        infusion_hours=level.infusion_hours,
    )


@dataclass
class RandomDailyArm:
    """Arm kind ``random_daily``: see the module docstring."""

    arm: ArmSpec

    @property
    def settings(self) -> RandomDailySpec:
        """The arm's settings."""
        if self.arm.random_daily is None:
            raise ValueError(f"arm {self.arm.name!r} has no random_daily block")
        return self.arm.random_daily

    def therapies(self, context: ArmContext) -> tuple[list[list[TherapySpec]], list[str]]:
        """Per patient of ``context``: the doses of its random actions and the actions (JSON)."""
        catalogue = ActionCatalogue()
        n_actions = 1 + len(catalogue.levels)
        lists, notes = [], []
        for i in range(len(context.cohort)):
            rng = np.random.default_rng(context.patient_seed(i, 5))
            actions = rng.integers(0, n_actions, size=self.settings.days)
            entries = [
                level_entry(catalogue.levels[k], INTERVAL_HOURS * day)
                for day, a in enumerate(actions.tolist())
                for k in catalogue.level_indices(a)
            ]
            lists.append(entries)
            notes.append(json.dumps({"actions": actions.tolist()}, separators=(",", ":")))
        return lists, notes
