"""One-line errors from the CLI: bad bytes, missing output folders, unreachable schedulers."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sepsistwin.cli.calibrate import user_calibration_path
from sepsistwin.cli.main import app
from sepsistwin.population.calibrated import CALIBRATED_PATH

runner = CliRunner()
HEADER = "patient_id,time,variable,value,unit\n"


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    assert "Traceback" not in output
    return lines[0]


def test_latin1_file_names_byte_and_option_then_reads_with_encoding(tmp_path: Path) -> None:
    p = tmp_path / "labs.csv"
    p.write_bytes((HEADER + "p1,0,creatinine,176.8,\xb5mol/L\n").encode("latin-1"))
    res = runner.invoke(app, ["assess", str(p)])
    assert res.exit_code == 2
    line = one_error_line(res.output)
    assert "row 2 of labs.csv: byte 0xb5" in line and "--encoding latin-1" in line
    ok = runner.invoke(app, ["assess", str(p), "--encoding", "latin-1", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)[0]["sofa_renal"] == 1


def test_out_to_a_missing_folder_fails_before_any_work(tmp_path: Path) -> None:
    p = tmp_path / "labs.csv"
    p.write_text(HEADER + "p1,0,gcs,15,\n")
    for args in (
        ["assess", str(p), "--out", str(tmp_path / "nope" / "r.csv")],
        ["data", "convert", str(p), str(tmp_path / "nope" / "r.parquet")],
        ["simulate", "--model", "reynolds2006", "--out", str(tmp_path / "nope" / "s.parquet")],
        ["calibrate", "--out", str(tmp_path / "nope" / "calibration.md")],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert "does not exist" in one_error_line(res.output)


def test_unreachable_scheduler_is_one_line_within_seconds() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = runner.invoke(app, ["trial", "provide-like", "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert res.exit_code == 2
    line = one_error_line(res.output)
    assert f"--scheduler 'tcp://127.0.0.1:{port}': cannot connect" in line


def test_malformed_scheduler_address_is_named() -> None:
    res = runner.invoke(app, ["trial", "provide-like", "--scheduler", "localhost"])
    assert "expected tcp://HOST:PORT" in one_error_line(res.output)


def test_data_check_lists_skipped_resources_and_exits_on_conflicts(tmp_path: Path) -> None:
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-03-01T08:00:00Z",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2524-7"}]},
        "valueQuantity": {"value": 2.1, "unit": "mmol/L"},
    }
    entries = [{"resource": obs}, {"resource": {"resourceType": "Encounter", "id": "e1"}}]
    b = tmp_path / "b.json"
    b.write_text(json.dumps({"resourceType": "Bundle", "entry": entries}))
    res = runner.invoke(app, ["data", "check", str(b), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["skipped"][0]["row"] == "Encounter/e1"
    dup = tmp_path / "dup.csv"
    dup.write_text(HEADER + "p1,0,lactate,2,mmol/L\np1,0,lactate,5,mmol/L\n")
    res = runner.invoke(app, ["data", "check", str(dup)])
    assert res.exit_code == 2 and "conflicts with row 2" in one_error_line(res.output)
    assert runner.invoke(app, ["data", "check", str(dup), "--lenient"]).exit_code == 1


def test_recommend_names_the_file_once(tmp_path: Path) -> None:
    p = tmp_path / "labs.csv"
    p.write_text(HEADER + "p1,0,lactate,1.0,degC\n")
    res = runner.invoke(app, ["recommend", str(p)])
    line = one_error_line(res.output)
    assert line.count("labs.csv") == 1 and "unit 'degC' is not a concentration" in line


def test_calibration_goes_to_the_user_data_folder_unless_installed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert user_calibration_path() == tmp_path / "sepsistwin" / "calibration.yaml"
    assert user_calibration_path() != CALIBRATED_PATH
    help_text = runner.invoke(app, ["calibrate", "--help"]).output
    assert "--install" in help_text and "--calibration" in help_text
