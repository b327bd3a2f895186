"""MEDS: read MIMIC-IV-MEDS-shaped shards and sepsistwin's own; a timeline round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.data import InputError, read_timeline
from sepsistwin.data.catalogue import CatalogueError
from sepsistwin.data.meds import DATA_SCHEMA, map_code, read_meds, write_meds
from sepsistwin.examples import example_path

runner = CliRunner()


def _write_shard(root: Path, rows: list[tuple], extra: dict[str, list] | None = None) -> None:
    frame = pd.DataFrame(rows, columns=["subject_id", "time", "code", "numeric_value"])
    frame["time"] = pd.to_datetime(frame["time"])
    for key, values in (extra or {}).items():
        frame[key] = values
    (root / "data" / "train").mkdir(parents=True, exist_ok=True)
    frame.to_parquet(root / "data" / "train" / "0.parquet", index=False)


@pytest.fixture
def mimic_meds(tmp_path: Path) -> Path:
    """A MIMIC-IV MEDS extraction in miniature (codes as its ETL writes them)."""
    t0 = "2150-01-01 08:00:00"
    rows = [
        (1, None, "GENDER//F", np.nan),
        (1, t0, "ICU_ADMISSION//Medical Intensive Care Unit (MICU)", np.nan),
        (1, "2150-01-01 09:00:00", "LAB//RESULT//50912//mg/dL", 2.4),
        (1, "2150-01-01 09:00:00", "LAB//220045//bpm", 118.0),
        (1, "2150-01-01 09:00:00", "LAB//223835//%", 50.0),
        (1, "2150-01-01 09:00:00", "LAB//223835//%", 5.0),
        (1, "2150-01-01 09:00:00", "LAB//226732//UNK", np.nan),
        (1, "2150-01-01 10:00:00", "SUBJECT_FLUID_OUTPUT//226559//ml", 60.0),
        (1, "2150-01-01 10:00:00", "INFUSION_START//221906", 0.12),
        (1, "2150-01-01 11:00:00", "INFUSION_START//221289", 5.0),
        (1, "2150-01-01 12:00:00", "LAB//RESULT//51221//%", 30.0),
        (1, "2150-01-01 12:00:00", "LAB//RESULT//99999//mg/dL", 18.0),
        (1, "2150-01-01 13:00:00", "LAB//220045//bpm", 999.0),
    ]
    text = [None] * len(rows)
    text[6] = "Endotracheal tube"
    unit = [None] * len(rows)
    unit[8], unit[9] = "mcg/kg/min", "mcg/min"
    root = tmp_path / "mimic_meds"
    _write_shard(root, rows, {"text_value": text, "unit": unit})
    (root / "metadata").mkdir()
    pq.write_table(
        pa.Table.from_pydict(
            {
                "code": ["LAB//RESULT//99999//mg/dL"],
                "description": ["Lactate, invented item"],
                "parent_codes": [["LOINC/2524-7"]],
            }
        ),
        root / "metadata" / "codes.parquet",
    )
    return root


def test_mimic_meds_codes_map_through_the_mimic_item_map(mimic_meds: Path) -> None:
    result = read_meds(mimic_meds)
    obs = result.timeline.for_patient("1").set_index("variable")
    assert obs.loc["creatinine", "value"] == 2.4
    assert obs.loc["creatinine", "hours"] == 1.0  # time zero = ICU admission
    assert obs.loc["fio2", "value"] == 0.5
    assert obs.loc["mechanical_ventilation", "value"] == 1.0
    assert obs.loc["urine_volume", "value"] == 60.0
    assert obs.loc["norepinephrine", "value"] == pytest.approx(0.12)
    # parent code LOINC/2524-7 in codes.parquet: lactate in mg/dL -> 2 mmol/L
    assert obs.loc["lactate", "value"] == pytest.approx(18.0 / 9.008, rel=1e-3)
    assert result.time_zero_source == {"1": "icu_admission"}


def test_mimic_meds_rows_left_out_are_counted_by_code(mimic_meds: Path) -> None:
    result = read_meds(mimic_meds)
    skipped = {(r.code, r.reason): r.rows for r in result.skipped.itertuples()}
    assert skipped[("LAB//RESULT//51221//%", "code not mapped to a catalogue variable")] == 1
    assert skipped[("GENDER//F", "code not mapped to a catalogue variable")] == 1
    assert skipped[("LAB//223835//%", "FiO2 neither a fraction 0.2-1 nor 20-100 %")] == 1
    assert skipped[("INFUSION_START//221289", "a rate per minute without body weight")] == 1
    rejected = result.timeline.rejected["message"].tolist()
    assert len(rejected) == 1 and "heart_rate" in rejected[0] and "999" in rejected[0]
    with pytest.raises(InputError, match=r"heart_rate: mimic_meds: LAB//220045//bpm"):
        read_meds(mimic_meds, lenient=False)


def test_a_user_code_map_is_tried_first(mimic_meds: Path, tmp_path: Path) -> None:
    rules = tmp_path / "map.yaml"
    rules.write_text("- {pattern: '^LAB//RESULT//51221//', variable: fio2, unit: '%'}\n")
    obs = read_meds(mimic_meds, code_map=rules).timeline.for_patient("1")
    assert sorted(obs.loc[obs["variable"] == "fio2", "value"]) == [0.3, 0.5]
    rules.write_text("- {pattern: 'x', variable: kreatinin, unit: mg/dL}\n")
    with pytest.raises(CatalogueError, match=r"map.yaml: rule 1: .*'kreatinin'"):
        read_meds(mimic_meds, code_map=rules)


def test_example_cohort_round_trips_through_meds(tmp_path: Path) -> None:
    tl = read_timeline(example_path("cohort.csv"), onset=example_path("onsets.csv"))
    root = write_meds(tl, tmp_path / "meds")
    table = pq.read_table(root / "data" / "0.parquet")
    assert table.schema.equals(DATA_SCHEMA)
    meta = json.loads((root / "metadata" / "dataset.json").read_text())
    assert meta["etl_name"] == "sepsistwin" and meta["meds_version"]
    back = read_meds(root).timeline
    assert back.patients == tl.patients
    assert back.baseline_sofa == tl.baseline_sofa
    a = tl.observations.sort_values(["patient_id", "hours", "variable"], kind="stable")
    b = back.observations.sort_values(["patient_id", "hours", "variable"], kind="stable")
    assert a["variable"].astype(str).tolist() == b["variable"].astype(str).tolist()
    np.testing.assert_allclose(a["hours"], b["hours"], atol=1e-6)
    np.testing.assert_allclose(a["value"], b["value"], rtol=1e-6)  # float32 in MEDS


def test_non_numeric_patient_ids_get_subject_numbers_and_a_map(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"patient_id": ["ICU-B", "ICU-A"], "time": [1.0, 2.0], "variable": ["lactate"] * 2,
         "value": [2.0, 3.0], "unit": ["mmol/L"] * 2}
    )  # fmt: skip
    from sepsistwin.data import observations_from_frame

    root = write_meds(observations_from_frame(frame), tmp_path / "m")
    ids = pq.read_table(root / "metadata" / "subject_ids.parquet").to_pandas()
    assert ids.to_dict("list") == {"patient_id": ["ICU-B", "ICU-A"], "subject_id": [1, 2]}
    codes = pq.read_table(root / "metadata" / "codes.parquet").to_pandas()
    lactate = codes[codes["code"] == "SEPSISTWIN//lactate//mmol/L"].iloc[0]
    assert "LOINC/2524-7" in list(lactate["parent_codes"])


def test_missing_shards_and_columns_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="MEDS folder not found"):
        read_meds(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no MEDS data shards under .*data/\*\*/\*\.parquet"):
        read_meds(tmp_path)
    (tmp_path / "data").mkdir()
    pd.DataFrame({"subject_id": [1], "code": ["X"]}).to_parquet(tmp_path / "data" / "0.parquet")
    with pytest.raises(InputError, match=r"MEDS data lack column.*time, numeric_value"):
        read_meds(tmp_path)


def test_map_code_leaves_specimen_dependent_and_unknown_codes_unmapped() -> None:
    assert map_code("LAB//RESULT//50821//mm Hg") is None  # pO2 needs the specimen
    assert map_code("LAB//220739//UNK") is None  # GCS components are summed per time
    assert map_code("SEPSISTWIN//notavariable//mL") is None


def test_cli_to_meds_and_from_meds(tmp_path: Path) -> None:
    out_dir = tmp_path / "meds"
    done = runner.invoke(
        app,
        ["data", "to-meds", str(example_path("cohort.csv")), str(out_dir),
         "--onset", str(example_path("onsets.csv"))],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["data", "to-meds", str(example_path("cohort.csv")), str(out_dir)])
    assert again.exit_code == 2 and "not empty" in again.output
    out = tmp_path / "tl.csv"
    back = runner.invoke(app, ["data", "from-meds", str(out_dir), "--out", str(out), "--json"])
    assert back.exit_code == 0, back.output
    summary = json.loads(back.stdout)
    assert summary["skipped"] == 0 and summary["rejected"] == 0
    assert summary["observations"] == len(pd.read_csv(out))
