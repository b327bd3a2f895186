"""The trial report read as a trialist reads it, parsed from the HTML: CONSORT flow with
reasons, what each arm received, numbers at risk, survivors-only trajectories, subgroup HRs
with CIs, the no-effect flag and the methods appendix; screenshots in Debian's Chromium."""

from __future__ import annotations

import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trial"))
from reynolds_sim import ReynoldsTrialSimulator

from sepsistwin import __version__
from sepsistwin.report import render_report, write_report
from sepsistwin.trial import TrialResult, run_trial

CHROMIUM = Path("/usr/bin/chromium")


class _Tables(HTMLParser):
    """Tables by id (rows of cell texts), the text of elements by id, and SVG texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: set[str] = set()
        self.svg_text: list[str] = []
        self.flags: list[str] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_svg_text = False
        self._in_flag = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "table":
            self._table = str(a.get("id") or f"table{len(self.tables)}")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "text":
            self._in_svg_text = True
            self.svg_text.append("")
        elif tag == "p" and "flag" in (a.get("class") or ""):
            self._in_flag = True
            self.flags.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "text":
            self._in_svg_text = False
        elif tag == "p":
            self._in_flag = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_svg_text:
            self.svg_text[-1] += data
        if self._in_flag:
            self.flags[-1] += data


SPEC: dict[str, Any] = {
    "name": "report-contents",
    "seed": 4,
    "population": {"size": 300},
    "screening": {"at_hours": 24},
    "enrollment": {"phenotypes": ["MALS", "immunoparalysis"]},
    "arms": [
        {"name": "placebo"},
        {"name": "sham"},
        {
            "name": "anakinra",
            "therapies": [{"therapy": "anakinra", "dose": "200 mg", "every_hours": 8, "doses": 6}],
        },
    ],
    "counterfactual": True,
}


@pytest.fixture(scope="module")
def result() -> TrialResult:
    return run_trial(
        SPEC, simulator=ReynoldsTrialSimulator(), store=":memory:", chunk_size=150, workers=1
    )


@pytest.fixture(scope="module")
def parsed(result: TrialResult) -> _Tables:
    p = _Tables()
    p.feed(render_report(result))
    return p


def test_consort_flow_counts_and_names_the_reasons_for_non_enrolment(
    result: TrialResult, parsed: _Tables
) -> None:
    sc = result.screening
    text = parsed.svg_text
    assert f"Virtual patients sampled: {sc['n_sampled']}" in text
    assert f"Screened: {sc['n_screened']}" in text
    assert f"Enrolled and randomised: {sc['n_enrolled']}" in text
    n_out = sc["n_screened"] - sc["n_enrolled"]
    assert n_out > 0 and f"Not enrolled: {n_out}" in text
    n_inter = sc["by_phenotype"]["intermediate"]["screened"]
    assert f"intermediate: phenotype not enrolled (MALS, immunoparalysis only) ({n_inter})" in text
    for a in result.arms:
        assert a["name"] in text and f"allocated {a['n']}" in text


def test_arm_descriptions_say_what_each_arm_received(parsed: _Tables) -> None:
    rows = {r[0]: r for r in parsed.tables["arms-received"][1:]}
    assert rows["placebo"][2] == "no study therapy (reference)"
    _, given, therapy, dose, route, schedule, studied = rows["anakinra"]
    assert (given, therapy, dose, route) == ("every patient", "anakinra", "200 mg", "IV")
    assert schedule == "from 0 h after enrolment, every 8 h x 6 (over 1.67 d)"
    assert studied == "within"


def test_numbers_at_risk_are_the_patients_followed_at_each_day(
    result: TrialResult, parsed: _Tables
) -> None:
    head, *rows = parsed.tables["numbers-at-risk"]
    assert head[1:] == ["0", "7", "14", "21", "28"]
    by_arm = {r[0]: [int(x) for x in r[1:]] for r in rows}
    for a in result.arms:
        assert by_arm[a["name"]][0] == a["n"]  # everyone is at risk on day 0
        assert by_arm[a["name"]] == sorted(by_arm[a["name"]], reverse=True)
        # alive at the end of follow-up = at risk on the last day (no earlier censoring)
        assert by_arm[a["name"]][-1] == a["n"] - a["deaths_follow_up"]


def test_trajectories_are_labelled_survivors_only_and_show_the_share_alive(
    result: TrialResult,
) -> None:
    html = render_report(result)
    assert "among the patients alive that day (survivors only)" in html
    assert "Alive (% of arm)" in html


def test_subgroup_hazard_ratios_come_with_confidence_intervals(parsed: _Tables) -> None:
    sub = next(t for t in parsed.tables.values() if t and t[0][0] == "phenotype / arm")
    hrs = [r[3] for r in sub[1:] if r[3] != "-"]
    assert hrs and all(re.fullmatch(r"\d+\.\d\d \(\d+\.\d\d-\d+\.\d\d\)", h) for h in hrs)
    assert "forest" in parsed.ids


def test_an_arm_without_counterfactual_effect_is_flagged_at_the_top(parsed: _Tables) -> None:
    assert any("arm sham changed no enrolled patient" in f for f in parsed.flags)
    arms = next(t for t in parsed.tables.values() if t and t[0][:2] == ["arm", "n"])
    assert [r[0] for r in arms[1:]] == ["placebo", "sham (no effect)", "anakinra"]


def test_methods_appendix_holds_seed_run_model_and_software(
    result: TrialResult, parsed: _Tables
) -> None:
    methods = dict((r[0], r[1]) for r in parsed.tables["methods-table"][1:])
    assert methods["seed"] == "4" and methods["run id"] == result.run_id
    assert "reynolds-test" in methods["model and calibration"]
    software = dict((r[0], r[1]) for r in parsed.tables["software"][1:])
    assert software["sepsistwin"] == __version__
    assert re.match(r"\d+\.\d+", software["lifelines"]) and re.match(r"\d+\.", software["numpy"])
    assert "spec" in parsed.ids


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_report_renders_in_chromium_and_screenshots(result: TrialResult, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    folder = Path(os.environ.get("SEPSISTWIN_REPORT_SCREENSHOTS", tmp_path))
    path = write_report(result, tmp_path / "report.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.as_uri())
        page.wait_for_selector("#km-curves .main-svg")
        assert page.locator("#trajectories .main-svg").count() >= 1
        assert page.locator("#consort rect").count() >= 6
        for sel in ("#consort", "#km-curves", "#trajectories", "#forest"):
            page.locator(sel).screenshot(path=str(folder / f"report-{sel[1:]}.png"))
        browser.close()
    assert errors == []
    assert (folder / "report-km-curves.png").stat().st_size > 5_000
