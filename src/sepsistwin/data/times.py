"""Parsing the ``time`` column: ISO-8601 times or hours since time zero, vectorised.

Rules (docs/data-formats.md, "Time"):

- a column of numbers is hours since the patient's time zero;
- a column of ISO-8601 strings (or a timestamp column) is absolute time;
- mixing the two in one file is an error, as is mixing times with a UTC offset
  (``Z``, ``+02:00``) and times without one; dates without a time of day fit either
  (midnight, UTC when the file carries offsets);
- times with offsets are converted to UTC; times without stay naive (wall clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

NAT = np.iinfo(np.int64).min
NS_PER_HOUR = 3_600_000_000_000

TimeMode = Literal["hours", "datetime", "empty"]

_AWARE = re.compile(r"\d[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_WITH_TIME = re.compile(r"\d[T ]\d{1,2}:\d{2}")


@dataclass
class ParsedTimes:
    """Times of every row: float hours or int64 nanoseconds (UTC if ``aware``).

    ``missing`` and ``bad`` mark rows without a time and rows whose time could not be
    read; ``text`` keeps the strings for messages (None when the column was typed).
    """

    mode: TimeMode
    hours: np.ndarray | None
    ns: np.ndarray | None
    aware: bool
    missing: np.ndarray
    bad: np.ndarray
    text: np.ndarray | None

    def raw(self, i: int) -> object:
        """The time of row ``i`` as written (for messages)."""
        if self.text is not None:
            return self.text[i]
        if self.mode == "hours" and self.hours is not None:
            return self.hours[i]
        if self.ns is not None and self.ns[i] != NAT:
            return pd.Timestamp(int(self.ns[i]), tz="UTC" if self.aware else None).isoformat()
        return None


class MixedTimeFormats(ValueError):
    """A time column mixes formats; ``first``/``second`` are row positions of each kind."""

    def __init__(self, what: str, first: int, second: int, kinds: tuple[str, str]) -> None:
        super().__init__(what)
        self.first, self.second, self.kinds = first, second, kinds


def _datetime_series_to_ns(series: pd.Series) -> tuple[np.ndarray, bool, np.ndarray]:
    """Int64 nanoseconds (UTC for tz-aware data; NaT = int64 min) without extra copies.

    A column stored at a coarser unit (Parquet or Arrow seconds) may hold times outside
    the nanosecond range (years before 1678 or after 2261): those come back as NaT with
    their mask (third value) set, so they are reported instead of raising.
    """
    arr = pd.array(series, copy=False)
    aware = getattr(arr, "tz", None) is not None
    unit = getattr(arr, "unit", "ns")
    if unit == "ns":
        ns = np.asarray(arr.asi8)
        return ns, aware, np.zeros(len(ns), dtype=bool)
    raw = np.asarray(arr.asi8)
    per = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000}[unit]
    limit = np.iinfo(np.int64).max // per
    out_of_range = (raw != NAT) & (np.abs(raw) >= limit)
    ns = np.where(out_of_range | (raw == NAT), NAT, raw * per)
    return ns, aware, out_of_range


def parse_times(series: pd.Series) -> ParsedTimes:
    """Parse a time column (see module docstring for the rules).

    Raises
    ------
    MixedTimeFormats
        If ISO times and numbers, or offset and naive times, are mixed.

    Examples
    --------
    >>> parse_times(pd.Series([0.0, 6.5])).hours.tolist()
    [0.0, 6.5]
    >>> parse_times(pd.Series(["2024-03-01T08:00Z", "2024-03-01T10:00+02:00"])).aware
    True
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        series = series.astype(object)
        dtype = series.dtype
    if pd.api.types.is_numeric_dtype(dtype):
        hours = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(hours)
        bad = np.isinf(hours)
        return ParsedTimes("hours", hours, None, False, missing, bad, None)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        ns, aware, out_of_range = _datetime_series_to_ns(series)
        missing = (ns == NAT) & ~out_of_range
        text = series.astype(str).to_numpy(dtype=object) if out_of_range.any() else None
        return ParsedTimes("datetime", None, ns, aware, missing, out_of_range, text)
    return _parse_text_times(series)


def _parse_text_times(series: pd.Series) -> ParsedTimes:
    n = len(series)
    obj = series.astype(object)
    isna = obj.isna().to_numpy()
    text = obj.where(~isna, "").astype(str).str.strip()
    text_arr = text.to_numpy(dtype=object)
    missing = isna | (text_arr == "")
    numbers = pd.to_numeric(text.where(~missing, None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    is_num = ~np.isnan(numbers) & ~missing
    rest = ~is_num & ~missing
    with_time = text.str.contains(_WITH_TIME, regex=True).to_numpy(dtype=bool) & rest
    aware_mask = text.str.contains(_AWARE, regex=True).to_numpy(dtype=bool) & rest
    naive_mask = with_time & ~aware_mask
    if aware_mask.any() and naive_mask.any():
        a, b = int(np.argmax(aware_mask)), int(np.argmax(naive_mask))
        raise MixedTimeFormats(
            "mixes times with a UTC offset and times without one",
            min(a, b),
            max(a, b),
            ("with offset", "without offset") if a < b else ("without offset", "with offset"),
        )
    aware = bool(aware_mask.any())
    ns = np.full(n, NAT, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    iso_ok = np.zeros(n, dtype=bool)
    if rest.any():
        parsed = pd.to_datetime(text[rest], format="ISO8601", errors="coerce", utc=aware)
        got, _, _ = _datetime_series_to_ns(parsed)
        ns[rest] = got
        iso_ok[rest] = got != NAT
    if is_num.any() and iso_ok.any():
        a, b = int(np.argmax(is_num)), int(np.argmax(iso_ok))
        raise MixedTimeFormats(
            "mixes ISO-8601 times and numeric hours",
            min(a, b),
            max(a, b),
            ("numeric hours", "ISO-8601") if a < b else ("ISO-8601", "numeric hours"),
        )
    if is_num.any():
        bad = rest | (is_num & np.isinf(numbers))
        return ParsedTimes("hours", numbers, None, False, missing, bad, text_arr)
    bad = rest & ~iso_ok
    mode: TimeMode = "datetime" if iso_ok.any() else "empty"
    return ParsedTimes(mode, None, ns, aware, missing, bad, text_arr)
