"""`sepsistwin assess`: JSON contract, file outputs, errors and --lenient."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.examples import example_path

runner = CliRunner()
CONTRACT_KEYS = {
    "patient_id",
    "day",
    "sofa",
    "sofa_respiration",
    "sofa_coagulation",
    "sofa_liver",
    "sofa_cardiovascular",
    "sofa_cns",
    "sofa_renal",
    "qsofa",
    "sirs",
    "sepsis3",
    "septic_shock",
    "phenotype",
    "immune_state",
    "reasons",
    "missing",
}


def _write_csv(path, rows):
    pd.DataFrame(rows, columns=["patient_id", "time", "variable", "value", "unit"]).to_csv(
        path, index=False
    )


def test_json_output_is_an_array_of_records_with_the_contract_keys():
    res = runner.invoke(
        app,
        [
            "assess",
            str(example_path("cohort.csv")),
            "--onset",
            str(example_path("onsets.csv")),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    records = json.loads(res.stdout)
    assert isinstance(records, list) and len(records) > 10
    for rec in records:
        assert CONTRACT_KEYS <= rec.keys()
        assert isinstance(rec["sepsis3"], bool) and isinstance(rec["septic_shock"], bool)
        assert rec["phenotype"] in {"MALS", "immunoparalysis", "intermediate", "indeterminate"}
        assert rec["immune_state"] in {
            "hyperinflammatory",
            "immunosuppressed",
            "mixed",
            "balanced",
            "indeterminate",
        }
        assert isinstance(rec["reasons"], list) and isinstance(rec["missing"], list)
        assert rec["sofa"] == sum(rec[k] for k in CONTRACT_KEYS if k.startswith("sofa_"))
    first = next(r for r in records if r["patient_id"] == "ICU-001" and r["day"] == 0)
    assert first["phenotype"] == "MALS"
    assert any("ferritin 8900" in r for r in first["reasons"])


def test_table_output_names_patients_and_disclaimer():
    res = runner.invoke(app, ["assess", str(example_path("cohort.csv")), "--table"])
    assert res.exit_code == 0, res.output
    assert "Patient ICU-001" in res.stdout
    assert "not a prescription" in res.stdout


def test_out_writes_parquet_and_csv(tmp_path):
    for suffix in ("parquet", "csv"):
        out = tmp_path / f"result.{suffix}"
        res = runner.invoke(
            app, ["assess", str(example_path("cohort.csv")), "--out", str(out), "--json"]
        )
        assert res.exit_code == 0, res.output
        frame = pd.read_parquet(out) if suffix == "parquet" else pd.read_csv(out)
        assert len(frame) == len(json.loads(res.stdout))
        assert {"patient_id", "day", "sofa", "phenotype"} <= set(frame.columns)


def test_bad_unit_stops_with_file_row_field_and_expected_unit(tmp_path):
    path = tmp_path / "labs.csv"
    _write_csv(path, [("p1", 0.0, "ferritin", 900, "ng/mL"), ("p1", 1.0, "lactate", 3, "mg")])
    res = runner.invoke(app, ["assess", str(path)])
    assert res.exit_code == 2
    message = res.stderr
    assert "labs.csv" in message and "lactate" in message and "'mg'" in message
    assert "mmol/L" in message


def test_lenient_drops_only_bad_rows_and_lists_them(tmp_path):
    path = tmp_path / "labs.csv"
    _write_csv(
        path,
        [
            ("p1", 0.0, "ferritin", 900, "ng/mL"),
            ("p1", 1.0, "lactate", 3, "mg"),
            ("p1", 2.0, "mhla_dr", 3000, "AB/C"),
        ],
    )
    res = runner.invoke(app, ["assess", str(path), "--lenient", "--json"])
    assert res.exit_code == 0, res.output
    assert "1 invalid row(s) dropped" in res.stderr
    assert "lactate" in res.stderr
    record = json.loads(res.stdout)[0]
    assert record["phenotype"] == "immunoparalysis"
    assert record["lactate"] is None


def test_missing_file_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["assess", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2
    assert "nope.csv" in res.stderr


def test_config_override_changes_phenotype(tmp_path):
    cfg = tmp_path / "t.yaml"
    cfg.write_text("phenotype:\n  mals_ferritin_ng_ml: 20000\n")
    res = runner.invoke(
        app, ["assess", str(example_path("cohort.csv")), "--json", "--config", str(cfg)]
    )
    assert res.exit_code == 0, res.output
    rec = next(r for r in json.loads(res.stdout) if r["patient_id"] == "ICU-001")
    assert rec["phenotype"] != "MALS"
