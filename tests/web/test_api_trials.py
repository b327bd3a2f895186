"""JSON API, trials side: spec validation (line-precise, bounded, construction-free), jobs with
progress, limits and cancel, past runs with the CLI's trial --json contract, evidence."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SMALL_TRIAL, TestClient, make_settings

from sepsistwin import DISCLAIMER
from sepsistwin.trial import list_examples
from sepsistwin.web import create_app

RESULT_KEYS = {"trial", "arms", "comparisons", "subgroups", "screening", "methods", "notes"}


def wait_for(client: TestClient, job_id: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


@pytest.fixture(scope="module")
def finished(client: TestClient) -> dict[str, Any]:
    """A small trial run to the end through the API."""
    r = client.post("/api/trials", json={"spec": SMALL_TRIAL + "counterfactual: true\n"})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/jobs/{r.json()['id']}"
    return wait_for(client, r.json()["id"])


def test_examples_are_listed_and_readable(client: TestClient) -> None:
    assert client.get("/api/trials/examples").json() == list_examples()
    body = client.get("/api/trials/examples/provide-like").json()
    assert body["name"] == "provide-like" and "arms:" in body["spec"]
    assert client.get("/api/trials/examples/nope").status_code == 404


def test_valid_spec_validates(client: TestClient) -> None:
    body = client.post("/api/trials/validate", json={"spec": SMALL_TRIAL}).json()
    assert body["valid"] is True and body["spec"]["name"] == "web-small"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SMALL_TRIAL.replace("size: 120", "size: -5"), "line 4: population.size"),
        (SMALL_TRIAL.replace("seed: 7", "seed: 7\ncolour: red"), "line 3: colour: unknown key"),
        ("name: [unclosed", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        ("a: &x [1, 2]\nb: *x\n", "anchors and aliases are not accepted"),
        ("x: !!python/object/apply:os.system ['true']\n", "is not accepted"),
        ("a: " + "[" * 50 + "]" * 50 + "\n", "nested deeper than"),
        ("name: x\n" + "# padding\n" * 40_000, "at most"),
    ],
)
def test_invalid_specs_are_reported_with_line_and_key(
    client: TestClient, text: str, expected: str
) -> None:
    body = client.post("/api/trials/validate", json={"spec": text}).json()
    assert body["valid"] is False
    assert any(expected in e for e in body["errors"]), body["errors"]


def test_validate_refuses_extra_keys_and_missing_spec(client: TestClient) -> None:
    assert client.post("/api/trials/validate", json={}).status_code == 422
    assert client.post("/api/trials/validate", json={"spec": "a: 1", "x": 1}).status_code == 422


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "exactly one of"),
        ({"example": "provide-like", "spec": SMALL_TRIAL}, "exactly one of"),
        ({"example": "provide-like", "size": 100_000}, "above this dashboard's limit of 1000"),
        ({"spec": SMALL_TRIAL, "size": 0}, "size"),
        ({"spec": SMALL_TRIAL, "workers": 8}, "workers"),
        ({"spec": SMALL_TRIAL.replace("size: 120", "size: -5")}, "population.size"),
    ],
)
def test_bad_trial_requests_are_422(
    client: TestClient, body: dict[str, Any], expected: str
) -> None:
    r = client.post("/api/trials", json=body)
    assert r.status_code == 422, r.text
    assert expected in r.json()["detail"] or any(expected in e for e in r.json()["errors"])


def test_unknown_example_is_404(client: TestClient) -> None:
    assert client.post("/api/trials", json={"example": "nope"}).status_code == 404


def test_finished_job_reports_full_progress_and_flow(finished: dict[str, Any]) -> None:
    assert finished["status"] == "done", finished
    assert finished["progress"] == 1.0 and finished["chunks_done"] == finished["n_chunks"] == 3
    flow = finished["flow"]
    assert flow["n_sampled"] == 120
    assert flow["n_sampled"] == flow["n_died_before_screening"] + flow["n_screened"]
    assert flow["n_enrolled"] <= flow["n_screened"]


def test_results_arrive_while_the_trial_runs(finished: dict[str, Any]) -> None:
    interim = finished["interim"]
    assert interim is not None
    assert [a["name"] for a in interim["arms"]] == ["placebo", "anakinra"]
    assert sum(a["n"] for a in interim["arms"]) == interim["screening"]["n_enrolled"]
    assert interim["screening"]["n_enrolled"] <= finished["flow"]["n_enrolled"]
    for curve in interim["km"].values():
        assert curve["survival"][0] <= 1.0 and len(curve["time_days"]) == len(curve["survival"])


def test_finished_run_follows_the_trial_json_contract(
    client: TestClient, finished: dict[str, Any]
) -> None:
    runs = client.get("/api/runs").json()
    assert finished["run"] in [r["run"] for r in runs]
    entry = next(r for r in runs if r["run"] == finished["run"])
    assert entry["complete"] is True and entry["chunks"] == entry["n_chunks"] == 3
    body = client.get(f"/api/runs/{finished['run']}").json()
    assert RESULT_KEYS <= set(body) and body["disclaimer"] == DISCLAIMER
    assert [a["name"] for a in body["arms"]] == ["placebo", "anakinra"]
    assert sum(a["n"] for a in body["arms"]) == body["screening"]["n_enrolled"]
    assert body["screening"]["n_sampled"] == finished["flow"]["n_sampled"]
    comp = body["comparisons"][0]
    assert comp["arm"] == "anakinra" and comp["versus"] == "placebo"


def test_run_page_shows_flow_km_effects_subgroups_and_paired_mode(
    client: TestClient, finished: dict[str, Any]
) -> None:
    page = client.get(f"/trials/runs/{finished['run']}")
    assert page.status_code == 200
    for anchor in (
        'id="flow"',
        'id="km-data"',
        'id="at-risk"',
        'id="arms-table"',
        'id="effects-table"',
        'id="forest-data"',
        'id="subgroups-table"',
        'id="counterfactual-table"',
    ):
        assert anchor in page.text
    body = client.get(f"/api/runs/{finished['run']}").json()
    assert body["counterfactual"]["comparisons"][0]["arm"] == "anakinra"


def test_run_downloads(client: TestClient, finished: dict[str, Any]) -> None:
    run = finished["run"]
    js = client.get(f"/trials/runs/{run}/result.json")
    assert js.status_code == 200 and js.json()["trial"]["name"] == "web-small"
    assert "attachment" in js.headers["content-disposition"]
    html = client.get(f"/trials/runs/{run}/report.html")
    assert html.status_code == 200 and "Kaplan-Meier" in html.text
    z = client.get(f"/trials/runs/{run}/tables.zip")
    assert z.status_code == 200 and z.content[:2] == b"PK"
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert f"{run}/patients.parquet" in names


@pytest.mark.parametrize("run", ["nope", "..", "..%2F..%2Fetc%2Fpasswd", "a b"])
def test_unknown_or_unsafe_run_names_are_404(client: TestClient, run: str) -> None:
    assert client.get(f"/api/runs/{run}").status_code == 404


def test_jobs_belong_to_their_session(client: TestClient, finished: dict[str, Any]) -> None:
    assert finished["id"] in [j["id"] for j in client.get("/api/jobs").json()]
    other = TestClient(client.app)
    assert other.get(f"/api/jobs/{finished['id']}").status_code == 404
    assert other.post(f"/api/jobs/{finished['id']}/cancel").status_code == 404
    assert client.get("/api/jobs/nope").status_code == 404


def test_one_running_trial_per_session_and_cancel(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, trial_chunk_size=20, max_jobs=1))
    with TestClient(app) as c:
        big = SMALL_TRIAL.replace("size: 120", "size: 1000")
        first = c.post("/api/trials", json={"spec": big})
        assert first.status_code == 202
        second = c.post("/api/trials", json={"spec": SMALL_TRIAL})
        assert second.status_code == 409 and "already runs a trial" in second.json()["detail"]
        other = TestClient(app)
        third = other.post("/api/trials", json={"spec": SMALL_TRIAL})
        assert third.status_code == 409 and "limit 1" in third.json()["detail"]
        job = c.post(f"/api/jobs/{first.json()['id']}/cancel").json()
        assert job["status"] == "cancelled"
        assert wait_for(c, job["id"])["status"] == "cancelled"
        again = c.post("/api/trials", json={"spec": SMALL_TRIAL})
        assert again.status_code == 202  # the slot is free again
        c.post(f"/api/jobs/{again.json()['id']}/cancel")


def test_job_page_and_its_cancel_button(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, trial_chunk_size=20))
    with TestClient(app) as c:
        big = SMALL_TRIAL.replace("size: 120", "size: 1000")
        started = c.post("/trials/run", data={"spec_text": big}, follow_redirects=False)
        assert started.status_code == 303
        job_url = started.headers["location"]
        page = c.get(job_url).text
        assert 'id="progress"' in page and 'id="cancel-button"' in page
        cancelled = c.post(f"{job_url}/cancel", follow_redirects=True)
        assert cancelled.status_code == 200
        assert 'id="job-status" role="status" aria-live="polite">cancelled' in cancelled.text
        assert 'id="cancel-button"' not in cancelled.text
        other = TestClient(app)
        assert other.get(job_url).status_code == 404


def test_evidence_list_and_therapy(client: TestClient) -> None:
    rows = client.get("/api/evidence").json()
    ids = [r["id"] for r in rows]
    assert "anakinra" in ids
    t = client.get("/api/evidence/anakinra").json()
    assert t["id"] == "anakinra" and t["disclaimer"] == DISCLAIMER
    for tr in t["trials"]:
        assert tr["citation"] is None or tr["citation"] in t["citations"]
    assert client.get("/api/evidence/nope").status_code == 404


def test_runs_made_by_the_cli_are_listed_and_reopened(tmp_path: Path) -> None:
    import yaml
    from reynolds_sim import ReynoldsTrialSimulator

    from sepsistwin.trial import run_trial

    runs = tmp_path / "runs"
    spec = yaml.safe_load(SMALL_TRIAL)
    run_trial(
        spec,
        simulator=ReynoldsTrialSimulator(),
        store=runs / "cli-run.duckdb",
        chunk_size=60,
        workers=1,
    )
    app = create_app(make_settings(tmp_path / "web", runs_dir_override=runs))
    with TestClient(app) as c:
        listed = {r["run"]: r for r in c.get("/api/runs").json()}
        assert listed["cli-run"]["complete"] is True and listed["cli-run"]["size"] == 120
        body = c.get("/api/runs/cli-run").json()
        assert body["trial"]["name"] == "web-small"
        assert c.get("/trials/runs/cli-run").status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"spec": ' + b"[" * 5000 + b"]" * 5000 + b"}", b"{"],
)
def test_malformed_or_deep_json_bodies_are_refused(client: TestClient, body: bytes) -> None:
    r = client.post("/api/trials", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422) and r.json()["detail"]
