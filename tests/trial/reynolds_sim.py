"""A test-only trial simulator on the Reynolds 2006 preset (not a product feature).

It exercises the trial machinery before the full ``sepsistwin`` model exists: patients differ in
pathogen growth ``k_pg`` and inoculum ``P(0)``; biomarkers are crude monotone read-outs of the
states (ferritin and IL-6 rise with activated phagocytes N, mHLA-DR and lymphocytes fall with the
anti-inflammatory mediator CA, organ variables worsen with damage D); death is D above a
threshold; an anti-inflammatory therapy is a bolus into CA, an immunostimulant a bolus into N.
None of these read-outs is a literature number: they only have to move the clinical rules.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sepsistwin.clinical import sofa
from sepsistwin.clinical.config import default_config
from sepsistwin.solve import Bolus, Schedule, SimulationResult, simulate_batch
from sepsistwin.trial.simulator import Cohort, Outcomes
from sepsistwin.trial.spec import TherapySpec

ANTI_INFLAMMATORY = {"anakinra", "anti_tnf", "tocilizumab", "il10"}
IMMUNOSTIMULANT = {
    "interferon_gamma",
    "nivolumab",
    "anti_pd_l1",
    "anti_ctla4",
    "il7",
    "il15",
    "gm_csf",
    "thymosin_alpha1",
}
DEATH_D = 12.0


def derived(P: np.ndarray, N: np.ndarray, D: np.ndarray, CA: np.ndarray) -> dict[str, np.ndarray]:
    """Crude canonical variables from the four Reynolds states."""
    del P
    Dp = np.maximum(D, 0.0)
    return {
        "ferritin": 200.0 + 6000.0 * np.maximum(N, 0.0),
        "il6": 20.0 + 1500.0 * np.maximum(N, 0.0),
        "mhla_dr": 20000.0 / (1.0 + 6.0 * np.maximum(CA, 0.0)),
        "lymphocytes": 2.0 / (1.0 + 3.0 * np.maximum(CA, 0.0)),
        "map": 90.0 - 3.0 * Dp,
        "platelets": 250.0 - 15.0 * Dp,
        "creatinine": 0.8 + 0.15 * Dp,
        "urine_output": 1500.0 - 60.0 * Dp,
        "norepinephrine": 0.02 * np.maximum(Dp - 4.0, 0.0),
        "lactate": 1.0 + 0.3 * Dp,
    }


class ReynoldsTrialSimulator:
    """Implements :class:`sepsistwin.trial.TrialSimulator` on ``reynolds2006``."""

    samples_per_day = 4

    def __init__(
        self, k_pg_range: tuple[float, float] = (0.3, 0.6), therapy_scale: float = 1.0
    ) -> None:
        self.k_pg_range = k_pg_range
        self.therapy_scale = therapy_scale

    def fingerprint(self) -> str:
        return f"reynolds-test:{self.k_pg_range}:{self.therapy_scale}"

    def sample(self, n: int, preset: str, seed: np.random.SeedSequence) -> Cohort:
        rng = np.random.default_rng(seed)
        k_pg = rng.uniform(*self.k_pg_range, n)
        p0 = np.exp(rng.normal(0.0, 0.25, n))
        return Cohort({"k_pg": k_pg}, {"P": p0}, {"u_infection": rng.random(n)})

    def schedule(
        self, therapies: Sequence[TherapySpec], origin_hours: float | np.ndarray, cohort: Cohort
    ) -> Schedule:
        doses = []
        for t in therapies:
            if t.therapy in ANTI_INFLAMMATORY:
                state = "CA"
            elif t.therapy in IMMUNOSTIMULANT:
                state = "N"
            else:
                raise ValueError(f"test simulator: no mechanism for {t.therapy!r}")
            for k in range(t.doses):
                h = origin_hours + t.start_hours + k * (t.every_hours or 0.0)
                doses.append(Bolus(state, h, 0.3 * self.therapy_scale))
        return Schedule(tuple(doses))

    def simulate(
        self, cohort: Cohort, schedule: Schedule, t_eval: np.ndarray, until_death: bool = False
    ) -> SimulationResult:
        del until_death  # optional in the protocol: this simulator always runs to the end
        return simulate_batch(
            "reynolds2006",
            cohort.params,
            cohort.init,
            t_eval,
            rtol=1e-6,
            atol=1e-9,
            doses=schedule,
            n=len(cohort),
        )

    def observations(
        self, result: SimulationResult, cohort: Cohort, rng: np.random.Generator
    ) -> pd.DataFrame:
        s = result.states
        vals = derived(s["P"], s["N"], s["D"], s["CA"])
        n, n_t = s["P"].shape
        frames = []
        for name, v in vals.items():
            noisy = v * np.exp(rng.normal(0.0, 0.05, v.shape))
            frames.append(
                pd.DataFrame(
                    {
                        "patient_id": np.repeat(np.arange(n), n_t),
                        "hours": np.tile(result.time, n),
                        "variable": name,
                        "value": noisy.reshape(-1),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def death_hours(self, result: SimulationResult, cohort: Cohort) -> np.ndarray:
        over = result.states["D"] > DEATH_D
        first = np.argmax(over, axis=1)
        return np.where(over.any(axis=1), result.time[first], np.inf)

    def outcomes(
        self, result: SimulationResult, cohort: Cohort, start_hours: float, n_days: int
    ) -> Outcomes:
        s = result.states
        vals = derived(s["P"], s["N"], s["D"], s["CA"])
        t = default_config().sofa
        death = self.death_hours(result, cohort)
        per_day = self.samples_per_day
        n = s["P"].shape[0]

        def daily(x: np.ndarray, worst: str) -> np.ndarray:
            body = x[:, 1 : 1 + n_days * per_day].reshape(n, n_days, per_day)
            return body.max(axis=2) if worst == "max" else body.min(axis=2)

        zeros = np.zeros_like(vals["map"])
        sofa_t = (
            sofa.cardiovascular(vals["map"], vals["norepinephrine"], zeros, zeros, zeros, t)
            + sofa.coagulation(vals["platelets"], t)
            + sofa.renal(vals["creatinine"], vals["urine_output"], t)
        ).astype(float)
        out = {
            "sofa": daily(sofa_t, "max"),
            "organ_support": daily((vals["norepinephrine"] > 0).astype(float), "max"),
            "lymphocytes": daily(vals["lymphocytes"], "min"),
            "mhla_dr": daily(vals["mhla_dr"], "min"),
            "hyperinflammation": daily((vals["ferritin"] > 4420).astype(float), "max"),
        }
        day_end = start_hours + 24.0 * np.arange(1, n_days + 1)
        for k in out:
            out[k][day_end[None, :] - 24.0 >= death[:, None]] = np.nan
        mean_ca = np.nanmean(s["CA"], axis=1)
        infection = cohort.extra["u_infection"] < 0.3 * mean_ca
        return Outcomes(death, out, infection)
