"""Virtual ICU patients whose truth is known: sampled, simulated, observed as an ICU would.

Used by the recovery validation (``benchmarks/bench_twin.py``) and the tests. Each patient is a
draw of the calibrated septic-shock population under standard care, observed with assay noise
only (the observation model without its model-discrepancy term) on an ICU schedule:

- morning labs every day at 08:00 (lactate, platelets, bilirubin, creatinine, CRP, lymphocytes,
  neutrophils, ferritin), each missing with probability :data:`P_MISSING_LAB` (ferritin
  :data:`P_MISSING_FERRITIN`);
- temperature and the norepinephrine dose at 08:00 and 20:00;
- mHLA-DR on days 1 and 3, IL-6/IL-10/TNF on days 0 and 2, each done with probability
  :data:`P_SPECIAL_LAB`; a quantitative culture (pathogen load) on day 0 with probability
  :data:`P_CULTURE`;
- body weight and the antibiotic start are recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.data import CATALOGUE
from sepsistwin.twin.forecast import DAILY_HOUR, HORIZON_DAYS, STEP_HOURS
from sepsistwin.twin.observation import ObservationModel
from sepsistwin.twin.prior import ABX_START, BODY_WEIGHT, PopulationPrior
from sepsistwin.twin.simulator import DEATH_OBSERVABLE, TwinSimulator

FloatArray = NDArray[np.float64]

DAILY_LABS = (
    "lactate",
    "platelets",
    "bilirubin",
    "creatinine",
    "crp",
    "lymphocytes",
    "neutrophils",
    "ferritin",
)
VITALS = ("temperature", "norepinephrine")
VITAL_HOURS = (DAILY_HOUR, DAILY_HOUR + 12.0)
SPECIAL = {"mhla_dr": (1, 3), "il6": (0, 2), "il10": (0, 2), "tnf": (0, 2)}
P_MISSING_LAB = 0.1
P_MISSING_FERRITIN = 0.3
P_SPECIAL_LAB = 0.8
P_CULTURE = 0.5


@dataclass
class VirtualCohort:
    """Virtual patients with known truth.

    Attributes
    ----------
    ids : list of str
        Patient ids.
    truth : ndarray (n, prior.ndim)
        True prior quantities.
    death_u : ndarray (n,)
        Each patient's uniform draw behind its death time.
    death_hours : ndarray (n,)
        True death time (``inf``: survived the horizon).
    observations : pandas.DataFrame
        Long table ``patient_id, time, variable, value, unit`` over the whole horizon (what an
        ICU would measure if the patient stayed), assay noise included.
    """

    ids: list[str]
    truth: FloatArray
    death_u: FloatArray
    death_hours: FloatArray
    observations: pd.DataFrame

    def window(self, until_day: int) -> pd.DataFrame:
        """Observations up to the end of ``until_day`` (what the twin is fitted on)."""
        return self.observations[self.observations["time"] < 24.0 * (until_day + 1)]


def virtual_cohort(
    n: int,
    prior: PopulationPrior,
    om: ObservationModel,
    seed: int = 0,
    horizon_days: int = HORIZON_DAYS,
    model: str = "sepsistwin",
) -> VirtualCohort:
    """Sample ``n`` patients from the prior, simulate them and observe them as an ICU does.

    Examples
    --------
    >>> from sepsistwin.twin import population_prior, observation_model
    >>> vc = virtual_cohort(2, population_prior(), observation_model(), seed=1)  # doctest: +SKIP
    >>> sorted(vc.observations.columns)  # doctest: +SKIP
    ['patient_id', 'time', 'unit', 'value', 'variable']
    """
    rng = np.random.default_rng(seed)
    cond = prior.conditional({})
    truth = cond.values(cond.sample(n, rng))
    sim = TwinSimulator(prior, model)
    grid = np.arange(0.0, 24.0 * horizon_days + STEP_HOURS / 2, STEP_HOURS)
    res = sim.run(truth, grid)
    death_u = rng.uniform(size=n)
    dp = np.atleast_2d(res.observables[DEATH_OBSERVABLE])
    thresh = 1.0 - death_u  # death when the death probability exceeds 1 - U
    crossed = dp >= thresh[:, None]
    death = np.where(crossed.any(axis=1), grid[np.argmax(crossed, axis=1)], np.inf)
    ids = [f"V{seed:04d}-{i:04d}" for i in range(n)]
    rows: list[pd.DataFrame] = []

    def add(pid: list[str], hours: FloatArray, var: str, vals: FloatArray) -> None:
        unit = CATALOGUE[var].canonical_unit
        rows.append(
            pd.DataFrame(
                {
                    "patient_id": pid,
                    "time": hours,
                    "variable": var,
                    "value": vals,
                    "unit": "" if unit == "1" else unit,
                }
            )
        )

    def at(hours: float) -> int:
        return round(hours / STEP_HOURS)

    for d in range(horizon_days):
        for var in DAILY_LABS + VITALS:
            if var not in om.variables:
                continue
            hours = VITAL_HOURS if var in VITALS else (DAILY_HOUR,)
            for h in hours:
                t = 24.0 * d + h
                p_miss = P_MISSING_FERRITIN if var == "ferritin" else P_MISSING_LAB
                keep = (rng.uniform(size=n) >= (0.0 if var in VITALS else p_miss)) & (t < death)
                model_v = om.model_values(var, np.atleast_2d(res.observables[var])[:, at(t)])
                vals = om.measure(var, model_v, rng, discrepancy=False)
                keep &= np.isfinite(vals)
                add([ids[i] for i in np.flatnonzero(keep)], np.full(keep.sum(), t), var, vals[keep])
        for var, days in SPECIAL.items():
            if var not in om.variables or (d not in days and d < 4):
                continue
            if d >= 4 and d % 2:  # later days: every other day, for validation of bands
                continue
            t = 24.0 * d + DAILY_HOUR
            keep = (rng.uniform(size=n) < P_SPECIAL_LAB) & (t < death)
            model_v = om.model_values(var, np.atleast_2d(res.observables[var])[:, at(t)])
            vals = om.measure(var, model_v, rng, discrepancy=False)
            keep &= np.isfinite(vals)
            add([ids[i] for i in np.flatnonzero(keep)], np.full(keep.sum(), t), var, vals[keep])
    if "pathogen_load" in om.variables:
        t = DAILY_HOUR
        keep = rng.uniform(size=n) < P_CULTURE
        model_v = om.model_values(
            "pathogen_load", np.atleast_2d(res.observables["pathogen_load"])[:, at(t)]
        )
        vals = om.measure("pathogen_load", model_v, rng, discrepancy=False)
        add(
            [ids[i] for i in np.flatnonzero(keep)],
            np.full(keep.sum(), t),
            "pathogen_load",
            vals[keep],
        )
    j_w, j_a = prior.index(BODY_WEIGHT), prior.index(ABX_START)
    add(ids, np.zeros(n), "weight", truth[:, j_w])
    add(ids, truth[:, j_a], "antibiotic", np.ones(n))
    obs = pd.concat(rows, ignore_index=True)
    order = {p: i for i, p in enumerate(ids)}
    obs = obs.sort_values(
        ["patient_id", "time"],
        key=lambda s: s.map(order) if s.name == "patient_id" else s,
        kind="stable",
    )
    return VirtualCohort(ids, truth, death_u, death, obs.reset_index(drop=True))
