"""eICU-CRD import on the project's own eICU-shaped demo (real column names, invented values)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from sepsistwin.cli.main import app
from sepsistwin.clinical.assessment import assess
from sepsistwin.data import CATALOGUE, InputError
from sepsistwin.data.catalogue import CatalogueError
from sepsistwin.data.eicu import EicuImport, load_eicu_map, read_eicu
from sepsistwin.examples.eicu_demo import write_eicu_demo

S1, S2 = "141001", "141002"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_eicu_demo(tmp_path_factory.mktemp("eicu"))


@pytest.fixture(scope="module")
def imported(demo: Path) -> EicuImport:
    return read_eicu(demo)


def values(result: EicuImport, stay: str, variable: str) -> list[float]:
    obs = result.timeline.for_patient(stay)
    return obs.loc[obs["variable"] == variable, "value"].round(4).tolist()


def test_day0_sofa_of_the_shock_stay_matches_the_hand_count(imported: EicuImport) -> None:
    days = assess(imported.timeline.observations)
    day0 = days[(days["patient_id"] == S1) & (days["day"] == 0)].iloc[0]
    components = [
        int(day0[c])
        for c in (
            "sofa_respiration",
            "sofa_coagulation",
            "sofa_liver",
            "sofa_cardiovascular",
            "sofa_cns",
            "sofa_renal",
        )
    ]
    assert components == [2, 2, 1, 4, 1, 2]
    assert int(day0["sofa"]) == 12
    assert day0["pf_ratio"] == pytest.approx(140.0)
    # 23 hourly urine cells of 20 mL over 22 h of charting -> 502 mL/day (partial-day rule)
    assert day0["urine_output"] == pytest.approx(460 * 24 / 22)


def test_offsets_are_hours_since_unit_admission(imported: EicuImport) -> None:
    obs = imported.timeline.for_patient(S1)
    assert obs.loc[obs["variable"] == "gcs", "hours"].tolist() == [4.0]
    assert obs.loc[obs["variable"] == "creatinine", "hours"].round(4).tolist() == [1.6667]


def test_rate_per_minute_is_divided_by_the_infusion_weight(imported: EicuImport) -> None:
    assert values(imported, S1, "norepinephrine") == [0.2]  # 14 mcg/min / 70 kg


def test_latest_lab_revision_is_read(imported: EicuImport) -> None:
    assert values(imported, S1, "creatinine") == [2.2]


def test_same_minute_monitor_and_charted_map_are_one_measurement(imported: EicuImport) -> None:
    assert values(imported, S1, "map") == [64.0]


def test_fahrenheit_and_vasopressin_flag(imported: EicuImport) -> None:
    assert values(imported, S2, "temperature") == [38.5]
    assert values(imported, S2, "other_vasoactive") == [1.0]
    assert values(imported, S2, "weight") == [82.0]


def test_antibiotic_course_spans_days_and_cancelled_orders_are_counted(
    imported: EicuImport,
) -> None:
    obs = imported.timeline.for_patient(S1)
    assert obs.loc[obs["variable"] == "antibiotic", "hours"].tolist() == [0.5, 24.0]
    reasons = set(zip(imported.skipped["item"], imported.skipped["reason"], strict=True))
    assert ("CEFTRIAXONE 2 G IV", "order cancelled") in reasons


def test_every_left_out_row_is_counted_with_its_reason(imported: EicuImport) -> None:
    reasons = set(zip(imported.skipped["item"], imported.skipped["reason"], strict=True))
    assert ("lactate", "no numeric value") in reasons
    assert (
        "Norepinephrine (ml/hr)",
        "a rate in mL/h: no concentration to convert it",
    ) in reasons
    (message,) = imported.timeline.rejected["message"]
    assert "heart_rate" in message and "400" in message and "stay 141002" in message
    assert values(imported, S2, "heart_rate") == [104.0]


def test_stays_limit_and_strict_mode(demo: Path, tmp_path: Path) -> None:
    ids = tmp_path / "stays.csv"
    ids.write_text("patientunitstayid\n141002\n")
    assert read_eicu(demo, stays=ids).timeline.patients == [S2]
    assert read_eicu(demo, limit=1).timeline.patients == [S1]
    with pytest.raises(InputError, match="heart_rate: eicu-crd: vitalperiodic heartrate"):
        read_eicu(demo, lenient=False)


def test_missing_patient_table_and_columns_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no patient table"):
        read_eicu(tmp_path)
    (tmp_path / "patient.csv").write_text("patientunitstayid,age\n1,60\n")
    with pytest.raises(InputError, match="lacks column"):
        read_eicu(tmp_path)


def test_parquet_files_read_the_same(demo: Path, tmp_path: Path, imported: EicuImport) -> None:
    for path in demo.glob("*.csv.gz"):
        target = tmp_path / path.name.replace(".csv.gz", ".parquet")
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv('{path}', header=true, all_varchar=true)) "
            f"TO '{target}' (FORMAT parquet)"
        )
    result = read_eicu(tmp_path)
    pd.testing.assert_frame_equal(
        result.timeline.observations.drop(columns="source"),
        imported.timeline.observations.drop(columns="source"),
    )


def test_map_entries_name_catalogue_variables_and_sources() -> None:
    mapping = load_eicu_map()
    entries = [*mapping.lab, *mapping.vitalperiodic, *mapping.nursecharting]
    entries += mapping.infusiondrug
    assert len(entries) > 25
    for e in entries:
        assert e.variable in CATALOGUE and e.source


def test_map_with_an_unknown_variable_is_refused(tmp_path: Path) -> None:
    text = Path(load_eicu_map.__globals__["MAP_PATH"]).read_text()
    bad = tmp_path / "map.yaml"
    bad.write_text(text.replace("variable: creatinine", "variable: kreatinin", 1))
    with pytest.raises(CatalogueError, match="'kreatinin' is not in the catalogue"):
        load_eicu_map(bad)


def test_cli_writes_the_timeline_and_side_files(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "eicu.parquet"
    res = CliRunner().invoke(app, ["data", "from-eicu", str(demo), "--out", str(out), "--json"])
    assert res.exit_code == 1, res.output  # rows were left out, and listed
    summary = json.loads(res.stdout)
    assert (summary["stays"], summary["rejected"], summary["skipped"]) == (2, 1, 3)
    assert (tmp_path / "eicu.skipped.csv").exists() and (tmp_path / "eicu.rejected.csv").exists()
    assessed = CliRunner().invoke(app, ["assess", str(out), "--json"])
    assert assessed.exit_code == 0, assessed.output
    assert json.loads(assessed.stdout)[0]["sofa"] == 12
