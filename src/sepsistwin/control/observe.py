"""Observing a simulated patient as an ICU does, through the twin's observation model.

The schedule is the twin validation's (:mod:`sepsistwin.twin.virtual`): morning labs at 08:00
every day, each missing with its probability; temperature and norepinephrine at 08:00 and
20:00; mHLA-DR on days 1 and 3 and IL-6/IL-10/TNF on days 0 and 2 (then every other day),
each done with its probability. Values carry assay error drawn from the observation model
(:meth:`sepsistwin.twin.ObservationModel.measure`), in the catalogue's canonical units; a
patient is observed only while alive.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.data import CATALOGUE
from sepsistwin.twin import ObservationModel
from sepsistwin.twin.forecast import DAILY_HOUR
from sepsistwin.twin.virtual import (
    DAILY_LABS,
    P_MISSING_FERRITIN,
    P_MISSING_LAB,
    P_SPECIAL_LAB,
    SPECIAL,
    VITAL_HOURS,
    VITALS,
)

FloatArray = NDArray[np.float64]
COLUMNS = ["patient_id", "time", "variable", "value", "unit"]
#: The phenotype's tests at a trial's screening (PROVIDE: ferritin for MALS, mHLA-DR for
#: immunoparalysis; Leventogiannis 2022, doi:10.1016/j.xcrm.2022.100817).
SCREENING_LABS = ("ferritin", "mhla_dr")
#: The screening sample is drawn this long before enrolment.
SCREENING_LEAD_HOURS = 0.5


def icu_times(t_from: float, t_to: float) -> FloatArray:
    """Observation hours (since time zero) in ``(t_from, t_to]`` of the ICU schedule.

    Examples
    --------
    >>> icu_times(24.0, 48.0).tolist()
    [32.0, 44.0]
    """
    days = np.arange(int(np.floor(t_from / 24.0)), int(np.ceil(t_to / 24.0)) + 1)
    hours = np.array([24.0 * d + h for d in days for h in VITAL_HOURS])
    return np.asarray(np.sort(hours[(hours > t_from) & (hours <= t_to)]), dtype=float)


def _special_day(var: str, day: int) -> bool:
    days = SPECIAL[var]
    return day in days if day < 4 else day % 2 == 0


def icu_observations(
    patient_id: str,
    time: FloatArray,
    observables: dict[str, FloatArray],
    om: ObservationModel,
    rng: np.random.Generator,
    *,
    t_from: float,
    t_to: float,
    death_hours: float = np.inf,
) -> pd.DataFrame:
    """ICU observations of one patient in ``(t_from, t_to]`` from its simulated observables.

    Parameters
    ----------
    patient_id : str
        Id written in the rows.
    time : ndarray
        Save times of ``observables`` (hours since time zero).
    observables : dict
        Model observables (one value per save time).
    om : ObservationModel
        Error model (assay error; its model-discrepancy term is not added: the virtual patient
        is the model).
    rng : numpy.random.Generator
        Noise and missingness.
    t_from, t_to : float
        Window (hours since time zero).
    death_hours : float
        No observation from this time on.

    Returns
    -------
    pandas.DataFrame
        ``patient_id, time, variable, value, unit`` (hours; canonical units).
    """
    rows: list[dict[str, object]] = []
    time = np.asarray(time, dtype=float)
    for t in icu_times(t_from, t_to):
        if t >= death_hours:
            break
        i = int(np.argmin(np.abs(time - t)))
        if abs(time[i] - t) > 1e-6:
            continue
        day = int(t // 24.0)
        morning = np.isclose(t - 24.0 * day, DAILY_HOUR)
        wanted: list[tuple[str, float]] = [(v, 1.0) for v in VITALS]
        if morning:
            wanted += [
                (v, 1.0 - (P_MISSING_FERRITIN if v == "ferritin" else P_MISSING_LAB))
                for v in DAILY_LABS
            ]
            wanted += [(v, P_SPECIAL_LAB) for v in SPECIAL if _special_day(v, day)]
        for var, p_done in wanted:
            if var not in om.variables or var not in observables:
                continue
            done = rng.uniform() < p_done
            row = _measured(patient_id, float(t), var, observables[var][i], om, rng)
            if done and row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def screening_observations(
    patient_id: str,
    observables: dict[str, float],
    om: ObservationModel,
    rng: np.random.Generator,
    *,
    at: float,
    variables: tuple[str, ...] = SCREENING_LABS,
) -> pd.DataFrame:
    """The laboratory tests a trial's screening used, measured once each with assay error.

    A trial enrols on its screening labs (the phenotype's ferritin and mHLA-DR), so every arm
    knows them; they are written :data:`SCREENING_LEAD_HOURS` before the enrolment time
    ``at`` (the sample drawn before enrolment, inside the day being decided on), from the
    state at enrolment.

    Examples
    --------
    >>> from sepsistwin.twin import observation_model, without_discrepancy
    >>> om = without_discrepancy(observation_model())
    >>> df = screening_observations("P1", {"ferritin": 5000.0, "mhla_dr": 4000.0}, om,
    ...                             np.random.default_rng(0), at=24.0)
    >>> df["variable"].tolist(), df["time"].tolist()
    (['ferritin', 'mhla_dr'], [23.5, 23.5])
    """
    rows = []
    for var in variables:
        if var in om.variables and var in observables:
            row = _measured(patient_id, at - SCREENING_LEAD_HOURS, var, observables[var], om, rng)
            if row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _measured(
    patient_id: str,
    t: float,
    var: str,
    true_value: float,
    om: ObservationModel,
    rng: np.random.Generator,
) -> dict[str, object] | None:
    """One measurement row with assay error (``None`` when the value is not finite)."""
    model_v = om.model_values(var, np.atleast_1d(true_value).astype(float))
    value = float(om.measure(var, model_v, rng, discrepancy=False)[0])
    if not np.isfinite(value):
        return None
    unit = CATALOGUE[var].canonical_unit
    return {
        "patient_id": patient_id,
        "time": t,
        "variable": var,
        "value": value,
        "unit": "" if unit == "1" else unit,
    }
