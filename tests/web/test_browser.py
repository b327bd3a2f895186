"""The dashboard in a real browser: Playwright driving Debian's Chromium against a real
``sepsistwin serve`` (uvicorn) process.

Screenshots are written to ``$SEPSISTWIN_SCREENSHOTS`` when set (``make screenshots`` points it
at docs/screenshots), else to a temporary folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import BAD_UNIT_CSV, SIMULATOR, SMALL_TRIAL, TRIAL_DIR

from sepsistwin import DISCLAIMER

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium: apt-get install -y chromium"
    ),
]

playwright_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a ``sepsistwin serve`` process on a free port and a fresh data folder."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TRIAL_DIR), *sys.path])}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("sepsistwin")),
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path_factory.mktemp("served")),
            "--simulator",
            SIMULATOR,
            "--max-trial-size",
            "1000",
            "--trial-chunk-size",
            "40",
            "--interim-every",
            "0",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        yield base  # the page fixture waits until it answers (the browser starts meanwhile)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_until_up(base: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(f"{base}/api/health", timeout=2).raise_for_status()
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError("sepsistwin serve did not start") from None
            time.sleep(0.2)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("SEPSISTWIN_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def page(browser: Any, server: str) -> Iterator[Any]:
    """One page (one session) for the whole workflow; browser console errors are collected
    (a Content-Security-Policy violation shows up there)."""
    wait_until_up(server)
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on(
        "console",
        lambda m: m.type == "error" and pg.console_errors.append(m.text),  # type: ignore[attr-defined]
    )
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))  # type: ignore[attr-defined]
    yield pg
    context.close()


def test_open_the_example_cohort(page: Any, shots: Path) -> None:
    page.goto("/")
    assert DISCLAIMER in page.inner_text(".disclaimer")
    page.click("#open-example")
    page.wait_for_url("**/patients/example")
    rows = page.locator("#patients-table tbody tr")
    assert rows.count() == 10
    assert page.locator("#patients-table .pheno").first.inner_text().strip()
    page.screenshot(path=str(shots / "patients.png"), full_page=True)
    assert page.console_errors == []


def test_open_a_patient_and_see_the_phenotype_chart(page: Any, shots: Path) -> None:
    page.goto("/patients/example")
    page.click("#patients-table tbody tr >> nth=0 >> a")
    page.wait_for_url("**/patients/example/ICU-*")
    chart = page.locator('[data-figure="timeline-data"]')
    page.wait_for_selector('[data-figure="timeline-data"][data-rendered="true"]', timeout=30_000)
    assert chart.locator("svg.main-svg").count() >= 1
    # one point per assessed day on the phenotype panel
    days = page.locator("#daily-table tbody tr").count()
    assert chart.locator(".scatterlayer .point").count() == days
    page.wait_for_selector('[data-figure="biomarkers-data"][data-rendered="true"]')
    assert "Rules that fired" in page.inner_text("main")
    page.screenshot(path=str(shots / "patient.png"), full_page=True)
    assert page.console_errors == []


def test_see_the_recommendations(page: Any, shots: Path) -> None:
    page.goto("/patients/example/ICU-001")
    page.click("#recommendations-link")
    page.wait_for_url("**/recommendations?day=*")
    assert DISCLAIMER in page.inner_text(".disclaimer-inline")
    options = page.locator("#options > li")
    assert options.count() >= 1
    first = options.first.inner_text()
    assert "Why:" in first and "Regimen:" in first
    options.first.locator("details summary").click()
    assert "Evidence" in options.first.inner_text()
    page.screenshot(path=str(shots / "recommendations.png"), full_page=True)


def test_upload_a_malformed_file_and_see_the_error(page: Any, shots: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_UNIT_CSV)
    page.goto("/patients")
    page.set_input_files("#file", str(bad))
    page.click("#upload-form button[type=submit]")
    alert = page.locator("#error-box")
    alert.wait_for()
    text = alert.inner_text()
    assert "row 3 of bad.csv" in text and "unit 'mg'" in text and "mmol/L" in text
    page.screenshot(path=str(shots / "upload-error.png"), full_page=True)


def test_run_a_small_trial_and_see_the_km_plot_and_the_flow(page: Any, shots: Path) -> None:
    page.console_errors.clear()  # the malformed upload before answered 422 on purpose
    page.goto("/trials")
    page.fill("#spec_text", SMALL_TRIAL)
    page.fill("#size", "200")
    page.screenshot(path=str(shots / "trials.png"), full_page=True)
    page.click("#run-button")
    page.wait_for_url("**/trials/jobs/*")
    # while it runs: progress, the flow so far and the first interim analysis
    page.wait_for_selector("#interim:not([hidden])", timeout=120_000)
    assert page.locator("#interim-table tbody tr").count() == 2
    assert int(page.inner_text('[data-key="n_sampled"]')) > 0
    assert page.locator("#cancel-button").count() == 1
    page.screenshot(path=str(shots / "trial-job.png"), full_page=True)
    try:
        page.wait_for_url("**/trials/runs/*", timeout=240_000)
    except playwright_api.TimeoutError:
        raise AssertionError("the trial did not finish: " + page.inner_text("main")) from None
    page.wait_for_selector('[data-figure="km-data"][data-rendered="true"]', timeout=30_000)
    km = page.locator('[data-figure="km-data"]')
    assert km.locator(".scatterlayer .trace").count() >= 2
    flow = page.inner_text("#flow")
    assert "200 virtual patients sampled" in flow and "enrolled and randomised" in flow
    assert page.locator("#at-risk tbody tr").count() == 2
    assert page.locator("#effects-table tbody tr").count() == 1
    page.screenshot(path=str(shots / "trial.png"), full_page=True)
    page.goto("/trials")
    assert page.locator("#runs-table tbody tr").count() >= 1
    assert page.console_errors == []


def test_evidence_page(page: Any, shots: Path) -> None:
    page.goto("/evidence")
    page.click("text=anakinra")
    page.wait_for_url("**/evidence/anakinra")
    assert page.locator(".status-VERIFIED").count() > 0
    assert "Citations" in page.inner_text("main")
    page.screenshot(path=str(shots / "evidence.png"), full_page=False)


@pytest.mark.slow
def test_what_if_simulation_on_the_full_model(page: Any, shots: Path) -> None:
    """The default form: a virtual septic-shock patient of the full model (slow: it may
    compile the model's kernel)."""
    page.console_errors.clear()
    page.goto("/simulate")
    page.fill("#hours", "336")
    page.click("#simulate-button")
    page.wait_for_selector('[data-figure="simulation-data"][data-rendered="true"]', timeout=600_000)
    assert page.locator("#final-table tbody tr").count() >= 3
    assert "septic_shock" in page.inner_text("#patient-about")
    page.screenshot(path=str(shots / "simulate.png"), full_page=True)
    assert page.console_errors == []


def test_keyboard_navigation_and_labels(page: Any) -> None:
    page.goto("/patients")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # every form control has a label
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
              .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.id)"""
    )
    assert unlabelled == []
    page.goto("/trials")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
              .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.id)"""
    )
    assert unlabelled == []
