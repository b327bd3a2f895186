"""``sepsistwin optimize``: one-line errors before any fit, and the plan end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.examples import example_path

runner = CliRunner()
COHORT, ONSETS = str(example_path("cohort.csv")), str(example_path("onsets.csv"))


def _run(*args: str) -> object:
    return runner.invoke(app, ["optimize", *args], terminal_width=200)


def _one_line_error(result: object, text: str) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    out = result.output.strip()  # type: ignore[attr-defined]
    assert text in out and out.count("error:") == 1


def test_a_horizon_of_zero_days_is_a_one_line_error() -> None:
    r = _run(COHORT, "--onset", ONSETS, "--patient", "ICU-001", "--horizon-days", "0")
    _one_line_error(r, "--horizon-days 0: expected a positive number of days")


def test_a_harm_cap_outside_zero_to_one_is_a_one_line_error() -> None:
    r = _run(COHORT, "--onset", ONSETS, "--patient", "ICU-001", "--harm-cap", "2")
    _one_line_error(r, "--harm-cap 2.0: expected a probability between 0 and 1")


def test_an_out_file_that_is_not_json_is_refused_before_the_fit(tmp_path: Path) -> None:
    r = _run(COHORT, "--onset", ONSETS, "--patient", "ICU-001", "--out", str(tmp_path / "p.txt"))
    _one_line_error(r, "expected .json")


def test_an_unknown_patient_is_a_one_line_error() -> None:
    r = _run(COHORT, "--onset", ONSETS, "--patient", "ICU-999")
    _one_line_error(r, "patient 'ICU-999' is not in the timeline")


@pytest.mark.slow
def test_the_plan_is_printed_as_json_and_written_to_out(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    r = _run(
        COHORT,
        "--onset",
        ONSETS,
        "--patient",
        "ICU-001",
        "--day",
        "2",
        "--json",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    body = json.loads(out.read_text())
    assert body["patient_id"] == "ICU-001" and body["decision_day"] == 2
    assert body["plan"] == "no immunotherapy" or body["plan"]["spec"].startswith(
        body["plan"]["therapy"] + ":"
    )
    assert "never a dosing order" in body["disclaimer"] and body["differs_from_rules"]
