"""Validation (not calibration): interferon-gamma in immunoparalysed virtual patients.

Immunoparalysed patients of a screened virtual cohort (PROVIDE phenotype at 24 h: mHLA-DR <
5,000 AB/C, ferritin <= 4,420 ng/mL, Sepsis-3) get IFN-gamma-1b 100 ug SC daily from screening
(the regimen of Doecke 1997 Nat Med 3:678 and, IV, Takeyama 2004 Crit Care 8(Suppl 1):P207 doi
10.1186/cc2674), or nothing. The medians of mHLA-DR and plasma IL-10 are compared with the
clinical series of Payen 2019 (BMC Infect Dis doi 10.1186/s12879-019-4526-x, VERIFIED):
mHLA-DR 2,666 -> 12,451 AB/C, IL-10 29 -> 9 pg/mL. Nothing is tuned to these numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.model.pharmacology import therapy_schedule
from sepsistwin.population.sampler import VirtualPopulation

#: Clinical reference (Payen 2019, case series of 18 adults; medians before -> after IFN-gamma).
PAYEN_2019: dict[str, float] = {
    "mhla_dr_before": 2666.0,
    "mhla_dr_after": 12451.0,
    "il10_before": 29.0,
    "il10_after": 9.0,
}
PAYEN_2019_SOURCE = "Payen 2019 BMC Infect Dis doi 10.1186/s12879-019-4526-x (VERIFIED)"

#: IFN-gamma-1b 100 ug SC once daily for 3 days from screening (Doecke 1997; Takeyama 2004).
IFN_REGIMEN: dict[str, Any] = {"dose": "100ug", "route": "sc", "every": 24.0, "n": 3}

#: Hours after the first dose at which the medians are reported.
IFN_HOURS = (0, 24, 72)


def immunoparalysed(screening: pd.DataFrame) -> NDArray[np.int64]:
    """Indices of the patients screened as immunoparalysed with Sepsis-3.

    ``screening`` is :func:`sepsistwin.population.screen` output (one row per patient); the
    screened cohort is the calibration's (:func:`sepsistwin.population.calibrate.screened`).
    """
    from sepsistwin.population.calibrate import screened  # calibrate imports this module

    ph = screening["phenotype"].to_numpy(dtype=object)
    return np.flatnonzero((ph == "immunoparalysis") & screened(screening))


def interferon_gamma_response(
    pop: VirtualPopulation,
    start_hours: float = 24.0,
    doses: Sequence[str] = ("100ug",),
    hours: Sequence[float] = IFN_HOURS,
    overrides: Mapping[str, float] | None = None,
    model: Any = "sepsistwin",
    every: float = float(IFN_REGIMEN["every"]),
    n: int = int(IFN_REGIMEN["n"]),
) -> dict[str, NDArray[np.float64]]:
    """mHLA-DR and IL-10 of ``pop`` without and with IFN-gamma SC from ``start_hours``.

    Returns ``{"hours": .., "<arm>_mhla_dr": (n_patients, n_hours), "<arm>_il10": ..}`` with
    arms ``control`` and one per dose in ``doses`` (``"ifn_100ug"``), at ``hours`` after
    ``start_hours``.

    Examples
    --------
    >>> from sepsistwin.population import sample_population
    >>> r = interferon_gamma_response(sample_population(3, seed=1))  # doctest: +SKIP
    >>> sorted(r)  # doctest: +SKIP
    ['control_il10', 'control_mhla_dr', 'hours', 'ifn_100ug_il10', 'ifn_100ug_mhla_dr']
    """
    rel = np.asarray(hours, dtype=float)
    t = np.unique(np.concatenate([[0.0], start_hours + rel]))
    idx = np.searchsorted(t, start_hours + rel)
    arms: dict[str, Any] = {"control": None}
    for dose in doses:
        arms[f"ifn_{dose.replace(' ', '')}"] = therapy_schedule(
            "interferon_gamma", dose, start_hours, route="sc", every=every, n=n
        )
    out: dict[str, NDArray[np.float64]] = {"hours": rel}
    for arm, sched in arms.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            r = pop.simulate(t, doses=sched, model=model, overrides=overrides)
        out[f"{arm}_mhla_dr"] = np.atleast_2d(r.observables["mhla_dr"])[:, idx]
        out[f"{arm}_il10"] = np.atleast_2d(r.observables["il10"])[:, idx]
    return out


def interferon_gamma_validation(
    pop: VirtualPopulation,
    index: NDArray[np.int64],
    overrides: Mapping[str, float] | None = None,
    model: Any = "sepsistwin",
) -> dict[str, float]:
    """Median mHLA-DR and IL-10 of the patients ``index`` of ``pop``, IFN-gamma vs none.

    ``index``: the screened immunoparalysed (:func:`immunoparalysed`). Keys
    ``ifn_gamma_<arm>_<variable>_<h>h`` (arm ``control`` or ``treated``, variable ``mhla_dr`` or
    ``il10``, ``h`` in :data:`IFN_HOURS` after the first dose) and ``ifn_gamma_patients``.
    """
    vals: dict[str, float] = {"ifn_gamma_patients": float(np.size(index))}
    if np.size(index) == 0:
        return vals
    r = interferon_gamma_response(pop.subset(index), overrides=overrides, model=model)
    for arm, key in (("control", "control"), ("treated", "ifn_100ug")):
        for var in ("mhla_dr", "il10"):
            med = np.median(r[f"{key}_{var}"], axis=0)
            for h, v in zip(IFN_HOURS, med, strict=True):
                vals[f"ifn_gamma_{arm}_{var}_{h}h"] = float(v)
    return vals
