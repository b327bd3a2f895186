"""JSON API, patients side: upload in every format, assessment and recommendation contracts,
figures, and every kind of bad input answered with a clear 4xx."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import pandas as pd
import pytest
from conftest import BAD_UNIT_CSV, GOOD_CSV, TestClient, make_settings

from sepsistwin import DISCLAIMER
from sepsistwin.examples import example_path
from sepsistwin.web import create_app

ASSESS_KEYS = {
    "patient_id",
    "day",
    "sofa",
    "qsofa",
    "sirs",
    "sepsis3",
    "septic_shock",
    "phenotype",
    "immune_state",
    "reasons",
    "missing",
}


def upload(client: TestClient, name: str, data: bytes, **form: str) -> httpx.Response:
    return client.post("/api/datasets", files={"file": (name, data)}, data=form)


def test_health_reports_version_and_disclaimer(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["disclaimer"] == DISCLAIMER


def test_example_cohort_is_listed_and_summarised_per_patient(client: TestClient) -> None:
    listed = client.get("/api/datasets").json()
    assert listed[0]["id"] == "example" and listed[0]["patients"] >= 1
    body = client.get("/api/datasets/example").json()
    rows = body["patients_summary"]
    assert len(rows) == body["patients"]
    for r in rows:
        assert {"patient_id", "sofa", "septic_shock", "phenotype", "immune_state"} <= set(r)
        assert 0 <= r["sofa"] <= r["max_sofa"] <= 24


def test_assessment_follows_the_cli_json_contract(client: TestClient) -> None:
    rows = client.get("/api/datasets/example/assessment").json()
    assert rows and all(ASSESS_KEYS <= set(r) for r in rows)
    pid = rows[0]["patient_id"]
    one = client.get("/api/datasets/example/assessment", params={"patient": pid}).json()
    assert {r["patient_id"] for r in one} == {pid}
    day = one[-1]["day"]
    only = client.get(
        "/api/datasets/example/assessment", params={"patient": pid, "day": day}
    ).json()
    assert [r["day"] for r in only] == [day]


def test_recommendations_follow_the_cli_json_contract(client: TestClient) -> None:
    rows = client.get("/api/datasets/example/recommendations").json()
    assert rows
    for r in rows:
        assert {"patient_id", "day", "options", "excluded", "measure_next", "disclaimer"} <= set(r)
        assert r["disclaimer"] == DISCLAIMER
        for o in r["options"]:
            assert {"therapy", "rank", "rationale", "trials", "warnings", "timing_window"} <= set(o)


def test_patient_figures_are_plotly_json(client: TestClient) -> None:
    pid = client.get("/api/datasets/example").json()["patients_summary"][0]["patient_id"]
    figs = client.get(f"/api/datasets/example/patients/{pid}/figures").json()
    assert set(figs) == {"timeline", "biomarkers"}
    assert figs["timeline"]["data"] and "layout" in figs["timeline"]
    titles = [a["text"] for a in figs["biomarkers"]["layout"]["annotations"]]
    assert any("Ferritin" in t for t in titles) and any("HLA-DR" in t for t in titles)


def test_csv_upload_is_assessed_and_can_be_deleted(client: TestClient) -> None:
    r = upload(client, "labs.csv", GOOD_CSV.encode())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == "labs.csv" and body["patients"] == 2
    ds = body["id"]
    assert {p["patient_id"] for p in body["patients_summary"]} == {"P1", "P2"}
    rows = client.get(f"/api/datasets/{ds}/assessment", params={"patient": "P1"}).json()
    assert [r["day"] for r in rows] == [0, 1]
    assert all(ASSESS_KEYS <= set(r) for r in rows)
    assert client.get(f"/api/datasets/{ds}/recommendations", params={"patient": "P2"}).json()
    assert any(d["id"] == ds for d in client.get("/api/datasets").json())
    assert client.delete(f"/api/datasets/{ds}").status_code == 204
    assert client.get(f"/api/datasets/{ds}").status_code == 404


def test_parquet_upload(client: TestClient) -> None:
    frame = pd.read_csv(io.StringIO(GOOD_CSV))
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    r = upload(client, "labs.parquet", buf.getvalue())
    assert r.status_code == 201, r.text
    assert r.json()["patients"] == 2


def test_fhir_bundle_and_ndjson_uploads(client: TestClient) -> None:
    bundle = example_path("cohort_fhir.json").read_bytes()
    r = upload(client, "cohort_fhir.json", bundle)
    assert r.status_code == 201, r.text
    n = r.json()["patients"]
    assert n >= 1
    entries = json.loads(bundle)["entry"]
    ndjson = "\n".join(json.dumps(e["resource"]) for e in entries).encode()
    r2 = upload(client, "cohort.ndjson", ndjson)
    assert r2.status_code == 201, r2.text
    assert r2.json()["patients"] == n


def test_upload_with_onset_file(client: TestClient) -> None:
    files = {
        "file": ("cohort.csv", example_path("cohort.csv").read_bytes()),
        "onset": ("onsets.csv", example_path("onsets.csv").read_bytes()),
    }
    r = client.post("/api/datasets", files=files)
    assert r.status_code == 201, r.text
    example = client.get("/api/datasets/example").json()["patients_summary"]
    assert r.json()["patients_summary"] == example  # same files as the bundled example


def test_bad_unit_names_file_row_field_value_and_expected_unit(client: TestClient) -> None:
    r = upload(client, "bad.csv", BAD_UNIT_CSV.encode())
    assert r.status_code == 422
    body = r.json()
    assert "row 3 of bad.csv" in body["detail"] and "expected mmol/L" in body["detail"]
    d = body["details"][0]
    assert (d["file"], d["row"], d["field"], d["value"], d["variable"]) == (
        "bad.csv",
        3,
        "unit",
        "mg",
        "lactate",
    )
    assert "mmol/L" in d["expected"]


def test_lenient_upload_drops_and_lists_the_bad_row(client: TestClient) -> None:
    r = upload(client, "bad.csv", BAD_UNIT_CSV.encode(), lenient="true")
    assert r.status_code == 201, r.text
    rejected = r.json()["rejected_rows"]
    assert len(rejected) == 1 and rejected[0]["row"] == 3


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("labs.xlsx", b"PK\x03\x04", "unsupported file type '.xlsx'"),
        ("labs", b"a,b\n", "unsupported file type"),
        ("labs.csv", b"", "the file is empty"),
        ("labs.csv", b"patient_id,variable\nP1,lactate\n", "labs.csv"),
        ("deep.json", b"[" * 200 + b"]" * 200, "nested deeper than"),
        ("broken.json", b'{"resourceType": "Bundle", "entry": [', "broken.json"),
        ("bad.parquet", b"not a parquet file", "bad.parquet"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(
    client: TestClient, name: str, data: bytes, expected: str
) -> None:
    r = upload(client, name, data)
    assert r.status_code == 422, r.text
    assert expected in r.json()["detail"]


def test_client_file_names_never_become_paths(client: TestClient, tmp_path: Path) -> None:
    r = upload(client, "../../../../etc/evil.csv", GOOD_CSV.encode())
    assert r.status_code == 201
    assert r.json()["name"] == "evil.csv"


def test_upload_without_file_is_a_validation_error(client: TestClient) -> None:
    r = client.post("/api/datasets", data={"lenient": "true"})
    assert r.status_code == 422
    assert "file" in r.json()["detail"]


def test_upload_over_the_size_limit_is_413_with_a_message(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, max_upload_bytes=2000))
    with TestClient(app) as c:
        big = GOOD_CSV.encode() * 10
        r = c.post("/api/datasets", files={"file": ("big.csv", big)})
        assert r.status_code == 413
        assert "upload limit" in r.json()["detail"]
        page = c.post("/patients/upload", files={"file": ("big.csv", big)})
        assert page.status_code == 413 and "Upload too large" in page.text
        assert c.post("/api/datasets", files={"file": ("ok.csv", GOOD_CSV.encode())}).is_success


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/datasets/nope", 404),
        ("/api/datasets/nope/assessment", 404),
        ("/api/datasets/example/assessment?patient=NOPE", 404),
        ("/api/datasets/example/assessment?day=999", 404),
        ("/api/datasets/example/assessment?day=-1", 422),
        ("/api/datasets/example/assessment?day=one", 422),
        ("/api/datasets/example/recommendations?patient=NOPE", 404),
        ("/api/datasets/example/recommendations?day=999", 404),
        ("/api/datasets/example/patients/NOPE/figures", 404),
    ],
)
def test_unknown_ids_and_bad_queries(client: TestClient, url: str, status: int) -> None:
    r = client.get(url)
    assert r.status_code == status
    assert r.json()["detail"]


def test_example_cohort_cannot_be_deleted(client: TestClient) -> None:
    assert client.delete("/api/datasets/example").status_code == 422
    assert client.delete("/api/datasets/nope").status_code == 404


def test_uploads_belong_to_their_session(client: TestClient) -> None:
    ds = upload(client, "labs.csv", GOOD_CSV.encode()).json()["id"]
    other = TestClient(client.app)
    assert other.get(f"/api/datasets/{ds}").status_code == 404
    assert client.get(f"/api/datasets/{ds}").status_code == 200


def test_a_refused_upload_leaves_no_file(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as c:
        assert upload(c, "bad.csv", BAD_UNIT_CSV.encode()).status_code == 422
        assert not [p for p in (tmp_path / "sessions").rglob("*") if p.is_file()]


def test_onset_file_of_the_wrong_type_is_refused(client: TestClient) -> None:
    files = {"file": ("labs.csv", GOOD_CSV.encode()), "onset": ("onsets.txt", b"x")}
    r = client.post("/api/datasets", files=files)
    assert r.status_code == 422 and "unsupported onset file type" in r.json()["detail"]


def test_patient_ids_are_escaped_in_links(client: TestClient) -> None:
    csv = GOOD_CSV.replace("P2,", "P 2#b,")
    ds = upload(client, "labs.csv", csv.encode()).json()["id"]
    page = client.get(f"/patients/{ds}").text
    assert f'href="/patients/{ds}/P%202%23b"' in page
    assert client.get(f"/patients/{ds}/P%202%23b").status_code == 200
    assert client.get(f"/patients/{ds}/P%202%23b/recommendations").status_code == 200
