"""``read_timeline``: one entry point for every input format."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sepsistwin.data.encoding import DEFAULT_ENCODING, check_encoding
from sepsistwin.data.errors import file_error
from sepsistwin.data.fhir import read_fhir_timeline
from sepsistwin.data.onsets import read_onsets
from sepsistwin.data.tabular import read_table_timeline
from sepsistwin.data.timeline import Timeline
from sepsistwin.data.validate import OnsetValue

#: File suffixes read_timeline understands, and what they hold.
SUFFIXES = {
    ".csv": "long table (CSV)",
    ".parquet": "long table (Parquet)",
    ".pq": "long table (Parquet)",
    ".json": "FHIR R4 Bundle (or a single resource)",
    ".ndjson": "FHIR R4 NDJSON (one resource per line)",
}


def read_timeline(
    path: str | Path,
    *,
    onset: str | Path | Mapping[str, OnsetValue] | None = None,
    lenient: bool = False,
    baseline_sofa: Mapping[str, int] | None = None,
    encoding: str = DEFAULT_ENCODING,
) -> Timeline:
    """Read patient observations from a file into canonical units and hours since time zero.

    Parameters
    ----------
    path : str or Path
        ``.csv`` / ``.parquet`` / ``.pq`` long table (``patient_id, time, variable,
        value, unit``), ``.json`` FHIR Bundle or ``.ndjson`` FHIR resources.
    onset : path or mapping, optional
        Time zero per patient: an onset file (``patient_id, onset[, baseline_sofa]``, see
        :func:`read_onsets`) or a mapping. Patients without one start at their first
        observation (ISO times) or at hour 0 (times in hours).
    lenient : bool
        Report bad rows in ``Timeline.rejected`` and drop only them, instead of raising
        on the first (strict, the default).
    baseline_sofa : mapping, optional
        Baseline SOFA per patient; overrides the onset file's column.
    encoding : str
        Text encoding of CSV, NDJSON/JSON and onset files (default UTF-8, with or without
        a byte-order mark); e.g. ``"latin-1"`` or ``"cp1252"`` for files saved by older
        spreadsheet software. A byte not valid in it is an error naming row and byte.

    Returns
    -------
    Timeline

    Raises
    ------
    InputError
        Bad input, naming file, row (or FHIR resource), field, value and what was expected.

    Examples
    --------
    >>> tl = read_timeline("labs.csv", onset="onsets.csv")  # doctest: +SKIP
    >>> tl.observations.head()  # doctest: +SKIP
    """
    path = Path(path)
    onset_map: Mapping[str, OnsetValue] | None
    sofa: dict[str, int] = {}
    onset_source = "onset"
    encoding = check_encoding(encoding)
    if isinstance(onset, str | Path):
        onset_map, sofa = read_onsets(onset, encoding=encoding)
        onset_source = Path(onset).name
    else:
        onset_map = onset
    if baseline_sofa:
        sofa.update(baseline_sofa)
    suffix = path.suffix.lower()
    kwargs = dict(
        onset=onset_map,
        onset_source=onset_source,
        baseline_sofa=sofa or None,
        lenient=lenient,
        encoding=encoding,
    )
    if suffix in (".csv", ".parquet", ".pq"):
        return read_table_timeline(path, **kwargs)  # type: ignore[arg-type]
    if suffix in (".json", ".ndjson"):
        return read_fhir_timeline(path, **kwargs)  # type: ignore[arg-type]
    known = ", ".join(SUFFIXES)
    raise file_error(path.name, f"unsupported file type '{suffix or path.name}'; expected {known}")
