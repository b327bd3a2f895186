"""Posterior predictive summaries: bands per observable, phenotype per day, SOFA, death.

Daily clinical summaries use the clinical package's own rules and thresholds: the SOFA
component functions of :mod:`sepsistwin.clinical.sofa` (worst value of each day) and the
PROVIDE phenotype cut-offs of the clinical configuration (ferritin > 4,420 ng/mL: MALS, else
mHLA-DR < 5,000 AB/C: immunoparalysis, else intermediate; Leventogiannis et al. Cell Rep Med
2022;3:100817, doi:10.1016/j.xcrm.2022.100817).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.clinical import sofa
from sepsistwin.clinical.config import default_config
from sepsistwin.solve import SimulationResult
from sepsistwin.twin.observation import ObservationModel
from sepsistwin.twin.simulator import DEATH_OBSERVABLE

FloatArray = NDArray[np.float64]

#: Forecast horizon (days after time zero) and save step (hours).
HORIZON_DAYS = 28
STEP_HOURS = 4.0
#: Hour of each day at which the daily bands are reported (the morning lab round).
DAILY_HOUR = 8.0
#: Band levels.
BANDS = {"50": (0.25, 0.75), "90": (0.05, 0.95)}
PHENOTYPE_NAMES = ("MALS", "immunoparalysis", "intermediate")


def forecast_grid(horizon_days: int = HORIZON_DAYS) -> FloatArray:
    """Save times (hours) of forecasts: every :data:`STEP_HOURS` to the horizon."""
    return np.arange(0.0, 24.0 * horizon_days + STEP_HOURS / 2, STEP_HOURS)


def conditional_death(dp: FloatArray, i_from: int, i_to: int) -> FloatArray:
    """Probability of death between two save indices given alive at the first."""
    alive = np.clip(1.0 - dp[:, i_from], 1e-12, 1.0)
    return np.asarray(np.clip(1.0 - (1.0 - dp[:, i_to]) / alive, 0.0, 1.0), dtype=float)


def daily_sofa(res: SimulationResult, n_days: int) -> FloatArray:
    """Daily SOFA (n, n_days) from the model's SOFA variables (worst of each day).

    Renal from creatinine only (no urine output in the model); the sum of the six component
    points of the day, scored by :mod:`sepsistwin.clinical.sofa`.
    """
    cfg = default_config().sofa
    obs = res.observables
    per = round(24.0 / float(res.time[1] - res.time[0]))
    k = n_days * per

    def body(name: str) -> FloatArray:
        return np.atleast_2d(np.asarray(obs[name], dtype=float))[:, :k]

    n = body("pao2").shape[0]

    def worst(points: Any) -> FloatArray:
        x = np.asarray(points, dtype=float).reshape(n, n_days, per)
        return np.asarray(np.nanmax(x, axis=2), dtype=float)

    vent = body("mechanical_ventilation") > 0.5
    ne = body("norepinephrine")
    zero = np.zeros_like(ne)
    comps = [
        sofa.respiration(body("pao2") / body("fio2"), vent, cfg),
        sofa.coagulation(body("platelets"), cfg),
        sofa.liver(body("bilirubin"), cfg),
        sofa.cardiovascular(body("map"), ne, zero, zero, zero, cfg),
        sofa.cns(np.clip(np.round(body("gcs")), 3, 15), cfg),
        sofa.renal(body("creatinine"), np.full_like(ne, np.nan), cfg),
    ]
    with np.errstate(invalid="ignore"):
        return np.asarray(sum(worst(c) for c in comps), dtype=float)


def daily_phenotype(res: SimulationResult, n_days: int) -> NDArray[np.int_]:
    """Daily phenotype code (n, n_days): 0 MALS, 1 immunoparalysis, 2 intermediate."""
    cfg = default_config().phenotype
    per = round(24.0 / float(res.time[1] - res.time[0]))
    k = n_days * per
    fer = np.atleast_2d(res.observables["ferritin"])[:, :k]
    hla = np.atleast_2d(res.observables["mhla_dr"])[:, :k]
    n = fer.shape[0]
    fmax = np.nanmax(fer.reshape(n, n_days, per), axis=2)
    hmin = np.nanmin(hla.reshape(n, n_days, per), axis=2)
    code = np.full((n, n_days), 2, dtype=int)
    code[hmin < cfg.immunoparalysis_mhla_dr_ab_c] = 1
    code[fmax > cfg.mals_ferritin_ng_ml] = 0
    return code


def hyperinflammation(res: SimulationResult, from_hours: float) -> NDArray[np.bool_]:
    """Whether each draw is hyperinflamed (ferritin or IL-6 above the clinical thresholds)
    at any save time from ``from_hours``."""
    im = default_config().immune_state
    t = res.time >= from_hours - 1e-9
    fer = np.atleast_2d(res.observables["ferritin"])[:, t]
    il6 = np.atleast_2d(res.observables["il6"])[:, t]
    with np.errstate(invalid="ignore"):
        hot = (fer > im.ferritin_high_ng_ml.value) | (il6 > im.il6_high_pg_ml.value)
    return np.asarray(hot.any(axis=1), dtype=bool)


@dataclass
class Forecast:
    """Posterior predictive forecast of one twin.

    Attributes
    ----------
    bands : pandas.DataFrame
        ``variable, hours, day, median, lo50, hi50, lo90, hi90`` (canonical units) at every
        save time, measurement noise included.
    phenotype : pandas.DataFrame
        ``day, MALS, immunoparalysis, intermediate`` probabilities.
    death_28d : dict
        ``mean, lo90, hi90`` of the probability of death by day 28 given alive at the fit.
    death_draws : ndarray
        Per posterior draw, that probability.
    sofa : pandas.DataFrame
        ``day, median, lo90, hi90`` of daily SOFA.
    """

    bands: pd.DataFrame
    phenotype: pd.DataFrame
    death_28d: dict[str, float]
    death_draws: FloatArray
    sofa: pd.DataFrame
    fitted_until_hours: float

    def daily(self, variable: str, hour: float = DAILY_HOUR) -> pd.DataFrame:
        """Bands of ``variable`` at ``hour`` of each day."""
        b = self.bands[self.bands["variable"] == variable]
        return b[np.isclose(b["hours"] % 24.0, hour)].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """The forecast block of the JSON contract."""
        observables = {}
        for v in self.bands["variable"].unique():
            d = self.daily(str(v))
            observables[str(v)] = [
                {
                    "day": int(r.day),
                    "median": float(r.median),
                    "lo50": float(r.lo50),
                    "hi50": float(r.hi50),
                    "lo90": float(r.lo90),
                    "hi90": float(r.hi90),
                }
                for r in d.itertuples()
            ]
        return {
            "death_28d": dict(self.death_28d),
            "observables": observables,
            "phenotype_probability": [
                {"day": int(r["day"]), **{p: float(r[p]) for p in PHENOTYPE_NAMES}}
                for r in self.phenotype.to_dict(orient="records")
            ],
            "sofa": [
                {k: (int(v) if k == "day" else float(v)) for k, v in r.items()}
                for r in self.sofa.to_dict(orient="records")
            ],
        }


def summarise(
    res: SimulationResult,
    om: ObservationModel,
    fitted_until_hours: float,
    rng: np.random.Generator,
    *,
    noise: bool = True,
    discrepancy: bool = True,
) -> Forecast:
    """Bands, phenotype probabilities, SOFA and death from posterior draws ``res``."""
    ok = res.ok
    t = res.time
    n_days = round((t[-1] - t[0]) / 24.0)
    rows = []
    q = np.array([0.5, *BANDS["50"], *BANDS["90"]])
    for v in om.variables:
        vals = om.model_values(v, np.atleast_2d(res.observables[v])[ok])
        if noise:
            vals = om.measure(v, vals, rng, discrepancy=discrepancy)
        qs = np.nanquantile(vals, q, axis=0)
        rows.append(
            pd.DataFrame(
                {
                    "variable": v,
                    "hours": t,
                    "day": np.floor(t / 24.0).astype(int),
                    "median": qs[0],
                    "lo50": qs[1],
                    "hi50": qs[2],
                    "lo90": qs[3],
                    "hi90": qs[4],
                }
            )
        )
    bands = pd.concat(rows, ignore_index=True)
    dp = np.atleast_2d(res.observables[DEATH_OBSERVABLE])[ok]
    i_fit = int(np.argmin(np.abs(t - fitted_until_hours)))
    death = conditional_death(dp, i_fit, t.size - 1)
    code = daily_phenotype(res, n_days)[ok]
    phen = pd.DataFrame(
        {
            "day": np.arange(n_days),
            **{p: (code == i).mean(axis=0) for i, p in enumerate(PHENOTYPE_NAMES)},
        }
    )
    sofa_d = daily_sofa(res, n_days)[ok]
    sofa_q = np.nanquantile(sofa_d, [0.5, 0.05, 0.95], axis=0)
    sofa_frame = pd.DataFrame(
        {"day": np.arange(n_days), "median": sofa_q[0], "lo90": sofa_q[1], "hi90": sofa_q[2]}
    )
    return Forecast(
        bands,
        phen,
        {
            "mean": float(death.mean()),
            "lo90": float(np.quantile(death, 0.05)),
            "hi90": float(np.quantile(death, 0.95)),
        },
        death,
        sofa_frame,
        fitted_until_hours,
    )
