"""HTML report: Kaplan-Meier curves and biomarker trajectories per arm, from the analysis."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trial"))
from reynolds_sim import ReynoldsTrialSimulator

from sepsistwin.report import km_figure, render_report, trajectory_figure, write_report
from sepsistwin.trial import TrialResult, run_trial


@pytest.fixture(scope="module")
def result() -> TrialResult:
    spec = {
        "name": "report-small",
        "seed": 4,
        "population": {"size": 200},
        "screening": {"at_hours": 24},
        "arms": [
            {"name": "placebo"},
            {
                "name": "anakinra",
                "therapies": [
                    {"therapy": "anakinra", "dose": "200 mg", "every_hours": 8, "doses": 6}
                ],
            },
        ],
        "counterfactual": True,
    }
    return run_trial(
        spec, simulator=ReynoldsTrialSimulator(), store=":memory:", chunk_size=100, workers=1
    )


def test_km_figure_has_one_curve_per_arm_starting_at_full_survival(result: TrialResult) -> None:
    fig = km_figure(result)
    curves = [t for t in fig.data if t.mode == "lines" and t.fill != "toself"]
    assert [c.name for c in curves] == ["placebo", "anakinra"]
    for c in curves:
        y = np.asarray(c.y, dtype=float)
        assert y[0] == 1.0 and (np.diff(y) <= 1e-12).all()
    # the last KM value equals 1 - the arm's follow-up mortality (no censoring before day 28)
    for c, arm in zip(curves, result.arms, strict=True):
        assert c.y[-1] == pytest.approx(1 - arm["deaths_follow_up"] / arm["n"])


def test_trajectory_figure_has_each_arm_in_each_panel(result: TrialResult) -> None:
    fig = trajectory_figure(result)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(lines) == 4 * 2  # three variables and the share alive, per arm
    assert {t.name for t in lines} == {"placebo", "anakinra"}
    sofa_placebo = result.trajectories.query("variable == 'sofa' and arm == 'placebo'")
    assert sofa_placebo["day"].min() == 0
    assert (sofa_placebo["q25"] <= sofa_placebo["median"]).all()


def test_report_is_one_offline_html_file_with_tables_and_figures(
    result: TrialResult, tmp_path: Path
) -> None:
    html = render_report(result)
    assert html.startswith("<!DOCTYPE html>")
    assert "Kaplan-Meier" in html and "Trajectories" in html
    assert "Paired counterfactual" in html and "placebo" in html and "anakinra" in html
    assert html.count("<script") >= 2 and "cdn.plot.ly" not in html.split("<body>")[0]
    path = write_report(result, tmp_path / "sub" / "r.html")
    assert path.read_text(encoding="utf-8") == html
