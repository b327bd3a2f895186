"""Reproducible calibration of the ``sepsistwin`` model and the septic-shock population.

The screened cohort is the virtual patients alive and meeting Sepsis-3 at screening (24 h),
phenotyped with assay noise by the clinical code (PROVIDE screened patients with sepsis).
Stages (each a small search on a few quantities, everything seeded):

1. **Endotoxin challenge** - the production constants of TNF, IL-6 and IL-10 are scaled so a
   healthy virtual subject given 2 ng/kg endotoxin reproduces the human peaks (fixed-point
   iteration on peak ratios).
2. **Phenotype mix** - the medians of the host macrophage-activation gain ``g_mals`` and IL-10
   gain ``g_il10`` are bisected to the PROVIDE fractions of the screened cohort; the median
   growth rate of the ICU-acquired organism ``k_pg2`` to the ICU-acquired infection incidence.
3. **Severity and mortality** - the median damage susceptibility ``k_nd`` (whether organ
   failure becomes self-sustaining) is bisected to the overall mortality, its correlation with
   the IL-10 gain (host frailty) to the immunoparalysis-intermediate mortality gap, the
   weight of the macrophage-activation gain in it to the MALS-immunoparalysis gap, then the
   death-hazard
   constants (``death_log_h3``, ``death_gamma``) are fitted by least squares to the PROVIDE
   class mortalities on the simulated organ-failure trajectories (the hazard does not feed
   back, so this needs no re-simulation).
4. **Lymphocytes** - the apoptosis rates ``k_apo`` (cytokine storm) and ``k_apo_d``
   (persistent damage) and the stress redistribution out of the blood ``m_marg`` are fitted by
   least squares to the Drewry counts: at screening, and at day 4 in survivors and
   non-survivors.

Stages 2-4 are repeated (``rounds``). 5. **IL-7** - the IL-7 gain ``a_il7`` is bisected so 10 ug/kg
IM twice weekly for 4 weeks raises ALC 3.5-fold in lymphopenic virtual patients (IRIS-7).

Nivolumab PK/RO, mHLA-DR recovery and the IFN-gamma response of the immunoparalysed
(:mod:`sepsistwin.population.validation`) are checked, not tuned. Published trial results other
than the targets are validation, never calibration inputs.
"""

from __future__ import annotations

import datetime as _dt
import functools
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import least_squares

from sepsistwin.model.pharmacology import parse_therapy_dose, therapy_schedule
from sepsistwin.population.calibrated import Calibration
from sepsistwin.population.sampler import (
    RHO_KND_IL10,
    RHO_KND_MALS,
    VirtualPopulation,
    sample_population,
)
from sepsistwin.population.screening import screen
from sepsistwin.population.targets import TARGETS
from sepsistwin.population.validation import interferon_gamma_validation
from sepsistwin.solve import SimulationResult, simulate

SCREEN_H = 24.0
HORIZON_H = SCREEN_H + 28 * 24.0
DAY4_H = 96.0
PHENOTYPES = ("MALS", "immunoparalysis", "intermediate")
LPS_PARAMS = {"tnf": ("kTNFM",), "il6": ("k6M", "k6TNF"), "il10": ("k10M", "k106")}
HAZARD_PARAMS = ("death_log_h3", "death_gamma", "tau_ofp")
#: Search bounds of the least-squares stages (the report flags values that end on one).
#: ``death_gamma``: >= 2 so the hazard vanishes without organ failure; up to 16, where the
#: hazard rises ~100-fold between OFI 2.25 and 3 - the smooth limit of the IIRABM hard death
#: threshold (death at 80% tissue lost, IIRABM code VERIFIED).
#: ``k_apo``: no source sets a floor on storm-driven apoptosis (the 4-h lymphocyte nadir after
#: endotoxin, Copeland 2005 doi 10.1128/CDLI.12.1.60-67.2005, is largely redistribution), so
#: the lower bound is 1e-4 /h (half-life > 9 months, i.e. none).
#: ``tau_ofp``: from a day (a transient peak of organ failure counts) to a week.
HAZARD_BOUNDS = {"death_log_h3": (-12.0, 0.0), "death_gamma": (2.0, 16.0), "tau_ofp": (24.0, 168.0)}
#: ``m_marg``: a share of the recirculating pool, 0.01-0.95 (the hydrocortisone nadir empties
#: most of it, Fauci & Dale 1974 doi 10.1172/JCI107544).
ALC_BOUNDS = {"k_apo": (1e-4, 1.0), "k_apo_d": (0.001, 0.5), "m_marg": (0.01, 0.95)}


def _model() -> Any:
    from sepsistwin.model import get_model

    return get_model("sepsistwin")


@functools.cache
def base_model() -> Any:
    """The ``sepsistwin`` model (equations and default parameters; no calibration applied).

    The calibration simulates this model and passes every value it sets as a run-time
    parameter, so it never depends on a previous calibration.
    """
    return _model()


# ---- stage 1: endotoxin ---------------------------------------------------------------------
def lps_response(params: Mapping[str, float] | None = None, model: Any = None) -> dict[str, float]:
    """Peak values (pg/mL) and times (h) of TNF, IL-6, IL-10 after 2 ng/kg endotoxin.

    Examples
    --------
    >>> r = lps_response()  # doctest: +SKIP
    >>> 200 < r["tnf_peak"] < 500  # doctest: +SKIP
    True
    """
    m = model or _model()
    t = np.arange(0.0, 12.0001, 0.05)
    r = simulate(
        m, dict(params or {}), {"P": 0.0}, t, doses=parse_therapy_dose("endotoxin:2ng/kg@0")
    )
    out: dict[str, float] = {}
    for k in ("tnf", "il6", "il10"):
        v = r.observables[k]
        i = int(np.argmax(v))
        out[f"{k}_peak"], out[f"{k}_peak_time"] = float(v[i]), float(t[i])
    return out


def calibrate_lps(model: Any = None, iterations: int = 4) -> dict[str, float]:
    """Scale the cytokine production constants so the endotoxin peaks hit their targets."""
    m = model or _model()
    params = {name: m.default_parameters[name] for names in LPS_PARAMS.values() for name in names}
    for _ in range(iterations):
        r = lps_response(params, m)
        for k, names in LPS_PARAMS.items():
            ratio = TARGETS[f"{k}_peak"].value / r[f"{k}_peak"]
            for name in names:
                params[name] *= ratio
    return params


def il6_high() -> float:
    """The clinical configuration's high IL-6 (pg/mL; MONARCS' 1,000 pg/mL stratum)."""
    from sepsistwin.clinical import default_config

    return float(default_config().immune_state.il6_high_pg_ml.value)


TOLERANCE_GAP_H = 168.0


def tolerance_ratio(params: Mapping[str, float] | None = None, model: Any = None) -> float:
    """TNF peak of a second 2 ng/kg endotoxin challenge a week after the first, / the first.

    Examples
    --------
    >>> 0 < tolerance_ratio() < 1  # doctest: +SKIP
    True
    """
    m = model or _model()
    gap = TOLERANCE_GAP_H
    t = np.arange(0.0, gap + 12.0001, 0.05)
    doses = parse_therapy_dose("endotoxin:2ng/kg@0") + parse_therapy_dose(
        f"endotoxin:2ng/kg@{gap:g}"
    )
    r = simulate(m, dict(params or {}), {"P": 0.0}, t, doses=doses)
    tnf = r.observables["tnf"]
    first, second = tnf[t < gap], tnf[t >= gap]
    return float(np.max(second) / np.max(first))


def calibrate_tolerance(params: Mapping[str, float], model: Any = None, steps: int = 10) -> float:
    """Bisect ``k_tol_in`` (log scale) to the Leentjens 2012 second-challenge TNF ratio."""
    x = _bisect(
        lambda lk: -tolerance_ratio({**params, "k_tol_in": float(np.exp(lk))}, model),
        np.log(0.01),
        np.log(100.0),
        -TARGETS["tolerance_tnf_ratio"].value,
        steps,
    )
    return float(np.exp(x))


def il6_fraction(pop: VirtualPopulation, overrides: Mapping[str, float], seed: int) -> float:
    """Share of the screened cohort with IL-6 > 1,000 pg/mL at screening."""
    r = _simulate(pop, np.arange(0.0, SCREEN_H + 1.0, 1.0), overrides)
    s = screen(r, SCREEN_H, seed=seed)
    w = np.exp(-np.atleast_2d(r.states["HZ"])[:, -1]) * screened(s)
    il6 = np.atleast_2d(r.observables["il6"])[:, -1]
    return _wmean(w, (il6 > il6_high()).astype(float))


def calibrate_il6(
    pop: VirtualPopulation, overrides: Mapping[str, float], seed: int, steps: int = 12
) -> float:
    """Bisect the tissue IL-6 production ``k6D`` (log scale) to MONARCS' IL-6 > 1,000 share."""
    x = _bisect(
        lambda lk: il6_fraction(pop, {**overrides, "k6D": float(np.exp(lk))}, seed),
        np.log(50.0),
        np.log(20000.0),
        TARGETS["il6_over_1000"].value,
        steps,
    )
    return float(np.exp(x))


# ---- cohort statistics ----------------------------------------------------------------------
def screened(screening: pd.DataFrame, criterion: str = "septic_shock") -> NDArray[np.bool_]:
    """The screened cohort: patients meeting ``criterion`` (an assessment column) at screening.

    The calibrated ``septic_shock`` population is the cohort in Sepsis-3 septic shock at
    screening (:data:`~sepsistwin.population.sampler.PRESET_ENROLMENT`); the ``sepsis``
    preset's cohort is Sepsis-3 (``criterion="sepsis3"``).
    """
    return screening[criterion].astype("boolean").fillna(False).to_numpy(dtype=bool)


@dataclass
class CohortStats:
    """Screening phenotypes and outcomes of a simulated cohort."""

    phenotype: NDArray[Any]
    mortality: NDArray[np.float64]  # expected 28-day mortality per patient (from screening)
    alive_at_screening: NDArray[np.float64]
    alc_day4: NDArray[np.float64]
    hla_ratio: NDArray[np.float64]  # mHLA-DR day 4 / screening
    screened: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    values: dict[str, float] = field(default_factory=dict)

    @property
    def weight(self) -> NDArray[np.float64]:
        """Weight of each patient in the screened cohort (alive at screening, Sepsis-3)."""
        return self.alive_at_screening * self.screened


def expected_mortality(hz: NDArray[np.float64], time: NDArray[np.float64]) -> NDArray[np.float64]:
    """28-day death probability after screening, given alive at screening."""
    i0 = int(np.argmin(np.abs(time - SCREEN_H)))
    i1 = int(np.argmin(np.abs(time - HORIZON_H)))
    return 1.0 - np.exp(-(hz[:, i1] - hz[:, i0]))


#: Early deaths: within 3 days of screening (Daviaud 2015's definition, days of ICU stay).
EARLY_H = SCREEN_H + 72.0


def early_mortality(hz: NDArray[np.float64], time: NDArray[np.float64]) -> NDArray[np.float64]:
    """Death probability within 3 days of screening, given alive at screening."""
    i0 = int(np.argmin(np.abs(time - SCREEN_H)))
    i1 = int(np.argmin(np.abs(time - EARLY_H)))
    return 1.0 - np.exp(-(hz[:, i1] - hz[:, i0]))


def hazard_rate(ofi: NDArray[np.float64], log_h3: float, gamma: float) -> NDArray[np.float64]:
    """Death hazard per hour of the organs module for persistent organ failure ``ofi`` (OFP).

    Examples
    --------
    >>> float(hazard_rate(np.array([0.0]), -5.0, 3.0)[0])
    0.0
    """
    return np.exp(log_h3) * (np.maximum(ofi, 0.0) / 3.0) ** gamma


def persistent_failure(
    ofi: NDArray[np.float64], time: NDArray[np.float64], tau: float
) -> NDArray[np.float64]:
    """The organs module's persistent organ failure ``OFP`` recomputed from an OFI trajectory.

    Solves ``dOFP/dt = (OFI - OFP)/tau`` exactly for OFI linear between save points (from
    ``OFP = 0`` at the first one), so the averaging time can be refitted without re-simulating.

    Examples
    --------
    >>> t = np.arange(0.0, 200.0, 1.0)
    >>> round(float(persistent_failure(np.full((1, t.size), 2.0), t, 48.0)[0, -1]), 3)
    1.968
    """
    ofi = np.asarray(ofi, dtype=float)
    out = np.zeros_like(ofi)
    for j in range(1, ofi.shape[1]):
        h = float(time[j] - time[j - 1])
        a = np.exp(-h / tau)
        slope = (ofi[:, j] - ofi[:, j - 1]) / h
        out[:, j] = ofi[:, j] - slope * tau + (out[:, j - 1] - ofi[:, j - 1] + slope * tau) * a
    return out


def post_hoc_hazard(
    ofi: NDArray[np.float64], time: NDArray[np.float64], log_h3: float, gamma: float
) -> NDArray[np.float64]:
    """Cumulative hazard of the organs module recomputed from an OFP trajectory (trapezoid).

    The hazard does not feed back on the other states, so its constants can be refitted
    without re-simulating.
    """
    h = hazard_rate(ofi, log_h3, gamma)
    dt = np.diff(time)
    return np.concatenate(
        [np.zeros((h.shape[0], 1)), np.cumsum(0.5 * (h[:, 1:] + h[:, :-1]) * dt, axis=1)], axis=1
    )


def death_hazard(result: SimulationResult, constants: tuple[float, ...]) -> NDArray[np.float64]:
    """Cumulative death hazard of ``result`` for the hazard constants ``HAZARD_PARAMS``."""
    lh, gam, tau = constants
    ofi = np.atleast_2d(result.observables["organ_failure_index"])
    return post_hoc_hazard(persistent_failure(ofi, result.time, tau), result.time, lh, gam)


def _wmean(w: NDArray[np.float64], x: NDArray[np.float64]) -> float:
    tot = float(np.sum(w))
    return float(np.sum(w * x) / tot) if tot > 0 else float("nan")


def cohort_stats(
    result: SimulationResult,
    seed: int = 0,
    hz: NDArray[np.float64] | None = None,
    criterion: str = "septic_shock",
) -> CohortStats:
    """Phenotype at screening and outcome summaries of the screened cohort (no death draws).

    Patients count with weight P(alive at screening) if they meet ``criterion`` at screening
    (:func:`screened`); mortalities are expected 28-day death probabilities, survivor and
    non-survivor summaries are weighted by them.
    """
    s = screen(result, SCREEN_H, seed=seed)
    ph = s["phenotype"].to_numpy(dtype=object)
    t = result.time
    hzv = np.atleast_2d(result.states["HZ"]) if hz is None else hz
    mort = expected_mortality(hzv, t)
    i4 = int(np.argmin(np.abs(t - DAY4_H)))
    i0 = int(np.argmin(np.abs(t - SCREEN_H)))
    alive = np.exp(-hzv[:, i0])
    alc4 = np.atleast_2d(result.observables["lymphocytes"])[:, i4]
    hla = np.atleast_2d(result.observables["mhla_dr"])
    ratio = hla[:, i4] / hla[:, i0]
    st = CohortStats(ph, mort, alive, alc4, ratio, screened(s, criterion))
    w = st.weight
    if not np.any(w > 0):
        raise ValueError(
            f"no virtual patient meets {criterion} at screening (24 h); the screened "
            "cohort is empty (enlarge the population or check the preset)"
        )
    vals: dict[str, float] = {}
    for p in PHENOTYPES:
        k = ph == p
        vals[f"fraction_{p}"] = float(np.sum(w[k]) / np.sum(w))
        vals[f"mortality_{p}"] = _wmean(w[k], mort[k])
    vals["mortality_overall"] = _wmean(w, mort)
    for p in ("MALS", "immunoparalysis"):
        vals[f"mortality_ratio_{p}"] = vals[f"mortality_{p}"] / max(
            vals["mortality_intermediate"], 1e-12
        )
    vals["early_death_share"] = _wmean(w, early_mortality(hzv, t)) / vals["mortality_overall"]
    il6 = np.atleast_2d(result.observables["il6"])[:, i0]
    vals["il6_over_1000"] = _wmean(w, (il6 > il6_high()).astype(float))
    vals["alc_screening"] = _wmean(w, np.atleast_2d(result.observables["lymphocytes"])[:, i0])
    surv, dead = w * (1 - mort), w * mort
    vals["alc_day4_survivors"] = _wmean(surv, alc4)
    vals["alc_day4_nonsurvivors"] = _wmean(dead, alc4)
    vals["hla_recovery_survivors"] = _wmean(surv, ratio)
    vals["hla_recovery_nonsurvivors"] = _wmean(dead, ratio)
    vals["screened_fraction"] = float(np.mean(st.screened))
    if "P2" in result.states:
        inc = secondary_infection_incidence(result, hzv)
        for p in PHENOTYPES:
            k = ph == p
            vals[f"secondary_infection_{p}"] = _wmean(w[k], inc[k])
        vals["secondary_infection_overall"] = _wmean(w, inc)
        vals["secondary_infection_ratio_immunoparalysis"] = vals[
            "secondary_infection_immunoparalysis"
        ] / max(vals["secondary_infection_intermediate"], 1e-12)
    st.values = vals
    return st


#: A secondary infection: ICU-acquired pathogen load >= 1e5 CFU/mL (the trial simulator's
#: ``SECONDARY_INFECTION_CFU_ML``), here in the model's 1e6 CFU/mL.
SECONDARY_INFECTION_LOAD = 0.1


def secondary_infection_incidence(
    result: SimulationResult, hz: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Probability per patient of a secondary infection between screening and day 28.

    The ICU-acquired load ``P2`` first reaching 1e5 CFU/mL after screening counts if the
    patient is alive then: the indicator is weighted by the survival from screening to that
    time (``hz`` is the cumulative death hazard on ``result.time``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(time=np.array([0.0, 24.0, 48.0]),
    ...                     states={"P2": np.array([[0.0, 0.0, 0.2], [0.0, 0.0, 0.01]])})
    >>> secondary_infection_incidence(r, np.zeros((2, 3))).tolist()
    [1.0, 0.0]
    """
    t = result.time
    i0 = int(np.argmin(np.abs(t - SCREEN_H)))
    i1 = int(np.argmin(np.abs(t - HORIZON_H)))
    p2 = np.atleast_2d(result.states["P2"])[:, i0 : i1 + 1]
    hit = p2 >= SECONDARY_INFECTION_LOAD
    first = np.argmax(hit, axis=1)
    any_hit = hit.any(axis=1)
    rows = np.arange(p2.shape[0])
    surv = np.exp(-(hz[rows, i0 + first] - hz[:, i0]))
    return np.where(any_hit, surv, 0.0)


# ---- stage 2: phenotype mix -----------------------------------------------------------------
def _bisect(f: Callable[[float], float], lo: float, hi: float, target: float, steps: int) -> float:
    """Bisect an increasing function ``f`` on [lo, hi] for ``f(x) = target``."""
    flo, fhi = f(lo), f(hi)
    if target <= flo:
        return lo
    if target >= fhi:
        return hi
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _simulate(
    pop: VirtualPopulation,
    t: NDArray[np.float64],
    overrides: Mapping[str, float],
    doses: Any = None,
) -> SimulationResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return pop.simulate(t, doses=doses, model=base_model(), overrides=overrides)


def screening_fractions(
    pop: VirtualPopulation, overrides: Mapping[str, float], seed: int
) -> dict[str, float]:
    """Phenotype fractions of the screened cohort at 24 h (simulating only to screening)."""
    r = _simulate(pop, np.arange(0.0, SCREEN_H + 1.0, 1.0), overrides)
    s = screen(r, SCREEN_H, seed=seed)
    ph = s["phenotype"].to_numpy(dtype=object)
    w = np.exp(-np.atleast_2d(r.states["HZ"])[:, -1]) * screened(s)
    tot = max(float(np.sum(w)), 1e-12)
    return {p: float(np.sum(w[ph == p]) / tot) for p in PHENOTYPES}


def calibrate_phenotypes(
    size: int,
    seed: int,
    overrides: Mapping[str, float],
    hyper: dict[str, dict[str, float]],
    rounds: int = 1,
    steps: int = 6,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, float]]:
    """Bisect the log medians of ``g_mals`` and ``g_il10`` to the PROVIDE fractions.

    MALS rises with the macrophage-activation gain; immunoparalysis (among the non-MALS) rises
    with the IL-10 gain, which suppresses mHLA-DR.
    """
    hyper = {k: dict(v) for k, v in hyper.items()}

    def frac(which: str, log_center: float) -> dict[str, float]:
        h = {k: dict(v) for k, v in hyper.items()}
        h[which]["center"] = float(np.exp(log_center))
        return screening_fractions(sample_population(size, seed=seed, hyper=h), overrides, seed)

    for rnd in range(rounds):
        x = _bisect(
            lambda lc: frac("g_mals", lc)["MALS"],
            np.log(0.1),
            np.log(50.0),
            TARGETS["fraction_MALS"].value,
            steps,
        )
        hyper["g_mals"]["center"] = float(np.exp(x))
        x = _bisect(
            lambda lc: frac("g_il10", lc)["immunoparalysis"],
            np.log(0.1),
            np.log(30.0),
            TARGETS["fraction_immunoparalysis"].value,
            steps,
        )
        hyper["g_il10"]["center"] = float(np.exp(x))
        log(
            f"  phenotype round {rnd + 1}: g_mals median {hyper['g_mals']['center']:.4g}, "
            f"g_il10 median {hyper['g_il10']['center']:.4g}"
        )
    return hyper


# ---- stage 2b: ICU-acquired infection -------------------------------------------------------
def calibrate_secondary_infection(
    size: int,
    seed: int,
    overrides: Mapping[str, float],
    hyper: dict[str, dict[str, float]],
    steps: int = 6,
) -> dict[str, dict[str, float]]:
    """Bisect the log median growth rate ``k_pg2`` of the ICU-acquired organism to incidence.

    Whether a seeded organism establishes depends on its growth against the host's monocyte,
    T-cell and neutrophil clearance; the median growth rate sets how many screened patients
    pass 1e5 CFU/mL while alive by day 28 (ICU-acquired infection 10-25%). Which patients do
    is left to the model (more in immunoparalysis: a direction the calibration checks).
    """
    return _bisect_median(
        "k_pg2", "secondary_infection_overall", (0.03, 0.4), size, seed, overrides, hyper, steps
    )


def _bisect_median(
    name: str,
    target: str,
    bounds: tuple[float, float],
    size: int,
    seed: int,
    overrides: Mapping[str, float],
    hyper: dict[str, dict[str, float]],
    steps: int,
) -> dict[str, dict[str, float]]:
    """Bisect the log median (``center``) of the sampled parameter ``name`` within ``bounds``
    until the cohort statistic ``target`` meets its calibration target; a copy of ``hyper``
    with the result."""
    hyper = {k: dict(v) for k, v in hyper.items()}
    t = horizon_grid()

    def stat(log_center: float) -> float:
        h = {k: dict(v) for k, v in hyper.items()}
        h[name]["center"] = float(np.exp(log_center))
        r = _simulate(sample_population(size, seed=seed, hyper=h), t, overrides)
        return cohort_stats(r, seed=seed).values[target]

    lo, hi = bounds
    x = _bisect(stat, np.log(lo), np.log(hi), TARGETS[target].value, steps)
    hyper[name]["center"] = float(np.exp(x))
    return hyper


# ---- stage 3: severity and mortality --------------------------------------------------------
def horizon_grid() -> NDArray[np.float64]:
    """Hourly save times from infection onset to 28 days after screening."""
    return np.arange(0.0, HORIZON_H + 1.0, 1.0)


def calibrate_severity(
    size: int,
    seed: int,
    overrides: Mapping[str, float],
    hyper: dict[str, dict[str, float]],
    steps: int = 6,
) -> dict[str, dict[str, float]]:
    """Bisect the log median of the damage susceptibility ``k_nd`` to the overall mortality.

    ``k_nd`` decides whether organ failure becomes self-sustaining (the Reynolds death
    attractor) or resolves once the infection is controlled, so it sets how many screened
    patients die; the hazard constants in ``overrides`` are held fixed.
    """
    return _bisect_median(
        "k_nd", "mortality_overall", (0.0005, 0.06), size, seed, overrides, hyper, steps
    )


#: PROVIDE's 28-day mortality by phenotype (Leventogiannis 2022, VERIFIED). Its screened
#: cohort died at ~60%, more than septic shock at large (Daviaud 2015: 37-45%), so the
#: calibration takes the ratios between phenotypes from PROVIDE and the level from Daviaud.
PROVIDE_MORTALITY = {"MALS": 0.791, "immunoparalysis": 0.669, "intermediate": 0.416}
MORTALITY_NAMES = (
    "mortality_ratio_MALS",
    "mortality_ratio_immunoparalysis",
    "mortality_overall",
    "early_death_share",
)
RHO_BOUNDS = (0.0, 0.9)
RHO_MALS_BOUNDS = (0.0, 0.5)


def _bisect_frailty_weight(
    size: int,
    seed: int,
    overrides: Mapping[str, float],
    hyper: dict[str, dict[str, float]],
    key: str,
    bounds: tuple[float, float],
    higher: str,
    lower: str,
    steps: int,
) -> dict[str, dict[str, float]]:
    """Bisect ``hyper["k_nd"][key]`` so that the mortality of phenotype ``higher`` relative to
    that of ``lower`` matches PROVIDE's ratio; the death hazard is refitted (no re-simulation)
    at every evaluation."""
    hyper = {k: dict(v) for k, v in hyper.items()}
    t = horizon_grid()
    target = PROVIDE_MORTALITY[higher] / PROVIDE_MORTALITY[lower]

    def gap(rho: float) -> float:
        h = {k: dict(v) for k, v in hyper.items()}
        h["k_nd"][key] = rho
        res = _simulate(sample_population(size, seed=seed, hyper=h), t, overrides)
        fitted = calibrate_mortality(res, seed, tuple(overrides[k] for k in HAZARD_PARAMS))
        v = cohort_stats(res, seed=seed, hz=death_hazard(res, fitted)).values
        return v[f"mortality_{higher}"] / max(v[f"mortality_{lower}"], 1e-12)

    hyper["k_nd"][key] = _bisect(gap, *bounds, target, steps)
    return hyper


def calibrate_frailty(
    size: int,
    seed: int,
    overrides: Mapping[str, float],
    hyper: dict[str, dict[str, float]],
    steps: int = 5,
) -> dict[str, dict[str, float]]:
    """Bisect the frailty correlation (log ``k_nd`` with log ``g_il10``) to the mortality gap.

    Frail hosts (higher damage susceptibility) mount a stronger IL-10 response (sampler
    :data:`~sepsistwin.population.sampler.RHO_KND_IL10`), so immunoparalysis at screening marks
    hosts whose organ failure is more often self-sustaining. The correlation is set so the
    immunoparalysis to intermediate 28-day mortality ratio matches PROVIDE (0.669 / 0.416); the
    death hazard is refitted (no re-simulation) at every evaluation.
    """
    return _bisect_frailty_weight(
        size,
        seed,
        overrides,
        hyper,
        "rho_g_il10",
        RHO_BOUNDS,
        "immunoparalysis",
        "intermediate",
        steps,
    )


def calibrate_mals_frailty(
    size: int,
    seed: int,
    overrides: Mapping[str, float],
    hyper: dict[str, dict[str, float]],
    steps: int = 5,
) -> dict[str, dict[str, float]]:
    """Bisect the weight of log ``g_mals`` in log ``k_nd`` to the MALS excess mortality.

    With the frailty correlation of ``k_nd`` with the IL-10 gain alone, MALS hosts (low IL-10
    gain) would be the least damage-susceptible; the weight
    (:data:`~sepsistwin.population.sampler.RHO_KND_MALS`) is set so the MALS minus
    immunoparalysis 28-day mortality ratio matches PROVIDE (0.791 / 0.669); the death hazard is
    refitted (no re-simulation) at every evaluation.
    """
    return _bisect_frailty_weight(
        size,
        seed,
        overrides,
        hyper,
        "rho_g_mals",
        RHO_MALS_BOUNDS,
        "MALS",
        "immunoparalysis",
        steps,
    )


def calibrate_mortality(
    result: SimulationResult, seed: int, start: tuple[float, ...]
) -> tuple[float, ...]:
    """Least-squares fit of the hazard constants ``HAZARD_PARAMS`` to the mortality targets.

    The overall 28-day mortality and the early-death share (Daviaud 2015) and PROVIDE's
    mortality ratios between phenotypes, on the simulated organ failure (the hazard does not
    feed back, so no re-simulation). ``death_gamma`` is kept >= 2 so the hazard vanishes
    without organ failure; the averaging time ``tau_ofp`` of the persistent organ failure sets
    how much a transient peak counts against failure sustained for days (the early-death share).
    """
    ofi = np.atleast_2d(result.observables["organ_failure_index"])
    t = result.time
    ofp_cache: dict[float, NDArray[np.float64]] = {}
    s = screen(result, SCREEN_H, seed=seed)
    ph = s["phenotype"].to_numpy(dtype=object)
    inc = screened(s)
    i0 = int(np.argmin(np.abs(t - SCREEN_H)))

    def resid(x: NDArray[np.float64]) -> NDArray[np.float64]:
        tau = float(np.exp(x[2]))
        if tau not in ofp_cache:
            ofp_cache[tau] = persistent_failure(ofi, t, tau)
        hz = post_hoc_hazard(ofp_cache[tau], t, float(x[0]), float(x[1]))
        mort = expected_mortality(hz, t)
        w = np.exp(-hz[:, i0]) * inc
        cls = {p: _wmean(w[ph == p], mort[ph == p]) for p in PHENOTYPES}
        overall = _wmean(w, mort)
        out = [
            cls["MALS"] / max(cls["intermediate"], 1e-12),
            cls["immunoparalysis"] / max(cls["intermediate"], 1e-12),
            overall,
            _wmean(w, early_mortality(hz, t)) / max(overall, 1e-12),
        ]
        return np.array(
            [
                (o - TARGETS[n].value) / TARGETS[n].tolerance
                for o, n in zip(out, MORTALITY_NAMES, strict=True)
            ]
        )

    lo, hi = (np.array(b, dtype=float) for b in zip(*HAZARD_BOUNDS.values(), strict=True))
    lo[2], hi[2] = np.log(lo[2]), np.log(hi[2])
    x0 = np.clip(np.array([start[0], start[1], np.log(start[2])]), lo, hi)
    fit = least_squares(resid, x0, bounds=(lo, hi), diff_step=1e-3)
    return float(fit.x[0]), float(fit.x[1]), float(np.exp(fit.x[2]))


# ---- stage 4: lymphocytes at screening and day 4 -------------------------------------------
ALC_PARAMS = ("k_apo", "k_apo_d", "m_marg")
#: The ALC targets of stage 4, each fitted with its stated tolerance.
ALC_TARGETS = ("alc_screening", "alc_day4_survivors", "alc_day4_nonsurvivors")


def calibrate_alc(
    pop: VirtualPopulation,
    overrides: Mapping[str, float],
    stats: CohortStats,
    start: tuple[float, ...],
) -> tuple[float, ...]:
    """Least-squares fit of the lymphocyte constants ``ALC_PARAMS`` to the ALC targets.

    The ALC at screening and at day 4 in survivors and non-survivors (Drewry 2014), from the
    storm and damage apoptosis rates (``k_apo``, ``k_apo_d``: cells lost) and the stress
    redistribution out of the blood (``m_marg``: cells moved, back when the organ failure
    resolves). The survivor / non-survivor weights come from the last 28-day simulation
    (``stats``); only the first four days are re-simulated per evaluation.
    """
    w = stats.weight
    surv, dead = w * (1 - stats.mortality), w * stats.mortality
    t = np.array([0.0, SCREEN_H, DAY4_H])
    cache: dict[tuple[float, ...], NDArray[np.float64]] = {}

    def resid(x: NDArray[np.float64]) -> NDArray[np.float64]:
        key = tuple(float(v) for v in x)
        if key not in cache:
            ov = {**overrides, **dict(zip(ALC_PARAMS, np.exp(x).tolist(), strict=True))}
            alc = np.atleast_2d(_simulate(pop, t, ov).observables["lymphocytes"])
            model = {
                "alc_screening": _wmean(w, alc[:, 1]),
                "alc_day4_survivors": _wmean(surv, alc[:, 2]),
                "alc_day4_nonsurvivors": _wmean(dead, alc[:, 2]),
            }
            cache[key] = np.array(
                [(model[k] - TARGETS[k].value) / TARGETS[k].tolerance for k in ALC_TARGETS]
            )
        return cache[key]

    lo, hi = zip(*(ALC_BOUNDS[k] for k in ALC_PARAMS), strict=True)
    x0 = np.clip(np.log(np.array(start)), np.log(lo), np.log(hi))
    fit = least_squares(resid, x0, bounds=(np.log(lo), np.log(hi)), diff_step=0.02, max_nfev=40)
    return tuple(float(v) for v in np.exp(fit.x))


# ---- stage 5: IL-7 --------------------------------------------------------------------------
IL7_START_H = 48.0
IL7_REGIMEN = "il7:10ug/kg@48,every=84,n=8,route=im"


def il7_fold(
    pop: VirtualPopulation, overrides: Mapping[str, float], model: Any = "sepsistwin"
) -> float:
    """Median ALC fold rise, 4 weeks of IL-7 (10 ug/kg IM twice weekly) vs the first dose.

    Taken over the patients alive at the end (weighted by the probability of being alive), as
    the trial measured the survivors' counts.
    """
    end = IL7_START_H + 28 * 24.0
    t = np.array([0.0, IL7_START_H, end])
    sched = therapy_schedule(
        "il7", "10ug/kg", IL7_START_H, route="im", every=84.0, n=8, weight_kg=pop.weight_kg
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = pop.simulate(t, doses=sched, model=model, overrides=overrides)
    alc = np.atleast_2d(r.observables["lymphocytes"])
    alive = np.exp(-np.atleast_2d(r.states["HZ"])[:, 2])
    return weighted_median(alc[:, 2] / alc[:, 1], alive)


#: IRIS-7 enrolled septic shock with severe lymphopenia, ALC <= 900 cells/uL (Francois 2018).
IRIS7_ALC = 0.9


def lymphopenic_patients(result: SimulationResult, n_max: int = 120) -> NDArray[np.int64]:
    """IRIS-7-like patients: ALC <= 0.9 x10^9/L at 48 h (an evenly spread subset of n_max)."""
    t = result.time
    alc48 = np.atleast_2d(result.observables["lymphocytes"])[:, int(np.argmin(np.abs(t - 48)))]
    idx = np.flatnonzero(alc48 <= IRIS7_ALC)
    if idx.size == 0:
        raise ValueError(
            f"no virtual patient has ALC <= {IRIS7_ALC} x10^9/L at 48 h; the IL-7 stage "
            "needs lymphopenic patients (enlarge the population)"
        )
    if idx.size > n_max:
        idx = idx[np.linspace(0, idx.size - 1, n_max).round().astype(int)]
    return idx


def weighted_median(x: NDArray[np.float64], w: NDArray[np.float64]) -> float:
    """Weighted median (the smallest value holding half the weight).

    Examples
    --------
    >>> weighted_median(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0]))
    2.0
    >>> weighted_median(np.array([1.0, 10.0]), np.array([0.1, 0.9]))
    10.0
    """
    o = np.argsort(x, kind="stable")
    c = np.cumsum(w[o])
    if c.size == 0 or c[-1] <= 0:
        return float("nan")
    return float(x[o][int(np.searchsorted(c, 0.5 * c[-1]))])


def calibrate_il7(pop: VirtualPopulation, overrides: Mapping[str, float], steps: int = 6) -> float:
    """Bisect ``a_il7`` (log scale) to the IRIS-7 fold rise."""
    x = _bisect(
        lambda la: il7_fold(pop, {**overrides, "a_il7": float(np.exp(la))}, base_model()),
        np.log(0.1),
        np.log(50.0),
        TARGETS["il7_alc_fold"].value,
        steps,
    )
    return float(np.exp(x))


# ---- nivolumab (check) ----------------------------------------------------------------------
def nivolumab_check(
    overrides: Mapping[str, float] | None = None, model: Any = None
) -> dict[str, float]:
    """Terminal half-life (days, from days 42-84) and RO 28 days after 480 mg IV."""
    t = np.arange(0.0, 24.0 * 90 + 1, 24.0)
    r = simulate(
        model or _model(),
        dict(overrides or {}),
        {"P": 0.0},
        t,
        doses=therapy_schedule("nivolumab", "480mg", 0.0),
    )
    c = r.states["nivolumab_c"]
    i1, i2 = 42, 84
    k = np.log(c[i1] / c[i2]) / (t[i2] - t[i1])
    return {
        "nivolumab_half_life": float(np.log(2) / k / 24.0),
        "nivolumab_ro_day28": float(r.observables["pd1_receptor_occupancy"][28]),
    }


# ---- driver ---------------------------------------------------------------------------------
@dataclass
class CalibrationResult:
    """Everything a calibration run produced."""

    calibration: Calibration
    values: dict[str, float]
    stats: CohortStats
    result: SimulationResult
    extra: dict[str, Any] = field(default_factory=dict)


#: Population hyperparameters set by the calibration (log medians).
CALIBRATED_HYPER = ("g_mals", "g_il10", "k_nd", "k_pg2")


def run_calibration(
    size: int = 1500,
    seed: int = 2024,
    command: str = "",
    rounds: int = 2,
    log: Callable[[str], None] = print,
) -> CalibrationResult:
    """Run the stages on a seeded population; return values beside targets.

    Stages 2-4 interact (apoptosis changes T-cell killing, severity changes the phenotype
    mix), so they are repeated ``rounds`` times, each starting from the previous values.

    Examples
    --------
    >>> cal = run_calibration(size=300, seed=1, rounds=1, log=lambda s: None)  # doctest: +SKIP
    >>> sorted(cal.calibration.population)  # doctest: +SKIP
    ['g_il10', 'g_mals', 'k_nd', 'k_pg2']
    """
    from sepsistwin.population.sampler import SEPTIC_SHOCK

    m = base_model()
    d = m.default_parameters
    log("stage 1: endotoxin challenge")
    vals = calibrate_lps(m)
    log("  " + ", ".join(f"{k} {v:.4g}" for k, v in vals.items()))
    log("stage 1b: endotoxin tolerance (second challenge a week later)")
    vals["k_tol_in"] = calibrate_tolerance(vals, m)
    log(f"  k_tol_in {vals['k_tol_in']:.4g}")
    vals["k6D"] = float(d["k6D"])
    vals.update({k: float(d[k]) for k in (*HAZARD_PARAMS, *ALC_PARAMS)})
    hyper = {x.target: {"center": x.center, "spread": x.spread} for x in SEPTIC_SHOCK}
    hyper["k_nd"]["rho_g_il10"] = RHO_KND_IL10
    hyper["k_nd"]["rho_g_mals"] = RHO_KND_MALS
    t = horizon_grid()
    for rnd in range(rounds):
        log(f"round {rnd + 1}/{rounds} (n={size}, seed={seed})")
        log("  stage 2: phenotype mix of the screened cohort")
        hyper = calibrate_phenotypes(size, seed, vals, hyper, log=log)
        log("  stage 2b: ICU-acquired infection (growth of the ICU-acquired organism)")
        hyper = calibrate_secondary_infection(size, seed, vals, hyper)
        log(f"    k_pg2 median {hyper['k_pg2']['center']:.4g}")
        log("  stage 3: severity (k_nd median) and death hazard")
        hyper = calibrate_severity(size, seed, vals, hyper)
        hyper = calibrate_frailty(size, seed, vals, hyper)
        log(f"    frailty correlation (log k_nd, log g_il10) {hyper['k_nd']['rho_g_il10']:.3g}")
        hyper = calibrate_mals_frailty(size, seed, vals, hyper)
        log(f"    MALS frailty weight (log k_nd on log g_mals) {hyper['k_nd']['rho_g_mals']:.3g}")
        pop = sample_population(size, seed=seed, hyper=hyper)
        res = _simulate(pop, t, vals)
        hazard = calibrate_mortality(res, seed, tuple(vals[k] for k in HAZARD_PARAMS))
        vals.update(zip(HAZARD_PARAMS, hazard, strict=True))
        log(
            f"    k_nd median {hyper['k_nd']['center']:.4g}, "
            + ", ".join(f"{k} {vals[k]:.4g}" for k in HAZARD_PARAMS)
        )
        log("  stage 3b: tissue IL-6 (share > 1,000 pg/mL at screening)")
        vals["k6D"] = calibrate_il6(pop, vals, seed)
        log(f"    k6D {vals['k6D']:.4g}")
        log("  stage 4: lymphocytes at screening and day 4 (apoptosis, redistribution)")
        hz = death_hazard(res, hazard)
        fitted = calibrate_alc(
            pop,
            vals,
            cohort_stats(res, seed=seed, hz=hz),
            tuple(vals[k] for k in ALC_PARAMS),
        )
        vals.update(zip(ALC_PARAMS, fitted, strict=True))
        log("    " + ", ".join(f"{k} {vals[k]:.4g}" for k in ALC_PARAMS))
    pop = sample_population(size, seed=seed, hyper=hyper)
    res = _simulate(pop, t, vals)
    log("stage 5: IL-7 gain")
    idx = lymphopenic_patients(res)
    vals["a_il7"] = calibrate_il7(pop.subset(idx), vals)
    log(f"  a_il7 {vals['a_il7']:.4g} ({idx.size} lymphopenic patients)")
    meta = {
        "date": _dt.date.today().isoformat(),
        "command": command or f"sepsistwin calibrate --size {size} --seed {seed}",
        "size": size,
        "seed": seed,
    }
    cal = Calibration(
        model={k: float(v) for k, v in vals.items()},
        population={k: hyper[k] for k in CALIBRATED_HYPER},
        meta=meta,
    )
    return evaluate_calibration(cal, size, seed)


def evaluate_calibration(cal: Calibration, size: int, seed: int) -> CalibrationResult:
    """Every target (and the reported checks) for the calibrated values ``cal``.

    Simulates the uncalibrated model with ``cal.model`` as run-time parameters on a seeded
    population drawn with ``cal.population``; used at the end of :func:`run_calibration` and
    by ``sepsistwin calibrate --report-only`` for the stored calibration.

    Examples
    --------
    >>> from sepsistwin.population import load_calibrated_parameters
    >>> r = evaluate_calibration(load_calibrated_parameters(), 300, 1)  # doctest: +SKIP
    >>> 0 < r.values["mortality_overall"] < 1  # doctest: +SKIP
    True
    """
    from sepsistwin.population.sampler import SEPTIC_SHOCK

    m = base_model()
    vals = dict(cal.model)
    hyper = {x.target: {"center": x.center, "spread": x.spread} for x in SEPTIC_SHOCK}
    hyper.update({k: dict(v) for k, v in cal.population.items()})
    t = horizon_grid()
    pop = sample_population(size, seed=seed, hyper=hyper)
    res = _simulate(pop, t, vals)
    stats = cohort_stats(res, seed=seed)
    idx = lymphopenic_patients(res)
    values = dict(stats.values)
    values.update(lps_response(vals, m))
    values["tolerance_tnf_ratio"] = tolerance_ratio(vals, m)
    values["il7_alc_fold"] = il7_fold(pop.subset(idx), vals, m)
    values.update(nivolumab_check(vals, m))
    values.update(healthy_death_probability(vals, m))
    # The sepsis preset (validation: Sepsis-3 cohort, hospital mortality > 10%, Singer 2016).
    gen = sample_population(size, "sepsis", seed=seed, hyper=hyper)
    gst = cohort_stats(_simulate(gen, t, vals), seed=seed, criterion="sepsis3")
    values["sepsis_preset_mortality"] = gst.values["mortality_overall"]
    values["sepsis_preset_screened_fraction"] = gst.values["screened_fraction"]
    # Validation: IFN-gamma in the screened immunoparalysed (Payen 2019; not a target).
    ip = np.flatnonzero((stats.phenotype == "immunoparalysis") & stats.screened)
    values.update(interferon_gamma_validation(pop, ip, vals, m))
    return CalibrationResult(cal, values, stats, res, {"il7_patients": int(idx.size)})


def healthy_death_probability(
    overrides: Mapping[str, float] | None = None, model: Any = None
) -> dict[str, float]:
    """28-day death probability of a healthy subject: no infection, and 2 ng/kg endotoxin.

    Examples
    --------
    >>> healthy_death_probability()["healthy_death_probability"] < 0.02  # doctest: +SKIP
    True
    """
    t = np.arange(0.0, 28 * 24.0 + 1.0, 1.0)
    ov = dict(overrides or {})
    m = model or _model()
    quiet = simulate(m, ov, {"P": 0.0}, t)
    lps = simulate(m, ov, {"P": 0.0}, t, doses=parse_therapy_dose("endotoxin:2ng/kg@0"))
    return {
        "healthy_death_probability": float(quiet.observables["death_probability"][-1]),
        "endotoxin_death_probability": float(lps.observables["death_probability"][-1]),
    }
