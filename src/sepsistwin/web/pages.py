"""Server-rendered pages: patients, recommendations, trials, evidence.

Every page works without JavaScript (tables, forms, links); the packaged ``app.js`` draws the
Plotly charts from JSON data blocks and polls a running trial's progress.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sepsistwin.api import jsonable, parse_assignments
from sepsistwin.evidence import UnknownTherapyError, load_evidence
from sepsistwin.model import list_models
from sepsistwin.population import PRESETS
from sepsistwin.report import render_report
from sepsistwin.trial import list_examples
from sepsistwin.web.charts import (
    forest,
    km_with_risk_table,
    numbers_at_risk,
    patient_figures,
    risk_times,
    simulation_figure,
    to_json,
)
from sepsistwin.web.datasets import BIOMARKERS, EXAMPLE_ID, Dataset
from sepsistwin.web.jobs import JobLimitError
from sepsistwin.web.sessions import safe_filename
from sepsistwin.web.simulate import Scenario, SimulationPlan, panels
from sepsistwin.web.state import BadInput, NotFound, WebState

router = APIRouter(include_in_schema=False)


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status_code
    )
    return response


async def _cached_page(
    request: Request, ds: Dataset, name: str, make: Callable[[], dict[str, Any]]
) -> Response:
    """A dataset's page rendered once per URL (datasets are immutable; the pages hold nothing
    of the session). A hit is answered on the event loop, a miss rendered in the thread pool."""
    key = f"page:{request.url.path}?{request.url.query}"
    body = ds.peek(key)
    if body is None:

        def render() -> bytes:
            html: str = request.app.state.templates.get_template(name).render(make())
            return html.encode("utf-8")

        body = await run_in_threadpool(ds.cached, key, render)
    return HTMLResponse(body)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return _render(request, "home.html", examples=list_examples())


# --- patients --------------------------------------------------------------------------------


def _patients_index(request: Request, status_code: int = 200, **extra: Any) -> Response:
    s = request.state.session
    return _render(
        request,
        "patients.html",
        status_code=status_code,
        datasets=[d.describe() for d in s.datasets.values()],
        max_upload_mb=_state(request).settings.max_upload_bytes / 1048576,
        **extra,
    )


@router.get("/patients", response_class=HTMLResponse)
def patients_index(request: Request) -> Response:
    return _patients_index(request)


@router.post("/patients/upload", response_class=HTMLResponse)
def patients_upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    onset: Annotated[UploadFile | None, File()] = None,
    lenient: Annotated[bool, Form()] = False,
) -> Response:
    st = _state(request)
    onset_data = onset.file.read() if onset is not None else None
    try:
        ds = st.upload(
            request.state.session,
            file.filename or "timeline",
            file.file.read(),
            onset_name=onset.filename if onset is not None and onset_data else None,
            onset_data=onset_data or None,
            lenient=lenient,
        )
    except BadInput as exc:
        return _patients_index(request, 422, error=str(exc), errors=exc.errors)
    return RedirectResponse(f"/patients/{ds.id}", status_code=303)


#: Patients per page of a dataset's table.
PAGE_SIZE = 200
#: Sort keys of the patients table: name -> (row key, descending).
SORTS = {
    "patient": ("patient_id", False),
    "sofa": ("sofa", True),
    "max_sofa": ("max_sofa", True),
    "phenotype": ("phenotype", False),
}


@router.get("/patients/{dataset_id}", response_class=HTMLResponse)
async def dataset_page(
    request: Request,
    dataset_id: str,
    phenotype: Annotated[str, Query(max_length=40)] = "",
    shock: Annotated[Literal["", "yes", "no"], Query()] = "",
    sort: Annotated[Literal["patient", "sofa", "max_sofa", "phenotype"], Query()] = "patient",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    ds = _state(request).dataset(request.state.session, dataset_id)

    def context() -> dict[str, Any]:
        rows = ds.summary
        phenotypes = sorted({r["phenotype"] for r in rows})
        if phenotype:
            rows = [r for r in rows if r["phenotype"] == phenotype]
        if shock:
            rows = [r for r in rows if bool(r["septic_shock"]) == (shock == "yes")]
        key, desc = SORTS[sort]
        rows = sorted(rows, key=lambda r: (r[key] is None, r[key]), reverse=desc)
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        return {
            "ds": ds.describe(),
            "rows": rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            "matching": len(rows),
            "rejected": ds.rejected,
            "phenotypes": phenotypes,
            "filters": {"phenotype": phenotype, "shock": shock, "sort": sort},
            "page": page,
            "pages": pages,
        }

    return await _cached_page(request, ds, "dataset.html", context)


@router.get("/patients/{dataset_id}/assessment.{fmt}")
def dataset_download(request: Request, dataset_id: str, fmt: str) -> Response:
    """The assessment as CSV (``reasons`` and ``missing`` joined with ``; ``, as
    ``sepsistwin assess --out FILE.csv`` writes it) or Parquet."""
    ds = _state(request).dataset(request.state.session, dataset_id)
    name = f"{ds.id}-assessment.{fmt}"
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        flat = ds.assessment.copy()
        for col in ("reasons", "missing"):
            flat[col] = flat[col].map("; ".join)
        return Response(flat.to_csv(index=False), media_type="text/csv", headers=headers)
    if fmt == "parquet":
        buf = io.BytesIO()
        ds.assessment.to_parquet(buf, index=False)
        return Response(
            buf.getvalue(), media_type="application/vnd.apache.parquet", headers=headers
        )
    raise NotFound(f"no download assessment.{fmt}; expected assessment.csv or assessment.parquet")


@router.get("/patients/{dataset_id}/{patient_id}", response_class=HTMLResponse)
async def patient_page(request: Request, dataset_id: str, patient_id: str) -> Response:
    ds = _state(request).dataset(request.state.session, dataset_id)
    try:
        rows = ds.patient_records(patient_id)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None

    def context() -> dict[str, Any]:
        timeline_json, biomarkers_json = patient_figures(ds, patient_id)
        return {
            "ds": ds.describe(),
            "patient_id": patient_id,
            "rows": rows,
            "biomarkers": BIOMARKERS,
            "timeline_json": timeline_json,
            "biomarkers_json": biomarkers_json,
        }

    return await _cached_page(request, ds, "patient.html", context)


@router.get("/patients/{dataset_id}/{patient_id}/recommendations", response_class=HTMLResponse)
async def recommendations_page(
    request: Request,
    dataset_id: str,
    patient_id: str,
    day: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    ds = _state(request).dataset(request.state.session, dataset_id)
    try:
        rows = ds.patient_records(patient_id)
    except KeyError as exc:
        raise NotFound(str(exc.args[0])) from None
    days = [r["day"] for r in rows]
    chosen = days[-1] if day is None else day
    if chosen not in days:
        raise NotFound(f"no day {chosen} for patient {patient_id!r}; days assessed: {days}")

    def context() -> dict[str, Any]:
        return {
            "ds": ds.describe(),
            "patient_id": patient_id,
            "days": days,
            "day": chosen,
            "rec": ds.recommendation_records(patient=patient_id, day=chosen)[0],
            "assessment": next(r for r in rows if r["day"] == chosen),
        }

    return await _cached_page(request, ds, "recommendations.html", context)


# --- trials ----------------------------------------------------------------------------------


def _trials_index(request: Request, status_code: int = 200, **extra: Any) -> Response:
    st = _state(request)
    s = request.state.session
    ctx: dict[str, Any] = {
        "examples": list_examples(),
        "runs": [r.to_dict() for r in st.past_runs()],
        "jobs": [j.to_dict() for j in st.jobs.of_session(s.token)],
        "max_size": st.settings.max_trial_size,
        "spec_text": st.example_spec_text("provide-like"),
        "example": "",
        "size": 200,
    }
    ctx.update(extra)
    return _render(request, "trials.html", status_code=status_code, **ctx)


@router.get("/trials", response_class=HTMLResponse)
def trials_index(
    request: Request, example: Annotated[str | None, Query(max_length=100)] = None
) -> Response:
    if example:
        return _trials_index(
            request, spec_text=_state(request).example_spec_text(example), example=example
        )
    return _trials_index(request)


@router.post("/trials/run", response_class=HTMLResponse)
def trials_run(
    request: Request,
    spec_text: Annotated[str, Form(max_length=1_000_000)] = "",
    size: Annotated[str, Form(max_length=12)] = "",
    spec_file: Annotated[UploadFile | None, File()] = None,
    action: Annotated[str, Form(max_length=20)] = "run",
) -> Response:
    st = _state(request)
    text = spec_text
    source = "spec.yaml"
    if spec_file is not None and spec_file.filename:
        raw = spec_file.file.read(st.settings.yaml_max_bytes + 1)
        if len(raw) > st.settings.yaml_max_bytes:
            return _trials_index(
                request,
                422,
                spec_text=text,
                error="the specification file is too large",
                errors=[f"{spec_file.filename}: more than {st.settings.yaml_max_bytes} bytes"],
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _trials_index(
                request,
                422,
                spec_text=text,
                error=f"{spec_file.filename}: not UTF-8 text",
                errors=[f"{spec_file.filename}: not UTF-8 text"],
            )
        source = safe_filename(spec_file.filename)
    try:
        n = int(size) if size.strip() else None
    except ValueError:
        return _trials_index(
            request,
            422,
            spec_text=text,
            size=size,
            error="invalid size",
            errors=[f"size: {size!r} is not a whole number of patients"],
        )
    try:
        spec = st.sized(st.spec_from_text(text, source), n)
    except BadInput as exc:
        return _trials_index(
            request, 422, spec_text=text, size=size, error=str(exc), errors=exc.errors
        )
    if action == "validate":
        return _trials_index(
            request,
            spec_text=text,
            size=size,
            message=f"valid: {spec.name}, {spec.population.size} virtual patients, arms "
            + ", ".join(spec.arm_names),
        )
    try:
        job = st.start_trial(request.state.session, spec)
    except JobLimitError as exc:
        return _trials_index(
            request, 409, spec_text=text, size=size, error=str(exc), errors=[str(exc)]
        )
    return RedirectResponse(f"/trials/jobs/{job.id}", status_code=303)


def _job(request: Request, job_id: str) -> Any:
    st = _state(request)
    try:
        job = st.jobs.get(job_id)
    except KeyError:
        raise NotFound(f"no trial job {job_id!r} in this browser session") from None
    if job.session != request.state.session.token:
        raise NotFound(f"no trial job {job_id!r} in this browser session")
    return job


@router.get("/trials/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str) -> Response:
    job = _job(request, job_id)
    if job.status == "done":
        return RedirectResponse(f"/trials/runs/{job.run}", status_code=303)
    return _render(request, "job.html", job=job.to_dict())


@router.post("/trials/jobs/{job_id}/cancel", response_class=HTMLResponse)
def job_cancel(request: Request, job_id: str) -> Response:
    job = _job(request, job_id)
    _state(request).jobs.cancel(job.id)
    return RedirectResponse(f"/trials/jobs/{job.id}", status_code=303)


@router.get("/trials/runs/{run}", response_class=HTMLResponse)
def run_page(request: Request, run: str) -> Response:
    st = _state(request)

    def render() -> bytes:
        result, patients = st.result(run)
        arms = [a["name"] for a in result.arms]
        times = risk_times(result.follow_up_days)
        html: str = request.app.state.templates.get_template("run.html").render(
            run=run,
            r=jsonable(result.to_dict()),
            km_json=to_json(km_with_risk_table(result, patients)),
            forest_json=to_json(forest(result)),
            risk_times=times,
            at_risk=numbers_at_risk(patients, arms, times),
        )
        return html.encode("utf-8")

    return HTMLResponse(st.run_page(run, render))


@router.get("/trials/runs/{run}/result.json")
def run_json(request: Request, run: str) -> Response:
    result, _ = _state(request).result(run)
    return JSONResponse(
        jsonable(result.to_dict()),
        headers={"content-disposition": f'attachment; filename="{run}.json"'},
    )


@router.get("/trials/runs/{run}/report.html")
def run_report(request: Request, run: str) -> Response:
    result, _ = _state(request).result(run)
    return Response(
        render_report(result),
        media_type="text/html",
        headers={"content-disposition": f'attachment; filename="{run}-report.html"'},
    )


@router.get("/trials/runs/{run}/tables.zip")
def run_parquet(request: Request, run: str) -> Response:
    data = _state(request).parquet_zip(run)
    return Response(
        data,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{run}-parquet.zip"'},
    )


# --- what-if simulation ---------------------------------------------------------------------

#: The form's starting point: a virtual septic-shock patient under standard care, without and
#: with IL-1 blockade.
DEFAULT_SCENARIOS = [
    ("standard care", ""),
    ("standard care + anakinra", "anakinra:200mg@24,every=8,n=21"),
    ("", ""),
]


def _peak(values: list[float | None]) -> float | None:
    finite = [v for v in values if v is not None]
    return max(finite) if finite else None


def _populations() -> list[str]:
    return sorted(PRESETS)


def _assignments(text: str, field: str) -> dict[str, float]:
    items = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        return parse_assignments(items, field)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


@router.get("/simulate", response_class=HTMLResponse)
def simulate_page(request: Request) -> Response:
    return _render(
        request,
        "simulate.html",
        models=list_models(),
        populations=_populations(),
        form={
            "model": "sepsistwin",
            "source": "population",
            "population": "septic_shock",
            "seed": "1",
            "index": "0",
            "hours": "672",
            "step": "6",
            "weight_kg": "75",
            "params": "",
            "init": "",
            "scenarios": DEFAULT_SCENARIOS,
        },
    )


@router.post("/simulate", response_class=HTMLResponse)
def simulate_run(
    request: Request,
    model: Annotated[str, Form(max_length=60)] = "sepsistwin",
    source: Annotated[str, Form(max_length=20)] = "defaults",
    population: Annotated[str, Form(max_length=40)] = "septic_shock",
    seed: Annotated[str, Form(max_length=12)] = "1",
    index: Annotated[str, Form(max_length=6)] = "0",
    hours: Annotated[str, Form(max_length=20)] = "672",
    step: Annotated[str, Form(max_length=20)] = "6",
    weight_kg: Annotated[str, Form(max_length=20)] = "75",
    params: Annotated[str, Form(max_length=10_000)] = "",
    init: Annotated[str, Form(max_length=10_000)] = "",
    name_1: Annotated[str, Form(max_length=60)] = "",
    doses_1: Annotated[str, Form(max_length=10_000)] = "",
    name_2: Annotated[str, Form(max_length=60)] = "",
    doses_2: Annotated[str, Form(max_length=10_000)] = "",
    name_3: Annotated[str, Form(max_length=60)] = "",
    doses_3: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:

    pairs = [(name_1, doses_1), (name_2, doses_2), (name_3, doses_3)]
    form = {
        "model": model,
        "source": source,
        "population": population,
        "seed": seed,
        "index": index,
        "hours": hours,
        "step": step,
        "weight_kg": weight_kg,
        "params": params,
        "init": init,
        "scenarios": pairs,
    }
    ctx: dict[str, Any] = {"models": list_models(), "populations": _populations(), "form": form}
    try:
        numbers = {}
        for field, text in (("hours", hours), ("step", step), ("weight_kg", weight_kg)):
            try:
                numbers[field] = float(text)
            except ValueError:
                raise BadInput(f"{field}: {text!r} is not a number") from None
        whole = {}
        for field, text in (("seed", seed), ("index", index)):
            try:
                whole[field] = int(text)
            except ValueError:
                raise BadInput(f"{field}: {text!r} is not a whole number") from None
        scenarios = tuple(
            Scenario(
                (n.strip() or f"scenario {i}"),
                tuple(x.strip() for x in d.splitlines() if x.strip()),
            )
            for i, (n, d) in enumerate(pairs, start=1)
            if n.strip() or d.strip()
        )
        plan = SimulationPlan(
            model=model,
            params=_assignments(params, "params"),
            init=_assignments(init, "init"),
            hours=numbers["hours"],
            step=numbers["step"],
            weight_kg=numbers["weight_kg"],
            scenarios=scenarios,
            population=population if source == "population" else None,
            seed=whole["seed"],
            index=whole["index"],
        )
        result = _state(request).simulate(plan)
    except BadInput as exc:
        return _render(request, "simulate.html", 422, error=str(exc), errors=exc.errors, **ctx)
    except TimeoutError:
        message = "the simulation took longer than this dashboard allows"
        return _render(request, "simulate.html", 504, error=message, errors=[message], **ctx)
    series = panels(result)
    final = [
        {
            "name": name,
            "values": [(_peak(sc[kind][name]), sc[kind][name][-1]) for sc in result["scenarios"]],
        }
        for kind, name in series
    ]
    return _render(
        request,
        "simulate.html",
        result=result,
        figure_json=to_json(simulation_figure(result, series)),
        series=[n for _, n in series],
        final=final,
        **ctx,
    )


# --- evidence --------------------------------------------------------------------------------


@router.get("/evidence", response_class=HTMLResponse)
def evidence_index(request: Request) -> Response:
    ev = load_evidence()
    return _render(request, "evidence.html", therapies=[ev.therapy_dict(t) for t in ev.ids()])


@router.get("/evidence/{therapy}", response_class=HTMLResponse)
def evidence_page(request: Request, therapy: str) -> Response:
    ev = load_evidence()
    try:
        t = ev.therapy(therapy)
    except UnknownTherapyError as exc:
        raise NotFound(str(exc)) from None
    return _render(request, "therapy.html", t=ev.therapy_dict(t.id))


@router.get("/example", response_class=HTMLResponse)
def example_redirect() -> Response:
    return RedirectResponse(f"/patients/{EXAMPLE_ID}", status_code=303)
