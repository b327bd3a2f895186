"""Server-rendered pages (every one carries the disclaimer and loads only packaged assets),
security headers, the session cookie, session expiry, /docs and the serve command."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import BAD_UNIT_CSV, GOOD_CSV, SMALL_TRIAL, TestClient, make_settings

from sepsistwin import DISCLAIMER
from sepsistwin.cli.serve import allowed_hosts, bind_warning
from sepsistwin.web import create_app
from sepsistwin.web.security import CSP
from sepsistwin.web.sessions import SessionStore, safe_filename

PAGES = [
    "/",
    "/patients",
    "/patients/example",
    "/patients/example/ICU-001",
    "/patients/example/ICU-001/recommendations",
    "/patients/example/ICU-006/recommendations?day=0",
    "/trials",
    "/trials?example=iris7-il7",
    "/evidence",
    "/evidence/nivolumab",
    "/simulate",
    "/docs",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_has_the_disclaimer_and_only_local_assets(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 200, r.text
    assert DISCLAIMER in r.text
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', r.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    # no inline script: every <script> either loads a file or is a JSON data block
    for tag in re.findall(r"<script[^>]*>", r.text):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_security_headers(client: TestClient) -> None:
    for url in ("/", "/api/health", "/static/style.css", "/api/datasets/nope"):
        h = client.get(url).headers
        assert h["content-security-policy"] == CSP
        assert "frame-ancestors 'none'" in CSP and "script-src 'self';" in CSP
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"


def test_an_unexpected_error_is_a_500_with_the_security_headers(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/boom")
        assert r.status_code == 500 and r.headers["content-security-policy"] == CSP
        assert "boom" not in r.text and r.json()["detail"].startswith("internal error")


def test_other_host_names_are_refused(client: TestClient) -> None:
    assert client.get("/api/health").status_code == 200
    r = client.get("/api/health", headers={"host": "attacker.example"})
    assert r.status_code == 400
    assert allowed_hosts("0.0.0.0") == ("*",) and "myhost" in allowed_hosts("myhost")


def test_session_cookie_is_httponly_and_strict(client: TestClient) -> None:
    fresh = TestClient(client.app)
    cookie = fresh.get("/api/health").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "set-cookie" not in fresh.get("/static/style.css").headers  # assets: no session
    # a session is kept once it holds something; from then on its cookie is not renewed
    up = fresh.post("/api/datasets", files={"file": ("labs.csv", GOOD_CSV.encode())})
    assert up.status_code == 201
    assert "set-cookie" not in fresh.get("/api/health").headers
    assert fresh.get(f"/api/datasets/{up.json()['id']}").status_code == 200


def test_sessions_that_hold_nothing_cost_nothing(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, ttl_s=60, max_sessions=2)
    for _ in range(100):
        store.get(None)
    assert len(store) == 0
    kept = [store.get(None)[0] for _ in range(3)]
    for s in kept:
        s.upload_dir()
        store.keep(s)
    assert len(store) == 2  # the least recently seen one is dropped, with its uploads
    assert not kept[0].folder.exists() and kept[2].folder.exists()


def test_plotly_is_served_from_the_package(client: TestClient) -> None:
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000
    assert r.headers["content-type"].startswith("text/javascript")


def test_patients_table_and_patient_page(client: TestClient) -> None:
    table = client.get("/patients/example").text
    assert table.count('href="/patients/example/ICU-') >= 10
    page = client.get("/patients/example/ICU-001").text
    for needle in ("timeline-data", "biomarkers-data", "Rules that fired", "Missing"):
        assert needle in page
    assert client.get("/patients/example/NOPE").status_code == 404
    assert client.get("/patients/example/ICU-001/recommendations?day=99").status_code == 404


def test_assessment_downloads(client: TestClient) -> None:
    import io

    import pandas as pd

    records = client.get("/api/datasets/example/assessment").json()
    csv = client.get("/patients/example/assessment.csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    frame = pd.read_csv(io.StringIO(csv.text))
    assert len(frame) == len(records)
    assert frame["reasons"].iloc[0] == "; ".join(records[0]["reasons"])
    pq = pd.read_parquet(io.BytesIO(client.get("/patients/example/assessment.parquet").content))
    assert pq["sofa"].tolist() == [r["sofa"] for r in records]
    assert client.get("/patients/example/assessment.xlsx").status_code == 404


def test_upload_form_shows_the_validation_error(client: TestClient) -> None:
    r = client.post("/patients/upload", files={"file": ("bad.csv", BAD_UNIT_CSV.encode())})
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "row 3 of bad.csv" in r.text
    ok = client.post(
        "/patients/upload", files={"file": ("labs.csv", GOOD_CSV.encode())}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith("/patients/")


def test_trial_form_validates_and_reports_errors(client: TestClient) -> None:
    ok = client.post("/trials/run", data={"spec_text": SMALL_TRIAL, "action": "validate"})
    assert ok.status_code == 200 and "valid: web-small" in ok.text
    bad = client.post(
        "/trials/run",
        data={"spec_text": SMALL_TRIAL.replace("size: 120", "size: -5"), "action": "run"},
    )
    assert bad.status_code == 422 and "line 4: population.size" in bad.text
    size = client.post("/trials/run", data={"spec_text": SMALL_TRIAL, "size": "many"})
    assert size.status_code == 422 and "not a whole number" in size.text
    upload = client.post(
        "/trials/run",
        data={"action": "validate"},
        files={"spec_file": ("mine.yaml", SMALL_TRIAL.replace("seed: 7", "seed: x").encode())},
    )
    assert upload.status_code == 422 and "mine.yaml: line 2: seed" in upload.text


def test_docs_page_lists_every_api_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    page = client.get("/docs").text
    assert schema["paths"]
    for path in schema["paths"]:
        assert f"<code>{path}</code>" in page


def test_idle_sessions_and_their_uploads_are_deleted(tmp_path: Path) -> None:
    store = SessionStore(tmp_path, ttl_s=60)
    s, new = store.get(None)
    assert new
    store.keep(s)
    folder = s.upload_dir()
    (folder / "labs.csv").write_text("x")
    assert store.get(s.token) == (s, False)
    assert store.sweep(now=time.time() + 30, force=True) == []
    assert store.sweep(now=time.time() + 120, force=True) == [s.token]
    assert not s.folder.exists()
    assert store.get(s.token)[1] is True  # an expired token starts a new session


def test_uploads_are_deleted_on_time_without_further_requests(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, upload_ttl_s=0.5))
    with TestClient(app) as c:
        ds = c.post("/api/datasets", files={"file": ("labs.csv", GOOD_CSV.encode())}).json()
        folders = list((tmp_path / "sessions").glob(f"*/{ds['id']}"))
        assert len(folders) == 1 and (folders[0] / "labs.csv").exists()
        deadline = time.monotonic() + 10
        while folders[0].exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not folders[0].exists()
        assert c.get(f"/api/datasets/{ds['id']}").status_code == 404


@pytest.mark.parametrize(
    ("name", "safe"),
    [("../../etc/passwd", "passwd"), ("C:\\x\\my labs.csv", "my_labs.csv"), ("...", "upload")],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_binds_loopback_and_warns_otherwise(tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).with_name("sepsistwin")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--data-dir", str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        assert r.json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "warning" not in (proc.stderr.read() if proc.stderr else "")
    assert bind_warning("127.0.0.1") is None and bind_warning("localhost") is None
    assert "no login" in (bind_warning("0.0.0.0") or "")


def test_patients_table_filters_sorts_and_pages(client: TestClient) -> None:
    summary = client.get("/api/datasets/example").json()["patients_summary"]
    mals = [r["patient_id"] for r in summary if r["phenotype"] == "MALS"]
    page = client.get("/patients/example", params={"phenotype": "MALS"}).text
    listed = re.findall(r'<th scope="row"><a href="/patients/example/([^"]+)">', page)
    assert listed == mals and mals
    shocked = [r for r in summary if r["septic_shock"]]
    page = client.get("/patients/example", params={"shock": "yes", "sort": "sofa"}).text
    ids = re.findall(r'<th scope="row"><a href="/patients/example/([^"]+)">', page)
    assert ids == [r["patient_id"] for r in sorted(shocked, key=lambda r: r["sofa"], reverse=True)]
    assert client.get("/patients/example", params={"sort": "age"}).status_code == 422
    rows = "\n".join(f"Q{i:03d},1,lactate,{1 + i % 5},mmol/L" for i in range(205))
    csv = "patient_id,time,variable,value,unit\n" + rows + "\n"
    ds = client.post("/api/datasets", files={"file": ("many.csv", csv.encode())}).json()["id"]
    first = client.get(f"/patients/{ds}").text
    second = client.get(f"/patients/{ds}", params={"page": 2}).text
    assert first.count(f'<th scope="row"><a href="/patients/{ds}/') == 200
    assert second.count(f'<th scope="row"><a href="/patients/{ds}/') == 5
    assert "page 2 of 2" in second
