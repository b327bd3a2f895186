"""Property-based fuzzing of every reader and the trial-spec parser: only InputError escapes.

Hypothesis generates malformed CSV rows (bad bytes, huge and out-of-range times, offset
units, non-numbers), Parquet columns of any type, raw bytes, FHIR JSON of any shape, onset
files and YAML. The budget is
fixed and derandomised (the same 60 examples per test on every run, a few seconds in all)
so ``make test`` stays fast and reproducible; set ``SEPSISTWIN_FUZZ_EXAMPLES=5000`` to fuzz
longer.
"""

from __future__ import annotations

import json
import os
import string
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sepsistwin.clinical import assess
from sepsistwin.data import InputError, read_timeline
from sepsistwin.trial.spec import parse_spec

FUZZ = settings(
    max_examples=int(os.environ.get("SEPSISTWIN_FUZZ_EXAMPLES", "60")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def read_or_input_error(path: Path, **kw: Any) -> None:
    """Read ``path``; anything but a Timeline or an InputError fails the test. What the reader
    accepts, the assessment must accept too (``data check`` passes only what ``assess`` runs)."""
    try:
        tl = read_timeline(path, **kw)
    except InputError as exc:
        assert str(exc).strip(), "an InputError must say what is wrong"
        return
    assess(tl.observations, baseline_sofa=tl.baseline_sofa)


# --- CSV rows -----------------------------------------------------------------------------

VARIABLES = ["lactate", "creatinine", "gcs", "urine_output", "norepinephrine", "fio2", "latate"]
UNITS = ["mmol/L", "mg/dL", "umol/L", "µmol/L", "degC", "mL", "mL/h", "ug/kg/min", "%", "", "kg"]
TIMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**15), max_value=10**15).map(str),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2024-03-01T08:00Z", "1900-03-01", "0001-01-01T00:00", "2024-13-45", "1e12"]),
    st.text(max_size=12),
)
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["12,5", "yes", "", "1e308", "-0", "NaN"]),
    st.text(max_size=8),
)
FIELD = st.text(alphabet=string.printable + "µé\x00", max_size=10)
ROW = st.tuples(
    st.one_of(st.sampled_from(["p1", "p2", ""]), FIELD),
    TIMES,
    st.one_of(st.sampled_from(VARIABLES), FIELD),
    VALUES,
    st.one_of(st.sampled_from(UNITS), FIELD),
)


def csv_bytes(rows: list[tuple[str, ...]], encoding: str, junk: bytes) -> bytes:
    lines = ["patient_id,time,variable,value,unit"]
    lines += [",".join(f'"{c}"' if "," in c else c for c in row) for row in rows]
    text = "\n".join(lines) + "\n"
    return text.encode(encoding, errors="replace") + junk


@FUZZ
@given(
    rows=st.lists(ROW, min_size=1, max_size=8),
    encoding=st.sampled_from(["utf-8", "latin-1"]),
    junk=st.binary(max_size=6),
    lenient=st.booleans(),
    read_as=st.sampled_from(["utf-8", "latin-1"]),
)
def test_csv_reader_raises_only_input_errors(
    folder: Path,
    rows: list[tuple[str, ...]],
    encoding: str,
    junk: bytes,
    lenient: bool,
    read_as: str,
) -> None:
    path = folder / "fuzz.csv"
    path.write_bytes(csv_bytes(rows, encoding, junk))
    read_or_input_error(path, lenient=lenient, encoding=read_as)


@FUZZ
@given(data=st.binary(max_size=200), suffix=st.sampled_from([".csv", ".json", ".ndjson"]))
def test_any_bytes_are_answered_with_input_errors(folder: Path, data: bytes, suffix: str) -> None:
    path = folder / f"bytes{suffix}"
    path.write_bytes(data)
    read_or_input_error(path, lenient=True)


# --- Parquet ---------------------------------------------------------------------------------

PARQUET_COLUMN = st.one_of(
    st.lists(st.text(max_size=6) | st.none(), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.string())
    ),
    st.lists(st.floats() | st.none(), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.float64())
    ),
    st.lists(st.integers(-(2**62), 2**62), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.int64())
    ),
    # seconds within what Parquet's millisecond timestamps hold (the writer's limit)
    st.lists(st.integers(-(2**42), 2**42), min_size=3, max_size=3).map(
        lambda v: pa.array(v, pa.int64()).cast(pa.timestamp("s"))
    ),
    st.lists(st.binary(max_size=4), min_size=3, max_size=3).map(lambda v: pa.array(v, pa.binary())),
    st.lists(st.booleans(), min_size=3, max_size=3).map(lambda v: pa.array(v, pa.bool_())),
)


@settings(FUZZ, max_examples=max(10, FUZZ.max_examples // 4))  # a Parquet write each
@given(
    columns=st.fixed_dictionaries(
        {name: PARQUET_COLUMN for name in ("patient_id", "time", "variable", "value", "unit")}
    ),
    lenient=st.booleans(),
)
def test_parquet_reader_raises_only_input_errors(
    folder: Path, columns: dict[str, pa.Array], lenient: bool
) -> None:
    path = folder / "fuzz.parquet"
    pq.write_table(pa.table(columns), path)
    read_or_input_error(path, lenient=lenient)


# --- FHIR ------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children)
    ),
    max_leaves=12,
)
RESOURCE_KEYS = [
    "id",
    "status",
    "subject",
    "code",
    "effectiveDateTime",
    "effectivePeriod",
    "valueQuantity",
    "valueInteger",
    "valueBoolean",
    "valueCodeableConcept",
    "component",
    "medicationCodeableConcept",
    "medicationReference",
    "dosage",
    "contained",
]
GOOD = {
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2024-03-01T08:00:00Z",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2524-7"}]},
    "valueQuantity": {"value": 2.1, "unit": "mmol/L"},
}
RESOURCE = st.builds(
    lambda rtype, base, extra: {"resourceType": rtype, **base, **extra},
    st.sampled_from(
        ["Observation", "MedicationAdministration", "observation", "Patient", "Encounter", "X"]
    )
    | JSON,
    st.sampled_from([GOOD, {}]),
    st.dictionaries(st.sampled_from(RESOURCE_KEYS), JSON, max_size=4),
)


@FUZZ
@given(
    resources=st.lists(RESOURCE, min_size=1, max_size=5),
    as_ndjson=st.booleans(),
    lenient=st.booleans(),
)
def test_fhir_reader_raises_only_input_errors(
    folder: Path, resources: list[dict[str, Any]], as_ndjson: bool, lenient: bool
) -> None:
    if as_ndjson:
        path = folder / "fuzz.ndjson"
        path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    else:
        path = folder / "fuzz.json"
        doc = {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}
        path.write_text(json.dumps(doc))
    read_or_input_error(path, lenient=lenient)


# --- onset files -----------------------------------------------------------------------------


@FUZZ
@given(
    onsets=st.lists(st.tuples(st.sampled_from(["p1", "p2", "", "p9"]), TIMES), max_size=4),
    sofa=st.lists(VALUES, max_size=4),
)
def test_onset_reader_raises_only_input_errors(
    folder: Path, onsets: list[tuple[str, str]], sofa: list[str]
) -> None:
    data = folder / "data.csv"
    data.write_text(
        "patient_id,time,variable,value,unit\n"
        "p1,2024-03-01T08:00:00,gcs,15,\np2,2024-03-02T08:00:00,lactate,2,mmol/L\n"
    )
    onset = folder / "onsets.csv"
    lines = ["patient_id,onset,baseline_sofa"]
    for k, (pid, when) in enumerate(onsets):
        score = sofa[k] if k < len(sofa) else ""
        lines.append(",".join(f'"{c}"' if "," in c else c for c in (pid, when, score)))
    onset.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="replace")
    read_or_input_error(data, onset=onset)


# --- trial specifications ----------------------------------------------------------------

SPEC_KEYS = ["name", "seed", "population", "screening", "arms", "endpoints", "analysis", "x"]
SPEC_VALUE = st.one_of(
    JSON,
    st.fixed_dictionaries({"size": st.integers() | st.text(max_size=4)}),
    st.fixed_dictionaries({"at_hours": st.floats() | st.integers(), "rule": st.text(max_size=20)}),
    st.lists(st.fixed_dictionaries({"name": st.text(max_size=6)}), max_size=3),
)


@FUZZ
@given(
    spec=st.dictionaries(st.sampled_from(SPEC_KEYS), SPEC_VALUE, max_size=6),
    text=st.text(max_size=60),
    as_text=st.booleans(),
)
def test_spec_parser_raises_only_input_errors(
    spec: dict[str, Any], text: str, as_text: bool
) -> None:
    source = text if as_text else yaml.safe_dump(spec, sort_keys=False)
    try:
        parse_spec(source, "fuzz.yaml")
    except InputError as exc:
        assert "fuzz.yaml" in str(exc) or "invalid trial specification" in str(exc)
