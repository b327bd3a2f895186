"""Immunotherapy MedicationAdministration resources in FHIR input become the twin's doses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sepsistwin.data import LOCAL_CODE_SYSTEM, InputError, read_timeline
from sepsistwin.data.catalogue import RXNORM_SYSTEM
from sepsistwin.data.fhir import read_fhir_administrations
from sepsistwin.twin import TwinInputError, read_fhir_doses

SUBJECT = {"reference": "Patient/p1"}


def _lactate(t: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"o{t}",
        "status": "final",
        "subject": SUBJECT,
        "effectiveDateTime": t,
        "code": {"coding": [{"system": "http://loinc.org", "code": "2524-7"}]},
        "valueQuantity": {"value": 3.0, "unit": "mmol/L"},
    }


def _admin(rid: str, medication: dict[str, Any], dosage: dict[str, Any], **time: Any) -> dict:
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "subject": SUBJECT,
        "medicationCodeableConcept": medication,
        "dosage": dosage,
        **(time or {"effectiveDateTime": "2024-03-02T08:00:00Z"}),
    }


def _bundle(tmp_path: Path, *resources: dict[str, Any]) -> Path:
    p = tmp_path / "bundle.json"
    entries = [{"resource": r} for r in (_lactate("2024-03-01T08:00:00Z"), *resources)]
    p.write_text(json.dumps({"resourceType": "Bundle", "entry": entries}))
    return p


def test_codes_names_routes_and_infusions_become_dose_specs(tmp_path: Path) -> None:
    snomed = "http://snomed.info/sct"
    p = _bundle(
        tmp_path,
        _admin(
            "niv",
            {"coding": [{"system": RXNORM_SYSTEM, "code": "1597876"}]},
            {"dose": {"value": 480, "unit": "mg"}},
            effectiveDateTime="2024-03-02T20:00:00Z",
        ),
        _admin(
            "gm",
            {"coding": [{"system": LOCAL_CODE_SYSTEM, "code": "therapy:gm_csf"}]},
            {
                "dose": {"value": 4, "unit": "ug/kg"},
                "route": {"coding": [{"system": snomed, "code": "34206005"}]},
            },
        ),
        _admin(
            "ana",
            {"text": "Anakinra"},
            {"rateQuantity": {"value": 2, "unit": "mg/kg/h"}},
            effectivePeriod={"start": "2024-03-02T08:00:00Z", "end": "2024-03-05T08:00:00Z"},
        ),
    )
    tl = read_timeline(p)
    doses = read_fhir_doses(p, tl)["p1"]
    assert "nivolumab:480mg@36" in doses
    assert "gm_csf:4ug/kg@24,route=sc" in doses
    assert "anakinra:2mg/kg/h@24,over=72" in doses
    # the timeline lists them as skipped doses, neither observations nor rejected rows
    assert len(tl.rejected) == 0
    reasons = tl.skipped["reason"].astype(str)
    assert reasons.str.contains("immunotherapy dose").sum() == 3


def test_other_medications_are_not_doses(tmp_path: Path) -> None:
    p = _bundle(
        tmp_path,
        _admin("x", {"text": "infliximab"}, {"dose": {"value": 5, "unit": "mg/kg"}}),
    )
    assert read_fhir_administrations(p).empty
    # an unknown medication stays a rejected row of the timeline, as before
    assert len(read_timeline(p, lenient=True).rejected) == 1


def test_cancelled_administrations_give_no_dose(tmp_path: Path) -> None:
    ma = _admin("c", {"text": "anakinra"}, {"dose": {"value": 100, "unit": "mg"}})
    ma["status"] = "not-done"
    assert read_fhir_administrations(_bundle(tmp_path, ma)).empty


@pytest.mark.parametrize(
    ("dosage", "time", "needle"),
    [
        ({}, {}, "dosage"),
        ({"dose": {"value": "lots", "unit": "mg"}}, {}, "dosage.dose"),
        (
            {"dose": {"value": 100, "unit": "mg"}, "route": {"text": "intrathecal"}},
            {},
            "dosage.route",
        ),
        (
            {"rateQuantity": {"value": 2, "unit": "mg/kg/h"}},
            {"effectivePeriod": {"start": "2024-03-02T08:00:00Z"}},
            "effectivePeriod.end",
        ),
    ],
)
def test_bad_doses_name_file_resource_and_element(
    tmp_path: Path, dosage: dict[str, Any], time: dict[str, Any], needle: str
) -> None:
    p = _bundle(tmp_path, _admin("bad", {"text": "anakinra"}, dosage, **time))
    with pytest.raises(InputError) as err:
        read_fhir_administrations(p)
    msg = str(err.value)
    assert "bundle.json" in msg and "MedicationAdministration/bad" in msg and needle in msg


def test_a_dose_the_model_cannot_give_is_refused(tmp_path: Path) -> None:
    p = _bundle(tmp_path, _admin("z", {"text": "anakinra"}, {"dose": {"value": 0, "unit": "mg"}}))
    with pytest.raises(TwinInputError, match="MedicationAdministration/z"):
        read_fhir_doses(p, read_timeline(p))


def test_time_zero_is_the_timelines(tmp_path: Path) -> None:
    p = _bundle(tmp_path, _admin("a", {"text": "anakinra"}, {"dose": {"value": 100, "unit": "mg"}}))
    onset = tmp_path / "onset.csv"
    onset.write_text("patient_id,onset\np1,2024-03-02T02:00:00Z\n")
    tl = read_timeline(p, onset=onset)
    assert read_fhir_doses(p, tl) == {"p1": ["anakinra:100mg@6"]}
