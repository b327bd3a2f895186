"""``sepsistwin twin fit|forecast|whatif``: one-line errors, and the JSON contract end to end."""

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
    return runner.invoke(app, ["twin", *args], terminal_width=200)


def _one_line_error(result: object, text: str) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    out = result.output.strip()  # type: ignore[attr-defined]
    assert text in out
    assert out.count("error:") == 1


def test_unknown_patient_is_a_one_line_error() -> None:
    r = _run("fit", COHORT, "--onset", ONSETS, "--patient", "ICU-999")
    _one_line_error(r, "patient 'ICU-999' is not in the timeline")


def test_unknown_therapy_is_a_one_line_error() -> None:
    r = _run("whatif", COHORT, "--onset", ONSETS, "--patient", "ICU-001", "--therapy", "zap:1mg@5")
    _one_line_error(r, "therapy 'zap' does not exist")


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    r = _run("fit", str(tmp_path / "none.csv"), "--patient", "ICU-001")
    _one_line_error(r, "no such file")


def test_patient_without_model_observations_is_a_one_line_error(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("patient_id,time,variable,value,unit\nP1,2,gcs,11,\nP1,3,heart_rate,120,/min\n")
    r = _run("fit", str(p), "--patient", "P1")
    _one_line_error(r, "no observations the model can use")


def test_bad_doses_file_names_file_row_and_field(tmp_path: Path) -> None:
    p = tmp_path / "doses.csv"
    p.write_text("patient_id,hours,therapy,dose\nICU-001,later,anakinra,200 mg\n")
    r = _run("fit", COHORT, "--onset", ONSETS, "--patient", "ICU-001", "--doses", str(p))
    _one_line_error(r, "doses.csv: row 2: hours: 'later'")


@pytest.mark.integration
def test_whatif_json_follows_the_contract(tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    r = _run(
        "whatif",
        COHORT,
        "--onset",
        ONSETS,
        "--patient",
        "ICU-001",
        "--until-day",
        "2",
        "--therapy",
        "nivolumab:480mg@72",
        "--json",
        "--plot",
        str(png),
    )
    assert r.exit_code in (0, 1), r.output  # type: ignore[attr-defined]
    if r.exit_code == 1:
        assert "has not converged" in r.output  # type: ignore[attr-defined]
        return
    out = json.loads(r.stdout)  # type: ignore[attr-defined]
    assert out["patient_id"] == "ICU-001" and out["fitted_until_day"] == 2
    assert {"death_28d", "observables", "phenotype_probability"} <= set(out["forecast"])
    assert any(w["therapy"] == "nivolumab" for w in out["whatif"])
    assert png.exists() and png.with_name("f_whatif.png").exists()


@pytest.mark.integration
def test_fit_prints_the_posterior_as_csv() -> None:
    import io

    import pandas as pd

    r = _run(
        "fit", COHORT, "--onset", ONSETS, "--patient", "ICU-001", "--until-day", "1",
        "--format", "csv",
    )  # fmt: skip
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    post = pd.read_csv(io.StringIO(r.stdout))  # type: ignore[attr-defined]
    assert {"quantity", "median", "lo90", "hi90"} <= set(post.columns)
    assert "k_nd" in set(post["quantity"])
    assert (post["lo90"] <= post["median"]).all() and (post["median"] <= post["hi90"]).all()


def test_too_few_sampling_steps_is_a_one_line_error() -> None:
    r = _run("fit", COHORT, "--onset", ONSETS, "--patient", "ICU-001", "--max-steps", "1")
    _one_line_error(r, "--max-steps 1:")
