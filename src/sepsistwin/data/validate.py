"""The one validation layer every reader goes through: long rows -> canonical Timeline.

Input is a set of columns (patient_id, time, variable, value, unit) from a CSV/Parquet
file, an in-memory frame or FHIR resources. Every check is vectorised over the whole
column; unit conversion runs once per distinct (variable, unit) pair and is applied with
numpy. Python loops only build the messages of offending rows.

Each row gets the first problem found, in this order: reader-specific problem (FHIR
resource type, coding or subject), patient_id, variable, time (readable, within the
bounded span of ``limits.MAX_SPAN_HOURS``, a period no longer than it), value, unit,
plausible range, and last a conflict with an earlier row (same patient, variable and time,
another value).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sepsistwin.data.catalogue import CATALOGUE, canonical_name, suggest_name
from sepsistwin.data.errors import (
    InputError,
    LocationStyle,
    Problem,
    file_error,
    format_message,
)
from sepsistwin.data.limits import MAX_SPAN_HOURS, MAX_YEAR, MIN_YEAR
from sepsistwin.data.timeline import REJECTED_COLUMNS, Timeline, skipped_table
from sepsistwin.data.times import NAT, NS_PER_HOUR, MixedTimeFormats, ParsedTimes, parse_times
from sepsistwin.data.units import Conversion, UnitProblem, conversion_for

#: Canonical variable names in catalogue order; a row's variable is an index into this.
VARIABLE_NAMES: tuple[str, ...] = tuple(CATALOGUE)
_MIN = np.array([CATALOGUE[v].plausible_min for v in VARIABLE_NAMES], dtype=np.float64)
_MAX = np.array([CATALOGUE[v].plausible_max for v in VARIABLE_NAMES], dtype=np.float64)
_IS_FLAG = np.array([CATALOGUE[v].kind == "flag" for v in VARIABLE_NAMES])
_IS_INT = np.array([CATALOGUE[v].integer for v in VARIABLE_NAMES])
# Range limits with a relative tolerance for float noise in conversions (100 % -> 1.0).
_TOL = 1e-9 * np.maximum(1.0, np.maximum(np.abs(_MIN), np.abs(_MAX)))
_LOW, _HIGH = _MIN - _TOL, _MAX + _TOL

# Problem kinds, in the order rows are checked (a time too far from the patient's time zero,
# K_SPAN, ranks with the time; a conflicting duplicate, K_CONFLICT, is checked last).
K_PRESET, K_PID, K_VAR, K_TIME, K_VALUE, K_UNIT, K_RANGE, K_SPAN, K_CONFLICT, K_PERIOD = range(
    1, 11
)
#: Variables whose events add up (two urine volumes charted at one time are two voids),
#: so equal times with different values are not a conflict.
_ADDS_UP = np.array([CATALOGUE[v].quantity == "volume" for v in VARIABLE_NAMES])
_YEAR = re.compile(r"^(\d{1,4})-\d{2}")
_FLAG_WORDS = {"true": 1.0, "yes": 1.0, "y": 1.0, "false": 0.0, "no": 0.0, "n": 0.0}
#: How many problems a strict-mode error lists.
MAX_LISTED_PROBLEMS = 10

#: Time zero of a patient: a Timestamp (ISO input) or hours (numeric input).
OnsetValue: TypeAlias = pd.Timestamp | float


@dataclass
class RawRows:
    """Columns of long-format rows as read, before any checking.

    ``labels`` are per-row locations for FHIR (``"Observation/abc"``); tables use
    ``position + row_offset`` (2 = spreadsheet numbering with a header row).
    ``same_time`` says what good rows of one patient, variable and time with different
    values are: a ``"conflict"`` (the default: an error, or in lenient mode the first is
    kept and the others listed), or one measurement to ``"merge"`` (numbers averaged,
    flags their maximum: how mimic-code treats items charted at the same minute).
    ``preset`` holds problems a reader already found, by row position, as
    ``(field, value, expected, problem, variable)``. ``end_time`` is the end of a
    MedicationAdministration period (None for points). ``field_path`` renames the
    generic fields (time, value, unit) for messages, e.g. to FHIR element paths.
    """

    file: str
    style: LocationStyle
    patient_id: pd.Series
    time: pd.Series
    variable: pd.Series
    value: pd.Series
    unit: pd.Series
    row_offset: int = 2
    labels: np.ndarray | None = None
    preset: dict[int, tuple[str, Any, str, str, str | None]] = field(default_factory=dict)
    end_time: pd.Series | None = None
    field_path: Callable[[int, str], str] | None = None
    onsets: dict[str, OnsetValue] = field(default_factory=dict)
    baseline_sofa: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[int | str | None, str | None, str]] = field(default_factory=list)
    same_time: Literal["conflict", "merge"] = "conflict"

    def label(self, i: int) -> int | str:
        return str(self.labels[i]) if self.labels is not None else int(i + self.row_offset)


def _fmt(x: Any) -> str:
    """A number as people write it: 45 not 45.0, 0.45, 1e+20."""
    if isinstance(x, float | np.floating):
        x = float(x)
        if x.is_integer() and abs(x) < 1e16:
            return str(int(x))
        return repr(x)
    return str(x)


def _factorize_text(
    series: pd.Series, *, blank_code: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and stripped string uniques of a text-like column.

    Missing or blank entries get code -1, or with ``blank_code`` the code of an ``""``
    entry appended to the uniques. Categoricals (what the readers produce) cost one pass
    over the small category list plus at most one gather over the rows.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        uniques_raw = np.asarray(series.cat.categories, dtype=object)
    else:
        codes, uniques_idx = pd.factorize(series, use_na_sentinel=True)
        uniques_raw = np.asarray(uniques_idx, dtype=object)
    texts = np.array([_text(u) for u in uniques_raw], dtype=object)
    merged_codes, merged_idx = pd.factorize(texts) if len(texts) else (np.zeros(0, int), [])
    merged = np.asarray(merged_idx, dtype=object)
    remap = np.asarray(merged_codes, dtype=np.int32)
    blank = np.flatnonzero(merged == "")
    if len(blank):
        remap = np.where(remap == blank[0], -1, np.where(remap > blank[0], remap - 1, remap))
        merged = np.delete(merged, blank[0])
    missing = -1
    if blank_code:
        merged = np.append(merged, "")
        missing = len(merged) - 1
        remap = np.where(remap < 0, missing, remap)
    identity = len(merged_codes) == len(merged) - (1 if blank_code else 0) and np.array_equal(
        remap, np.arange(len(remap))
    )
    has_missing = bool(len(codes)) and bool((codes < 0).any())
    if identity and (missing == -1 or not has_missing):
        return codes, merged
    # lut[-1] is the code for missing entries (pandas codes them -1).
    lut = np.append(remap, np.int32(missing)).astype(np.int32)
    return lut[codes], merged


def _text(u: Any) -> str:
    if isinstance(u, float | np.floating) and float(u).is_integer():
        return str(int(u))
    return str(u).strip()


@dataclass
class _Values:
    values: np.ndarray
    missing: np.ndarray
    not_number: np.ndarray
    not_finite: np.ndarray
    text: np.ndarray | None


def _parse_values(series: pd.Series, row_var: np.ndarray) -> _Values:
    if pd.api.types.is_bool_dtype(series.dtype):
        series = series.astype(np.float64)
    if pd.api.types.is_numeric_dtype(series.dtype):
        vals = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(vals)
        return _Values(vals, missing, np.zeros(len(vals), bool), np.isinf(vals), None)
    obj = series.astype(object)
    isna = obj.isna().to_numpy()
    text = obj.where(~isna, "").astype(str).str.strip()
    text_arr = text.to_numpy(dtype=object)
    missing = isna | (text_arr == "")
    vals = pd.to_numeric(text.where(~missing, None), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    not_number = np.isnan(vals) & ~missing
    # Flags may be written as words; only rows of flag variables are looked at.
    for i in np.flatnonzero(not_number & (row_var >= 0)):
        if _IS_FLAG[row_var[i]] and text_arr[i].lower() in _FLAG_WORDS:
            vals[i] = _FLAG_WORDS[text_arr[i].lower()]
            not_number[i] = False
    return _Values(vals, missing, not_number, np.isinf(vals), text_arr)


@dataclass
class _State:
    raw: RawRows
    kind: np.ndarray
    pid_codes: np.ndarray
    pid_names: np.ndarray
    var_codes: np.ndarray
    var_names: np.ndarray
    row_var: np.ndarray
    times: ParsedTimes
    vals: _Values
    unit_codes: np.ndarray
    unit_names: np.ndarray
    pair_key: np.ndarray
    pair_conv: dict[int, Conversion | UnitProblem]
    converted: np.ndarray
    has_onset: np.ndarray
    onset_val: np.ndarray
    span_ref: np.ndarray
    conflict_with: np.ndarray


def build_timeline(
    raw: RawRows,
    *,
    onset: Mapping[str, OnsetValue] | None = None,
    onset_source: str = "onset",
    baseline_sofa: Mapping[str, int] | None = None,
    lenient: bool = False,
) -> Timeline:
    """Validate and convert raw long rows into a :class:`Timeline`.

    Parameters
    ----------
    raw : RawRows
        The columns as read.
    onset : mapping, optional
        Time zero per patient (Timestamp for ISO inputs, hours for numeric inputs).
    onset_source : str
        Name of the onset file, for messages.
    baseline_sofa : mapping, optional
        Baseline SOFA per patient.
    lenient : bool
        Drop and list bad rows instead of raising on the first.

    Returns
    -------
    Timeline

    Raises
    ------
    InputError
        In strict mode on the first bad row (listing up to 10), and in both modes for
        problems with the file as a whole.
    """
    file = raw.file
    n = len(raw.patient_id)
    if n == 0:
        raise file_error(file, "the file has no data rows")
    kind = np.zeros(n, dtype=np.int8)
    for i in raw.preset:
        kind[i] = K_PRESET

    pid_codes, pid_names = _factorize_text(raw.patient_id)
    kind[(pid_codes < 0) & (kind == 0)] = K_PID

    var_codes, var_names = _factorize_text(raw.variable)
    # var_lut[-1] (missing) is -2; unknown names are -1.
    var_lut = np.array(
        [VARIABLE_NAMES.index(c) if (c := canonical_name(v)) else -1 for v in var_names] + [-2],
        dtype=np.int32,
    )
    row_var = var_lut[var_codes]
    kind[(row_var < 0) & (kind == 0)] = K_VAR

    try:
        times = parse_times(raw.time)
    except MixedTimeFormats as exc:
        raise _mixed_times_error(raw, exc, "time") from None
    kind[(times.missing | times.bad) & (kind == 0)] = K_TIME

    onsets = dict(raw.onsets)
    if onset:
        onsets.update(onset)
    has_onset, onset_val = _onset_arrays(pid_names, times, raw.file, onsets, onset_source)
    far, span_ref = _far_times(times, pid_codes, has_onset, onset_val, kind == 0)
    kind[far & (kind == 0)] = K_SPAN
    long_period = _long_periods(raw, times)
    kind[long_period & (kind == 0)] = K_PERIOD

    vals = _parse_values(raw.value, row_var)
    kind[(vals.missing | vals.not_number | vals.not_finite) & (kind == 0)] = K_VALUE

    unit_codes, unit_names = _factorize_text(raw.unit, blank_code=True)
    pair_key, pair_conv, scale_tab, offset_tab, bad_tab, redirect_tab = _unit_pairs(
        row_var, unit_codes, unit_names
    )
    kind[bad_tab[pair_key] & (kind == 0)] = K_UNIT
    if (redirect_tab >= 0).any():
        # A rate charted as a volume (urine_output in mL) is an event of its volume variable.
        target = redirect_tab[pair_key]
        row_var = np.where((target >= 0) & (row_var >= 0), target, row_var).astype(np.int32)

    converted = vals.values * scale_tab[pair_key]
    if offset_tab.any():
        converted += offset_tab[pair_key]
    rv = np.maximum(row_var, 0)
    bad_value = (converted < _LOW[rv]) | (converted > _HIGH[rv])
    # Flags must be 0/1 and integer scores whole: checked on their rows only.
    for mask_of_var, ok in ((_IS_FLAG, _is_zero_or_one), (_IS_INT, _is_whole)):
        rows = np.flatnonzero(mask_of_var[rv])
        if len(rows):
            bad_value[rows[~ok(converted[rows])]] = True
    kind[bad_value & (kind == 0)] = K_RANGE
    conflict_with = _conflicting_duplicates(kind, pid_codes, row_var, times, converted)
    merged_away = np.zeros(n, dtype=bool)
    if raw.same_time == "merge":
        merged_away = _merge_same_time(conflict_with, row_var, converted)
        conflict_with[:] = -1
    kind[conflict_with >= 0] = K_CONFLICT

    state = _State(
        raw,
        kind,
        pid_codes,
        pid_names,
        var_codes,
        var_names,
        row_var,
        times,
        vals,
        unit_codes,
        unit_names,
        pair_key,
        pair_conv,
        converted,
        has_onset,
        onset_val,
        span_ref,
        conflict_with,
    )
    bad_positions = np.flatnonzero(kind)
    if len(bad_positions) and not lenient:
        shown = [_problem(state, int(i)) for i in bad_positions[:MAX_LISTED_PROBLEMS]]
        raise InputError.from_problems(shown, total=len(bad_positions))
    rejected = _rejected_table([_problem(state, int(i)) for i in bad_positions])

    keep = (kind == 0) & ~merged_away
    timeline = _assemble(state, keep, baseline_sofa, rejected)
    timeline.skipped = _skipped_table(raw, onsets, onset_source, set(timeline.time_zero))
    return timeline


_SAME_VALUE_RTOL = 1e-3
_NS_SPAN = MAX_SPAN_HOURS * NS_PER_HOUR
_MIN_NS = pd.Timestamp(f"{MIN_YEAR}-01-01").value
_MAX_NS = pd.Timestamp(f"{MAX_YEAR + 1}-01-01").value - 1


def _far_times(
    times: ParsedTimes,
    pid_codes: np.ndarray,
    has_onset: np.ndarray,
    onset_val: np.ndarray,
    usable: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose time lies outside the bounded span, and each patient's reference time.

    The reference is the patient's time zero when known (onset, or hour 0 for times in
    hours); for ISO times without an onset it is the median of the patient's times, so a
    single year typo is the row rejected rather than every other row. Absolute times
    outside the years ``MIN_YEAR``-``MAX_YEAR`` are rejected too (reference: -1).
    """
    n = len(pid_codes)
    far = np.zeros(n, dtype=bool)
    usable = usable & (pid_codes >= 0)
    pid = np.maximum(pid_codes, 0)
    if not usable.any():
        return far, np.zeros(len(has_onset), dtype=np.float64)
    if times.mode == "hours":
        assert times.hours is not None
        ref = np.where(has_onset, onset_val, 0.0)
        with np.errstate(invalid="ignore"):
            far = usable & (np.abs(times.hours - ref[pid]) > MAX_SPAN_HOURS)
        return far, ref
    if times.ns is None or not usable.any():
        return far, np.zeros(len(has_onset), dtype=np.int64)
    ns = times.ns
    out_of_years = usable & ((ns < _MIN_NS) | (ns > _MAX_NS))
    ok = usable & ~out_of_years
    ref = np.where(has_onset, onset_val, 0).astype(np.int64)
    need = ~has_onset
    if need.any() and ok.any():
        rows = np.flatnonzero(ok & need[pid])
        grouped = pd.Series(ns[rows]).groupby(pid[rows], sort=False)
        lo, hi = grouped.min(), grouped.max()
        ref[lo.index.to_numpy()] = lo.to_numpy()
        wide = hi.index.to_numpy()[(hi.to_numpy() - lo.to_numpy()) > _NS_SPAN]
        if len(wide):
            sel = rows[np.isin(pid[rows], wide)]
            medians = pd.Series(ns[sel]).groupby(pid[sel], sort=False).median()
            ref[medians.index.to_numpy()] = medians.to_numpy().astype(np.int64)
    with np.errstate(over="ignore"):
        far = ok & (np.abs(ns - ref[pid]) > _NS_SPAN)
    return far | out_of_years, ref


def _long_periods(raw: RawRows, times: ParsedTimes) -> np.ndarray:
    """Rows whose period (``end_time``) lasts longer than ``MAX_SPAN_HOURS``: each day of a
    period becomes a row, so a year typo in an end would make tens of thousands of rows."""
    n = len(raw.patient_id)
    if raw.end_time is None or times.ns is None:
        return np.zeros(n, dtype=bool)
    try:
        ends = parse_times(raw.end_time)
    except MixedTimeFormats:
        return np.zeros(n, dtype=bool)  # reported with its rows by _expand_periods
    if ends.ns is None:
        return np.zeros(n, dtype=bool)
    ok = (ends.ns != NAT) & (times.ns != NAT)
    with np.errstate(over="ignore"):
        span = np.where(ok, ends.ns - times.ns, 0)
    return ok & (span > _NS_SPAN)


def _conflicting_duplicates(
    kind: np.ndarray,
    pid_codes: np.ndarray,
    row_var: np.ndarray,
    times: ParsedTimes,
    converted: np.ndarray,
) -> np.ndarray:
    """Per row, the position of an earlier good row it contradicts (-1: none).

    Two good rows contradict when they give the same patient, variable and time with
    values more than ``_SAME_VALUE_RTOL`` apart (0.1 %: the same result charted in two
    units, converted with a factor rounded to a few digits, is the same value). Identical
    repeats are harmless and kept; volumes (``quantity: volume``) add up, so are never in conflict.
    Cost: one hash of an int64 key per row; exact comparison only on candidate rows.
    """
    n = len(kind)
    out = np.full(n, -1, dtype=np.int64)
    good = kind == 0
    good &= ~_ADDS_UP[np.maximum(row_var, 0)]
    idx = np.flatnonzero(good)
    if len(idx) < 2:
        return out
    if times.mode == "hours":
        assert times.hours is not None
        t = times.hours[idx].view(np.int64)
    else:
        assert times.ns is not None
        t = times.ns[idx]
    key = t * np.int64(1_000_003) + pid_codes[idx].astype(np.int64) * np.int64(257)
    key += row_var[idx].astype(np.int64)
    candidates = pd.Series(key).duplicated(keep=False).to_numpy()
    if not candidates.any():
        return out
    cand = idx[candidates]
    frame = pd.DataFrame(
        {
            "p": pid_codes[cand],
            "v": row_var[cand],
            "t": t[candidates],
            "x": converted[cand],
            "pos": cand,
        }
    )
    for _, group in frame.groupby(["p", "v", "t"], sort=False):
        if len(group) < 2:
            continue
        first_pos = int(group["pos"].iloc[0])
        first_val = float(group["x"].iloc[0])
        differs = ~np.isclose(group["x"].to_numpy(), first_val, rtol=_SAME_VALUE_RTOL, atol=0.0)
        out[group["pos"].to_numpy()[differs]] = first_pos
    return out


def _merge_same_time(
    conflict_with: np.ndarray, row_var: np.ndarray, converted: np.ndarray
) -> np.ndarray:
    """Fold same-time rows into the first of their group (in place on ``converted``):
    the mean for numbers, the maximum for flags. Returns the rows folded away."""
    rows = np.flatnonzero(conflict_with >= 0)
    if not len(rows):
        return np.zeros(len(conflict_with), dtype=bool)
    frame = pd.DataFrame({"first": conflict_with[rows], "x": converted[rows]})
    firsts = np.unique(frame["first"].to_numpy())
    groups = pd.concat(
        [frame, pd.DataFrame({"first": firsts, "x": converted[firsts]})], ignore_index=True
    ).groupby("first")["x"]
    mean, top = groups.mean(), groups.max()
    idx = mean.index.to_numpy()
    flags = _IS_FLAG[np.maximum(row_var[idx], 0)]
    converted[idx] = np.where(flags, top.to_numpy(), mean.to_numpy())
    away = np.zeros(len(conflict_with), dtype=bool)
    away[rows] = True
    return away


def _skipped_table(
    raw: RawRows,
    onsets: Mapping[str, OnsetValue],
    onset_source: str,
    with_data: set[str],
) -> pd.DataFrame:
    """What the reader left out on purpose, and onset rows of patients without data."""
    entries: list[tuple[str, int | str | None, str | None, str]] = [
        (raw.file, row, pid, reason) for row, pid, reason in raw.skipped
    ]
    for pid in onsets:
        if pid not in with_data and pid not in raw.onsets:
            entries.append(
                (
                    onset_source,
                    None,
                    pid,
                    f"onset of patient '{pid}', who has no usable observation in {raw.file}",
                )
            )
    return skipped_table(entries)


def _mixed_times_error(raw: RawRows, exc: MixedTimeFormats, col: str) -> InputError:
    source = raw.end_time if col == "end_time" and raw.end_time is not None else raw.time
    spots = []
    for pos, what in zip((exc.first, exc.second), exc.kinds, strict=True):
        label = raw.label(pos)
        where = f"row {label}" if raw.style == "table" else str(label)
        spots.append(f"{what} at {where}: '{source.iloc[pos]}'")
    problem = f"column '{col}' {exc} ({spots[0]}; {spots[1]}); use one format per file"
    return file_error(
        raw.file,
        problem,
        field=col,
        row=raw.label(exc.second),
        value=source.iloc[exc.second],
        expected="one time format per file",
    )


def _unit_pairs(
    row_var: np.ndarray, unit_codes: np.ndarray, unit_names: np.ndarray
) -> tuple[
    np.ndarray,
    dict[int, Conversion | UnitProblem],
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    """Conversion per distinct (variable, unit) pair, as dense lookup tables.

    Returns each row's pair key and, indexed by key, the conversion (only for pairs seen
    with a known variable), scale, offset, whether the unit is unusable and the variable
    the row is redirected to (-1: none; a rate with a volume unit becomes its
    ``volume_variable``). pint is asked once per pair, never per row.
    """
    n_units = len(unit_names)
    size = len(VARIABLE_NAMES) * n_units
    key_type = np.int32 if size < 2**31 else np.int64
    pair_key = np.maximum(row_var, 0).astype(key_type) * key_type(n_units)
    pair_key += unit_codes.astype(key_type, copy=False)
    known = row_var >= 0
    seen_keys = pair_key if known.all() else pair_key[known]
    if size <= 2**24:
        present = np.flatnonzero(np.bincount(seen_keys, minlength=size))
    else:  # absurd numbers of distinct unit strings: avoid a huge table
        present = np.unique(seen_keys)
    pair_conv: dict[int, Conversion | UnitProblem] = {}
    table = max(size, 1) if size <= 2**24 else int(pair_key.max()) + 1
    scale, offset = np.ones(table), np.zeros(table)
    bad = np.zeros(table, dtype=bool)
    redirect = np.full(table, -1, dtype=np.int32)
    for key in map(int, present):
        v, u = divmod(key, n_units)
        unit = str(unit_names[u])
        conv = conversion_for(VARIABLE_NAMES[v], unit)
        volume_var = CATALOGUE[VARIABLE_NAMES[v]].volume_variable
        if isinstance(conv, UnitProblem) and volume_var is not None:
            as_volume = conversion_for(volume_var, unit)
            if isinstance(as_volume, Conversion):
                conv = as_volume
                redirect[key] = VARIABLE_NAMES.index(volume_var)
        pair_conv[key] = conv
        if isinstance(conv, Conversion):
            scale[key], offset[key] = conv.scale, conv.offset
        else:
            bad[key] = True
    return pair_key, pair_conv, scale, offset, bad, redirect


def _problem(s: _State, i: int) -> Problem:
    raw = s.raw
    label = raw.label(i)
    pid = str(s.pid_names[s.pid_codes[i]]) if s.pid_codes[i] >= 0 else None
    var = VARIABLE_NAMES[s.row_var[i]] if s.row_var[i] >= 0 else None
    k = s.kind[i]

    def path(name: str) -> str:
        return raw.field_path(i, name) if raw.field_path else name

    if k == K_PRESET:
        fld, value, expected, problem, pvar = raw.preset[i]
        var = pvar
    elif k == K_PID:
        fld, value, expected = path("patient_id"), None, "a patient identifier"
        problem = f"{fld} is missing"
        var = var
    elif k == K_VAR:
        fld, expected = path("variable"), "a variable of the catalogue"
        if s.var_codes[i] < 0:
            value, problem = None, "variable is missing"
        else:
            value = str(s.var_names[s.var_codes[i]])
            hint = suggest_name(value)
            problem = f"unknown variable '{value}'" + (f"; did you mean '{hint}'?" if hint else "")
    elif k == K_TIME:
        fld, value = path("time"), s.times.raw(i)
        expected = {
            "hours": "a number of hours (the file gives hours)",
            "datetime": "an ISO-8601 time such as 2024-03-01T08:00:00Z (the file gives ISO times)",
        }.get(s.times.mode, "an ISO-8601 time or a number of hours")
        if s.times.missing[i]:
            problem = f"{fld} is missing; expected {expected}"
        elif (year := _YEAR.match(str(value))) and not 1678 <= int(year.group(1)) <= 2261:
            problem = f"{fld} '{value}' is outside the supported years {MIN_YEAR}-{MAX_YEAR}"
            expected = f"a time in the years {MIN_YEAR}-{MAX_YEAR}"
        else:
            problem = f"{fld} '{value}' is not readable; expected {expected}"
    elif k == K_SPAN:
        fld, value, expected, problem = _span_problem(s, i, path("time"))
    elif k == K_PERIOD:
        fld = path("end_time")
        assert raw.end_time is not None
        value = raw.end_time.iloc[i]
        days = MAX_SPAN_HOURS // 24
        expected = f"a period of at most {days} days"
        problem = f"period from '{s.times.raw(i)}' to '{value}' lasts more than {days} days"
    elif k == K_CONFLICT:
        fld, value, expected, problem = _conflict_problem(s, i, var, path("value"))
    elif k == K_VALUE:
        fld = path("value")
        value = s.vals.text[i] if s.vals.text is not None else s.vals.values[i]
        unit_shown = CATALOGUE[var].canonical_unit if var else None
        expected = "0 or 1" if var and CATALOGUE[var].kind == "flag" else "a number"
        if s.vals.missing[i]:
            value = None
            problem = f"{fld} is missing; expected {expected}"
            if unit_shown and unit_shown != "1":
                problem += f" (e.g. in {unit_shown})"
        elif s.vals.not_finite[i]:
            problem = f"{fld} '{_fmt(value)}' is not a finite number"
        else:
            problem = f"{fld} '{value}' is not a number"
            if isinstance(value, str) and "," in value:
                problem += " (use '.' as the decimal separator)"
    elif k == K_UNIT:
        fld = path("unit")
        value = str(s.unit_names[s.unit_codes[i]])
        conv = s.pair_conv[int(s.pair_key[i])]
        assert isinstance(conv, UnitProblem)
        expected = conv.expected
        problem = f"{conv.problem}; expected {expected}"
    else:
        fld, value, expected, problem = _range_problem(s, i, var, path)
    message = format_message(raw.file, label, problem, variable=var, style=raw.style)
    return Problem(raw.file, label, fld, value, expected, var, message, pid)


def _span_problem(s: _State, i: int, fld: str) -> tuple[str, Any, str, str]:
    value = s.times.raw(i)
    limit = f"{MAX_SPAN_HOURS} h ({MAX_SPAN_HOURS // 24} days)"
    expected = f"a time within {limit} of the patient's time zero"
    c = int(s.pid_codes[i])
    if s.times.mode == "hours":
        assert s.times.hours is not None
        gap = abs(float(s.times.hours[i]) - float(s.span_ref[c]))
        zero = f"onset at hour {_fmt(float(s.span_ref[c]))}" if s.has_onset[c] else "hour 0"
        problem = (
            f"{fld} '{_fmt(value)}' is {gap:,.0f} h from the patient's time zero ({zero}); "
            f"expected within {limit}"
        )
        return fld, value, expected, problem
    assert s.times.ns is not None
    ns = int(s.times.ns[i])
    if ns < _MIN_NS or ns > _MAX_NS:
        expected = f"a time in the years {MIN_YEAR}-{MAX_YEAR}"
        return fld, value, expected, f"{fld} '{value}' is outside the years {MIN_YEAR}-{MAX_YEAR}"
    ref = pd.Timestamp(int(s.span_ref[c]))
    days = abs(ns - int(s.span_ref[c])) / NS_PER_HOUR / 24
    what = "onset" if s.has_onset[c] else "the median of the patient's times"
    problem = (
        f"{fld} '{value}' is {days:,.0f} days from {what} ({ref:%Y-%m-%d %H:%M}); "
        f"expected within {limit}; a typo in the year?"
    )
    return fld, value, expected, problem


def _conflict_problem(s: _State, i: int, var: str | None, fld: str) -> tuple[str, Any, str, str]:
    j = int(s.conflict_with[i])
    other = s.raw.label(j)
    where = f"row {other}" if s.raw.style == "table" else str(other)
    unit = CATALOGUE[var].canonical_unit if var else ""
    unit = "" if unit == "1" else f" {unit}"
    value = float(s.converted[i])
    problem = (
        f"conflicts with {where}: same patient, time and variable but value "
        f"{value:.6g}{unit} vs {float(s.converted[j]):.6g}{unit}; remove one, or pass "
        "--lenient to keep the first and list the others"
    )
    return fld, value, "one value per patient, time and variable", problem


def _range_problem(
    s: _State, i: int, var: str | None, path: Callable[[str], str]
) -> tuple[str, Any, str, str]:
    assert var is not None
    v = CATALOGUE[var]
    raw_value = s.vals.text[i] if s.vals.text is not None else s.vals.values[i]
    number = s.vals.values[i]
    unit = str(s.unit_names[s.unit_codes[i]])
    fld = path("value")
    conv = s.pair_conv[int(s.pair_key[i])]
    if v.kind == "flag":
        return fld, raw_value, "0 or 1", f"value {_fmt(number)} is not 0 or 1 (a flag)"
    converted = s.converted[i]
    if v.integer and v.plausible_min <= converted <= v.plausible_max:
        expected = f"a whole number {_fmt(v.plausible_min)}-{_fmt(v.plausible_max)}"
        problem = f"value {_fmt(number)} is not a whole number (a {v.quantity})"
        return fld, raw_value, expected, problem
    canon = v.quantity if v.canonical_unit == "1" else v.canonical_unit
    rng = f"{_fmt(v.plausible_min)}-{_fmt(v.plausible_max)}"
    expected = f"{rng} {canon}" if v.canonical_unit != "1" else f"{rng} ({canon})"
    shown_unit = f"unit '{unit}'" if unit else "no unit"
    problem = f"value {_fmt(number)} ({shown_unit})"
    if isinstance(conv, Conversion) and (conv.scale, conv.offset) != (1.0, 0.0):
        problem += f" = {converted:.4g} {v.canonical_unit}"
    problem += f" is outside the plausible range {expected}"
    for alt in v.accepted_units:
        alt_conv = conversion_for(var, alt)
        if alt == unit or not isinstance(alt_conv, Conversion):
            continue
        alt_value = number * alt_conv.scale + alt_conv.offset
        if v.plausible_min <= alt_value <= v.plausible_max:
            problem += f"; did you mean unit '{alt}'?"
            break
    return fld, raw_value, expected, problem


def _rejected_table(problems: list[Problem]) -> pd.DataFrame:
    data: dict[str, list[Any]] = {c: [] for c in REJECTED_COLUMNS}
    for p in problems:
        data["file"].append(p.file)
        data["row"].append(p.row)
        data["patient_id"].append(p.patient_id)
        data["field"].append(p.field)
        data["value"].append(p.value)
        data["message"].append(p.message)
    return pd.DataFrame({c: pd.Series(data[c], dtype=object) for c in REJECTED_COLUMNS})


def _onset_arrays(
    pid_names: np.ndarray,
    times: ParsedTimes,
    file: str,
    onsets: Mapping[str, OnsetValue],
    onset_source: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Per patient code: (has onset, onset as float hours or int64 ns)."""
    n_pid = len(pid_names)
    has = np.zeros(n_pid, dtype=bool)
    hours_mode = times.mode == "hours"
    value = np.zeros(n_pid, dtype=np.float64 if hours_mode else np.int64)
    if not onsets:
        return has, value
    for c in range(n_pid):
        pid = str(pid_names[c])
        if pid not in onsets:
            continue
        o = onsets[pid]
        is_time = isinstance(o, pd.Timestamp | str | np.datetime64) or hasattr(o, "isoformat")
        if hours_mode:
            if is_time:
                raise file_error(
                    onset_source,
                    f"onset of patient '{pid}' is a date-time ('{o}') but {file} gives "
                    "times in hours since time zero; give the onset in hours too",
                    field="onset",
                    value=o,
                    expected="hours",
                )
            value[c] = float(o)
        else:
            if not is_time:
                raise file_error(
                    onset_source,
                    f"onset of patient '{pid}' is a number ({o}) but {file} gives "
                    "ISO-8601 times; give the onset as an ISO-8601 time too",
                    field="onset",
                    value=o,
                    expected="an ISO-8601 time",
                )
            ts = pd.Timestamp(o)
            if (ts.tzinfo is not None) != times.aware:
                raise file_error(
                    onset_source,
                    f"onset of patient '{pid}' ('{o}') is "
                    f"{'with' if ts.tzinfo is not None else 'without'} a UTC offset but the "
                    f"times of {file} are {'with' if times.aware else 'without'}; "
                    "write both with offsets or both without",
                    field="onset",
                    value=o,
                    expected="the same time-zone form as the data",
                )
            if ts.tzinfo is not None:
                ts = ts.tz_convert("UTC").tz_localize(None)
            value[c] = ts.as_unit("ns").value
        has[c] = True
    return has, value


def _assemble(
    s: _State,
    keep: np.ndarray,
    baseline_sofa: Mapping[str, int] | None,
    rejected: pd.DataFrame,
) -> Timeline:
    raw = s.raw
    idx = np.flatnonzero(keep) if not keep.all() else None
    pick = (lambda a: a[idx]) if idx is not None else (lambda a: a)
    pid = pick(s.pid_codes).astype(np.int32, copy=False)
    n_pid = len(s.pid_names)
    present = np.zeros(n_pid, dtype=bool)
    present[pid] = True
    has_onset, onset_val = s.has_onset, s.onset_val

    if s.times.mode == "hours":
        assert s.times.hours is not None
        tz_hours = np.where(has_onset, onset_val, 0.0)
        hours = pick(s.times.hours) - tz_hours[pid]
        time_zero: dict[str, OnsetValue] = {
            str(s.pid_names[c]): float(tz_hours[c]) for c in np.flatnonzero(present)
        }
        tz_ns = None
    else:
        assert s.times.ns is not None
        t = pick(s.times.ns)
        first = np.full(n_pid, np.iinfo(np.int64).max, dtype=np.int64)
        if len(t):
            mins = pd.Series(t).groupby(pid, sort=False).min()
            first[mins.index.to_numpy()] = mins.to_numpy()
        tz_ns = np.where(has_onset, onset_val.astype(np.int64), first)
        hours = (t - tz_ns[pid]) / NS_PER_HOUR
        tz = "UTC" if s.times.aware else None
        codes = np.flatnonzero(present)
        stamps = pd.DatetimeIndex(tz_ns[codes].view("datetime64[ns]"))
        if tz:
            stamps = stamps.tz_localize(tz)
        time_zero = dict(zip((str(p) for p in s.pid_names[codes]), stamps, strict=True))

    row_var = pick(s.row_var)
    values = pick(s.converted)
    positions = idx if idx is not None else np.arange(len(keep))
    hours, pid, row_var, values, positions = _expand_periods(
        s, hours, pid, row_var, values, positions, tz_ns
    )

    if len(pid) > 1 and not np.all(np.diff(pid) >= 0):
        # Group rows by patient (order of first appearance), keeping input order within a
        # patient: a stable sort on one integer key, ~1 s for 20 M rows. A full
        # (patient, hours) lexsort would cost ~10x more and nothing downstream needs it.
        order = np.argsort(pid, kind="stable")
        hours, pid, row_var, values, positions = (
            hours[order],
            pid[order],
            row_var[order],
            values[order],
            positions[order],
        )

    observations = pd.DataFrame(
        {
            "patient_id": _compact_categorical(pid, s.pid_names),
            "hours": np.asarray(hours, dtype=np.float64),
            "variable": _compact_categorical(row_var, np.asarray(VARIABLE_NAMES, dtype=object)),
            "value": np.asarray(values, dtype=np.float64),
            "source": _sources(raw, positions),
        }
    )
    sofa = dict(raw.baseline_sofa)
    if baseline_sofa:
        sofa.update(baseline_sofa)
    sofa = {p: int(v) for p, v in sofa.items() if p in time_zero}
    return Timeline(observations, rejected, time_zero, sofa)


def _is_zero_or_one(x: np.ndarray) -> np.ndarray:
    return (x == 0.0) | (x == 1.0)


def _is_whole(x: np.ndarray) -> np.ndarray:
    return np.abs(x - np.round(x)) <= 1e-9


def _compact_categorical(codes: np.ndarray, names: np.ndarray) -> pd.Categorical:
    """Categorical of the used names only (cheaper than remove_unused_categories)."""
    used = np.zeros(len(names), dtype=bool)
    used[codes] = True
    remap = np.cumsum(used) - 1
    categories = pd.Index(np.asarray(names, dtype=object)[used], dtype=object)
    new_codes = codes if used.all() else remap[codes]
    return pd.Categorical.from_codes(new_codes, categories=categories, validate=False)


def _expand_periods(
    s: _State,
    hours: np.ndarray,
    pid: np.ndarray,
    row_var: np.ndarray,
    values: np.ndarray,
    positions: np.ndarray,
    tz_ns: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Repeat a rate given over a period at each 24 h boundary from time zero inside it.

    A vasopressor running from hour 20 to hour 50 yields rows at 20, 24 and 48, so every
    day (24 h window from time zero) the infusion overlaps sees its rate.
    """
    raw = s.raw
    if raw.end_time is None or tz_ns is None:
        return hours, pid, row_var, values, positions
    try:
        ends = parse_times(raw.end_time)
    except MixedTimeFormats as exc:
        raise _mixed_times_error(raw, exc, "end_time") from None
    if ends.ns is None or not (ends.ns != NAT).any():
        return hours, pid, row_var, values, positions
    if ends.aware != s.times.aware and (ends.ns != NAT).any():
        raise file_error(raw.file, "period ends and starts differ in UTC offset use")
    end_ns = ends.ns[positions]
    has_end = end_ns != NAT
    end_h = np.where(has_end, (end_ns - tz_ns[pid]) / NS_PER_HOUR, hours)
    first_k = np.floor(hours / 24.0) + 1
    last_k = np.ceil(end_h / 24.0) - 1
    extra = np.where(has_end, np.maximum(last_k - first_k + 1, 0), 0).astype(np.int64)
    if not extra.any():
        return hours, pid, row_var, values, positions
    reps = extra + 1
    new_pos = np.repeat(np.arange(len(hours)), reps)
    within = np.arange(len(new_pos)) - np.repeat(np.cumsum(reps) - reps, reps)
    new_hours = np.where(within == 0, hours[new_pos], (first_k[new_pos] + within - 1) * 24.0)
    return new_hours, pid[new_pos], row_var[new_pos], values[new_pos], positions[new_pos]


def _sources(raw: RawRows, positions: np.ndarray) -> pd.Series:
    # large_string end to end: pandas' Arrow string dtype would otherwise copy once more.
    if raw.labels is not None:
        labels = pa.array(raw.labels[positions].astype(str), type=pa.large_string())
    else:
        labels = pa.array(positions + raw.row_offset, type=pa.int64()).cast(pa.large_string())
    file = pa.scalar(raw.file, pa.large_string())
    joined = pc.binary_join_element_wise(file, labels, pa.scalar(":", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined), name="source")
