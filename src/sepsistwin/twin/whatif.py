"""What-if: a regimen against standard care on the same posterior draws.

Each posterior draw is simulated twice, with and without the regimen (standard care and the
therapies already received in both arms), so the difference is the draw's individual effect;
its distribution over draws is the twin's uncertainty about that effect. Regimens are dose
specifications ``THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N][,route=R][,over=H]``; the evidence
base's regimens (those ``recommend`` lists) are turned into them by :func:`regimen_spec`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sepsistwin.solve import SimulationResult
from sepsistwin.twin.forecast import (
    conditional_death,
    daily_sofa,
    hyperinflammation,
)
from sepsistwin.twin.simulator import DEATH_OBSERVABLE

FloatArray = NDArray[np.float64]

#: Harm: the regimen raises the 28-day death probability by more than this (2 percentage points).
HARM_MARGIN = 0.02
#: Day whose SOFA the what-if compares (a week after time zero).
SOFA_DAY = 7

_FREQUENCY_HOURS = {
    "twice weekly": 84.0,
    "once weekly": 168.0,
    "weekly": 168.0,
    "daily": 24.0,
    "once daily": 24.0,
    "every other day": 48.0,
}
_ROUTES = {"IV": "iv", "SC": "sc", "IM": "im", "oral": "enteral", "enteral": "enteral"}


def _hours(value: float, unit: str) -> float:
    u = unit.strip().lower()
    if u in ("h", "hour", "hours"):
        return value
    if u in ("d", "day", "days"):
        return 24.0 * value
    if u in ("week", "weeks", "wk"):
        return 168.0 * value
    raise ValueError(f"duration unit {unit!r} is not h, d or weeks")


def regimen_spec(therapy_id: str, regimen_id: str, start_hours: float) -> str:
    """The dose specification of an evidence-base regimen started at ``start_hours``.

    Ranges use their lower end; a rate runs for the regimen's duration.

    Examples
    --------
    >>> regimen_spec("anakinra", "provide_iv", 48.0)
    'anakinra:200mg@48,every=8,n=21,route=iv'
    >>> regimen_spec("interferon_gamma", "provide_sc", 30.0)
    'interferon_gamma:100ug@30,every=48,n=8,route=sc'
    """
    from sepsistwin.evidence import load_evidence

    reg = load_evidence().therapy(therapy_id).regimen(regimen_id)
    unit = reg.dose.unit.replace("µ", "u").replace("μ", "u").replace(" ", "")
    if "x10^6cells" in unit:
        unit = unit.replace("x10^6cells", "cells")
        amount = f"{reg.dose.value * 1e6:g}{unit}"
    else:
        amount = f"{reg.dose.value:g}{unit}"
    route = _ROUTES.get(reg.route.value)
    if route is None:
        raise ValueError(f"{therapy_id}/{regimen_id}: route {reg.route.value} cannot be simulated")
    freq = reg.frequency.lower()
    interval = float(reg.interval_h.value) if reg.interval_h is not None else None
    if interval is None:
        interval = next((h for k, h in _FREQUENCY_HOURS.items() if freq.startswith(k)), None)
    duration = _hours(reg.duration.value, reg.duration.unit) if reg.duration is not None else None
    spec = f"{therapy_id}:{amount}@{start_hours:g}"
    if re.search(r"/h$", unit):
        if duration is None:
            raise ValueError(f"{therapy_id}/{regimen_id}: a rate without a duration")
        return spec + f",over={duration:g},route=iv_infusion"
    if "single" in freq or interval is None:
        return spec + f",route={route}"
    n = 1 if duration is None else max(1, round(duration / interval))
    return spec + f",every={interval:g},n={n},route={route}"


@dataclass
class WhatIf:
    """The posterior effect of one regimen against standard care."""

    therapy: str
    regimen: str
    label: str
    delta_mortality: FloatArray
    delta_sofa: FloatArray
    hyper_therapy: NDArray[np.bool_]
    hyper_control: NDArray[np.bool_]
    death_therapy: FloatArray
    source: str = "user"

    @property
    def p_benefit(self) -> float:
        """Posterior probability that the regimen lowers the 28-day death probability."""
        return float(np.mean(self.delta_mortality < 0))

    @property
    def p_harm(self) -> float:
        """Posterior probability that it raises it by more than :data:`HARM_MARGIN`."""
        return float(np.mean(self.delta_mortality > HARM_MARGIN))

    def to_dict(self) -> dict[str, Any]:
        """One entry of the JSON contract's ``whatif`` list."""
        d, s = self.delta_mortality, self.delta_sofa
        s_ok = s[np.isfinite(s)]
        return {
            "therapy": self.therapy,
            "regimen": self.regimen,
            "label": self.label,
            "source": self.source,
            "delta_mortality_28d": {
                "mean": float(d.mean()),
                "lo90": float(np.quantile(d, 0.05)),
                "hi90": float(np.quantile(d, 0.95)),
            },
            "delta_sofa_day7": {
                "mean": float(s_ok.mean()) if s_ok.size else None,
                "lo90": float(np.quantile(s_ok, 0.05)) if s_ok.size else None,
                "hi90": float(np.quantile(s_ok, 0.95)) if s_ok.size else None,
            },
            "p_benefit": self.p_benefit,
            "p_harm": self.p_harm,
            "hyperinflammation_risk": float(self.hyper_therapy.mean()),
            "hyperinflammation_risk_standard_care": float(self.hyper_control.mean()),
            "death_28d": float(self.death_therapy.mean()),
        }


def compare(
    therapy: str,
    spec: str,
    label: str,
    treated: SimulationResult,
    control: SimulationResult,
    fitted_until_hours: float,
    start_hours: float,
    source: str = "user",
) -> WhatIf:
    """Effect of ``spec`` from paired simulations of the same draws."""
    ok = treated.ok & control.ok
    t = treated.time
    i_fit = int(np.argmin(np.abs(t - fitted_until_hours)))
    dt = conditional_death(np.atleast_2d(treated.observables[DEATH_OBSERVABLE])[ok], i_fit, -1)
    dc = conditional_death(np.atleast_2d(control.observables[DEATH_OBSERVABLE])[ok], i_fit, -1)
    n_days = round((t[-1] - t[0]) / 24.0)
    day = min(SOFA_DAY, n_days - 1)
    st = daily_sofa(treated, n_days)[ok, day]
    sc = daily_sofa(control, n_days)[ok, day]
    return WhatIf(
        therapy,
        spec,
        label,
        dt - dc,
        st - sc,
        hyperinflammation(treated, start_hours)[ok],
        hyperinflammation(control, start_hours)[ok],
        dt,
        source,
    )
