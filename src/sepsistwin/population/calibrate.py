"""Reproducible calibration of the ``sepsistwin`` model and the septic-shock population.

Stages (each a small search on a few quantities, everything seeded):

1. **Endotoxin challenge** - the production constants of TNF, IL-6 and IL-10 are scaled so a
   healthy virtual subject given 2 ng/kg endotoxin reproduces the human peaks (fixed-point
   iteration on peak ratios).
2. **Phenotype mix** - the median of the host macrophage-activation gain ``g_mals`` is bisected
   so the virtual screening at 24 h (assay noise, the clinical code)
   gives the PROVIDE fractions (and the median IL-10 gain ``g_il10`` for immunoparalysis).
3. **Mortality** - the death-hazard constants (``death_log_h3``, ``death_beta``) are fitted by
   least squares to the PROVIDE class mortalities on the simulated organ-failure trajectories
   (the hazard does not feed back, so this needs no re-simulation).
4. **IL-7** - the IL-7 gain ``a_il7`` is bisected so 10 ug/kg IM twice weekly for 4 weeks raises
   ALC 3.5-fold in lymphopenic virtual patients (IRIS-7).

Nivolumab PK/RO, day-4 ALC and mHLA-DR recovery are checked, not tuned. Published trial
results other than the targets are validation, never calibration inputs.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from sepsistwin.model.pharmacology import parse_therapy_dose, therapy_schedule
from sepsistwin.population.calibrated import Calibration
from sepsistwin.population.sampler import VirtualPopulation, sample_population
from sepsistwin.population.screening import screen
from sepsistwin.population.targets import TARGETS
from sepsistwin.solve import SimulationResult, simulate

SCREEN_H = 24.0
HORIZON_H = SCREEN_H + 28 * 24.0
DAY4_H = 96.0
PHENOTYPES = ("MALS", "immunoparalysis", "intermediate")
LPS_PARAMS = {"tnf": ("kTNFM",), "il6": ("k6M", "k6TNF"), "il10": ("k10M", "k106")}


def _model() -> Any:
    from sepsistwin.model import get_model

    return get_model("sepsistwin")


# ---- stage 1: endotoxin ---------------------------------------------------------------------
def lps_response(params: Mapping[str, float] | None = None, model: Any = None
                 ) -> dict[str, float]:
    """Peak values (pg/mL) and times (h) of TNF, IL-6, IL-10 after 2 ng/kg endotoxin.

    Examples
    --------
    >>> r = lps_response()  # doctest: +SKIP
    >>> 200 < r["tnf_peak"] < 500  # doctest: +SKIP
    True
    """
    m = model or _model()
    t = np.arange(0.0, 12.0001, 0.05)
    r = simulate(m, dict(params or {}), {"P": 0.0}, t, doses=parse_therapy_dose(
        "endotoxin:2ng/kg@0"))
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


# ---- cohort statistics ----------------------------------------------------------------------
@dataclass
class CohortStats:
    """Screening phenotypes and outcomes of a simulated cohort."""

    phenotype: NDArray[Any]
    mortality: NDArray[np.float64]  # expected 28-day mortality per patient (from screening)
    alive_at_screening: NDArray[np.float64]
    alc_day4: NDArray[np.float64]
    hla_ratio: NDArray[np.float64]  # mHLA-DR day 4 / screening
    values: dict[str, float] = field(default_factory=dict)


def expected_mortality(hz: NDArray[np.float64], time: NDArray[np.float64]) -> NDArray[np.float64]:
    """28-day death probability after screening, given alive at screening."""
    i0 = int(np.argmin(np.abs(time - SCREEN_H)))
    i1 = int(np.argmin(np.abs(time - HORIZON_H)))
    return 1.0 - np.exp(-(hz[:, i1] - hz[:, i0]))


def post_hoc_hazard(ofi: NDArray[np.float64], time: NDArray[np.float64], log_h3: float,
                    beta: float) -> NDArray[np.float64]:
    """Cumulative hazard of the organs module recomputed from an OFI trajectory (trapezoid)."""
    h = np.exp(log_h3 + beta * (ofi - 3.0))
    dt = np.diff(time)
    return np.concatenate([np.zeros((h.shape[0], 1)),
                           np.cumsum(0.5 * (h[:, 1:] + h[:, :-1]) * dt, axis=1)], axis=1)


def cohort_stats(result: SimulationResult, seed: int = 0,
                 hz: NDArray[np.float64] | None = None) -> CohortStats:
    """Phenotype at screening and outcome summaries (survivor-weighted, no death draws)."""
    s = screen(result, SCREEN_H, seed=seed)
    ph = s["phenotype"].to_numpy(dtype=object)
    t = result.time
    hzv = np.atleast_2d(result.states["HZ"]) if hz is None else hz
    mort = expected_mortality(hzv, t)
    alive = np.exp(-hzv[:, int(np.argmin(np.abs(t - SCREEN_H)))])
    i4 = int(np.argmin(np.abs(t - DAY4_H)))
    i0 = int(np.argmin(np.abs(t - SCREEN_H)))
    alc4 = np.atleast_2d(result.observables["lymphocytes"])[:, i4]
    hla = np.atleast_2d(result.observables["mhla_dr"])
    ratio = hla[:, i4] / hla[:, i0]
    st = CohortStats(ph, mort, alive, alc4, ratio)
    w = alive  # the screened cohort: weighted by being alive at screening
    vals: dict[str, float] = {}
    for p in PHENOTYPES:
        k = ph == p
        vals[f"fraction_{p}"] = float(np.sum(w[k]) / np.sum(w))
        vals[f"mortality_{p}"] = float(np.sum(w[k] * mort[k]) / max(np.sum(w[k]), 1e-12))
    vals["mortality_overall"] = float(np.sum(w * mort) / np.sum(w))
    surv, dead = w * (1 - mort), w * mort
    vals["alc_day4_survivors"] = float(np.sum(surv * alc4) / np.sum(surv))
    vals["alc_day4_nonsurvivors"] = float(np.sum(dead * alc4) / np.sum(dead))
    vals["hla_recovery_survivors"] = float(np.sum(surv * ratio) / np.sum(surv))
    vals["hla_recovery_nonsurvivors"] = float(np.sum(dead * ratio) / np.sum(dead))
    st.values = vals
    return st


# ---- stage 2: phenotype mix -----------------------------------------------------------------
def _bisect(f: Callable[[float], float], lo: float, hi: float, target: float, steps: int
            ) -> float:
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


def screening_fractions(pop: VirtualPopulation, overrides: Mapping[str, float],
                        seed: int) -> dict[str, float]:
    """Phenotype fractions at 24 h (simulating only to screening)."""
    t = np.arange(0.0, SCREEN_H + 1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = pop.simulate(t, overrides=overrides)
    ph = screen(r, SCREEN_H, seed=seed)["phenotype"].to_numpy(dtype=object)
    return {p: float(np.mean(ph == p)) for p in PHENOTYPES}


def calibrate_phenotypes(size: int, seed: int, overrides: Mapping[str, float],
                         hyper: dict[str, dict[str, float]], rounds: int = 2, steps: int = 7,
                         log: Callable[[str], None] = print) -> dict[str, dict[str, float]]:
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
        x = _bisect(lambda lc: frac("g_mals", lc)["MALS"], np.log(0.1), np.log(50.0),
                    TARGETS["fraction_MALS"].value, steps)
        hyper["g_mals"]["center"] = float(np.exp(x))
        x = _bisect(lambda lc: frac("g_il10", lc)["immunoparalysis"], np.log(0.1),
                    np.log(30.0), TARGETS["fraction_immunoparalysis"].value, steps)
        hyper["g_il10"]["center"] = float(np.exp(x))
        log(f"  round {rnd + 1}: g_mals median {hyper['g_mals']['center']:.3g}, "
            f"g_il10 median {hyper['g_il10']['center']:.3g}")
    return hyper


# ---- stage 3: mortality ---------------------------------------------------------------------
def calibrate_mortality(result: SimulationResult, seed: int, start: tuple[float, float]
                        ) -> tuple[float, float]:
    """Least-squares fit of (death_log_h3, death_beta) to the class mortalities."""
    ofi = np.atleast_2d(result.observables["organ_failure_index"])
    t = result.time
    ph = screen(result, SCREEN_H, seed=seed)["phenotype"].to_numpy(dtype=object)
    names = [*(f"mortality_{p}" for p in PHENOTYPES), "mortality_overall"]

    def resid(x: NDArray[np.float64]) -> NDArray[np.float64]:
        hz = post_hoc_hazard(ofi, t, float(x[0]), float(x[1]))
        mort = expected_mortality(hz, t)
        alive = np.exp(-hz[:, int(np.argmin(np.abs(t - SCREEN_H)))])
        out = []
        for p in PHENOTYPES:
            k = ph == p
            out.append(np.sum(alive[k] * mort[k]) / max(np.sum(alive[k]), 1e-12))
        out.append(np.sum(alive * mort) / np.sum(alive))
        return np.array([(o - TARGETS[n].value) / TARGETS[n].tolerance
                         for o, n in zip(out, names, strict=True)])

    fit = least_squares(resid, np.array(start), bounds=([-12.0, 0.0], [0.0, 4.0]))
    return float(fit.x[0]), float(fit.x[1])


# ---- stage 4: IL-7 --------------------------------------------------------------------------
IL7_START_H = 48.0
IL7_REGIMEN = "il7:10ug/kg@48,every=84,n=8,route=im"


def il7_fold(pop: VirtualPopulation, overrides: Mapping[str, float]) -> float:
    """Median ALC fold rise, 4 weeks of IL-7 (10 ug/kg IM twice weekly) vs the first dose."""
    end = IL7_START_H + 28 * 24.0
    t = np.array([0.0, IL7_START_H, end])
    sched = therapy_schedule("il7", "10ug/kg", IL7_START_H, route="im", every=84.0, n=8,
                             weight_kg=pop.weight_kg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = pop.simulate(t, doses=sched, overrides=overrides)
    alc = np.atleast_2d(r.observables["lymphocytes"])
    return float(np.median(alc[:, 2] / alc[:, 1]))


def lymphopenic_survivors(result: SimulationResult, n_max: int = 60) -> NDArray[np.int64]:
    """IRIS-7-like patients: ALC <= 1.1 x10^9/L at 48 h, the likeliest survivors first."""
    t = result.time
    alc48 = np.atleast_2d(result.observables["lymphocytes"])[:, int(np.argmin(np.abs(t - 48)))]
    mort = expected_mortality(np.atleast_2d(result.states["HZ"]), t)
    idx = np.flatnonzero(alc48 <= 1.1)
    idx = idx[np.argsort(mort[idx], kind="stable")][:n_max]
    if idx.size == 0:
        raise ValueError("no virtual patient has ALC <= 1.1 x10^9/L at 48 h; the IL-7 stage "
                         "needs lymphopenic patients (enlarge the population)")
    return np.sort(idx)


def calibrate_il7(pop: VirtualPopulation, overrides: Mapping[str, float], steps: int = 6
                  ) -> float:
    """Bisect ``a_il7`` (log scale) to the IRIS-7 fold rise."""
    x = _bisect(lambda la: il7_fold(pop, {**overrides, "a_il7": float(np.exp(la))}),
                np.log(0.1), np.log(50.0), TARGETS["il7_alc_fold"].value, steps)
    return float(np.exp(x))


# ---- nivolumab (check) ----------------------------------------------------------------------
def nivolumab_check(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Terminal half-life (days, from days 42-84) and RO 28 days after 480 mg IV."""
    t = np.arange(0.0, 24.0 * 90 + 1, 24.0)
    r = simulate(_model(), dict(overrides or {}), {"P": 0.0}, t,
                 doses=therapy_schedule("nivolumab", "480mg", 0.0))
    c = r.states["nivolumab_c"]
    i1, i2 = 42, 84
    k = np.log(c[i1] / c[i2]) / (t[i2] - t[i1])
    return {"nivolumab_half_life": float(np.log(2) / k / 24.0),
            "nivolumab_ro_day28": float(r.observables["pd1_receptor_occupancy"][28])}


# ---- driver ---------------------------------------------------------------------------------
@dataclass
class CalibrationResult:
    """Everything a calibration run produced."""

    calibration: Calibration
    values: dict[str, float]
    stats: CohortStats
    result: SimulationResult
    extra: dict[str, Any] = field(default_factory=dict)


def run_calibration(size: int = 1500, seed: int = 2024, command: str = "",
                    log: Callable[[str], None] = print) -> CalibrationResult:
    """Run the four stages on a seeded population; return values beside targets."""
    from sepsistwin.population.sampler import SEPTIC_SHOCK

    m = _model()
    log("stage 1: endotoxin challenge")
    model_vals = calibrate_lps(m)
    log("  " + ", ".join(f"{k} {v:.4g}" for k, v in model_vals.items()))
    hyper = {d.target: {"center": d.center, "spread": d.spread} for d in SEPTIC_SHOCK}
    log(f"stage 2: phenotype mix at screening (n={size}, seed={seed})")
    hyper = calibrate_phenotypes(size, seed, model_vals, hyper, log=log)
    pop = sample_population(size, seed=seed, hyper=hyper)
    log("stage 3: 28-day simulation and death hazard")
    t = np.arange(0.0, HORIZON_H + 1.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = pop.simulate(t, overrides=model_vals)
    start = (m.default_parameters["death_log_h3"], m.default_parameters["death_beta"])
    log_h3, beta = calibrate_mortality(res, seed, start)
    model_vals.update(death_log_h3=log_h3, death_beta=beta)
    log(f"  death_log_h3 {log_h3:.4g}, death_beta {beta:.4g}")
    hz = post_hoc_hazard(np.atleast_2d(res.observables["organ_failure_index"]), res.time,
                         log_h3, beta)
    stats = cohort_stats(res, seed=seed, hz=hz)
    log("stage 4: IL-7 gain")
    idx = lymphopenic_survivors(res)
    il7_pop = pop.subset(idx)
    model_vals["a_il7"] = calibrate_il7(il7_pop, model_vals)
    log(f"  a_il7 {model_vals['a_il7']:.4g} ({idx.size} lymphopenic patients)")
    values = dict(stats.values)
    values.update({k: v for k, v in lps_response(model_vals, m).items()})
    values["il7_alc_fold"] = il7_fold(il7_pop, model_vals)
    values.update(nivolumab_check(model_vals))
    # The general septic-shock preset (validation: hospital mortality > 40%, Sepsis-3).
    gen = sample_population(size, "general", seed=seed, hyper={**hyper})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gres = gen.simulate(t, overrides=model_vals)
    values["general_preset_mortality"] = cohort_stats(gres, seed=seed).values["mortality_overall"]
    meta = {"date": _dt.date.today().isoformat(),
            "command": command or f"sepsistwin calibrate --size {size} --seed {seed}",
            "size": size, "seed": seed}
    cal = Calibration(model={k: float(v) for k, v in model_vals.items()},
                      population={k: hyper[k] for k in ("g_mals", "g_il10")}, meta=meta)
    return CalibrationResult(cal, values, stats, res, {"il7_patients": int(idx.size)})
