"""SOFA-2 components, vectorised over patient-days (JAMA 2025; mimic-code sofa-2.sql).

Each function takes the day's worst values as float arrays (NaN = not measured) and
returns integer points; a missing input scores 0 (as in SOFA and mimic-code), and the
caller lists it in ``missing``. Cut-offs come from :class:`Sofa2Thresholds`.

Edge cases (documented in docs/clinical-rules.md): SOFA-2's hourly rules are read on the
assessment day: the day's lowest PaO2/FiO2 (or SpO2/FiO2 when the day has no PaO2/FiO2),
the day's highest drug rates, the day's urine output per kg per hour.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sepsistwin.clinical.config import Sofa2Thresholds
from sepsistwin.clinical.sofa import points

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

COMPONENTS = (
    "sofa2_respiration",
    "sofa2_hemostasis",
    "sofa2_liver",
    "sofa2_cardiovascular",
    "sofa2_brain",
    "sofa2_kidney",
)


def _at_or_below(x: FloatArray, cuts: list[float]) -> IntArray:
    """1 point per cut-off that ``x`` is at or below (cuts in decreasing order)."""
    return points(x, cuts, np.less_equal)


def _above(x: FloatArray, cuts: list[float]) -> IntArray:
    """1 point per cut-off that ``x`` exceeds (cuts in increasing order)."""
    return points(x, cuts, np.greater)


def respiration(
    pf_ratio: FloatArray,
    sf_ratio: FloatArray,
    advanced_support: BoolArray,
    ecmo: BoolArray,
    t: Sofa2Thresholds,
) -> IntArray:
    """PaO2/FiO2 <=300 -> 1, <=225 -> 2, <=150 -> 3, <=75 -> 4; ECMO -> 4.

    3 and 4 need advanced respiratory support (invasive or non-invasive ventilation, high
    flow); without it the score is capped at 2. SpO2/FiO2 (<=300, 250, 200, 120) is used
    only on a day without a PaO2/FiO2.

    Examples
    --------
    >>> from sepsistwin.clinical.config import default_config
    >>> t = default_config().sofa2
    >>> no = np.array([False, False, True])
    >>> respiration(np.array([300.0, 140.0, 140.0]), np.full(3, np.nan), no, no & False,
    ...             t).tolist()
    [1, 2, 3]
    """
    pf_pts = _at_or_below(pf_ratio, t.respiration_pf_mmhg)
    sf_pts = _at_or_below(sf_ratio, t.respiration_sf)
    pts = np.where(np.isnan(pf_ratio), sf_pts, pf_pts)
    pts = np.where(advanced_support, pts, np.minimum(pts, 2))
    return np.where(ecmo, 4, pts)


def hemostasis(platelets: FloatArray, t: Sofa2Thresholds) -> IntArray:
    """Platelets (10^9/L) <=150 -> 1, <=100 -> 2, <=80 -> 3, <=50 -> 4."""
    return _at_or_below(platelets, t.hemostasis_platelets_1e9_per_l)


def liver(bilirubin: FloatArray, t: Sofa2Thresholds) -> IntArray:
    """Bilirubin (mg/dL) >1.2 -> 1, >3 -> 2, >6 -> 3, >12 -> 4."""
    return _above(bilirubin, t.liver_bilirubin_mg_dl)


def cardiovascular(
    map_mmhg: FloatArray,
    norepinephrine: FloatArray,
    epinephrine: FloatArray,
    dopamine: FloatArray,
    dobutamine: FloatArray,
    other_vasoactive: BoolArray,
    mechanical_support: BoolArray,
    t: Sofa2Thresholds,
) -> IntArray:
    """Norepinephrine + epinephrine (ug/kg/min): >0 -> 2, >0.2 -> 3, >0.4 -> 4.

    With another vasopressor or inotrope (dobutamine, vasopressin, phenylephrine,
    milrinone) one point more (up to 4); another drug alone -> 2. Dopamine as the only
    drug: >0 -> 2, >20 -> 3, >40 -> 4. Mechanical circulatory support -> 4. MAP < 70 mmHg
    without any of these -> 1.

    Examples
    --------
    >>> from sepsistwin.clinical.config import default_config
    >>> t, nan, no = default_config().sofa2, np.nan, np.array([False, False])
    >>> cardiovascular(np.array([65.0, 65.0]), np.array([0.3, 0.1]), np.array([nan, nan]),
    ...                np.array([nan, nan]), np.array([nan, 5.0]), no, no, t).tolist()
    [3, 3]
    """
    ne_e = np.nan_to_num(norepinephrine) + np.nan_to_num(epinephrine)
    dob = np.nan_to_num(dobutamine)
    dop = np.nan_to_num(dopamine)
    other = other_vasoactive | (dob > 0)
    low, high = t.norepi_epi_sum_ug_kg_min
    pts = np.where(map_mmhg < t.cardiovascular_map_mmhg, 1, 0)
    pts = np.where(other, 2, pts)
    sum_pts = np.select([ne_e > high, ne_e > low, ne_e > 0], [4, 3, 2], 0)
    sum_pts = np.where((ne_e > 0) & other, np.minimum(sum_pts + 1, 4), sum_pts)
    pts = np.where(ne_e > 0, sum_pts, pts)
    d_mid, d_high = t.dopamine_only_ug_kg_min
    dopamine_only = (dop > 0) & (ne_e == 0) & ~other
    pts = np.where(dopamine_only, np.select([dop > d_high, dop > d_mid], [4, 3], 2), pts)
    return np.where(mechanical_support, 4, pts)


def brain(gcs: FloatArray, t: Sofa2Thresholds) -> IntArray:
    """GCS 13-14 -> 1, 9-12 -> 2, 6-8 -> 3, 3-5 -> 4."""
    pts = np.zeros(gcs.shape, dtype=np.int64)
    for c in t.brain_gcs:
        pts += gcs < c
    return pts


def kidney(
    creatinine: FloatArray,
    urine_ml_day: FloatArray,
    weight_kg: FloatArray,
    rrt: BoolArray,
    t: Sofa2Thresholds,
) -> IntArray:
    """Creatinine (mg/dL) >1.2 -> 1, >2 -> 2, >3.5 -> 3; urine <0.5 mL/kg/h -> 2,
    <0.3 mL/kg/h or none -> 3; renal replacement therapy -> 4. The worse applies.

    Examples
    --------
    >>> from sepsistwin.clinical.config import default_config
    >>> t = default_config().sofa2
    >>> kidney(np.array([1.5, 0.9, 0.9]), np.array([2000.0, 700.0, 400.0]),
    ...        np.array([80.0, 80.0, 80.0]), np.zeros(3, bool), t).tolist()
    [1, 2, 3]
    """
    creat = _above(creatinine, t.kidney_creatinine_mg_dl)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_kg_h = urine_ml_day / weight_kg / 24.0
    uo_2, uo_3 = t.kidney_urine_ml_kg_h
    urine = np.select([(per_kg_h < uo_3) | (urine_ml_day == 0), per_kg_h < uo_2], [3, 2], 0)
    return np.where(rrt, 4, np.maximum(creat, urine))


__all__ = [
    "COMPONENTS",
    "brain",
    "cardiovascular",
    "hemostasis",
    "kidney",
    "liver",
    "respiration",
]
