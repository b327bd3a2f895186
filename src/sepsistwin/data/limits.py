"""Bounds on what an input may ask of the machine: size, time span, nesting, aliases.

Every reader checks its input against these limits before doing work that grows with
them, so a malformed or hostile file is answered with a one-line :class:`InputError` in
bounded time and memory instead of a hang, a memory blow-up or a traceback. The values
are stated in docs/data-formats.md ("Limits"); change them here and there together.
"""

from __future__ import annotations

from pathlib import Path

from sepsistwin.data.errors import file_error

#: Observations must lie within this many hours of the patient's time zero (366 days):
#: an ICU course with its pre-admission baseline fits, a year typo (1900 for 2024) or a
#: time of 1e12 hours does not. Without an onset, rows this far from the patient's median
#: time are the ones rejected, so one typo does not move the whole timeline.
MAX_SPAN_HOURS = 366 * 24
#: Absolute times must fall in these years (pandas' nanosecond range is 1677-2262; MIMIC-IV
#: shifts dates into 2100-2200).
MIN_YEAR, MAX_YEAR = 1800, 2250
#: Largest CSV or Parquet long table read (bytes); memory is about 1.5x the file for CSV.
MAX_TABLE_BYTES = 8 * 1024**3
#: Largest FHIR Bundle (.json), parsed whole (Python's JSON objects take ~10x the text).
MAX_BUNDLE_BYTES = 256 * 1024**2
#: Largest FHIR NDJSON file (read line by line) and longest single NDJSON line.
MAX_NDJSON_BYTES = 2 * 1024**3
MAX_NDJSON_LINE_BYTES = 16 * 1024**2
#: Largest onset file, YAML configuration or trial specification (bytes).
MAX_ONSET_BYTES = 512 * 1024**2
MAX_YAML_BYTES = 4 * 1024**2
#: YAML: at most this many nodes once aliases are expanded (the alias-bomb guard), and
#: nesting at most this deep. The package's own evidence files are under 5,000 nodes.
MAX_YAML_NODES = 200_000
MAX_YAML_DEPTH = 100


def check_size(path: Path, limit: int, what: str) -> int:
    """Return the file's size in bytes; raise a one-line :class:`InputError` above ``limit``.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.json"
    >>> _ = p.write_text("{}")
    >>> try:
    ...     check_size(p, 1, "a FHIR Bundle")
    ... except ValueError as e:
    ...     print(e)
    x.json: the file is 2 bytes, above the limit of 1 bytes for a FHIR Bundle
    """
    size = path.stat().st_size
    if size > limit:
        raise file_error(
            path.name,
            f"the file is {human_bytes(size)}, above the limit of {human_bytes(limit)} for {what}",
            value=size,
            expected=f"at most {human_bytes(limit)}",
        )
    return size


def human_bytes(n: int) -> str:
    """A byte count as people read it.

    Examples
    --------
    >>> human_bytes(3 * 1024**3), human_bytes(512)
    ('3 GiB', '512 bytes')
    """
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{n} bytes"


__all__ = [
    "MAX_BUNDLE_BYTES",
    "MAX_NDJSON_BYTES",
    "MAX_NDJSON_LINE_BYTES",
    "MAX_ONSET_BYTES",
    "MAX_SPAN_HOURS",
    "MAX_TABLE_BYTES",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "MAX_YEAR",
    "MIN_YEAR",
    "check_size",
    "human_bytes",
]
