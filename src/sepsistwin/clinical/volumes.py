"""Urine volumes charted as events -> one daily urine-output rate per assessment day.

ICUs chart urine as volumes at a time (``450 mL`` at 08:00: a void, an hourly Foley
reading); SOFA scores the volume of a day. The rule, after mimic-code
(``mimic-iv/concepts/measurement/urine_output_rate.sql`` and ``score/sofa.sql``):

- each volume covers the time since the patient's previous volume event; the first one
  covers the time since the patient's first heart rate (mimic-code: the first charted
  heart rate marks the start of charting), or since the first observation of any kind
  when no heart rate is charted;
- a day (``[24 d, 24 (d+1))`` hours from time zero) sums the volumes charted in it and
  the hours they cover;
- when the covered hours lie in ``renal_urine_covered_hours`` (22 to 30 h, mimic-code),
  the day's urine output is ``volume / covered hours x 24`` mL/day; otherwise the day has
  no urine output from volumes (a partial day is not extrapolated: the score would
  otherwise call 6 h of normal output oliguria).

The derived rate joins any urine output charted as a rate (mL/day, mL/h) and the day's
lowest counts, as for every other urine-output value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sepsistwin.clinical.config import SofaThresholds

#: The catalogue variable of charted urine volumes, and the rate it is summed into.
URINE_VOLUME, URINE_OUTPUT = "urine_volume", "urine_output"
#: The variable whose first charting starts the first volume's interval (mimic-code).
HEART_RATE = "heart_rate"


def urine_volume_days(observations: pd.DataFrame, thresholds: SofaThresholds) -> pd.DataFrame:
    """Sum urine volumes per patient-day, with the hours they cover and the daily rate.

    Parameters
    ----------
    observations
        Long table ``patient_id, hours, variable, value`` (canonical units: volumes in mL).
    thresholds
        ``renal_urine_covered_hours`` gives the covered hours a day needs for a rate.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id, day, volume_ml, covered_hours, last_hours`` and
        ``urine_output_ml_day`` (NaN when the covered hours are outside the window).

    Examples
    --------
    >>> from sepsistwin.clinical.config import default_config
    >>> obs = pd.DataFrame({"patient_id": ["p"] * 4, "hours": [0.0, 8.0, 16.0, 24.0],
    ...                     "variable": ["map"] + ["urine_volume"] * 3,
    ...                     "value": [70.0, 100.0, 100.0, 150.0]})
    >>> days = urine_volume_days(obs, default_config().sofa)
    >>> days[["day", "volume_ml", "covered_hours"]].to_numpy().tolist()
    [[0.0, 200.0, 16.0], [1.0, 150.0, 8.0]]
    """
    is_vol = (observations["variable"] == URINE_VOLUME).to_numpy()
    pid = observations["patient_id"].astype(object).to_numpy()
    hours = observations["hours"].to_numpy(dtype=float)
    start = pd.Series(hours).groupby(pid, sort=False).min()
    is_hr = (observations["variable"] == HEART_RATE).to_numpy()
    if is_hr.any():
        first_hr = pd.Series(hours[is_hr]).groupby(pid[is_hr], sort=False).min()
        start.loc[first_hr.index] = first_hr
    vol = pd.DataFrame(
        {
            "patient_id": pid[is_vol],
            "hours": hours[is_vol],
            "value": observations["value"].to_numpy(dtype=float)[is_vol],
        }
    ).sort_values(["patient_id", "hours"], kind="stable")
    prev = vol.groupby("patient_id", sort=False)["hours"].shift(1)
    first_obs = vol["patient_id"].map(start)
    vol["covered"] = vol["hours"] - prev.fillna(first_obs)
    vol["day"] = np.floor(vol["hours"] / 24.0)
    days = (
        vol.groupby(["patient_id", "day"], sort=True)
        .agg(
            volume_ml=("value", "sum"),
            covered_hours=("covered", "sum"),
            last_hours=("hours", "max"),
        )
        .reset_index()
    )
    low, high = thresholds.renal_urine_covered_hours
    ok = (days["covered_hours"] >= low) & (days["covered_hours"] <= high)
    days["urine_output_ml_day"] = np.where(
        ok, days["volume_ml"] / days["covered_hours"].where(ok, 1.0) * 24.0, np.nan
    )
    return days


def volumes_as_daily_rates(observations: pd.DataFrame, thresholds: SofaThresholds) -> pd.DataFrame:
    """Replace urine-volume events by one urine-output rate per covered day.

    Observations without urine volumes are returned unchanged (the same object). The
    rate row of a day sits at the day's last volume event.

    Examples
    --------
    >>> from sepsistwin.clinical.config import default_config
    >>> hourly = pd.DataFrame({"patient_id": ["p"] * 24, "hours": np.arange(24.0),
    ...                        "variable": ["heart_rate"] + ["urine_volume"] * 23,
    ...                        "value": [80.0] + [20.0] * 23})
    >>> out = volumes_as_daily_rates(hourly, default_config().sofa)
    >>> out.loc[out["variable"] == "urine_output", "value"].tolist()
    [480.0]
    """
    variable = observations["variable"]
    if isinstance(variable.dtype, pd.CategoricalDtype):
        if URINE_VOLUME not in variable.cat.categories:
            return observations
    is_vol = (variable == URINE_VOLUME).to_numpy()
    if not is_vol.any():
        return observations
    days = urine_volume_days(observations, thresholds)
    days = days[days["urine_output_ml_day"].notna()]
    rates = pd.DataFrame(
        {
            "patient_id": days["patient_id"].to_numpy(dtype=object),
            "hours": days["last_hours"].to_numpy(dtype=float),
            "variable": URINE_OUTPUT,
            "value": days["urine_output_ml_day"].to_numpy(dtype=float),
        }
    )
    rest = observations.loc[~is_vol, ["patient_id", "hours", "variable", "value"]]
    rest = rest.astype({"patient_id": object, "variable": object})
    return pd.concat([rest, rates], ignore_index=True)


__all__ = ["URINE_OUTPUT", "URINE_VOLUME", "urine_volume_days", "volumes_as_daily_rates"]
