"""Assessed timelines held by the dashboard: the bundled example cohort and uploads.

A :class:`Dataset` is a validated, assessed timeline plus what the pages need from it
(per-patient summaries, the CLI's JSON records, recommendations), computed once.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from sepsistwin.api import frame_records, jsonable
from sepsistwin.recommend import RecommendationSet, recommend

#: Identifier of the bundled example cohort (shared by every session, read-only).
EXAMPLE_ID = "example"
#: Rendered pages and serialised bodies kept per dataset (least recently used dropped first).
CACHE_ENTRIES = 4096
#: Observation variables plotted on a patient's biomarker panel, in order.
BIOMARKERS = ("ferritin", "mhla_dr", "lymphocytes", "il6", "lactate")


@dataclass
class Dataset:
    """An assessed timeline.

    Attributes
    ----------
    id : str
        ``"example"`` or a random upload id.
    name : str
        File name as uploaded (or the example's name).
    assessment : pandas.DataFrame
        :func:`sepsistwin.api.assess` output (one row per patient-day).
    rejected : list of dict
        Rows dropped in lenient mode (``file, row, patient_id, field, value, message``).
    """

    id: str
    name: str
    assessment: pd.DataFrame
    rejected: list[dict[str, Any]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    cache: OrderedDict[str, Any] = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _recommend_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def peek(self, key: str) -> Any:
        """The cached value of ``key``, or ``None``."""
        with self._lock:
            value = self.cache.get(key)
            if value is not None:
                self.cache.move_to_end(key)
            return value

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()`` computed once per ``key`` (a rendered page, a serialised body, figures);
        the dataset is immutable, so entries never go stale."""
        with self._lock:
            if key in self.cache:
                self.cache.move_to_end(key)
                return self.cache[key]
        value = make()
        with self._lock:
            self.cache[key] = value
            while len(self.cache) > CACHE_ENTRIES:
                self.cache.popitem(last=False)
        return value

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        """The assessment as the CLI's ``assess --json`` records."""
        return frame_records(self.assessment)

    @cached_property
    def recommendations(self) -> RecommendationSet:
        """Recommendations for every patient-day (computed on first use)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return recommend(self.assessment)

    @cached_property
    def _by_patient(self) -> dict[str, list[dict[str, Any]]]:
        index: dict[str, list[dict[str, Any]]] = {}
        for r in self.records:
            index.setdefault(str(r["patient_id"]), []).append(r)
        return index

    def patient_ids(self) -> list[str]:
        """Patient ids, sorted."""
        return sorted(self.assessment["patient_id"].astype(str).unique().tolist())

    def patient_records(self, patient_id: str) -> list[dict[str, Any]]:
        """One patient's day records (``KeyError`` naming the known patients if absent)."""
        rows = self._by_patient.get(patient_id)
        if not rows:
            raise KeyError(
                f"unknown patient {patient_id!r}; patients: {', '.join(self.patient_ids())}"
            )
        return rows

    @cached_property
    def summary(self) -> list[dict[str, Any]]:
        """Per patient: days assessed, latest day's SOFA, shock, phenotype, immune state,
        the worst SOFA and the number of variables missing on the latest day."""
        out = []
        for pid in self.patient_ids():
            rows = self.patient_records(pid)
            last = rows[-1]
            out.append(
                jsonable(
                    {
                        "patient_id": pid,
                        "days": len(rows),
                        "latest_day": last["day"],
                        "sofa": last["sofa"],
                        "max_sofa": max(r["sofa"] for r in rows),
                        "septic_shock": last["septic_shock"],
                        "sepsis3": last["sepsis3"],
                        "phenotype": last["phenotype"],
                        "immune_state": last["immune_state"],
                        "missing": len(last["missing"]),
                    }
                )
            )
        return out

    def recommendation_records(
        self, patient: str | None = None, day: int | None = None
    ) -> list[dict[str, Any]]:
        """The CLI's ``recommend --json`` records, optionally for one patient and/or day."""
        with self._recommend_lock:  # computed once even under concurrent requests
            rs = self.recommendations
        return [jsonable(r) for r in rs.filter(patient=patient, day=day).to_records()]

    def describe(self) -> dict[str, Any]:
        """Identity and size, for listings."""
        return {
            "id": self.id,
            "name": self.name,
            "patients": len(self.patient_ids()),
            "patient_days": len(self.assessment),
            "rejected": len(self.rejected),
        }


def assess_file(
    dataset_id: str, path: Path, *, onset: Path | None = None, lenient: bool = False
) -> Dataset:
    """Validate and assess a timeline file through the public API.

    Raises
    ------
    sepsistwin.data.InputError
        Bad input, naming file, row, field, value and the expected unit.
    """
    from sepsistwin.api import assess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = assess(path, onset=onset, lenient=lenient)
    ds = Dataset(
        id=dataset_id,
        name=path.name,
        assessment=result,
        rejected=[jsonable(r) for r in result.attrs.get("rejected") or []],
    )
    # Warm the caches here (the request thread), not inside concurrent page requests.
    _ = ds.records, ds._by_patient, ds.summary
    return ds


_EXAMPLE: Dataset | None = None
_EXAMPLE_LOCK = threading.Lock()


def example_dataset() -> Dataset:
    """The bundled example cohort, assessed once per process."""
    global _EXAMPLE
    with _EXAMPLE_LOCK:
        if _EXAMPLE is None:
            from sepsistwin.examples import example_path

            ds = assess_file(
                EXAMPLE_ID, example_path("cohort.csv"), onset=example_path("onsets.csv")
            )
            ds.name = "example cohort (cohort.csv + onsets.csv)"
            _ = ds.recommendations
            _EXAMPLE = ds
        return _EXAMPLE
