"""The onset file: time zero (and optionally baseline SOFA) per patient.

CSV or Parquet with columns ``patient_id, onset`` and optionally ``baseline_sofa``
(integer 0-24, blank = unknown). ``onset`` is ISO-8601 when the observations give ISO
times, or hours on the observations' own clock when they give hours. The whole file is
checked strictly: it is small and every row matters.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from sepsistwin.data.encoding import DEFAULT_ENCODING, check_encoding, decode_error
from sepsistwin.data.errors import InputError, file_error, format_message
from sepsistwin.data.limits import MAX_ONSET_BYTES, check_size
from sepsistwin.data.tabular import match_columns
from sepsistwin.data.times import MixedTimeFormats, parse_times
from sepsistwin.data.validate import OnsetValue

SOFA_MAX = 24


def _read(path: Path, encoding: str) -> pd.DataFrame:
    file = path.name
    if not path.is_file():
        raise file_error(file, f"file not found: {path}")
    check_size(path, MAX_ONSET_BYTES, "an onset file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=codec)
        except pd.errors.EmptyDataError:
            raise file_error(
                file, "the file is empty; expected a header row patient_id,onset"
            ) from None
        except UnicodeDecodeError:
            raise decode_error(path, codec) from None
        except (pd.errors.ParserError, ValueError, csv.Error) as exc:
            text = str(exc).strip().splitlines()
            raise file_error(file, f"cannot read as CSV: {text[0] if text else exc}") from None
        return frame
    if suffix in (".parquet", ".pq"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError, ValueError) as exc:
            text = str(exc).strip().splitlines()
            raise file_error(file, f"cannot read as Parquet: {text[0] if text else exc}") from None
    raise file_error(file, f"unsupported onset file type '{suffix}'; expected .csv or .parquet")


def read_onsets(
    path: str | Path, *, encoding: str = DEFAULT_ENCODING
) -> tuple[dict[str, OnsetValue], dict[str, int]]:
    """Read an onset file.

    Parameters
    ----------
    path : str or Path
        CSV or Parquet with ``patient_id, onset[, baseline_sofa]``.
    encoding : str
        Text encoding of a CSV onset file (default UTF-8).

    Returns
    -------
    time_zero : dict
        Patient id -> ``pandas.Timestamp`` (ISO onsets; UTC when written with offsets)
        or float hours.
    baseline_sofa : dict
        Patient id -> baseline SOFA, for rows that give one.

    Raises
    ------
    InputError
        Missing column, empty file, missing or duplicate patient id, unreadable onset,
        mixed onset formats, or a baseline SOFA that is not a whole number 0-24.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "onsets.csv"
    >>> _ = p.write_text("patient_id,onset,baseline_sofa\\np1,2024-03-01T06:00:00Z,2\\n")
    >>> tz, sofa = read_onsets(p)
    >>> str(tz["p1"]), sofa
    ('2024-03-01 06:00:00+00:00', {'p1': 2})
    """
    path = Path(path)
    file = path.name
    frame = _read(path, check_encoding(encoding))
    cols = match_columns([str(c) for c in frame.columns], file, ("patient_id", "onset"))
    sofa_col = next((c for c in frame.columns if str(c).strip().lower() == "baseline_sofa"), None)
    if len(frame) == 0:
        raise file_error(file, "the file has no data rows")
    ids = frame[cols["patient_id"]].astype(object)
    ids_text = ids.where(ids.notna(), "").astype(str).str.strip().to_numpy()

    def err(i: int, fld: str, value: object, problem: str, expected: str) -> InputError:
        return InputError(
            format_message(file, i + 2, problem),
            file=file,
            row=i + 2,
            field=fld,
            value=value,
            expected=expected,
        )

    for i in map(int, np.flatnonzero(ids_text == "")):
        raise err(int(i), "patient_id", None, "patient_id is missing", "a patient identifier")
    dup = pd.Series(ids_text).duplicated(keep="first").to_numpy()
    for i in map(int, np.flatnonzero(dup)):
        first = int(np.flatnonzero(ids_text == ids_text[i])[0])
        raise err(
            int(i),
            "patient_id",
            ids_text[i],
            f"patient '{ids_text[i]}' already has an onset at row {first + 2}",
            "one row per patient",
        )
    try:
        times = parse_times(frame[cols["onset"]].reset_index(drop=True))
    except MixedTimeFormats as exc:
        raise file_error(
            file,
            f"column 'onset' {exc} (rows {exc.first + 2} and {exc.second + 2}); "
            "use one format per file",
            field="onset",
        ) from None
    for i in map(int, np.flatnonzero(times.missing | times.bad)):
        value = times.raw(int(i))
        problem = "onset is missing" if times.missing[i] else f"onset '{value}' is not readable"
        raise err(
            int(i),
            "onset",
            value,
            problem + "; expected an ISO-8601 time or hours",
            "an ISO-8601 time or a number of hours",
        )
    time_zero: dict[str, OnsetValue] = {}
    for i, pid in enumerate(ids_text):
        if times.mode == "hours":
            assert times.hours is not None
            time_zero[pid] = float(times.hours[i])
        else:
            assert times.ns is not None
            time_zero[pid] = pd.Timestamp(int(times.ns[i]), tz="UTC" if times.aware else None)
    baseline: dict[str, int] = {}
    if sofa_col is not None:
        for i, (pid, v) in enumerate(zip(ids_text, frame[sofa_col].tolist(), strict=True)):
            if v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == "":
                continue
            try:
                number = float(str(v).strip())
            except ValueError:
                number = float("nan")
            if not (number.is_integer() and 0 <= number <= SOFA_MAX):
                raise err(
                    i,
                    "baseline_sofa",
                    v,
                    f"baseline_sofa '{v}' is not a whole number 0-{SOFA_MAX}",
                    f"a whole number 0-{SOFA_MAX} or blank",
                )
            baseline[pid] = int(number)
    return time_zero, baseline
