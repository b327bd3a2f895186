"""Endotypes in the rest of sepsistwin: assessment columns and twin priors."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd
import yaml

from sepsistwin.data.errors import InputError
from sepsistwin.omics.endotype import PREFIX, EndotypeResult

#: Assessment columns filled from endotype calls (absent method -> column left out).
ENDOTYPE_COLUMNS = (
    "srs",
    "srs_p",
    "srsq",
    "srs_quality",
    "srs19",
    "srsq19",
    "sweeney",
    "sweeney_quality",
    "mars",
    "mars_quality",
    "endotype_sample",
)


def _calls_frame(endotypes: EndotypeResult | pd.DataFrame) -> pd.DataFrame:
    calls = endotypes.calls if isinstance(endotypes, EndotypeResult) else endotypes
    need = {"patient_id", "day", "sample_id", "method", "class"}
    missing = sorted(need - set(calls.columns))
    if missing:
        raise InputError(
            f"endotype calls: missing column(s) {', '.join(missing)}; score with a sample sheet "
            "(sample_id, patient_id, day|hours) so samples can be placed on assessment days",
            field=missing[0],
            expected="sample_id, patient_id, day, method, class",
        )
    return calls


def add_endotypes(
    assessment: pd.DataFrame, endotypes: EndotypeResult | pd.DataFrame
) -> pd.DataFrame:
    """The assessment with endotype columns on the days a sample exists.

    Columns: ``srs, srs_p, srsq, srs_quality`` (Davenport SRS), ``srs19, srsq19`` (extended),
    ``sweeney, sweeney_quality``, ``mars, mars_quality`` and ``endotype_sample``. Days without a
    sample keep missing values (no carrying forward: an endotype can change within days). When a
    day has several samples, the latest (by ``hours``, else sheet order) is used.

    Parameters
    ----------
    assessment
        Output of :func:`sepsistwin.assess` (``patient_id, day, ...``).
    endotypes
        :class:`EndotypeResult` scored with a sample sheet, or its ``calls`` table (e.g. read
        back from ``sepsistwin endotype --out calls.csv``).

    Examples
    --------
    >>> a = pd.DataFrame({"patient_id": ["P1", "P1"], "day": [0, 1]})
    >>> c = pd.DataFrame({"sample_id": ["s1"], "patient_id": ["P1"], "day": [1],
    ...                   "method": ["srs_davenport"], "class": ["SRS1"], "score": [0.8],
    ...                   "probability": [0.9], "quality": ["ok"]})
    >>> add_endotypes(a, c)["srs"].tolist()
    [None, 'SRS1']
    """
    calls = _calls_frame(endotypes).copy()
    calls["patient_id"] = calls["patient_id"].astype(str)
    calls["day"] = pd.to_numeric(calls["day"], errors="coerce").astype("Int64")
    if "hours" in calls:
        calls = calls.sort_values("hours", kind="stable", na_position="first")
    wide = pd.DataFrame()
    for method, sub in calls.groupby("method", sort=False):
        p = PREFIX.get(str(method))
        if p is None:
            continue
        last = sub.drop_duplicates(["patient_id", "day"], keep="last").set_index(
            ["patient_id", "day"]
        )
        cols = {p: last["class"]}
        if "quality" in last:
            cols[f"{p}_quality"] = last["quality"]
        if method == "srs_davenport":
            cols["srs_p"] = last.get("probability")
            cols["srsq"] = last.get("score")
            cols["endotype_sample"] = last["sample_id"]
        if method == "srs_extended":
            cols["srsq19"] = last.get("score")
        part = pd.DataFrame({k: v for k, v in cols.items() if v is not None})
        wide = part if wide.empty else wide.join(part, how="outer")
    if wide.empty:
        return assessment.copy()
    out = assessment.copy()
    key = pd.MultiIndex.from_arrays(
        [out["patient_id"].astype(str), pd.to_numeric(out["day"]).astype("Int64")]
    )
    for col in wide.columns:
        values = wide[col].reindex(key)
        out[col] = values.astype(object).where(values.notna(), None).to_numpy()
    return out


@lru_cache(maxsize=1)
def _priors() -> dict[str, Any]:
    text = resources.files("sepsistwin.omics").joinpath("data/twin_priors.yaml").read_text()
    loaded: dict[str, Any] = yaml.safe_load(text)["priors"]
    return loaded


def twin_prior(endotype_class: str) -> dict[str, Any]:
    """Prior information an endotype gives the twin's immune state (a documented proposal).

    Returns the direction each observable's prior should move relative to the population
    (``lower`` / ``higher``), with the source and ``status: PROPOSAL``: the published endotypes
    describe immune states, not model parameters, so this mapping is sepsistwin's reading.

    Examples
    --------
    >>> p = twin_prior("SRS1")
    >>> p["observables"]["mhla_dr"], p["status"]
    ('lower', 'PROPOSAL')
    """
    priors = _priors()
    if endotype_class not in priors:
        raise KeyError(
            f"endotype {endotype_class!r} has no twin prior; known: {', '.join(sorted(priors))}"
        )
    return {"endotype": endotype_class, **priors[endotype_class]}
