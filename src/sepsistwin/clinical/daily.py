"""Daily summaries: one row per patient and day, the day's lowest and highest values.

Day ``d`` is the window ``[24 d, 24 (d+1))`` hours from the patient's time zero,
so day 0 is the first 24 h. Every day from ``min(0, first day)`` to the last day
with data gets a row, so gaps are visible rather than skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sepsistwin.clinical.config import ClinicalConfig
from sepsistwin.clinical.volumes import volumes_as_daily_rates

REQUIRED_COLUMNS = ("patient_id", "hours", "variable", "value")
PF_RATIO = "pf_ratio"
#: SpO2 (%) / FiO2 (fraction), from SpO2 below the SOFA-2 cut-off only (SOFA-2 fallback).
SF_RATIO = "sf_ratio"


def _pf_ratio_observations(
    obs: pd.DataFrame,
    lookback_hours: float,
    is_pao2: np.ndarray | None = None,
    is_fio2: np.ndarray | None = None,
    name: str = PF_RATIO,
) -> pd.DataFrame:
    """Pair each PaO2 with the latest FiO2 of the same patient at or before it.

    FiO2 older than ``lookback_hours`` is not used (the ratio is then missing),
    because an FiO2 from a previous shift says little about the current one.
    ``is_pao2`` / ``is_fio2``: the rows of each (computed here when not given).
    """
    if is_pao2 is None:
        is_pao2 = (obs["variable"] == "pao2").to_numpy()
    if is_fio2 is None:
        is_fio2 = (obs["variable"] == "fio2").to_numpy()
    pao2 = obs.loc[is_pao2, ["patient_id", "hours", "value"]]
    fio2 = obs.loc[is_fio2, ["patient_id", "hours", "value"]]
    if pao2.empty or fio2.empty:
        return pd.DataFrame({c: [] for c in REQUIRED_COLUMNS}).astype(
            {"hours": float, "value": float}
        )
    merged = pd.merge_asof(
        pao2.sort_values("hours"),
        fio2.sort_values("hours").rename(columns={"value": "fio2"}),
        on="hours",
        by="patient_id",
        direction="backward",
        tolerance=lookback_hours,
    )
    merged = merged[merged["fio2"].notna() & (merged["fio2"] > 0)]
    return pd.DataFrame(
        {
            "patient_id": merged["patient_id"].to_numpy(),
            "hours": merged["hours"].to_numpy(),
            "variable": name,
            "value": (merged["value"] / merged["fio2"]).to_numpy(),
        }
    )


def daily_extremes(observations: pd.DataFrame, config: ClinicalConfig) -> pd.DataFrame:
    """Summarise long observations into one row per patient-day.

    Urine volumes (``urine_volume`` events) are first summed into one urine-output rate
    per day (:func:`sepsistwin.clinical.volumes.volumes_as_daily_rates`).

    Parameters
    ----------
    observations
        Long table with columns ``patient_id, hours, variable, value`` in
        canonical units (as produced by :mod:`sepsistwin.data`).
    config
        Thresholds; ``config.sofa.fio2_lookback_hours`` sets the PaO2/FiO2 pairing.

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``day`` and, for every variable seen plus
        ``pf_ratio``, ``<variable>_min`` and ``<variable>_max`` (NaN where the day
        has no value). Sorted by patient and day.

    Examples
    --------
    >>> from sepsistwin.clinical.config import default_config
    >>> obs = pd.DataFrame({"patient_id": ["a", "a"], "hours": [1.0, 30.0],
    ...                     "variable": ["lactate", "lactate"], "value": [3.0, 1.5]})
    >>> daily_extremes(obs, default_config())[["day", "lactate_max"]].to_numpy().tolist()
    [[0.0, 3.0], [1.0, 1.5]]
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in observations.columns]
    if missing:
        raise ValueError(f"observations: missing column(s) {missing}; expected {REQUIRED_COLUMNS}")
    obs = volumes_as_daily_rates(observations[list(REQUIRED_COLUMNS)], config.sofa)
    # The variable names are factorised once (comparing a long text column to "pao2" and
    # "fio2", then factorising it again after adding the PaO2/FiO2 rows, is the slow part
    # of a large table); the codes are then merged with the ratio's as if factorised together.
    codes0, names0 = pd.factorize(obs["variable"], sort=True)
    names0_list = list(names0)
    is_pao2 = codes0 == names0_list.index("pao2") if "pao2" in names0_list else None
    is_fio2 = codes0 == names0_list.index("fio2") if "fio2" in names0_list else None
    if is_pao2 is None or is_fio2 is None:
        pf = _pf_ratio_observations(obs.iloc[:0], config.sofa.fio2_lookback_hours)
    else:
        pf = _pf_ratio_observations(obs, config.sofa.fio2_lookback_hours, is_pao2, is_fio2)
    if "spo2" in names0_list and is_fio2 is not None:
        is_spo2 = codes0 == names0_list.index("spo2")
        is_spo2 &= obs["value"].to_numpy(dtype=float) < config.sofa2.sf_spo2_below_percent
        sf = _pf_ratio_observations(
            obs, config.sofa.fio2_lookback_hours, is_spo2, is_fio2, name=SF_RATIO
        )
        pf = pd.concat([pf, sf], ignore_index=True) if len(pf) else sf
    if obs.empty and pf.empty:
        return pd.DataFrame({"patient_id": pd.Series(dtype=str), "day": pd.Series(dtype=int)})
    if pf.empty:
        var_codes, var_uniques = codes0, names0_list
        pid = obs["patient_id"]
        hours = obs["hours"].to_numpy(dtype=float)
        values = obs["value"].to_numpy(dtype=float)
    else:
        ratio_names = pf["variable"].to_numpy(dtype=object)
        var_uniques = sorted({*names0_list, *set(ratio_names)})
        new_code = np.array([var_uniques.index(v) for v in names0_list], dtype=np.intp)
        ratio_code = np.where(
            ratio_names == PF_RATIO,
            var_uniques.index(PF_RATIO) if PF_RATIO in var_uniques else -1,
            var_uniques.index(SF_RATIO) if SF_RATIO in var_uniques else -1,
        ).astype(np.intp)
        var_codes = np.concatenate(
            [np.where(codes0 >= 0, new_code[np.maximum(codes0, 0)], -1), ratio_code]
        )
        pid = pd.concat([obs["patient_id"], pf["patient_id"]], ignore_index=True)
        hours = np.concatenate([obs["hours"].to_numpy(dtype=float), pf["hours"].to_numpy(float)])
        values = np.concatenate([obs["value"].to_numpy(dtype=float), pf["value"].to_numpy(float)])

    pid_codes, pid_uniques = pd.factorize(pid, sort=True)
    day = np.floor(hours / 24.0).astype(np.int64)
    n_pat, n_var = len(pid_uniques), len(var_uniques)

    # Contiguous day grid per patient: from min(0, first day) to the last day.
    first = np.minimum(np.full(n_pat, 0, dtype=np.int64), _group_min(pid_codes, day, n_pat))
    last = _group_max(pid_codes, day, n_pat)
    n_days = last - first + 1
    offsets = np.concatenate([[0], np.cumsum(n_days)[:-1]])
    n_rows = int(n_days.sum())
    row = offsets[pid_codes] + (day - first[pid_codes])

    cell = row * n_var + var_codes
    lo = np.full(n_rows * n_var, np.inf)
    hi = np.full(n_rows * n_var, -np.inf)
    np.minimum.at(lo, cell, values)
    np.maximum.at(hi, cell, values)
    lo[np.isinf(lo)] = np.nan
    hi[np.isinf(hi)] = np.nan
    lo2, hi2 = lo.reshape(n_rows, n_var), hi.reshape(n_rows, n_var)

    pat_of_row = np.repeat(np.arange(n_pat), n_days)
    day_of_row = np.arange(n_rows) - offsets[pat_of_row] + first[pat_of_row]
    columns: dict[str, np.ndarray] = {
        "patient_id": np.asarray(pid_uniques, dtype=object)[pat_of_row],
        "day": day_of_row,
    }
    for j, name in enumerate(var_uniques):
        columns[f"{name}_min"] = lo2[:, j]
        columns[f"{name}_max"] = hi2[:, j]
    return pd.DataFrame(columns)


def _group_min(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, codes, values)
    return out


def _group_max(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(out, codes, values)
    return out


__all__ = ["PF_RATIO", "SF_RATIO", "daily_extremes"]
