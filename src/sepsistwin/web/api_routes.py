"""JSON API (``/api``). Bodies follow the CLI's ``--json`` contracts:
``assess --json`` records, ``recommend --json`` records, ``trial --json`` result,
``evidence show --json`` therapy."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from sepsistwin import DISCLAIMER, __version__
from sepsistwin.api import jsonable
from sepsistwin.evidence import UnknownTherapyError, load_evidence
from sepsistwin.trial import list_examples
from sepsistwin.web.charts import patient_figures
from sepsistwin.web.datasets import EXAMPLE_ID, Dataset
from sepsistwin.web.jobs import JobLimitError
from sepsistwin.web.sessions import Session
from sepsistwin.web.simulate import (
    MAX_DOSES,
    MAX_HOURS,
    MAX_PATIENT_INDEX,
    MAX_SCENARIOS,
    Scenario,
    SimulationPlan,
)
from sepsistwin.web.state import BadInput, NotFound, WebState

router = APIRouter(prefix="/api")

#: Longest trial specification text accepted in a JSON body (the byte limit also applies).
_SPEC_CHARS = 1_000_000


def web(request: Request) -> WebState:
    """The dashboard state of this app."""
    state: WebState = request.app.state.web
    return state


def session_of(request: Request) -> Session:
    """The caller's session (set by the guard middleware)."""
    s: Session = request.state.session
    return s


class ErrorBody(BaseModel):
    """Every error: a message and the list of problems (for uploads, ``details`` per row)."""

    detail: str
    errors: list[str]
    details: list[dict[str, Any]] = []


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown id"},
    413: {"model": ErrorBody, "description": "Request body over the upload limit"},
    422: {"model": ErrorBody, "description": "Invalid input (every problem listed)"},
}


class DatasetInfo(BaseModel):
    """A dataset held by the session (or the example cohort)."""

    id: str
    name: str
    patients: int
    patient_days: int
    rejected: int


class TrialRequest(BaseModel):
    """A trial to run: a shipped example by name, or specification YAML text."""

    model_config = ConfigDict(extra="forbid")

    example: str | None = Field(None, description="Name of a shipped example trial.")
    spec: str | None = Field(
        None, max_length=_SPEC_CHARS, description="Trial specification as YAML text."
    )
    size: int | None = Field(None, ge=1, description="Virtual patients (overrides the spec).")


class SpecText(BaseModel):
    """Trial specification YAML to validate."""

    model_config = ConfigDict(extra="forbid")

    spec: str = Field(max_length=_SPEC_CHARS)


async def _json(ds: Dataset, key: str, make: Callable[[], Any]) -> Response:
    """A JSON body serialised once per dataset and key (datasets are immutable); a cache hit
    is answered on the event loop, a miss is computed in the thread pool."""
    key = f"json:{key}"
    body = ds.peek(key)
    if body is None:

        def serialise() -> bytes:
            return json.dumps(make(), ensure_ascii=False, allow_nan=False).encode()

        body = await run_in_threadpool(ds.cached, key, serialise)
    return Response(body, media_type="application/json")


def _dataset(request: Request, dataset_id: str) -> Dataset:
    return web(request).dataset(session_of(request), dataset_id)


@router.get("/health", tags=["meta"], summary="Liveness and version")
def health() -> dict[str, Any]:
    """``{"status": "ok", "version": ..., "disclaimer": ...}``."""
    return {"status": "ok", "version": __version__, "disclaimer": DISCLAIMER}


# --- datasets --------------------------------------------------------------------------------


@router.get("/datasets", tags=["patients"], summary="Datasets of this browser session")
def list_datasets(request: Request) -> list[DatasetInfo]:
    """The example cohort and the timelines uploaded in this browser session."""
    st, s = web(request), session_of(request)
    items = [st.dataset(s, EXAMPLE_ID), *s.datasets.values()]
    return [DatasetInfo(**d.describe()) for d in items]


@router.post(
    "/datasets",
    tags=["patients"],
    summary="Upload a timeline",
    status_code=201,
    responses=ERRORS,
)
def upload_dataset(
    request: Request,
    file: Annotated[
        UploadFile, File(description="Long CSV/Parquet, FHIR R4 Bundle (.json) or NDJSON.")
    ],
    onset: Annotated[
        UploadFile | None,
        File(description="Optional per-patient time zero: patient_id, onset[, baseline_sofa]."),
    ] = None,
    lenient: Annotated[
        bool, Form(description="Drop invalid rows (listed in the response) instead of failing.")
    ] = False,
) -> dict[str, Any]:
    """Validate and assess an uploaded timeline. A bad file is answered with 422 naming the
    file, row, field, value and the expected unit."""
    st = web(request)
    ds = st.upload(
        session_of(request),
        file.filename or "timeline",
        file.file.read(),
        onset_name=onset.filename if onset is not None else None,
        onset_data=onset.file.read() if onset is not None else None,
        lenient=lenient,
    )
    return {**ds.describe(), "rejected_rows": ds.rejected, "patients_summary": ds.summary}


@router.get(
    "/datasets/{dataset_id}", tags=["patients"], summary="Patients of a dataset", responses=ERRORS
)
def get_dataset(request: Request, dataset_id: str) -> dict[str, Any]:
    """Per patient: latest SOFA, septic shock, phenotype, immune state, missing variables."""
    ds = _dataset(request, dataset_id)
    return {**ds.describe(), "rejected_rows": ds.rejected, "patients_summary": ds.summary}


@router.delete(
    "/datasets/{dataset_id}",
    tags=["patients"],
    summary="Delete an upload",
    status_code=204,
    responses=ERRORS,
)
def delete_dataset(request: Request, dataset_id: str) -> Response:
    """Forget an uploaded dataset (the example cohort cannot be deleted)."""
    s = session_of(request)
    if dataset_id == EXAMPLE_ID:
        raise BadInput("the example cohort is shared and cannot be deleted")
    if s.datasets.pop(dataset_id, None) is None:
        raise NotFound(f"no dataset {dataset_id!r} in this browser session")
    shutil.rmtree(s.folder / dataset_id, ignore_errors=True)
    return Response(status_code=204)


@router.get(
    "/datasets/{dataset_id}/assessment",
    tags=["patients"],
    summary="Daily assessment (assess --json)",
    responses=ERRORS,
    response_model=list[dict[str, Any]],
)
async def get_assessment(
    request: Request,
    dataset_id: str,
    patient: Annotated[str | None, Query(max_length=200)] = None,
    day: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Patient-day records as ``sepsistwin assess --json`` prints them: SOFA and components,
    qSOFA, SIRS, Sepsis-3, septic shock, phenotype, immune state, ``reasons`` (the rules that
    fired, with values), ``missing`` and the day's worst values."""
    ds = _dataset(request, dataset_id)

    def make() -> list[dict[str, Any]]:
        try:
            rows = ds.patient_records(patient) if patient is not None else ds.records
        except KeyError as exc:
            raise NotFound(str(exc.args[0])) from None
        if day is not None:
            days = sorted({r["day"] for r in rows})
            rows = [r for r in rows if r["day"] == day]
            if not rows:
                raise NotFound(f"no day {day}; days assessed: {days}")
        return rows

    return await _json(ds, f"assessment:{patient}:{day}", make)


@router.get(
    "/datasets/{dataset_id}/recommendations",
    tags=["patients"],
    summary="Recommendations (recommend --json)",
    responses=ERRORS,
    response_model=list[dict[str, Any]],
)
async def get_recommendations(
    request: Request,
    dataset_id: str,
    patient: Annotated[str | None, Query(max_length=200)] = None,
    day: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Ranked, phenotype-matched options per patient-day as ``sepsistwin recommend --json``
    prints them (rationale, evidence, warnings, timing window, exclusions, what to measure
    next, disclaimer)."""
    ds = _dataset(request, dataset_id)

    def make() -> list[dict[str, Any]]:
        try:
            return ds.recommendation_records(patient=patient, day=day)
        except KeyError as exc:
            raise NotFound(str(exc.args[0]) if exc.args else str(exc)) from None

    return await _json(ds, f"recommendations:{patient}:{day}", make)


@router.get(
    "/datasets/{dataset_id}/patients/{patient_id}/figures",
    tags=["patients"],
    summary="Plotly figures of a patient",
    responses=ERRORS,
    response_model=dict[str, Any],
)
async def get_patient_figures(request: Request, dataset_id: str, patient_id: str) -> Response:
    """``timeline`` (SOFA and phenotype by day) and ``biomarkers`` (ferritin, mHLA-DR,
    lymphocytes, IL-6, lactate against their thresholds) as Plotly JSON."""
    ds = _dataset(request, dataset_id)
    key = f"json:figures:{patient_id}"
    body = ds.peek(key)
    if body is None:

        def make() -> bytes:
            try:
                timeline, biomarkers = patient_figures(ds, patient_id)
            except KeyError as exc:
                raise NotFound(str(exc.args[0])) from None
            return f'{{"timeline": {timeline}, "biomarkers": {biomarkers}}}'.encode()

        body = await run_in_threadpool(ds.cached, key, make)
    return Response(body, media_type="application/json")


# --- trials ----------------------------------------------------------------------------------


@router.get("/trials/examples", tags=["trials"], summary="Shipped example trials")
def trial_examples() -> list[str]:
    """Names of the example trial specifications."""
    return list_examples()


@router.get(
    "/trials/examples/{name}", tags=["trials"], summary="An example's YAML", responses=ERRORS
)
def trial_example(name: str) -> dict[str, str]:
    """``{"name": ..., "spec": <YAML text>}``."""
    return {"name": name, "spec": WebState.example_spec_text(name)}


@router.post("/trials/validate", tags=["trials"], summary="Validate a trial spec")
def validate_spec(request: Request, body: SpecText) -> dict[str, Any]:
    """``{"valid": true, "spec": <canonical spec>}`` or ``{"valid": false, "errors": [...]}``
    (each error names the line and the key)."""
    try:
        sp = web(request).spec_from_text(body.spec)
    except BadInput as exc:
        return {"valid": False, "errors": exc.errors}
    return {"valid": True, "errors": [], "spec": sp.canonical()}


@router.post(
    "/trials",
    tags=["trials"],
    summary="Start a trial job",
    status_code=202,
    responses={**ERRORS, 409: {"model": ErrorBody, "description": "A job limit is reached"}},
)
def start_trial(request: Request, body: TrialRequest, response: Response) -> dict[str, Any]:
    """Run a trial in the background (one per session; size capped). Poll
    ``/api/jobs/{id}``; when ``status`` is ``done`` the result is at ``/api/runs/{run}``."""
    st = web(request)
    if (body.example is None) == (body.spec is None):
        raise BadInput("give exactly one of 'example' (a shipped trial's name) and 'spec' (YAML)")
    text = st.example_spec_text(body.example) if body.example else str(body.spec)
    sp = st.sized(st.spec_from_text(text, f"{body.example or 'spec'}.yaml"), body.size)
    try:
        job = st.start_trial(session_of(request), sp)
    except JobLimitError as exc:
        raise HTTPException(409, str(exc)) from None
    response.headers["location"] = f"/api/jobs/{job.id}"
    return job.to_dict()


def _job(request: Request, job_id: str) -> Any:
    st = web(request)
    try:
        job = st.jobs.get(job_id)
    except KeyError:
        raise NotFound(f"no trial job {job_id!r} in this browser session") from None
    if job.session != session_of(request).token:
        raise NotFound(f"no trial job {job_id!r} in this browser session")
    return job


@router.get("/jobs", tags=["trials"], summary="This browser session's trial jobs")
def list_jobs(request: Request) -> list[dict[str, Any]]:
    """Status of every job started in this browser session, newest first."""
    return [j.to_dict() for j in web(request).jobs.of_session(session_of(request).token)]


@router.get("/jobs/{job_id}", tags=["trials"], summary="Progress of a job", responses=ERRORS)
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    """Status, progress (share of patients sampled), the flow so far (sampled, died before
    screening, screened, enrolled) and, when done, the run's name."""
    return _job(request, job_id).to_dict()


@router.post("/jobs/{job_id}/cancel", tags=["trials"], summary="Cancel a job", responses=ERRORS)
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Stop a running job; its committed chunks stay in its store."""
    job = _job(request, job_id)
    return web(request).jobs.cancel(job.id).to_dict()


@router.get("/runs", tags=["trials"], summary="Past trial runs")
def list_runs(request: Request) -> list[dict[str, Any]]:
    """Trial stores in the dashboard's runs folder, newest first."""
    return [r.to_dict() for r in web(request).past_runs()]


@router.get(
    "/runs/{run}", tags=["trials"], summary="A run's result (trial --json)", responses=ERRORS
)
def get_run(request: Request, run: str) -> dict[str, Any]:
    """The analysed trial as ``sepsistwin trial --json`` prints it: ``trial, arms,
    comparisons, subgroups, screening, counterfactual, methods, notes``."""
    result, _ = web(request).result(run)
    return {**jsonable(result.to_dict()), "disclaimer": DISCLAIMER}


# --- what-if simulation ---------------------------------------------------------------------


class ScenarioIn(BaseModel):
    """A named list of doses in the CLI's ``--dose`` syntax."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    doses: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list,
        max_length=MAX_DOSES,
        description="e.g. nivolumab:480mg@24 or il7:10ug/kg@48,every=84,n=8,route=im",
    )


class VirtualPatientIn(BaseModel):
    """A virtual patient drawn from a population (the ``sepsistwin`` model only)."""

    model_config = ConfigDict(extra="forbid")

    population: str = Field("septic_shock", max_length=40, description="Population preset.")
    seed: int = Field(1, ge=0, description="Seed of the draw.")
    index: int = Field(0, ge=0, le=MAX_PATIENT_INDEX, description="Which patient of the draw.")


class SimulationIn(BaseModel):
    """One virtual patient under up to four therapy scenarios."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field("sepsistwin", max_length=60, description="Model preset.")
    hours: float = Field(672.0, gt=0, le=MAX_HOURS, description="Horizon (h).")
    step: float = Field(6.0, gt=0, description="Save interval (h).")
    weight_kg: float = Field(75.0, gt=0, le=500, description="For per-kg doses.")
    params: dict[str, float] = Field(default_factory=dict, max_length=200)
    init: dict[str, float] = Field(default_factory=dict, max_length=200)
    scenarios: list[ScenarioIn] = Field(min_length=1, max_length=MAX_SCENARIOS)
    patient: VirtualPatientIn | None = Field(
        None,
        description="Draw the patient from a virtual population (with its standard care: "
        "meropenem from its antibiotic start; per-kg doses use its weight) instead of the "
        "model's default parameters.",
    )


@router.post(
    "/simulate",
    tags=["simulate"],
    summary="What-if simulation (simulate --json per scenario)",
    responses={**ERRORS, 504: {"model": ErrorBody, "description": "Took too long"}},
)
def simulate_what_if(request: Request, body: SimulationIn) -> dict[str, Any]:
    """Simulate one virtual patient of a model preset under each scenario's doses:
    ``{"model", "patient", "time", "scenarios": [{"name", "doses", "status", "states",
    "observables"}]}``. A model's first use compiles its kernel (minutes; cached on disk)."""
    plan = SimulationPlan(
        model=body.model,
        params=body.params,
        init=body.init,
        hours=body.hours,
        step=body.step,
        weight_kg=body.weight_kg,
        scenarios=tuple(Scenario(s.name, tuple(s.doses)) for s in body.scenarios),
        population=body.patient.population if body.patient else None,
        seed=body.patient.seed if body.patient else 1,
        index=body.patient.index if body.patient else 0,
    )
    try:
        result = web(request).simulate(plan)
    except TimeoutError:
        raise HTTPException(504, "the simulation took longer than this dashboard allows") from None
    return {**result, "disclaimer": DISCLAIMER}


# --- evidence --------------------------------------------------------------------------------


@router.get("/evidence", tags=["evidence"], summary="Therapies of the evidence base")
def list_evidence() -> list[dict[str, Any]]:
    """Per therapy: id, names, class, phenotype addressed, evidence level, number of trials."""
    ev = load_evidence()
    out = []
    for tid in ev.ids():
        t = ev.therapy(tid)
        out.append(
            {
                "id": t.id,
                "names": list(t.names),
                "therapy_class": t.therapy_class.value,
                "phenotype_addressed": [p.value for p in t.phenotype_addressed],
                "evidence_level": t.evidence_level.value,
                "evidence_level_label": t.evidence_level.label,
                "evidence_level_status": t.evidence_level_status.value,
                "trials": len(t.trials),
            }
        )
    return out


@router.get(
    "/evidence/{therapy}",
    tags=["evidence"],
    summary="One therapy (evidence show --json)",
    responses=ERRORS,
)
def get_evidence(therapy: str) -> dict[str, Any]:
    """Regimens, timing, contraindications, adverse events, pharmacology, trials, effects,
    every number with its source and status, and the citations."""
    ev = load_evidence()
    try:
        t = ev.therapy(therapy)
    except UnknownTherapyError as exc:
        raise NotFound(str(exc)) from None
    return {**ev.therapy_dict(t.id), "disclaimer": DISCLAIMER}
