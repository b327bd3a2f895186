"""Therapy control: optimisation on the twin, twin-guided trial arms, Gymnasium environments.

``optimize(twin)`` searches, for each therapy the recommendation allows, the regimen (dose
within the studied range, start, interval, number of doses) that maximises expected 28-day
survival over the twin's posterior draws, penalised for hyperinflammation risk and dose
exposure, with the probability of harm capped (scenario model-predictive control); it returns
a :class:`Plan`. :func:`closed_loop` re-plans day by day as data arrive. See docs/control.md.
The Gymnasium environments live in :mod:`sepsistwin.control.gym` (importing it registers
them; docs/control-gym.md).

Research decision support: a plan is a model's hypothesis, never a dosing order.

Examples
--------
>>> from sepsistwin.control import Objective
>>> Objective().harm_cap
0.1
"""

from sepsistwin.control.loop import ClosedLoop, DayDecision, closed_loop
from sepsistwin.control.optimize import (
    DISCLAIMER,
    Candidate,
    Effect,
    Objective,
    OptimizerSettings,
    Plan,
    optimize,
)
from sepsistwin.control.space import DoseSpace, Regimen, dose_space, parse_regimen

__all__ = [
    "DISCLAIMER",
    "Candidate",
    "ClosedLoop",
    "DayDecision",
    "DoseSpace",
    "Effect",
    "Objective",
    "OptimizerSettings",
    "Plan",
    "Regimen",
    "closed_loop",
    "dose_space",
    "optimize",
    "parse_regimen",
]
