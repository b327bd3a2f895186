"""FHIR R4 input and output: Bundle (JSON) or NDJSON of Observation and MedicationAdministration.

Reading (docs/data-formats.md, "FHIR R4"):

- ``Observation``: patient from ``subject.reference`` (``Patient/<id>``, or a
  ``urn:uuid:`` reference to a Patient entry of the Bundle); time from
  ``effectiveDateTime``, ``effectiveInstant`` or ``effectivePeriod.start``; variable from
  the first coding of ``code.coding`` that the catalogue knows (LOINC or the local code
  system); value from ``valueQuantity`` (unit: the UCUM ``code`` when the system is UCUM,
  else ``unit``), ``valueInteger``, ``valueBoolean``, ``valueCodeableConcept`` (yes/no)
  or ``valueString``. ``component`` entries (e.g. the blood-pressure panel) are read as
  observations of their own.
- ``MedicationAdministration`` (vasopressors): drug from ``medicationCodeableConcept``
  (RxNorm ingredient code) or a ``medicationReference`` to a Medication in the Bundle /
  contained; rate from ``dosage.rateQuantity`` (or ``rateRatio``). A rate given over
  ``effectivePeriod`` is emitted at the period start and at every 24 h boundary from the
  patient's time zero inside the period, so each day the infusion overlaps sees it.
- Local meta codes: an Observation coded ``time-zero`` sets the patient's time zero (its
  effective time); ``baseline-sofa`` (``valueInteger``) the baseline SOFA.
- Resources with status ``entered-in-error``, ``cancelled`` or ``not-done`` are skipped (FHIR
  says they carry no data), as are other FHIR R4 resource types (Encounter, Condition, ...);
  each is listed in ``Timeline.skipped``. A ``resourceType`` that is not a FHIR R4 type
  (``observation``, ``Observaton``) is a rejected row, never a silent skip.
"""

from __future__ import annotations

import codecs
import difflib
import functools
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sepsistwin.data.catalogue import (
    CATALOGUE,
    CODE_LOOKUP,
    LOCAL_CODE_SYSTEM,
    LOINC_SYSTEM,
    RXNORM_SYSTEM,
    UCUM_SYSTEM,
)
from sepsistwin.data.encoding import DEFAULT_ENCODING, check_encoding, decode_error
from sepsistwin.data.errors import InputError, file_error
from sepsistwin.data.limits import (
    MAX_BUNDLE_BYTES,
    MAX_NDJSON_BYTES,
    MAX_NDJSON_LINE_BYTES,
    check_size,
    human_bytes,
)
from sepsistwin.data.timeline import Timeline
from sepsistwin.data.validate import OnsetValue, RawRows, build_timeline

#: Time zero written for inputs given in hours (FHIR needs absolute times).
DEFAULT_ANCHOR = pd.Timestamp("2000-01-01T00:00:00Z")
_SKIP_STATUS = {"entered-in-error", "cancelled", "not-done"}
_YES_NO = {
    ("http://snomed.info/sct", "373066001"): 1.0,
    ("http://snomed.info/sct", "373067005"): 0.0,
    ("http://terminology.hl7.org/CodeSystem/v2-0136", "Y"): 1.0,
    ("http://terminology.hl7.org/CodeSystem/v2-0136", "N"): 0.0,
}
_EXPECTED_CODE = (
    f"a LOINC code of the catalogue or a code of {LOCAL_CODE_SYSTEM} (see docs/data-formats.md)"
)
_EXPECTED_DRUG = f"an RxNorm ingredient code ({RXNORM_SYSTEM}) of a vasopressor in the catalogue"


#: Resource types of FHIR R4 (4.0.1), https://hl7.org/fhir/R4/resourcelist.html: a type
#: outside this list (``observation``, ``Observaton``) is an error, not a silent skip.
FHIR_R4_TYPES = frozenset(
    """Account ActivityDefinition AdverseEvent AllergyIntolerance Appointment
    AppointmentResponse AuditEvent Basic Binary BiologicallyDerivedProduct BodyStructure Bundle
    CapabilityStatement CarePlan CareTeam CatalogEntry ChargeItem ChargeItemDefinition Claim
    ClaimResponse ClinicalImpression CodeSystem Communication CommunicationRequest
    CompartmentDefinition Composition ConceptMap Condition Consent Contract Coverage
    CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue Device
    DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement DiagnosticReport
    DocumentManifest DocumentReference EffectEvidenceSynthesis Encounter Endpoint
    EnrollmentRequest EnrollmentResponse EpisodeOfCare EventDefinition Evidence
    EvidenceVariable ExampleScenario ExplanationOfBenefit FamilyMemberHistory Flag Goal
    GraphDefinition Group GuidanceResponse HealthcareService ImagingStudy Immunization
    ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide InsurancePlan Invoice
    Library Linkage List Location Measure MeasureReport Media Medication
    MedicationAdministration MedicationDispense MedicationKnowledge MedicationRequest
    MedicationStatement MedicinalProduct MedicinalProductAuthorization
    MedicinalProductContraindication MedicinalProductIndication MedicinalProductIngredient
    MedicinalProductInteraction MedicinalProductManufactured MedicinalProductPackaged
    MedicinalProductPharmaceutical MedicinalProductUndesirableEffect MessageDefinition
    MessageHeader MolecularSequence NamingSystem NutritionOrder Observation
    ObservationDefinition OperationDefinition OperationOutcome Organization
    OrganizationAffiliation Parameters Patient PaymentNotice PaymentReconciliation Person
    PlanDefinition Practitioner PractitionerRole Procedure Provenance Questionnaire
    QuestionnaireResponse RelatedPerson RequestGroup ResearchDefinition
    ResearchElementDefinition ResearchStudy ResearchSubject RiskAssessment
    RiskEvidenceSynthesis Schedule SearchParameter ServiceRequest Slot Specimen
    SpecimenDefinition StructureDefinition StructureMap Subscription Substance
    SubstanceNucleicAcid SubstancePolymer SubstanceProtein SubstanceReferenceInformation
    SubstanceSourceMaterial SubstanceSpecification SupplyDelivery SupplyRequest Task
    TerminologyCapabilities TestReport TestScript ValueSet VerificationResult
    VisionPrescription""".split()
)
#: Types read for observations, and types read only to resolve references.
_READ_TYPES = ("Observation", "MedicationAdministration")
_REFERENCE_TYPES = ("Patient", "Medication")


def _json_error(file: str, exc: Exception, where: str = "") -> InputError:
    if isinstance(exc, RecursionError):
        problem = (
            f"JSON nested more than about {sys.getrecursionlimit()} levels deep "
            "(a FHIR resource needs fewer than 10)"
        )
    else:
        assert isinstance(exc, json.JSONDecodeError)
        problem = (
            f"not valid JSON ({exc.msg})"
            if where
            else f"not valid JSON (line {exc.lineno}: {exc.msg})"
        )
    return file_error(file, f"{where}{problem}", row=where.rstrip(": ") or None)


def _load_resources(path: Path, encoding: str) -> Iterator[tuple[str, Any]]:
    """Yield (fallback label, resource) from a Bundle/resource JSON file or NDJSON.

    Sizes are bounded (:mod:`sepsistwin.data.limits`): a Bundle is parsed whole, so it is
    refused above ``MAX_BUNDLE_BYTES``; NDJSON is read line by line.
    """
    file = path.name
    if not path.is_file():
        raise file_error(file, f"file not found: {path}")
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    if path.suffix.lower() == ".ndjson":
        check_size(path, MAX_NDJSON_BYTES, "a FHIR NDJSON file")
        yield from _ndjson_resources(path, codec)
        return
    check_size(path, MAX_BUNDLE_BYTES, "a FHIR Bundle (use NDJSON for larger exports)")
    try:
        text = path.read_bytes().decode(codec)
    except UnicodeDecodeError:
        raise decode_error(path, codec, style="resource") from None
    if not text.strip():
        raise file_error(file, "the file is empty; expected a FHIR Bundle or NDJSON resources")
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise _json_error(file, exc) from None
    del text
    if not isinstance(doc, dict) or "resourceType" not in doc:
        raise file_error(file, "not a FHIR resource (no resourceType); expected a Bundle")
    if doc["resourceType"] != "Bundle":
        yield "resource 1", doc
        return
    entries = doc.get("entry") or []
    if not isinstance(entries, list):
        raise file_error(file, "Bundle.entry is not a list of entries", field="entry")
    for k, entry in enumerate(entries, start=1):
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict) or "resourceType" not in res:
            raise file_error(file, f"entry {k}: no resource with a resourceType", row=f"entry {k}")
        yield f"entry {k}", {**res, "_fullUrl": entry.get("fullUrl")}


def _ndjson_resources(path: Path, codec: str) -> Iterator[tuple[str, Any]]:
    file = path.name
    seen = False
    with path.open("rb") as fh:
        for lineno, raw in enumerate(iter(lambda: fh.readline(MAX_NDJSON_LINE_BYTES + 1), b""), 1):
            if len(raw) > MAX_NDJSON_LINE_BYTES:
                raise file_error(
                    file,
                    f"line {lineno}: longer than {human_bytes(MAX_NDJSON_LINE_BYTES)}; "
                    "NDJSON holds one resource per line",
                    row=f"line {lineno}",
                )
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 and codec == "utf-8-sig" else codec)
            except UnicodeDecodeError:
                raise decode_error(path, codec, style="resource") from None
            if not line.strip():
                continue
            try:
                res = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise _json_error(file, exc, f"line {lineno}: ") from None
            if not isinstance(res, dict) or "resourceType" not in res:
                raise file_error(
                    file,
                    f"line {lineno}: not a FHIR resource (no resourceType)",
                    row=f"line {lineno}",
                )
            seen = True
            yield f"line {lineno}", res
    if not seen:
        raise file_error(file, "the file is empty; expected a FHIR Bundle or NDJSON resources")


def _type_problem(rtype: Any) -> str | None:
    """Why a resourceType is not one of FHIR R4 (None when it is)."""
    if isinstance(rtype, str) and rtype in FHIR_R4_TYPES:
        return None
    if not isinstance(rtype, str):
        return f"resourceType {rtype!r} is not text"
    by_case = {t.lower(): t for t in FHIR_R4_TYPES}
    hint = by_case.get(rtype.strip().lower())
    if hint is None:
        close = difflib.get_close_matches(rtype, sorted(FHIR_R4_TYPES), n=1, cutoff=0.8)
        hint = close[0] if close else None
    problem = f"resourceType '{rtype}' is not a FHIR R4 resource type"
    return problem + (f"; did you mean '{hint}'?" if hint else "")


def _coding_key(coding: Mapping[str, Any]) -> tuple[str, str]:
    return str(coding.get("system", "")).rstrip("/"), str(coding.get("code", ""))


class _Rows:
    """Column lists being built from resources."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.cols: dict[str, list[Any]] = {
            k: [] for k in ("patient_id", "time", "end", "variable", "value", "unit", "label")
        }
        self.paths: list[dict[str, str]] = []
        self.preset: dict[int, tuple[str, Any, str, str, str | None]] = {}
        self.onsets: dict[str, OnsetValue] = {}
        self.onset_labels: dict[str, str] = {}
        self.baseline: dict[str, int] = {}

    def truncate(self, n: int) -> None:
        """Drop rows added after the first ``n`` (a resource that failed half-way)."""
        for col in self.cols.values():
            del col[n:]
        del self.paths[n:]
        for i in [k for k in self.preset if k >= n]:
            del self.preset[i]

    def add(
        self,
        *,
        pid: str | None,
        time: str | None,
        end: str | None,
        variable: str | None,
        value: Any,
        unit: str,
        label: str,
        paths: dict[str, str],
        problem: tuple[str, Any, str, str, str | None] | None = None,
    ) -> None:
        i = len(self.paths)
        for key, v in (
            ("patient_id", pid),
            ("time", time),
            ("end", end),
            ("variable", variable),
            ("value", value),
            ("unit", unit),
            ("label", label),
        ):
            self.cols[key].append(v)
        self.paths.append(paths)
        if problem is not None:
            self.preset[i] = problem


def _patient_of(res: dict[str, Any], patients_by_url: Mapping[str, str]) -> tuple[str | None, str]:
    """Patient id and, when missing, the problem text."""
    subject = res.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    if not ref:
        return None, "has no subject; expected subject.reference 'Patient/<id>'"
    ref = str(ref)
    if ref in patients_by_url:
        return patients_by_url[ref], ""
    parts = ref.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
        return parts[-1], ""
    return None, f"subject.reference '{ref}' does not name a Patient; expected 'Patient/<id>'"


def _value_of(holder: dict[str, Any]) -> tuple[Any, str, str]:
    """(value, unit, FHIR element) of an Observation or component."""
    if "valueQuantity" in holder:
        q = holder["valueQuantity"] or {}
        code = q.get("code")
        unit = (
            code
            if (code is not None and str(q.get("system", "")).rstrip("/") == UCUM_SYSTEM)
            else q.get("unit", code)
        )
        return q.get("value"), "" if unit is None else str(unit), "valueQuantity"
    if "valueInteger" in holder:
        return holder["valueInteger"], "", "valueInteger"
    if "valueBoolean" in holder:
        v = holder["valueBoolean"]
        return (1.0 if v else 0.0) if isinstance(v, bool) else v, "", "valueBoolean"
    if "valueCodeableConcept" in holder:
        cc = holder["valueCodeableConcept"] or {}
        for coding in cc.get("coding") or []:
            key = _coding_key(coding)
            if key in _YES_NO:
                return _YES_NO[key], "", "valueCodeableConcept"
        text = cc.get("text") or next((c.get("code") for c in cc.get("coding") or []), None)
        return str(text), "", "valueCodeableConcept"
    if "valueString" in holder:
        return holder["valueString"], "", "valueString"
    return None, "", "value[x]"


def _variable_of(codings: list[dict[str, Any]]) -> tuple[str | None, str]:
    for coding in codings:
        key = _coding_key(coding)
        if key in CODE_LOOKUP:
            return CODE_LOOKUP[key], ""
    shown = ", ".join(f"{s}|{c}" for s, c in map(_coding_key, codings)) or "no coding"
    return None, shown


def _effective(res: dict[str, Any]) -> tuple[str | None, str | None, str]:
    if "effectiveDateTime" in res:
        return res["effectiveDateTime"], None, "effectiveDateTime"
    if "effectiveInstant" in res:
        return res["effectiveInstant"], None, "effectiveInstant"
    period = res.get("effectivePeriod")
    if isinstance(period, dict):
        return period.get("start"), period.get("end"), "effectivePeriod.start"
    return None, None, "effective[x]"


_EXPECTED_SUBJECT = "a reference 'Patient/<id>'"


def _no_subject_problem(
    kind: str, value: Any, pid_problem: str, variable: str | None
) -> tuple[str, Any, str, str, str | None]:
    """The problem record for a resource whose subject is not a usable Patient reference."""
    return ("subject.reference", value, _EXPECTED_SUBJECT, f"{kind} {pid_problem}", variable)


def _read_observation(
    res: dict[str, Any], label: str, pid: str | None, pid_problem: str, rows: _Rows, file: str
) -> None:
    codings = (res.get("code") or {}).get("coding") or []
    meta = next(
        (
            c
            for s, c in map(_coding_key, codings)
            if s == LOCAL_CODE_SYSTEM and c in ("time-zero", "baseline-sofa")
        ),
        None,
    )
    time, _, time_path = _effective(res)
    if meta is not None:
        _read_meta(res, meta, label, pid, pid_problem, time, rows, file)
        return
    variable, shown = _variable_of(codings)
    components = res.get("component") or []
    base_paths = {"patient_id": "subject.reference", "time": time_path, "variable": "code.coding"}
    has_own_value = any(k.startswith("value") for k in res)
    if variable is not None or has_own_value or not components:
        value, unit, vpath = _value_of(res)
        problem = None
        if pid is None:
            problem = _no_subject_problem(
                "Observation", (res.get("subject") or {}).get("reference"), pid_problem, variable
            )
        elif variable is None:
            problem = ("code.coding", shown, _EXPECTED_CODE, f"unknown code {shown}", None)
        rows.add(
            pid=pid,
            time=time,
            end=None,
            variable=variable,
            value=value,
            unit=unit,
            label=label,
            paths={**base_paths, "value": vpath, "unit": f"{vpath}.code"},
            problem=problem,
        )
    for k, comp in enumerate(components):
        cvar, cshown = _variable_of((comp.get("code") or {}).get("coding") or [])
        value, unit, vpath = _value_of(comp)
        prefix = f"component[{k}]"
        problem = None
        if pid is None:
            problem = _no_subject_problem("Observation", None, pid_problem, cvar)
        elif cvar is None:
            problem = (
                f"{prefix}.code.coding",
                cshown,
                _EXPECTED_CODE,
                f"unknown code {cshown}",
                None,
            )
        rows.add(
            pid=pid,
            time=time,
            end=None,
            variable=cvar,
            value=value,
            unit=unit,
            label=f"{label} {prefix}",
            paths={
                **base_paths,
                "variable": f"{prefix}.code.coding",
                "value": f"{prefix}.{vpath}",
                "unit": f"{prefix}.{vpath}.code",
            },
            problem=problem,
        )


def _read_meta(
    res: dict[str, Any],
    meta: str,
    label: str,
    pid: str | None,
    pid_problem: str,
    time: str | None,
    rows: _Rows,
    file: str,
) -> None:
    if pid is None:
        raise InputError(
            f"{file}: {label}: Observation {pid_problem}",
            file=file,
            row=label,
            field="subject.reference",
            expected=_EXPECTED_SUBJECT,
        )
    if meta == "time-zero":
        if not time:
            raise InputError(
                f"{file}: {label}: time-zero Observation has no effective time",
                file=file,
                row=label,
                field="effectiveDateTime",
                expected="an ISO-8601 time",
            )
        if pid in rows.onsets:
            raise InputError(
                f"{file}: {label}: patient '{pid}' already has a time-zero Observation "
                f"({rows.onset_labels[pid]})",
                file=file,
                row=label,
                field="code",
                expected="one time-zero Observation per patient",
            )
        try:
            ts = pd.Timestamp(time)
        except ValueError:
            raise InputError(
                f"{file}: {label}: time-zero '{time}' is not an ISO-8601 time",
                file=file,
                row=label,
                field="effectiveDateTime",
                value=time,
                expected="an ISO-8601 time",
            ) from None
        rows.onsets[pid] = ts.tz_convert("UTC") if ts.tzinfo is not None else ts
        rows.onset_labels[pid] = label
        return
    value = res.get("valueInteger")
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 24:
        raise InputError(
            f"{file}: {label}: baseline-sofa valueInteger {value!r} is not a whole number 0-24",
            file=file,
            row=label,
            field="valueInteger",
            value=value,
            expected="a whole number 0-24",
        )
    rows.baseline[pid] = value


THERAPY_CODES_PATH = Path(__file__).with_name("therapy_codes.yaml")


@functools.cache
def therapy_codings() -> dict[str, Any]:
    """The codings of immunotherapy administrations (``therapy_codes.yaml``), as lookups.

    Returns ``codes`` ((system, code) -> therapy id), ``names`` (lower-case name -> therapy
    id), ``route_codes`` ((system, code) -> route) and ``route_texts`` (lower-case text ->
    route).

    Examples
    --------
    >>> therapy_codings()["names"]["sargramostim"]
    'gm_csf'
    """
    import yaml

    raw = yaml.safe_load(THERAPY_CODES_PATH.read_text())
    codes: dict[tuple[str, str], str] = {}
    names: dict[str, str] = {}
    for tid, entry in raw["therapies"].items():
        codes[(LOCAL_CODE_SYSTEM.rstrip("/"), f"therapy:{tid}")] = tid
        for code in entry.get("rxnorm") or []:
            codes[(RXNORM_SYSTEM, str(code))] = tid
        for name in entry.get("names") or []:
            names[str(name).lower()] = tid
    routes = raw["routes"]
    system = str(routes["snomed_system"]).rstrip("/")
    return {
        "codes": codes,
        "names": names,
        "route_codes": {(system, str(c)): r for c, r in routes["codes"].items()},
        "route_texts": {str(t).lower(): r for t, r in routes["texts"].items()},
    }


def _medication_concept(
    res: dict[str, Any], medications: Mapping[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], str | None, str]:
    """(codings, text, FHIR element) of a MedicationAdministration's medication."""
    if "medicationCodeableConcept" in res:
        concept = res["medicationCodeableConcept"] or {}
        return concept.get("coding") or [], concept.get("text"), "medicationCodeableConcept"
    if "medicationReference" in res:
        ref = str((res["medicationReference"] or {}).get("reference", ""))
        contained = {f"#{c.get('id')}": c for c in res.get("contained") or []}
        med = contained.get(ref) or medications.get(ref) or medications.get(ref.split("/")[-1])
        concept = (med or {}).get("code") or {}
        return concept.get("coding") or [], concept.get("text"), "medicationReference"
    return [], None, "medication[x]"


def _therapy_of(res: dict[str, Any], medications: Mapping[str, dict[str, Any]]) -> str | None:
    """The therapy id of an immunotherapy administration (codes first, then exact names)."""
    lookup = therapy_codings()
    codings, text, _ = _medication_concept(res, medications)
    for coding in codings:
        if _coding_key(coding) in lookup["codes"]:
            return str(lookup["codes"][_coding_key(coding)])
    for label in [text, *(c.get("display") for c in codings)]:
        if isinstance(label, str) and label.strip().lower() in lookup["names"]:
            return str(lookup["names"][label.strip().lower()])
    return None


def _quantity_text(q: Any, where: str, file: str, label: str) -> str:
    """``"VALUE UNIT"`` of a FHIR Quantity (the UCUM code when the system is UCUM)."""
    if not isinstance(q, dict) or not isinstance(q.get("value"), int | float):
        raise file_error(
            file,
            f"{label}: {where}: {q!r} is not a Quantity with a numeric value; expected e.g. "
            '{"value": 200, "unit": "mg"}',
            field=where,
            row=label,
        )
    code = q.get("code")
    unit = str(
        code
        if code is not None and str(q.get("system", "")).rstrip("/") == UCUM_SYSTEM
        else q.get("unit", code) or ""
    )
    return f"{q['value']:g} {unit}".strip()


def _route_of(dosage: dict[str, Any], file: str, label: str) -> str:
    """The route (``iv``, ``sc``, ``im``, ``enteral``) of a dosage; ``""`` when absent."""
    route = dosage.get("route")
    if not route:
        return ""
    lookup = therapy_codings()
    for coding in route.get("coding") or []:
        if _coding_key(coding) in lookup["route_codes"]:
            return str(lookup["route_codes"][_coding_key(coding)])
    for text in [route.get("text"), *(c.get("display") for c in route.get("coding") or [])]:
        if isinstance(text, str) and text.strip().lower() in lookup["route_texts"]:
            return str(lookup["route_texts"][text.strip().lower()])
    raise file_error(
        file,
        f"{label}: dosage.route: {route!r} is not a known route; expected a SNOMED CT route "
        "(47625008 intravenous, 34206005 subcutaneous, 78421000 intramuscular, 26643006 oral) "
        "or the text iv, sc, im, oral",
        field="dosage.route",
        row=label,
    )


ADMINISTRATION_COLUMNS = ("patient_id", "time", "end", "therapy", "dose", "rate", "route", "source")


def read_fhir_administrations(path: str | Path, encoding: str = DEFAULT_ENCODING) -> pd.DataFrame:
    """The immunotherapy doses of a FHIR Bundle or NDJSON file (MedicationAdministration).

    One row per administration: ``patient_id``, ``time`` and ``end`` (as written: ISO-8601
    ``effectiveDateTime`` / ``effectivePeriod``), ``therapy`` (a therapy id, see
    ``therapy_codes.yaml``), ``dose`` (``dosage.dose`` as ``"200 mg"``) or ``rate``
    (``dosage.rateQuantity`` as ``"2 mg/kg/h"``, an infusion over the period), ``route``
    and ``source`` (the resource). Administrations of other medications (vasopressors are
    observations of the timeline) are not listed; statuses ``entered-in-error``,
    ``cancelled`` and ``not-done`` carry no dose. A dose that cannot be read is an
    :class:`InputError` naming the file, the resource, the element and the value.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.json"
    >>> ma = {"resourceType": "MedicationAdministration", "id": "m1", "status": "completed",
    ...       "subject": {"reference": "Patient/p1"},
    ...       "effectiveDateTime": "2024-03-02T08:00:00Z",
    ...       "medicationCodeableConcept": {"text": "Anakinra"},
    ...       "dosage": {"dose": {"value": 200, "unit": "mg"}, "route": {"text": "sc"}}}
    >>> _ = p.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": ma}]}))
    >>> read_fhir_administrations(p)[["patient_id", "therapy", "dose", "route"]].values.tolist()
    [['p1', 'anakinra', '200 mg', 'sc']]
    """
    path = Path(path)
    file = path.name
    resources = list(_load_resources(path, check_encoding(encoding)))
    patients_by_url, medications = _index_resources(resources)
    out: list[tuple[Any, ...]] = []
    for fallback, res in resources:
        if res["resourceType"] != "MedicationAdministration":
            continue
        if res.get("status") in _SKIP_STATUS:
            continue
        therapy = _therapy_of(res, medications)
        if therapy is None:
            continue
        rid = res.get("id")
        label = (
            f"MedicationAdministration/{rid}" if rid else f"MedicationAdministration at {fallback}"
        )
        pid, problem = _patient_of(res, patients_by_url)
        if pid is None:
            raise file_error(file, f"{label}: {problem}", field="subject.reference", row=label)
        time, end, time_path = _effective(res)
        if not isinstance(time, str) or not time.strip():
            raise file_error(
                file,
                f"{label}: {time_path}: {time!r} is not a time; expected an ISO-8601 "
                "effectiveDateTime or effectivePeriod.start",
                field=time_path,
                row=label,
            )
        dosage = res.get("dosage") or {}
        dose = rate = ""
        if "dose" in dosage:
            dose = _quantity_text(dosage["dose"], "dosage.dose", file, label)
        elif "rateQuantity" in dosage:
            rate = _quantity_text(dosage["rateQuantity"], "dosage.rateQuantity", file, label)
            if not end:
                raise file_error(
                    file,
                    f"{label}: effectivePeriod.end: an infusion rate ({rate}) needs the "
                    "period's end to give its length",
                    field="effectivePeriod.end",
                    row=label,
                )
        else:
            raise file_error(
                file,
                f"{label}: dosage: {dosage!r} has neither dose nor rateQuantity; expected the "
                'amount given, e.g. "dose": {"value": 200, "unit": "mg"}',
                field="dosage",
                row=label,
            )
        route = _route_of(dosage, file, label)
        out.append((pid, time, end, therapy, dose, rate, route, label))
    return pd.DataFrame(out, columns=list(ADMINISTRATION_COLUMNS), dtype=object)


def _read_medication(
    res: dict[str, Any],
    label: str,
    pid: str | None,
    pid_problem: str,
    rows: _Rows,
    medications: Mapping[str, dict[str, Any]],
) -> None:
    codings: list[dict[str, Any]] = []
    field = "medicationCodeableConcept.coding"
    if "medicationCodeableConcept" in res:
        codings = (res["medicationCodeableConcept"] or {}).get("coding") or []
    elif "medicationReference" in res:
        ref = str((res["medicationReference"] or {}).get("reference", ""))
        field = "medicationReference"
        contained = {f"#{c.get('id')}": c for c in res.get("contained") or []}
        med = contained.get(ref) or medications.get(ref) or medications.get(ref.split("/")[-1])
        codings = ((med or {}).get("code") or {}).get("coding") or []
    variable, shown = _variable_of(codings)
    if variable is not None and not CATALOGUE[variable].is_vasopressor:
        shown = f"{variable} (not a vasopressor)"
        variable = None
    time, end, time_path = _effective(res)
    dosage = res.get("dosage") or {}
    value: Any = None
    unit = ""
    vpath = "dosage.rateQuantity"
    if "rateQuantity" in dosage:
        q = dosage["rateQuantity"] or {}
        value = q.get("value")
        code = q.get("code")
        unit = str(
            code
            if code is not None and str(q.get("system", "")).rstrip("/") == UCUM_SYSTEM
            else q.get("unit", code) or ""
        )
    elif "rateRatio" in dosage:
        vpath = "dosage.rateRatio"
        ratio = dosage["rateRatio"] or {}
        num, den = ratio.get("numerator") or {}, ratio.get("denominator") or {}
        try:
            value = float(num["value"]) / float(den.get("value", 1))
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            value = f"{num.get('value')}/{den.get('value')}"
        num_unit = num.get("code") or num.get("unit") or ""
        unit = f"{num_unit}/{den.get('code') or den.get('unit') or ''}"
    problem = None
    if pid is None:
        problem = _no_subject_problem(
            "MedicationAdministration",
            (res.get("subject") or {}).get("reference"),
            pid_problem,
            variable,
        )
    elif variable is None:
        problem = (field, shown, _EXPECTED_DRUG, f"unknown medication coding {shown}", None)
    rows.add(
        pid=pid,
        time=time,
        end=end,
        variable=variable,
        value=value,
        unit=unit,
        label=label,
        paths={
            "patient_id": "subject.reference",
            "time": time_path,
            "variable": field,
            "value": f"{vpath}.value",
            "unit": f"{vpath}.unit",
        },
        problem=problem,
    )


def read_fhir_rows(path: str | Path, encoding: str = DEFAULT_ENCODING) -> RawRows:
    """Read a FHIR Bundle (``.json``) or NDJSON (``.ndjson``) into raw long rows.

    Resources of other FHIR R4 types, and those with status ``entered-in-error``,
    ``cancelled`` or ``not-done``, are listed in ``RawRows.skipped``; a resourceType that
    is not a FHIR R4 type (a lowercase or misspelt ``observation``) and a resource that
    is not well-formed are problems of their own row.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.json"
    >>> obs = {"resourceType": "Observation", "id": "o1", "status": "final",
    ...        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2024-03-01T08:00Z",
    ...        "code": {"coding": [{"system": "http://loinc.org", "code": "2524-7"}]},
    ...        "valueQuantity": {"value": 2.1, "unit": "mmol/L"}}
    >>> _ = p.write_text(json.dumps({"resourceType": "Bundle", "entry": [{"resource": obs}]}))
    >>> read_fhir_rows(p).variable.tolist()
    ['lactate']
    """
    path = Path(path)
    file = path.name
    resources = list(_load_resources(path, check_encoding(encoding)))
    patients_by_url, medications = _index_resources(resources)
    rows = _Rows(file)
    skipped: list[tuple[int | str | None, str | None, str]] = []
    for fallback, res in resources:
        rtype = res["resourceType"]
        rid = res.get("id")
        label = (
            f"{rtype}/{rid}"
            if isinstance(rtype, str) and isinstance(rid, str | int) and rid != ""
            else f"{rtype if isinstance(rtype, str) else 'resource'} at {fallback}"
        )
        type_problem = _type_problem(rtype)
        if type_problem is not None:
            rows.add(
                pid=None,
                time=None,
                end=None,
                variable=None,
                value=None,
                unit="",
                label=label,
                paths={},
                problem=("resourceType", rtype, "a FHIR R4 resource type", type_problem, None),
            )
            continue
        if rtype not in _READ_TYPES:
            if rtype not in _REFERENCE_TYPES:
                skipped.append((label, None, f"{rtype}: a resource type holding no observation"))
            continue
        status = res.get("status")
        if isinstance(status, str) and status in _SKIP_STATUS:
            skipped.append((label, None, f"status '{status}': FHIR says it carries no data"))
            continue
        n_before = len(rows.paths)
        try:
            pid, pid_problem = _patient_of(res, patients_by_url)
            if rtype == "Observation":
                _read_observation(res, label, pid, pid_problem, rows, file)
            elif (therapy := _therapy_of(res, medications)) is not None:
                skipped.append(
                    (
                        label,
                        pid,
                        f"immunotherapy dose ({therapy}): a dose the patient received, read by "
                        "the twin (sepsistwin.twin.read_fhir_doses), not an observation",
                    )
                )
            else:
                _read_medication(res, label, pid, pid_problem, rows, medications)
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            rows.truncate(n_before)
            rows.add(
                pid=None,
                time=None,
                end=None,
                variable=None,
                value=None,
                unit="",
                label=label,
                paths={},
                problem=(
                    "resource",
                    None,
                    "a well-formed FHIR R4 resource",
                    f"{rtype} is not well-formed FHIR (an element has the wrong type: "
                    f"{type(exc).__name__}: {exc})",
                    None,
                ),
            )
    if not rows.paths:
        raise file_error(file, "no Observation or MedicationAdministration resources found")
    cols = rows.cols
    values = cols["value"]
    numeric = all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values
    )
    value_series = (
        pd.Series([np.nan if v is None else float(v) for v in values], dtype=np.float64)
        if numeric
        else pd.Series(values, dtype=object)
    )
    has_end = any(e is not None for e in cols["end"])
    paths = rows.paths
    return RawRows(
        file=file,
        style="resource",
        patient_id=pd.Series(cols["patient_id"], dtype=object),
        time=pd.Series(cols["time"], dtype=object),
        variable=pd.Series(cols["variable"], dtype=object),
        value=value_series,
        unit=pd.Series(cols["unit"], dtype=object),
        labels=np.array(cols["label"], dtype=object),
        preset=rows.preset,
        end_time=pd.Series(cols["end"], dtype=object) if has_end else None,
        field_path=lambda i, name: paths[i].get(name, name),
        onsets=rows.onsets,
        baseline_sofa=rows.baseline,
        skipped=skipped,
    )


def read_fhir_timeline(
    path: str | Path,
    *,
    onset: Mapping[str, OnsetValue] | None = None,
    onset_source: str = "onset",
    baseline_sofa: Mapping[str, int] | None = None,
    lenient: bool = False,
    encoding: str = DEFAULT_ENCODING,
) -> Timeline:
    """Read a FHIR Bundle or NDJSON file into a :class:`Timeline` (see ``read_timeline``)."""
    raw = read_fhir_rows(path, encoding)
    return build_timeline(
        raw, onset=onset, onset_source=onset_source, baseline_sofa=baseline_sofa, lenient=lenient
    )


# --------------------------------------------------------------------------- writing


def _iso(ts: pd.Timestamp) -> str:
    return ts.isoformat(timespec="microseconds")


def _code_of(name: str) -> dict[str, Any]:
    var = CATALOGUE[name]
    coding: dict[str, Any]
    if var.loinc:
        coding = {"system": LOINC_SYSTEM, "code": var.loinc[0], "display": var.label}
    else:
        coding = {"system": LOCAL_CODE_SYSTEM, "code": var.local_code, "display": var.label}
    return {"coding": [coding], "text": var.label}


def _meta_observation(rid: str, pid: str, code: str, display: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOCAL_CODE_SYSTEM, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{pid}"},
    }


def to_fhir_bundle(
    observations: pd.DataFrame,
    *,
    time_zero: Mapping[str, OnsetValue] | None = None,
    baseline_sofa: Mapping[str, int] | None = None,
    as_ndjson: bool = False,
    anchor: pd.Timestamp = DEFAULT_ANCHOR,
) -> dict[str, Any] | str:
    """Write canonical observations as FHIR R4 so ``read_timeline`` reads them back.

    Every patient gets a Patient resource and a ``time-zero`` Observation (local code
    system); vasopressors become MedicationAdministration with RxNorm codes and a
    ``dosage.rateQuantity`` in ug/kg/min at a point in time; everything else becomes an
    Observation (LOINC, else local code) with a UCUM ``valueQuantity``, a ``valueInteger``
    (GCS) or a ``valueBoolean`` (flags).

    Parameters
    ----------
    observations : pandas.DataFrame
        ``Timeline.observations`` (columns patient_id, hours, variable, value).
    time_zero : mapping, optional
        ``Timeline.time_zero``. Timestamps are used as they are (naive ones are written
        without an offset); float time zeros (hours input) are placed at ``anchor`` plus
        that many hours. Missing patients get ``anchor``.
    baseline_sofa : mapping, optional
        Written as ``baseline-sofa`` Observations.
    as_ndjson : bool
        Return NDJSON text (one resource per line) instead of a Bundle dict.
    anchor : pandas.Timestamp
        Absolute time for hour-based time zeros.

    Returns
    -------
    dict or str
        A ``collection`` Bundle, or NDJSON text.

    Examples
    --------
    >>> obs = pd.DataFrame({"patient_id": ["p1"], "hours": [2.0], "variable": ["lactate"],
    ...                     "value": [3.5]})
    >>> bundle = to_fhir_bundle(obs, time_zero={"p1": 0.0})
    >>> [e["resource"]["resourceType"] for e in bundle["entry"]]
    ['Patient', 'Observation', 'Observation']
    """
    time_zero = dict(time_zero or {})
    baseline_sofa = dict(baseline_sofa or {})
    resources: list[dict[str, Any]] = []
    pids = [str(p) for p in pd.unique(observations["patient_id"].astype(str))]
    bases: dict[str, pd.Timestamp] = {}
    for k, pid in enumerate(pids):
        tz = time_zero.get(pid, 0.0)
        if isinstance(tz, pd.Timestamp):
            base = tz
        else:
            base = anchor + pd.Timedelta(hours=float(tz))
        bases[pid] = base
        resources.append({"resourceType": "Patient", "id": pid})
        tz_obs = _meta_observation(f"tz-{k}", pid, "time-zero", "Time zero (sepsis onset)")
        tz_obs["effectiveDateTime"] = _iso(base)
        resources.append(tz_obs)
        if pid in baseline_sofa:
            sofa = _meta_observation(f"sofa0-{k}", pid, "baseline-sofa", "Baseline SOFA")
            sofa["valueInteger"] = int(baseline_sofa[pid])
            resources.append(sofa)
    cols = [observations[c].to_numpy() for c in ("patient_id", "hours", "variable", "value")]
    for k, (pid, hours, name, value) in enumerate(zip(*cols, strict=True)):
        pid, name = str(pid), str(name)
        var = CATALOGUE[name]
        when = _iso(bases[pid] + pd.Timedelta(hours=float(hours)))
        subject = {"reference": f"Patient/{pid}"}
        if var.is_vasopressor:
            resources.append(
                {
                    "resourceType": "MedicationAdministration",
                    "id": f"med-{k}",
                    "status": "completed",
                    "medicationCodeableConcept": {
                        "coding": [
                            {"system": RXNORM_SYSTEM, "code": var.rxnorm[0], "display": var.label}
                        ]
                    },
                    "subject": subject,
                    "effectiveDateTime": when,
                    "dosage": {
                        "rateQuantity": {
                            "value": float(value),
                            "unit": var.canonical_unit,
                            "system": UCUM_SYSTEM,
                            "code": var.ucum,
                        }
                    },
                }
            )
            continue
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"obs-{k}",
            "status": "final",
            "code": _code_of(name),
            "subject": subject,
            "effectiveDateTime": when,
        }
        if var.kind == "flag":
            res["valueBoolean"] = bool(value >= 0.5)
        elif var.integer:
            res["valueInteger"] = round(float(value))
        else:
            res["valueQuantity"] = {
                "value": float(value),
                "unit": var.canonical_unit,
                "system": UCUM_SYSTEM,
                "code": var.ucum,
            }
        resources.append(res)
    if as_ndjson:
        return "".join(json.dumps(r) + "\n" for r in resources)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _index_resources(
    resources: list[tuple[Any, dict[str, Any]]],
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Patient ids by full URL, and Medication resources by ``Medication/id`` and full URL
    (for references inside a Bundle)."""
    patients_by_url: dict[str, str] = {}
    medications: dict[str, dict[str, Any]] = {}
    for _, res in resources:
        rid = res.get("id")
        if not isinstance(rid, str | int) or isinstance(rid, bool):
            rid = None
        url = res.get("_fullUrl")
        url = url if isinstance(url, str) else None
        if res["resourceType"] == "Patient" and rid is not None and url:
            patients_by_url[url] = str(rid)
        if res["resourceType"] == "Medication":
            if rid is not None:
                medications[f"Medication/{rid}"] = res
            if url:
                medications[url] = res
    return patients_by_url, medications
