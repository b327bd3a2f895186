"""SOFA components, vectorised over patient-days (Sepsis-3 Table 1, mimic-code edge cases).

Each function takes the day's worst values as float arrays (NaN = not measured)
and returns integer points. A missing input scores 0, as in mimic-code; the
caller lists it in ``missing``. Cut-offs come from :class:`SofaThresholds`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from sepsistwin.clinical.config import SofaThresholds

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def points(
    x: FloatArray, cuts: list[float], passes: Callable[[FloatArray, float], NDArray[np.bool_]]
) -> IntArray:
    """1 point per cut-off ``c`` for which ``passes(x, c)`` (NaN compares False: 0 points).

    Examples
    --------
    >>> points(np.array([450.0, 250.0, np.nan]), [400, 300, 200, 100], np.less).tolist()
    [0, 2, 0]
    """
    pts = np.zeros(x.shape, dtype=np.int64)
    for c in cuts:
        pts += passes(x, c)
    return pts


def _points_below(x: FloatArray, cuts: list[float]) -> IntArray:
    """1 point per cut-off that ``x`` is strictly below (cuts in decreasing order)."""
    return points(x, cuts, np.less)


def _points_at_or_above(x: FloatArray, cuts: list[float]) -> IntArray:
    """1 point per cut-off that ``x`` reaches (cuts in increasing order)."""
    return points(x, cuts, np.greater_equal)


def respiration(pf_ratio: FloatArray, ventilated: NDArray[np.bool_], t: SofaThresholds) -> IntArray:
    """PaO2/FiO2 (mmHg): <400 -> 1, <300 -> 2, <200 -> 3, <100 -> 4.

    3 and 4 points need mechanical ventilation; otherwise the score is capped at 2
    (mimic-code convention).

    Examples
    --------
    >>> from sepsistwin.clinical.config import default_config
    >>> t = default_config().sofa
    >>> respiration(np.array([399.0, 150.0, 150.0]), np.array([False, False, True]), t).tolist()
    [1, 2, 3]
    """
    pts = _points_below(pf_ratio, t.respiration_pf_mmhg)
    return np.where(ventilated, pts, np.minimum(pts, 2))


def coagulation(platelets: FloatArray, t: SofaThresholds) -> IntArray:
    """Platelets (10^9/L): <150 -> 1, <100 -> 2, <50 -> 3, <20 -> 4."""
    return _points_below(platelets, t.coagulation_platelets_1e9_per_l)


def liver(bilirubin: FloatArray, t: SofaThresholds) -> IntArray:
    """Bilirubin (mg/dL): >=1.2 -> 1, >=2 -> 2, >=6 -> 3, >=12 -> 4."""
    return _points_at_or_above(bilirubin, t.liver_bilirubin_mg_dl)


def cardiovascular(
    map_mmhg: FloatArray,
    norepinephrine: FloatArray,
    epinephrine: FloatArray,
    dopamine: FloatArray,
    dobutamine: FloatArray,
    t: SofaThresholds,
) -> IntArray:
    """MAP < 70 -> 1; dopamine <=5 or any dobutamine -> 2; dopamine >5 or epi/norepi
    <=0.1 -> 3; dopamine >15 or epi/norepi >0.1 -> 4 (doses in ug/kg/min)."""
    dop_mid, dop_high = t.dopamine_ug_kg_min
    catechol = np.fmax(norepinephrine, epinephrine)  # fmax ignores a NaN side
    pts = np.zeros(map_mmhg.shape, dtype=np.int64)
    pts = np.where(map_mmhg < t.cardiovascular_map_mmhg, 1, pts)
    pts = np.where((dopamine > 0) | (dobutamine > 0), 2, pts)
    pts = np.where((dopamine > dop_mid) | (catechol > 0), 3, pts)
    pts = np.where((dopamine > dop_high) | (catechol > t.epi_norepi_ug_kg_min), 4, pts)
    return pts


def cns(gcs: FloatArray, t: SofaThresholds) -> IntArray:
    """Glasgow coma scale: 13-14 -> 1, 10-12 -> 2, 6-9 -> 3, <6 -> 4."""
    return _points_below(gcs, t.cns_gcs)


def renal(creatinine: FloatArray, urine_ml_day: FloatArray, t: SofaThresholds) -> IntArray:
    """Worst of creatinine (mg/dL: >=1.2 -> 1 ... >=5 -> 4) and urine output
    (mL/day: <500 -> 3, <200 -> 4)."""
    creat = _points_at_or_above(creatinine, t.renal_creatinine_mg_dl)
    uo_3, uo_4 = t.renal_urine_ml_day
    urine = np.where(urine_ml_day < uo_4, 4, np.where(urine_ml_day < uo_3, 3, 0))
    return np.maximum(creat, urine)
