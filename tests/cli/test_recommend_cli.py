"""``sepsistwin recommend INPUT [--patient ID] [--day N] [--json]`` on the example cohort."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sepsistwin import DISCLAIMER
from sepsistwin.cli.main import app
from sepsistwin.examples import example_cohort

runner = CliRunner()


@pytest.fixture(scope="module")
def cohort_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cohort")
    observations, onsets = example_cohort()
    obs_path, onset_path = folder / "cohort.csv", folder / "onsets.csv"
    observations.to_csv(obs_path, index=False)
    onsets.to_csv(onset_path, index=False)
    return obs_path, onset_path


def _run(*args: str) -> object:
    return runner.invoke(app, ["recommend", *args], terminal_width=200)


def test_json_is_an_array_of_patient_days_each_with_options_and_disclaimer(
    cohort_files: tuple[Path, Path],
) -> None:
    obs, onset = cohort_files
    result = _run(str(obs), "--onset", str(onset), "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    records = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert isinstance(records, list) and len(records) > 1
    for rec in records:
        assert rec["disclaimer"] == DISCLAIMER
        assert {
            "patient_id",
            "day",
            "phenotype",
            "options",
            "no_immunotherapy_reason",
            "measure_next",
        } <= set(rec)
        # "No immunotherapy" always comes with its reason.
        assert bool(rec["options"]) != bool(rec["no_immunotherapy_reason"])


def test_patient_and_day_filters_select_one_record(cohort_files: tuple[Path, Path]) -> None:
    obs, onset = cohort_files
    all_records = json.loads(_run(str(obs), "--onset", str(onset), "--json").stdout)  # type: ignore[attr-defined]
    pid, day = all_records[-1]["patient_id"], all_records[-1]["day"]
    result = _run(str(obs), "--onset", str(onset), "--json", "--patient", pid, "--day", str(day))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    records = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert [(r["patient_id"], r["day"]) for r in records] == [(pid, day)]


def test_unknown_patient_exits_2_with_the_valid_ids(cohort_files: tuple[Path, Path]) -> None:
    obs, onset = cohort_files
    result = _run(str(obs), "--onset", str(onset), "--patient", "NOBODY")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "unknown patient 'NOBODY'" in result.output  # type: ignore[attr-defined]


def test_unknown_day_exits_2(cohort_files: tuple[Path, Path]) -> None:
    obs, onset = cohort_files
    first = json.loads(_run(str(obs), "--onset", str(onset), "--json").stdout)[0]  # type: ignore[attr-defined]
    result = _run(str(obs), "--onset", str(onset), "--patient", first["patient_id"], "--day", "999")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "no day 999" in result.output  # type: ignore[attr-defined]


def test_missing_input_file_exits_2(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "absent.csv"))
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "not found" in result.output  # type: ignore[attr-defined]


def test_readable_output_has_a_panel_per_patient_day_and_the_disclaimer(
    cohort_files: tuple[Path, Path],
) -> None:
    obs, onset = cohort_files
    records = json.loads(_run(str(obs), "--onset", str(onset), "--json").stdout)  # type: ignore[attr-defined]
    pid = records[0]["patient_id"]
    result = _run(str(obs), "--onset", str(onset), "--patient", pid)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    n_days = sum(r["patient_id"] == pid for r in records)
    assert result.stdout.count(f"Patient {pid}, day") == n_days  # type: ignore[attr-defined]
    assert "Research decision support" in result.stdout  # type: ignore[attr-defined]


def test_twin_needs_one_patient() -> None:
    from sepsistwin.examples import example_path

    r = CliRunner().invoke(app, ["recommend", str(example_path("cohort.csv")), "--twin"])
    assert r.exit_code == 2
    assert "--twin needs --patient" in r.output


@pytest.mark.integration
def test_recommend_with_the_twin_adds_its_what_if_numbers_to_the_options() -> None:
    from sepsistwin.examples import example_path

    args = [
        "recommend",
        str(example_path("cohort.csv")),
        "--onset",
        str(example_path("onsets.csv")),
    ]
    args += ["--patient", "ICU-001", "--day", "2", "--twin", "--json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["recommendations"] and all(
        d["patient_id"] == "ICU-001" for d in out["recommendations"]
    )
    twin = out["twin"]
    if not twin["converged"]:
        assert "converged" in twin["reason"]
        return
    ranked = [o for o in twin["options"] if o["twin"] is not None]
    assert ranked, twin
    for o in ranked:
        m = o["twin"]["delta_mortality_28d"]
        assert m["lo90"] <= m["mean"] <= m["hi90"]
        assert 0.0 <= o["twin"]["p_benefit"] <= 1.0 and 0.0 <= o["twin"]["p_harm"] <= 1.0
