"""FHIR R4 input/output, and CSV vs Parquet vs Bundle vs NDJSON giving identical observations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sepsistwin.data import (
    LOCAL_CODE_SYSTEM,
    InputError,
    Timeline,
    read_timeline,
    to_fhir_bundle,
)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"

# One patient, written once as CSV and once by hand as FHIR (same facts, different units
# where both formats allow it).
CSV_LINES = [
    "ICU-1,2024-03-01T06:00:00Z,lactate,36.04,mg/dL",
    "ICU-1,2024-03-01T06:00:00Z,pao2,9.0,kPa",
    "ICU-1,2024-03-01T06:00:00Z,fio2,60,%",
    "ICU-1,2024-03-01T07:30:00Z,creatinine,176.8,umol/L",
    "ICU-1,2024-03-01T08:00:00Z,mhla_dr,4200,AB/C",
    "ICU-1,2024-03-01T08:00:00Z,gcs,13,",
    "ICU-1,2024-03-01T09:00:00Z,temperature,101.3,degF",
    "ICU-1,2024-03-01T09:00:00Z,norepinephrine,0.25,mcg/kg/min",
    "ICU-1,2024-03-01T10:00:00Z,mechanical_ventilation,1,",
    "ICU-1,2024-03-02T06:00:00Z,platelets,85000,/uL",
    "ICU-1,2024-03-02T06:00:00Z,urine_output,25,mL/h",
]


def _obs(rid: str, time: str, code: tuple[str, str], **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/ICU-1"},
        "effectiveDateTime": time,
        "code": {"coding": [{"system": code[0], "code": code[1]}]},
        **value,
    }


def _qty(value: float, code: str, unit: str | None = None) -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit or code, "system": UCUM, "code": code}}


def hand_written_resources() -> list[dict[str, Any]]:
    return [
        {"resourceType": "Patient", "id": "ICU-1"},
        _obs("lac", "2024-03-01T06:00:00Z", (LOINC, "2524-7"), **_qty(4.0, "mmol/L")),
        _obs("po2", "2024-03-01T07:00:00+01:00", (LOINC, "2703-7"), **_qty(9.0, "kPa")),
        _obs("fio2", "2024-03-01T06:00:00Z", (LOINC, "3150-0"), **_qty(0.6, "1")),
        _obs("cr", "2024-03-01T07:30:00Z", (LOINC, "2160-0"), **_qty(2.0, "mg/dL")),
        _obs(
            "hla",
            "2024-03-01T08:00:00Z",
            (LOCAL_CODE_SYSTEM, "mhla-dr"),
            **_qty(4200, "{AB}/{cell}", "AB/C"),
        ),
        _obs("gcs", "2024-03-01T08:00:00Z", (LOINC, "9269-2"), valueInteger=13),
        _obs("temp", "2024-03-01T09:00:00Z", (LOINC, "8310-5"), **_qty(38.5, "Cel")),
        {
            "resourceType": "MedicationAdministration",
            "id": "ne",
            "status": "in-progress",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7512"}]},
            "subject": {"reference": "Patient/ICU-1"},
            "effectiveDateTime": "2024-03-01T09:00:00Z",
            "dosage": {"rateQuantity": {"value": 0.25, "unit": "mcg/kg/min"}},
        },
        _obs(
            "mv",
            "2024-03-01T10:00:00Z",
            (LOCAL_CODE_SYSTEM, "mechanical-ventilation"),
            valueBoolean=True,
        ),
        _obs("plt", "2024-03-02T06:00:00Z", (LOINC, "777-3"), **_qty(85, "10*3/uL")),
        _obs("uo", "2024-03-02T06:00:00Z", (LOINC, "9192-6"), **_qty(600, "mL/(24.h)")),
    ]


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc))
    return path


def _write_ndjson(path: Path, resources: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return path


def _comparable(tl: Timeline) -> pd.DataFrame:
    obs = tl.observations.drop(columns="source").astype({"patient_id": str, "variable": str})
    return obs.sort_values(["patient_id", "hours", "variable"]).reset_index(drop=True)


def _assert_same(a: Timeline, b: Timeline) -> None:
    x, y = _comparable(a), _comparable(b)
    assert x[["patient_id", "variable"]].equals(y[["patient_id", "variable"]])
    np.testing.assert_allclose(x["hours"], y["hours"], atol=1e-9)
    # unit conversions differ between the two spellings only by rounding of the factors
    np.testing.assert_allclose(x["value"], y["value"], rtol=2e-3)


def test_csv_parquet_bundle_and_ndjson_give_identical_observations(tmp_path, write_csv):
    csv_tl = read_timeline(write_csv(CSV_LINES))
    frame = pd.read_csv(tmp_path / "labs.csv", dtype={"unit": str}, keep_default_na=False)
    frame.to_parquet(tmp_path / "labs.parquet")
    pq_tl = read_timeline(tmp_path / "labs.parquet")
    bundle_tl = read_timeline(_write_json(tmp_path / "b.json", _bundle(hand_written_resources())))
    nd_tl = read_timeline(_write_ndjson(tmp_path / "b.ndjson", hand_written_resources()))
    assert len(csv_tl.observations) == len(CSV_LINES)
    for other in (pq_tl, bundle_tl, nd_tl):
        _assert_same(csv_tl, other)
    assert bundle_tl.time_zero == csv_tl.time_zero == {"ICU-1": pd.Timestamp("2024-03-01T06:00Z")}
    # Parquet reports the same row numbers as the CSV it was made from.
    assert pq_tl.observations["source"].str.replace("parquet", "csv").tolist() == (
        csv_tl.observations["source"].tolist()
    )
    assert bundle_tl.observations["source"].iloc[0].startswith("b.json:Observation/")


def test_written_bundle_and_ndjson_read_back_to_the_same_observations(tmp_path, write_csv):
    onsets = tmp_path / "onsets.csv"
    onsets.write_text("patient_id,onset,baseline_sofa\nICU-1,2024-03-01T08:00:00Z,3\n")
    tl = read_timeline(write_csv(CSV_LINES), onset=onsets)
    bundle = to_fhir_bundle(tl.observations, time_zero=tl.time_zero, baseline_sofa=tl.baseline_sofa)
    assert isinstance(bundle, dict)
    back = read_timeline(_write_json(tmp_path / "out.json", bundle))
    pd.testing.assert_frame_equal(_comparable(tl), _comparable(back))
    assert back.time_zero == tl.time_zero
    assert back.baseline_sofa == {"ICU-1": 3}
    text = to_fhir_bundle(tl.observations, time_zero=tl.time_zero, as_ndjson=True)
    assert isinstance(text, str)
    (tmp_path / "out.ndjson").write_text(text)
    pd.testing.assert_frame_equal(
        _comparable(tl), _comparable(read_timeline(tmp_path / "out.ndjson"))
    )
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Observation", "MedicationAdministration"}


def test_round_trip_of_hour_based_input_keeps_hours(tmp_path, write_csv):
    tl = read_timeline(
        write_csv(
            ["p1,-3.5,lactate,2.0,mmol/L", "p1,50.25,gcs,9,", "p2,1,mechanical_ventilation,0,"]
        )
    )
    bundle = to_fhir_bundle(tl.observations, time_zero=tl.time_zero)
    back = read_timeline(_write_json(tmp_path / "h.json", bundle))
    pd.testing.assert_frame_equal(_comparable(tl), _comparable(back))


def test_rate_over_a_period_counts_on_every_day_it_overlaps(tmp_path):
    resources = [
        _obs("first", "2024-03-01T00:00:00Z", (LOINC, "2524-7"), **_qty(2.0, "mmol/L")),
        {
            "resourceType": "MedicationAdministration",
            "id": "ne-1",
            "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7512"}]},
            "subject": {"reference": "Patient/ICU-1"},
            "effectivePeriod": {"start": "2024-03-01T20:00:00Z", "end": "2024-03-03T02:00:00Z"},
            "dosage": {"rateQuantity": {"value": 0.1, "system": UCUM, "code": "ug/kg/min"}},
        },
    ]
    tl = read_timeline(_write_json(tmp_path / "p.json", _bundle(resources)))
    ne = tl.observations[tl.observations["variable"] == "norepinephrine"]
    assert ne["hours"].tolist() == [20.0, 24.0, 48.0]
    assert ne["value"].tolist() == [0.1, 0.1, 0.1]
    assert set(ne["source"]) == {"p.json:MedicationAdministration/ne-1"}


def test_rate_ratio_and_contained_medication_are_read(tmp_path):
    med = {
        "resourceType": "MedicationAdministration",
        "id": "epi",
        "status": "completed",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "m",
                "code": {"coding": [{"system": RXNORM, "code": "3992"}]},
            }
        ],
        "medicationReference": {"reference": "#m"},
        "subject": {"reference": "Patient/ICU-1"},
        "effectiveDateTime": "2024-03-01T00:00:00Z",
        "dosage": {
            "rateRatio": {
                "numerator": {"value": 6, "unit": "ug/kg"},
                "denominator": {"value": 1, "unit": "h"},
            }
        },
    }
    tl = read_timeline(_write_json(tmp_path / "m.json", _bundle([med])))
    assert tl.observations["variable"].astype(str).tolist() == ["epinephrine"]
    assert tl.observations["value"].tolist() == pytest.approx([0.1])


def test_blood_pressure_panel_components_become_observations(tmp_path):
    bp = _obs("bp", "2024-03-01T00:00:00Z", (LOINC, "85354-9"))
    bp["component"] = [
        {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, **_qty(90, "mm[Hg]")},
        {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, **_qty(50, "mm[Hg]")},
    ]
    tl = read_timeline(_write_json(tmp_path / "bp.json", _bundle([bp])))
    got = dict(zip(tl.observations["variable"].astype(str), tl.observations["value"], strict=True))
    assert got == {"sbp": 90.0, "dbp": 50.0}


def test_time_zero_observation_sets_time_zero_and_onset_argument_overrides_it(tmp_path):
    tz = {
        "resourceType": "Observation",
        "id": "tz",
        "status": "final",
        "subject": {"reference": "Patient/ICU-1"},
        "effectiveDateTime": "2024-03-01T04:00:00Z",
        "code": {"coding": [{"system": LOCAL_CODE_SYSTEM, "code": "time-zero"}]},
    }
    lac = _obs("lac", "2024-03-01T06:00:00Z", (LOINC, "2524-7"), **_qty(4.0, "mmol/L"))
    path = _write_json(tmp_path / "tz.json", _bundle([tz, lac]))
    assert read_timeline(path).observations["hours"].tolist() == [2.0]
    other = read_timeline(path, onset={"ICU-1": pd.Timestamp("2024-03-01T05:00:00Z")})
    assert other.observations["hours"].tolist() == [1.0]


def test_entered_in_error_and_non_observation_resources_are_skipped(tmp_path):
    bad = _obs("oops", "2024-03-01T06:00:00Z", (LOINC, "2524-7"), **_qty(40.0, "mg"))
    bad["status"] = "entered-in-error"
    good = _obs("lac", "2024-03-01T06:00:00Z", (LOINC, "2524-7"), **_qty(4.0, "mmol/L"))
    enc = {"resourceType": "Encounter", "id": "e1"}
    tl = read_timeline(_write_json(tmp_path / "s.json", _bundle([enc, bad, good])))
    assert tl.observations["source"].tolist() == ["s.json:Observation/lac"]


def _fhir_error(tmp_path: Path, resources: list[dict[str, Any]], **kw: Any) -> InputError:
    with pytest.raises(InputError) as info:
        read_timeline(_write_json(tmp_path / "bundle.json", _bundle(resources)), **kw)
    return info.value


def test_unknown_code_names_the_resource_and_the_coding(tmp_path):
    res = _obs("obs-17", "2024-03-01T06:00:00Z", (LOINC, "1234-5"), **_qty(1.0, "mg/dL"))
    err = _fhir_error(tmp_path, [res])
    assert str(err) == "bundle.json: Observation/obs-17: unknown code http://loinc.org|1234-5"
    assert (err.row, err.field, err.value) == (
        "Observation/obs-17",
        "code.coding",
        "http://loinc.org|1234-5",
    )
    assert "LOINC" in err.expected


def test_unknown_medication_coding_is_an_error(tmp_path):
    med = {
        "resourceType": "MedicationAdministration",
        "id": "x",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "11149"}]},
        "subject": {"reference": "Patient/ICU-1"},
        "effectiveDateTime": "2024-03-01T00:00Z",
        "dosage": {"rateQuantity": {"value": 0.03, "unit": "U/min"}},
    }
    err = _fhir_error(tmp_path, [med])
    assert "MedicationAdministration/x: unknown medication coding" in str(err)
    assert "11149" in str(err)


def test_resource_without_subject_is_an_error(tmp_path):
    res = _obs("obs-3", "2024-03-01T06:00:00Z", (LOINC, "2524-7"), **_qty(4.0, "mmol/L"))
    del res["subject"]
    err = _fhir_error(tmp_path, [res])
    assert str(err) == (
        "lactate: bundle.json: Observation/obs-3: Observation has no subject; "
        "expected subject.reference 'Patient/<id>'"
    )
    assert err.field == "subject.reference"


def test_bad_unit_in_fhir_names_the_resource_and_the_element(tmp_path):
    res = _obs("obs-9", "2024-03-01T06:00:00Z", (LOINC, "2524-7"), **_qty(4.0, "mg"))
    err = _fhir_error(tmp_path, [res])
    assert str(err) == (
        "lactate: bundle.json: Observation/obs-9: unit 'mg' is not a concentration; "
        "expected mmol/L or mg/dL"
    )
    assert (err.row, err.field) == ("Observation/obs-9", "valueQuantity.code")


def test_fhir_lenient_mode_drops_only_bad_resources(tmp_path):
    good = _obs("lac", "2024-03-01T06:00:00Z", (LOINC, "2524-7"), **_qty(4.0, "mmol/L"))
    unknown = _obs("u", "2024-03-01T07:00:00Z", (LOINC, "1234-5"), **_qty(1.0, "mg/dL"))
    nosubj = _obs("n", "2024-03-01T07:00:00Z", (LOINC, "2524-7"), **_qty(1.0, "mmol/L"))
    del nosubj["subject"]
    tl = read_timeline(
        _write_json(tmp_path / "l.json", _bundle([good, unknown, nosubj])), lenient=True
    )
    assert tl.observations["source"].tolist() == ["l.json:Observation/lac"]
    assert tl.rejected["row"].tolist() == ["Observation/u", "Observation/n"]
    assert tl.rejected["field"].tolist() == ["code.coding", "subject.reference"]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("x.json", "{not json", "x.json: not valid JSON"),
        ("x.json", '{"a": 1}', "x.json: not a FHIR resource"),
        (
            "x.ndjson",
            '{"resourceType": "Patient", "id": "p"}\n{oops\n',
            "x.ndjson: line 2: not valid",
        ),
        ("x.json", '{"resourceType": "Bundle", "entry": []}', "no Observation or Medication"),
        ("x.json", "", "x.json: the file is empty"),
    ],
)
def test_malformed_fhir_files_are_errors(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError) as info:
        read_timeline(path)
    assert fragment in str(info.value)
