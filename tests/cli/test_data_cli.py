"""`sepsistwin data check|convert|variables`: summaries, exit codes, round trips."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.data import read_timeline

runner = CliRunner()

LINES = [
    "patient_id,time,variable,value,unit",
    "p1,2024-03-01T06:00:00Z,lactate,36.04,mg/dL",
    "p1,2024-03-01T08:00:00Z,creatinine,176.8,umol/L",
    "p1,2024-03-01T09:00:00Z,norepinephrine,0.2,mcg/kg/min",
    "p2,2024-03-02T06:00:00Z,gcs,12,",
]


@pytest.fixture
def labs(tmp_path):
    path = tmp_path / "labs.csv"
    path.write_text("\n".join(LINES) + "\n")
    return path


def test_check_summarises_a_good_file_as_json(labs):
    res = runner.invoke(app, ["data", "check", str(labs), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["patients"], out["observations"], out["rejected"]) == (2, 4, [])
    assert out["variables"]["lactate"]["max"] == pytest.approx(4.0, rel=1e-3)
    assert out["variables"]["creatinine"]["min"] == pytest.approx(2.0, rel=1e-3)


def test_check_exits_2_with_the_message_on_bad_input(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([*LINES, "p2,2024-03-02T07:00:00Z,feritin,10,ng/mL"]) + "\n")
    res = runner.invoke(app, ["data", "check", str(path)])
    assert res.exit_code == 2
    assert "row 6 of bad.csv: unknown variable 'feritin'; did you mean 'ferritin'?" in res.output


def test_check_lenient_lists_rejected_rows_and_exits_1(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([*LINES, "p2,2024-03-02T07:00:00Z,lactate,2,mg"]) + "\n")
    res = runner.invoke(app, ["data", "check", str(path), "--lenient", "--json"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert out["observations"] == 4
    assert [r["row"] for r in out["rejected"]] == [6]


@pytest.mark.parametrize("suffix", [".json", ".ndjson", ".csv", ".parquet"])
def test_convert_writes_a_file_that_reads_back_to_the_same_observations(labs, tmp_path, suffix):
    out = tmp_path / f"out{suffix}"
    res = runner.invoke(app, ["data", "convert", str(labs), str(out)])
    assert res.exit_code == 0, res.output
    original = read_timeline(labs).observations
    back = read_timeline(out).observations
    cols = ["patient_id", "hours", "variable", "value"]
    pd.testing.assert_frame_equal(
        original[cols].astype({"patient_id": str, "variable": str}),
        back[cols].astype({"patient_id": str, "variable": str}),
    )


def test_variables_lists_the_catalogue_as_json():
    res = runner.invoke(app, ["data", "variables", "--json"])
    assert res.exit_code == 0
    catalogue = json.loads(res.stdout)
    assert catalogue["mhla_dr"]["canonical_unit"] == "AB/C"
    assert catalogue["norepinephrine"]["rxnorm"] == ["7512"]


def test_from_mimic_iv_writes_the_timeline_and_lists_what_was_left_out(tmp_path):
    from sepsistwin.examples.mimic_demo import write_mimic_iv_demo

    demo = write_mimic_iv_demo(tmp_path / "mimic")
    out = tmp_path / "timeline.parquet"
    result = runner.invoke(app, ["data", "from-mimic-iv", str(demo), "--out", str(out), "--json"])
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    # 'Unknown device' is skipped for both variables its item feeds; a dialysis procedure
    # without a value is skipped too
    assert summary["stays"] == 3 and summary["rejected"] == 1 and summary["skipped"] == 9
    stays = pd.read_csv(tmp_path / "timeline.stays.csv", dtype={"patient_id": str})
    assert stays["patient_id"].tolist() == ["30000001", "30000002", "30000003"]
    assert pd.read_csv(tmp_path / "timeline.skipped.csv")["rows"].sum() == 9
    assert "999" in pd.read_csv(tmp_path / "timeline.rejected.csv")["message"].iloc[0]
    assessed = runner.invoke(app, ["assess", str(out), "--json"])
    assert assessed.exit_code == 0, assessed.output
    days = json.loads(assessed.stdout)
    rows = days if isinstance(days, list) else days.get("days", days.get("assessment"))
    day0 = next(r for r in rows if str(r["patient_id"]) == "30000001" and r["day"] == 0)
    assert day0["sofa"] == 17


def test_from_mimic_iv_refuses_a_missing_output_folder(tmp_path):
    result = runner.invoke(
        app, ["data", "from-mimic-iv", str(tmp_path), "--out", str(tmp_path / "no" / "t.csv")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize("fmt,sep", [("csv", ","), ("tsv", "\t")])
def test_data_check_prints_its_per_variable_table_as_csv_or_tsv(labs, fmt, sep):
    import io

    result = runner.invoke(app, ["data", "check", str(labs), "--format", fmt])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout), sep=sep)
    assert list(table.columns) == ["variable", "count", "min", "max", "unit"]
    row = table.set_index("variable").loc["creatinine"]
    assert row["count"] == 1 and row["unit"] == "mg/dL"
    assert abs(row["min"] - 2.0) < 1e-3  # 176.8 umol/L of creatinine (113.12 g/mol)


def test_from_mimic_iv_prints_observations_per_variable_as_csv(tmp_path):
    import io

    from sepsistwin.examples.mimic_demo import write_mimic_iv_demo

    demo = write_mimic_iv_demo(tmp_path / "mimic")
    out = tmp_path / "timeline.parquet"
    result = runner.invoke(
        app, ["data", "from-mimic-iv", str(demo), "--out", str(out), "--format", "csv"]
    )
    assert result.exit_code == 1, result.output  # rows were left out (listed beside)
    table = pd.read_csv(io.StringIO(result.stdout))
    written = read_timeline(out).observations["variable"].value_counts()
    counts = table.set_index("variable")["observations"]
    assert counts.sum() == written.sum() and counts["lactate"] == written["lactate"]
