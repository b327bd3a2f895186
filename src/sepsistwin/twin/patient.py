"""One patient's data as the twin uses it: fitted observations, known covariates, received doses.

Observations come from a :class:`sepsistwin.data.Timeline` (already validated and in canonical
units). Only variables with an error model and a model observable are kept; nothing is imputed.
Body weight (``weight``) fixes the prior's body weight; the first ``antibiotic`` row with value
1 fixes the antibiotic start (standard care, meropenem, from then). Immunotherapies the patient
received are dose specifications ``THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N][,route=R][,over=H]``
(hours since time zero), given in Python or read from a doses CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sepsistwin.data import Timeline
from sepsistwin.model.pharmacology import parse_therapy_dose
from sepsistwin.twin.observation import ObservationModel

#: Columns of a doses file (one row per administration or repeated course).
DOSE_COLUMNS = ("patient_id", "hours", "therapy", "dose")
DOSE_OPTIONAL = ("route", "every_hours", "n", "infusion_hours")


class TwinInputError(ValueError):
    """Input the twin cannot use (one line naming the problem)."""


@dataclass(frozen=True)
class PatientData:
    """The data a twin is conditioned on.

    Attributes
    ----------
    patient_id : str
        The patient.
    observations : pandas.DataFrame
        ``hours, variable, value`` (canonical units), sorted, only fitted variables.
    all_observations : pandas.DataFrame
        Every observation of the patient with a model observable (for plots and validation).
    weight_kg : float or None
        Recorded body weight.
    abx_start : float or None
        Recorded antibiotic start (hours since time zero).
    received : tuple of str
        Dose specifications of therapies given.
    until_hours : float
        End of the data window (end of the last day used).
    """

    patient_id: str
    observations: pd.DataFrame
    all_observations: pd.DataFrame
    weight_kg: float | None
    abx_start: float | None
    received: tuple[str, ...] = field(default_factory=tuple)
    until_hours: float = 0.0

    @property
    def last_hours(self) -> float:
        """Time of the last fitted observation."""
        return float(self.observations["hours"].max())

    @property
    def fitted_until_day(self) -> int:
        """Last day (0 = the day of time zero) whose data the fit used."""
        return int(np.floor(self.last_hours / 24.0))


def patient_data(
    timeline: Timeline,
    patient_id: str,
    om: ObservationModel,
    *,
    until_day: int | None = None,
    received: list[str] | tuple[str, ...] = (),
) -> PatientData:
    """Select one patient's usable data (up to the end of ``until_day`` if given).

    Examples
    --------
    >>> from sepsistwin.examples import example_path
    >>> from sepsistwin.api import load_timeline
    >>> from sepsistwin.twin.observation import observation_model
    >>> tl = load_timeline(example_path("cohort.csv"), onset=example_path("onsets.csv"))
    >>> d = patient_data(tl, "ICU-001", observation_model(), until_day=2)
    >>> d.fitted_until_day <= 2, "ferritin" in set(d.observations["variable"])
    (True, True)
    """
    if patient_id not in timeline.patients:
        shown = ", ".join(timeline.patients[:8]) + (" ..." if len(timeline.patients) > 8 else "")
        raise TwinInputError(f"patient {patient_id!r} is not in the timeline (patients: {shown})")
    if until_day is not None and until_day < 0:
        raise TwinInputError(f"until_day must be >= 0, got {until_day}")
    rows = timeline.for_patient(patient_id)
    rows = rows.assign(variable=rows["variable"].astype(str))
    weight = _first(rows, "weight")
    abx_rows = rows[(rows["variable"] == "antibiotic") & (rows["value"] >= 0.5)]
    abx = float(abx_rows["hours"].min()) if len(abx_rows) else None
    if abx is not None and abx < 0:
        abx = 0.0
    usable = rows[rows["variable"].isin(list(om.variables)) & (rows["hours"] >= 0)]
    usable = usable[np.isfinite(usable["value"].to_numpy(dtype=float))]
    all_obs = usable[["hours", "variable", "value"]].reset_index(drop=True)
    fitted = all_obs[all_obs["variable"].isin(om.fitted)]
    until = np.inf if until_day is None else 24.0 * (until_day + 1)
    fitted = fitted[fitted["hours"] < until].reset_index(drop=True)
    if fitted.empty:
        usable_names = ", ".join(om.fitted)
        window = "" if until_day is None else f" up to day {until_day}"
        raise TwinInputError(
            f"patient {patient_id!r} has no observations the model can use{window} "
            f"(at or after time zero; usable variables: {usable_names})"
        )
    for spec in received:
        check_dose_spec(spec)
    last_day = int(np.floor(float(fitted["hours"].max()) / 24.0))
    return PatientData(
        patient_id,
        fitted.sort_values("hours", kind="stable").reset_index(drop=True),
        all_obs.sort_values("hours", kind="stable").reset_index(drop=True),
        weight,
        abx,
        tuple(received),
        24.0 * (last_day + 1),
    )


def _first(rows: pd.DataFrame, variable: str) -> float | None:
    vals = rows.loc[rows["variable"] == variable, "value"]
    return float(vals.iloc[0]) if len(vals) else None


def check_dose_spec(spec: str) -> None:
    """Raise :class:`TwinInputError` (one line) when ``spec`` is not a dose the model can give.

    Examples
    --------
    >>> check_dose_spec("anakinra:200mg@24,every=8,n=3")
    >>> check_dose_spec("aspirin:1g@0")
    Traceback (most recent call last):
    ...
    sepsistwin.twin.patient.TwinInputError: therapy 'aspirin' does not exist; ...
    """
    from sepsistwin.model.pharmacology import THERAPIES

    therapy = spec.split(":", 1)[0].strip().lower()
    if ":" in spec and therapy not in THERAPIES:
        raise TwinInputError(
            f"therapy {therapy!r} does not exist; therapy ids: {', '.join(sorted(THERAPIES))}"
        )
    try:
        parse_therapy_dose(spec)
    except ValueError as exc:
        raise TwinInputError(str(exc).splitlines()[0]) from None


def read_doses(path: str | Path, patient_id: str | None = None) -> dict[str, list[str]]:
    """Read a doses CSV into dose specifications per patient.

    Columns ``patient_id, hours, therapy, dose`` and optionally ``route, every_hours, n,
    infusion_hours``; ``hours`` since the patient's time zero, ``dose`` with its unit
    (``200 mg``, ``4 ug/kg``). Errors name the file, row, field, value and what was expected.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "doses.csv")
    >>> text = "patient_id,hours,therapy,dose,every_hours,n\\nP1,30,anakinra,200 mg,8,21\\n"
    >>> _ = open(p, "w").write(text)
    >>> read_doses(p)
    {'P1': ['anakinra:200mg@30.0,every=8.0,n=21']}
    """
    p = Path(path)
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise TwinInputError(f"{p.name}: cannot be read as CSV ({exc})") from None
    missing = [c for c in DOSE_COLUMNS if c not in frame.columns]
    if missing:
        raise TwinInputError(
            f"{p.name}: missing column(s) {missing}; expected {list(DOSE_COLUMNS)} "
            f"and optionally {list(DOSE_OPTIONAL)}"
        )
    out: dict[str, list[str]] = {}
    for i, rec in enumerate(frame.to_dict(orient="records")):
        row = i + 2  # header is line 1
        pid = str(rec["patient_id"]).strip()
        if patient_id is not None and pid != patient_id:
            continue
        try:
            hours = float(rec["hours"])
        except ValueError:
            raise TwinInputError(
                f"{p.name}: row {row}: hours: {rec['hours']!r} is not a number of hours "
                "since time zero"
            ) from None
        spec = f"{rec['therapy'].strip()}:{rec['dose'].replace(' ', '')}@{hours}"
        for col, key in (
            ("every_hours", "every"),
            ("n", "n"),
            ("route", "route"),
            ("infusion_hours", "over"),
        ):
            val = str(rec.get(col, "") or "").strip()
            if val:
                if key in ("every", "over"):
                    try:
                        val = str(float(val))
                    except ValueError:
                        raise TwinInputError(
                            f"{p.name}: row {row}: {col}: {val!r} is not a number of hours"
                        ) from None
                spec += f",{key}={val}"
        _add_checked(out, pid, spec, f"{p.name}: row {row}")
    return out


#: Suffixes of FHIR input (a Bundle or NDJSON): their immunotherapy administrations are doses.
FHIR_SUFFIXES = (".json", ".ndjson")


def read_fhir_doses(
    path: str | Path, timeline: Timeline, patient_id: str | None = None
) -> dict[str, list[str]]:
    """The immunotherapy doses of a FHIR file as dose specifications per patient.

    Each ``MedicationAdministration`` of a therapy (``sepsistwin/data/therapy_codes.yaml``:
    local code ``therapy:<id>``, RxNorm, or the generic name) becomes
    ``THERAPY:AMOUNT@HOURS[,route=R]``, or ``THERAPY:RATE@HOURS,over=H`` for an infusion rate
    over ``effectivePeriod``; hours are since the patient's time zero in ``timeline`` (the
    timeline read from the same file).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from sepsistwin.data import read_timeline
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "b.json"
    >>> subj = {"reference": "Patient/p1"}
    >>> obs = {"resourceType": "Observation", "id": "o1", "status": "final", "subject": subj,
    ...        "effectiveDateTime": "2024-03-01T08:00:00Z",
    ...        "code": {"coding": [{"system": "http://loinc.org", "code": "2524-7"}]},
    ...        "valueQuantity": {"value": 2.1, "unit": "mmol/L"}}
    >>> ma = {"resourceType": "MedicationAdministration", "id": "m1", "status": "completed",
    ...       "subject": subj, "effectiveDateTime": "2024-03-02T08:00:00Z",
    ...       "medicationCodeableConcept": {"text": "anakinra"},
    ...       "dosage": {"dose": {"value": 200, "unit": "mg"}, "route": {"text": "sc"}}}
    >>> entries = [{"resource": obs}, {"resource": ma}]
    >>> _ = p.write_text(json.dumps({"resourceType": "Bundle", "entry": entries}))
    >>> read_fhir_doses(p, read_timeline(p))
    {'p1': ['anakinra:200mg@24,route=sc']}
    """
    from sepsistwin.data.fhir import read_fhir_administrations

    p = Path(path)
    table = read_fhir_administrations(p)
    out: dict[str, list[str]] = {}
    for rec in table.to_dict(orient="records"):
        pid = str(rec["patient_id"])
        if patient_id is not None and pid != patient_id:
            continue
        where = f"{p.name}: {rec['source']}"
        zero = timeline.time_zero.get(pid)
        if not isinstance(zero, pd.Timestamp):
            raise TwinInputError(
                f"{where}: patient {pid!r} has no absolute time zero in the timeline; a FHIR "
                "dose needs one (a time-zero Observation or an onset file)"
            )
        start = _hours_since(rec["time"], zero, where, "effective[x]")
        if rec["rate"]:
            end = _hours_since(rec["end"], zero, where, "effectivePeriod.end")
            if end <= start:
                raise TwinInputError(
                    f"{where}: effectivePeriod.end {rec['end']!r} is not after its start "
                    f"{rec['time']!r}; expected an infusion of positive length"
                )
            spec = f"{rec['therapy']}:{rec['rate'].replace(' ', '')}@{start:g},over={end - start:g}"
        else:
            spec = f"{rec['therapy']}:{rec['dose'].replace(' ', '')}@{start:g}"
        if rec["route"]:
            spec += f",route={rec['route']}"
        _add_checked(out, pid, spec, where)
    return out


def _add_checked(out: dict[str, list[str]], pid: str, spec: str, where: str) -> None:
    """Append the dose specification ``spec`` to ``pid``'s list once it is checked; an error
    names ``where`` (file and row, or resource)."""
    try:
        check_dose_spec(spec)
    except TwinInputError as exc:
        raise TwinInputError(f"{where}: {exc}") from None
    out.setdefault(pid, []).append(spec)


def _hours_since(text: object, zero: pd.Timestamp, where: str, element: str) -> float:
    """Hours from ``zero`` to the ISO-8601 time ``text`` (offsets and naive times not mixed)."""
    try:
        t = pd.Timestamp(str(text))
    except ValueError:
        raise TwinInputError(f"{where}: {element}: {text!r} is not an ISO-8601 time") from None
    if (t.tzinfo is None) != (zero.tzinfo is None):
        raise TwinInputError(
            f"{where}: {element}: {text!r} and the patient's time zero {zero.isoformat()} mix a "
            "time with a UTC offset and one without; expected both with or both without"
        )
    return float((t - zero).total_seconds() / 3600.0)
