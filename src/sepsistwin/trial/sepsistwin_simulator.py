"""The default trial simulator: the ``sepsistwin`` immune model and its virtual population.

- ``sample``: :func:`sepsistwin.population.sample_population` (host and infection parameters,
  body weight, antibiotic start, the uniform draw behind each death).
- ``schedule``: :func:`sepsistwin.model.pharmacology.therapy_schedule` (clinical dose, route,
  per-kg doses on each patient's weight); background therapies start from each patient's
  sampled antibiotic start (``care_start_hours``).
- ``observations``: :func:`sepsistwin.population.observations` (catalogue observables with
  assay noise), assessed by the clinical code at screening.
- ``death_hours``: :func:`sepsistwin.population.death_times` (cumulative hazard ``HZ``).
- ``outcomes``: daily SOFA from the model's SOFA variables scored by the same rule functions
  as :func:`sepsistwin.clinical.assess` (:mod:`sepsistwin.clinical.sofa`, worst component of
  each day), organ support (vasopressor or ventilation), lymphocytes and mHLA-DR (day
  minimum), hyperinflammation (ferritin or IL-6 above the clinical thresholds), secondary
  infection (nosocomial pathogen load above :data:`SECONDARY_INFECTION_CFU_ML`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.solve import Schedule, SimulationResult, StopWhen, simulate_batch
from sepsistwin.trial.simulator import Cohort, Outcomes
from sepsistwin.trial.spec import TherapySpec, TrialSpec

#: Secondary (nosocomial) infection: second-pathogen load of at least 10^5 CFU/mL. PROPOSAL,
#: by analogy with the quantitative endotracheal-aspirate threshold for ventilator-associated
#: pneumonia (10^5-10^6 CFU/mL; ATS/IDSA HAP/VAP guideline, Am J Respir Crit Care Med
#: 2005;171:388, RECALLED).
SECONDARY_INFECTION_CFU_ML = 1e5

#: Solver tolerances of trial simulations (as the population module's own simulations).
RTOL, ATOL = 1e-5, 1e-8
#: Relative tolerance of the closed linear states (drug compartments with linear PK, endotoxin,
#: cell grafts: ``sepsistwin.model.linear_states``). A drug amount to 0.1 % is far inside its
#: PK variability (CV 20-40 %), and at RTOL the distribution and elimination phases of
#: q8h meropenem set the step size of the whole model: 777 -> 624 steps per patient (24 h + 28
#: days), 12-15 % less CPU, with the same error on the clinical observables against an rtol 1e-9
#: reference (docs/architecture.md, "Trial simulations").
RTOL_LINEAR = 1e-3

_ROUTE = {
    "IV": "iv",
    "SC": "sc",
    "IM": "im",
    "oral": "enteral",
    "enteral": "enteral",
    "rectal": "enteral",
    "ex_vivo": "iv",
}

FloatArray = NDArray[np.float64]


class SepsistwinSimulator:
    """:class:`~sepsistwin.trial.TrialSimulator` on the ``sepsistwin`` model.

    Parameters
    ----------
    preset : str
        Population preset (``"septic_shock"`` or ``"sepsis"``), used when a spec names none.
    samples_per_day : int
        Save points per day during follow-up (daily values are the worst of them).

    Examples
    --------
    >>> sim = SepsistwinSimulator()
    >>> cohort = sim.sample(3, "septic_shock", np.random.SeedSequence(1))
    >>> len(cohort), "care_start_hours" in cohort.extra
    (3, True)
    """

    model = "sepsistwin"

    def __init__(self, preset: str = "septic_shock", samples_per_day: int = 4) -> None:
        if isinstance(samples_per_day, bool) or samples_per_day < 1 or 24 % samples_per_day:
            raise ValueError(
                f"samples_per_day must divide 24 (1, 2, 3, 4, 6, ...), got {samples_per_day!r}"
            )
        self.preset = preset
        self.samples_per_day = int(samples_per_day)
        self._rtol: dict[str, float] | None = None

    def fingerprint(self) -> str:
        """Model fingerprint, stored calibration (parameter set and population) and settings."""
        from sepsistwin.model import get_model
        from sepsistwin.population import load_calibrated_parameters

        cal = load_calibrated_parameters()
        cal_text = repr(
            (
                sorted(cal.model.items()),
                sorted((k, sorted(v.items())) for k, v in cal.population.items()),
            )
        )
        digest = hashlib.sha256(cal_text.encode()).hexdigest()[:12]
        return (
            f"sepsistwin:{get_model(self.model).fingerprint}:cal={digest}:"
            f"spd={self.samples_per_day}:rtol={RTOL}/{RTOL_LINEAR}"
        )

    # --- patients ---------------------------------------------------------------------------
    def enrolment_criterion(self, preset: str) -> str | None:
        """The clinical criterion a patient of ``preset`` meets at enrolment.

        Examples
        --------
        >>> SepsistwinSimulator().enrolment_criterion("septic_shock")
        'septic_shock'
        """
        from sepsistwin.population.sampler import PRESET_ENROLMENT, canonical_preset

        return PRESET_ENROLMENT.get(canonical_preset(preset or self.preset))

    def sample(self, n: int, preset: str, seed: np.random.SeedSequence) -> Cohort:
        """Draw ``n`` patients of ``preset`` from the chunk's population seed."""
        from sepsistwin.population import sample_population

        int_seed = int(seed.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        pop = sample_population(n, preset=preset or self.preset, seed=int_seed)
        return Cohort(
            dict(pop.params),
            dict(pop.init),
            {"care_start_hours": pop.abx_start, "death_u": pop.death_u},
        )

    # --- therapies --------------------------------------------------------------------------
    def _one(self, t: TherapySpec, at: float | FloatArray, weight: FloatArray) -> Schedule:
        from sepsistwin.model.pharmacology import therapy_schedule

        route = _ROUTE.get(t.route, t.route.lower())
        if t.infusion_hours is not None:
            if route != "iv":
                raise ValueError(f"{t.therapy}: infusion_hours needs route iv, got {t.route}")
            route = "iv_infusion"
        start = np.asarray(at, dtype=float) + t.start_hours
        return therapy_schedule(
            t.therapy,
            t.dose.text,
            start if start.ndim else float(start),
            route=route,
            every=t.every_hours,
            n=t.doses,
            weight_kg=weight,
            over_hours=t.infusion_hours,
        )

    def schedule(
        self, therapies: Sequence[TherapySpec], origin_hours: float | FloatArray, cohort: Cohort
    ) -> Schedule:
        """Doses of ``therapies`` from ``origin_hours`` for every patient of ``cohort``."""
        weight = np.asarray(cohort.params["body_weight"], dtype=float)
        out = Schedule()
        for t in therapies:
            out = out + self._one(t, origin_hours, weight)
        return out

    def check_spec(self, spec: TrialSpec) -> None:
        """Raise ``ValueError`` naming the arm and therapy the model cannot dose as written."""
        weight = np.array([75.0])
        entries = [("background", t) for t in spec.background]
        for arm in spec.arms:
            entries += [(f"arms: {arm.name}", t) for t in arm.therapies]
            entries += [
                (f"arms: {arm.name}: guided {ph}", t) for ph, ts in arm.guided.items() for t in ts
            ]
        for where, t in entries:
            try:
                self._one(t, 24.0, weight)
            except ValueError as exc:
                raise ValueError(f"{where}: {t.therapy} {t.dose.text} {t.route}: {exc}") from None

    # --- simulation -------------------------------------------------------------------------
    def simulate(
        self, cohort: Cohort, schedule: Schedule, t_eval: FloatArray, until_death: bool = False
    ) -> SimulationResult:
        """Integrate the cohort with ``schedule`` over ``t_eval`` (hours since onset).

        ``until_death``: each patient stops at the end of the day (from ``t_eval[0]``) in which
        its cumulative hazard reached its own ``-log(U)`` (the death rule of
        :func:`~sepsistwin.population.death_times`); results up to then are unchanged.
        """
        stop = None
        if until_death:
            thr = -np.log(np.clip(np.asarray(cohort.extra["death_u"], dtype=float), 1e-300, 1.0))
            stop = StopWhen("HZ", thr, grid=24.0, origin=float(np.asarray(t_eval)[0]))
        return simulate_batch(
            self.model,
            cohort.params,
            cohort.init,
            t_eval,
            rtol=self.tolerances(),
            atol=ATOL,
            doses=schedule,
            n=len(cohort),
            stop=stop,
        )

    def tolerances(self) -> dict[str, float]:
        """Relative tolerance per state: :data:`RTOL`, :data:`RTOL_LINEAR` for the closed
        linear states (drug compartments).

        Examples
        --------
        >>> rt = SepsistwinSimulator().tolerances()
        >>> rt["P"], rt["meropenem_c"]
        (1e-05, 0.001)
        """
        if self._rtol is None:
            from sepsistwin.model import get_model, linear_states

            m = get_model(self.model)
            linear = set(linear_states(m))
            self._rtol = {s: (RTOL_LINEAR if s in linear else RTOL) for s in m.state_names}
        return dict(self._rtol)

    def observations(
        self, result: SimulationResult, cohort: Cohort, rng: np.random.Generator
    ) -> pd.DataFrame:
        """Catalogue observables at every save time, with assay noise (integer patient ids)."""
        from sepsistwin.population import observations

        seed = int(rng.integers(0, 2**63 - 1))
        ids: Any = np.arange(result.n_patients)  # integer ids: row index in the cohort
        return observations(result, result.time.tolist(), seed=seed, patient_ids=ids)

    def death_hours(self, result: SimulationResult, cohort: Cohort) -> FloatArray:
        """Death times from the cumulative hazard and each patient's uniform draw."""
        from sepsistwin.population import death_times

        return death_times(result, cohort.extra["death_u"])

    def outcomes(
        self, result: SimulationResult, cohort: Cohort, start_hours: float, n_days: int
    ) -> Outcomes:
        """Daily outcomes over days 1..n_days after ``start_hours`` (NaN after death)."""
        from sepsistwin.clinical import sofa
        from sepsistwin.clinical.config import default_config

        cfg = default_config()
        obs = result.observables
        n = result.n_patients
        per = self.samples_per_day
        k = n_days * per
        if result.time.size < k + 1:
            raise ValueError(
                f"simulation has {result.time.size} save points; {n_days} days at "
                f"{per} per day need {k + 1}"
            )

        def body(name: str) -> FloatArray:
            return np.asarray(obs[name], dtype=float)[:, 1 : k + 1]

        def daily(x: FloatArray, how: str) -> FloatArray:
            r = x.reshape(n, n_days, per)
            return r.max(axis=2) if how == "max" else r.min(axis=2)

        def fdaily(x: FloatArray, how: str) -> FloatArray:
            # NaN-ignoring day extreme (all-NaN day -> NaN, scored 0 like each NaN sample).
            r = x.reshape(n, n_days, per)
            with np.errstate(invalid="ignore"):
                return np.fmax.reduce(r, axis=2) if how == "max" else np.fmin.reduce(r, axis=2)

        t = cfg.sofa
        vent = body("mechanical_ventilation") > 0
        pf = body("pao2") / body("fio2")
        ne = body("norepinephrine")
        zero = np.zeros_like(ne)
        days_shape = (n, n_days)
        # Coagulation, liver, CNS and renal (creatinine only: no urine output) are step
        # functions monotone in one input: the day's worst points are the points of the
        # day's worst value, scored once per day instead of at every save point (the same
        # integers; a NaN sample scores 0 either way).
        comps = [
            sofa.respiration(pf, vent, t),
            sofa.coagulation(fdaily(body("platelets"), "min"), t),
            sofa.liver(fdaily(body("bilirubin"), "max"), t),
            sofa.cardiovascular(body("map"), ne, zero, zero, zero, t),
            sofa.cns(fdaily(np.clip(np.round(body("gcs")), 3, 15), "min"), t),
            sofa.renal(fdaily(body("creatinine"), "max"), np.full(days_shape, np.nan), t),
        ]
        # SOFA convention: each component's worst value of the day, then the sum.
        day_sofa = sum(
            np.asarray(c, dtype=float)
            if c.shape == days_shape
            else daily(np.asarray(c, dtype=float), "max")
            for c in comps
        )
        im = cfg.immune_state
        hyper = (
            (body("ferritin") > im.ferritin_high_ng_ml.value)
            | (body("il6") > im.il6_high_pg_ml.value)
        ).astype(float)
        daily_out = {
            "sofa": np.asarray(day_sofa, dtype=float),
            "organ_support": daily(((ne > 0) | vent).astype(float), "max"),
            "lymphocytes": daily(body("lymphocytes"), "min"),
            "mhla_dr": daily(body("mhla_dr"), "min"),
            "hyperinflammation": daily(hyper, "max"),
        }
        death = self.death_hours(result, cohort)
        day_start = start_hours + 24.0 * np.arange(n_days)
        dead = day_start[None, :] >= death[:, None]
        for v in daily_out.values():
            v[dead] = np.nan
        p2 = np.asarray(obs["secondary_pathogen_load"], dtype=float)
        alive_grid = result.time[None, :] < death[:, None]
        infection = np.any((p2 >= SECONDARY_INFECTION_CFU_ML) & alive_grid, axis=1)
        return Outcomes(death, daily_out, infection)
