"""MIMIC-IV import on the project's own MIMIC-shaped demo (real item ids, invented values)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sepsistwin.clinical.assessment import assess
from sepsistwin.data import CATALOGUE, InputError
from sepsistwin.data.catalogue import CatalogueError
from sepsistwin.data.mimic import MimicImport, load_mimic_map, read_mimic_iv
from sepsistwin.examples.mimic_demo import write_mimic_iv_demo

A, B, C = "30000001", "30000002", "30000003"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_mimic_iv_demo(tmp_path_factory.mktemp("mimic"))


@pytest.fixture(scope="module")
def imported(demo: Path) -> MimicImport:
    return read_mimic_iv(demo)


def _values(result: MimicImport, stay: str, variable: str) -> list[float]:
    obs = result.timeline.for_patient(stay)
    return obs.loc[obs["variable"] == variable, "value"].round(4).tolist()


def test_day0_sofa_of_the_shock_stay_matches_the_hand_count(imported: MimicImport) -> None:
    days = assess(imported.timeline.observations)
    day0 = days[(days["patient_id"] == A) & (days["day"] == 0)].iloc[0]
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
    assert components == [3, 2, 2, 4, 3, 3]
    assert int(day0["sofa"]) == 17
    assert day0["pf_ratio"] == pytest.approx(152.0)
    # 395 mL net over 23 h of charting (first heart rate 08:00 to 07:00 next day)
    assert day0["urine_output"] == pytest.approx(395 / 23 * 24)
    assert bool(day0["septic_shock"])


def test_venous_po2_is_not_read_as_pao2(imported: MimicImport) -> None:
    assert _values(imported, A, "pao2") == [76.0]
    venous = imported.skipped[imported.skipped["itemid"] == 50821]
    assert venous["reason"].tolist() == ["specimen VEN., not ART."]


def test_rate_per_minute_is_divided_by_the_charted_weight(imported: MimicImport) -> None:
    # 5 mcg/min at 80 kg, running across midnight of day 0 -> repeated on day 1
    assert _values(imported, A, "epinephrine") == [0.0625, 0.0625]
    assert _values(imported, A, "norepinephrine") == [0.15]


def test_gcs_total_follows_mimic_code(imported: MimicImport) -> None:
    # 10:00 verbal 'No Response-ETT' -> 15; 20:00 2 + 2 + 4 = 8 (previous > 6 h earlier)
    assert _values(imported, A, "gcs") == [15.0, 8.0]
    assert _values(imported, B, "gcs") == [15.0]


def test_labs_are_read_from_six_hours_before_admission(imported: MimicImport) -> None:
    obs = imported.timeline.for_patient(A)
    creat = obs[obs["variable"] == "creatinine"]
    assert creat["hours"].tolist() == [-4.0, 1.0]
    assert creat["value"].tolist() == [1.0, 2.4]


def test_units_are_converted_from_mimic_spellings(imported: MimicImport) -> None:
    assert _values(imported, A, "temperature") == [pytest.approx(38.5, abs=1e-4)]
    assert _values(imported, A, "fio2") == [0.5, 0.5]
    assert _values(imported, B, "lymphocytes") == [0.9]  # 900 #/uL


def test_ventilation_from_device_and_mode(imported: MimicImport) -> None:
    # device and mode at 09:00, and the Invasive Ventilation procedure from 09:00 (repeated
    # at the day-1 boundary, 24 h after admission)
    assert _values(imported, A, "mechanical_ventilation") == [1.0, 1.0, 1.0, 1.0]
    sources = imported.timeline.for_patient(A).query("variable == 'mechanical_ventilation'")
    assert sources["source"].str.contains("procedureevents 225792").sum() == 2
    assert _values(imported, B, "mechanical_ventilation") == [0.0, 0.0]
    # one device item feeds two variables: high flow is SOFA-2 advanced support
    assert _values(imported, A, "advanced_respiratory_support") == [0.0]
    assert _values(imported, B, "advanced_respiratory_support") == [0.0, 1.0]


def test_day0_sofa2_of_the_shock_stay_matches_the_hand_count(imported: MimicImport) -> None:
    days = assess(imported.timeline.observations, sofa2=True)
    day0 = days[(days["patient_id"] == A) & (days["day"] == 0)].iloc[0]
    components = [
        int(day0[c])
        for c in (
            "sofa2_respiration",
            "sofa2_hemostasis",
            "sofa2_liver",
            "sofa2_cardiovascular",
            "sofa2_brain",
            "sofa2_kidney",
        )
    ]
    assert components == [2, 2, 1, 3, 3, 3]
    assert int(day0["sofa2"]) == 14 and int(day0["sofa"]) == 17


def test_vasopressin_is_a_running_flag_and_spo2_gives_an_sf_ratio(
    imported: MimicImport,
) -> None:
    assert _values(imported, B, "other_vasoactive") == [1.0]
    assert _values(imported, A, "weight") == [80.0]
    days = assess(imported.timeline.observations, sofa2=True)
    day0 = days[(days["patient_id"] == B) & (days["day"] == 0)].iloc[0]
    assert int(day0["sofa2_cardiovascular"]) == 2  # another vasopressor alone
    assert np.isnan(day0["sf_ratio"])  # no FiO2 charted for this stay


def test_every_left_out_row_is_counted_with_its_reason(imported: MimicImport) -> None:
    reasons = set(zip(imported.skipped["itemid"], imported.skipped["reason"], strict=True))
    assert (50912, "no numeric value (valuenum empty)") in reasons
    assert (223835, "FiO2 neither a fraction 0.2-1 nor 20-100 %") in reasons
    assert (226732, "text 'Unknown device' not in the map") in reasons
    assert (221906, "no rate (a bolus or a stopped line)") in reasons
    assert (221289, "a rate per minute without body weight") in reasons
    rejected = imported.timeline.rejected
    assert len(rejected) == 1
    message = rejected["message"].iloc[0]
    assert "heart_rate" in message and "999" in message and "stay 30000003" in message
    assert _values(imported, C, "heart_rate") == [88.0]


def test_antibiotics_and_suspicion_of_infection(demo: Path) -> None:
    result = read_mimic_iv(demo, onset="suspicion")
    stays = result.stays.set_index("patient_id")
    assert stays.loc[B, "onset"] == pd.Timestamp("2150-02-01 12:00:00")
    assert stays.loc[B, "onset_source"] == "suspicion_of_infection"
    assert stays.loc[A, "onset_source"] == "icu_admission"
    obs = result.timeline.for_patient(B)
    assert obs.loc[obs["variable"] == "infection_suspected", "hours"].tolist() == [0.0]
    # vancomycin from 14:00 (2 h after time zero) to ICU discharge at hour 46, so it is
    # also charted at the day-1 boundary; the topical ointment is not an antibiotic course
    assert obs.loc[obs["variable"] == "antibiotic", "hours"].tolist() == [2.0, 24.0]


def test_stays_and_limit_select_stays(demo: Path, tmp_path: Path) -> None:
    wanted = tmp_path / "stays.csv"
    wanted.write_text("stay_id\n30000002\n30000003\n")
    assert read_mimic_iv(demo, stays=wanted).timeline.patients == [B, C]
    assert read_mimic_iv(demo, stays=wanted, limit=1).timeline.patients == [B]


def test_bad_stay_list_names_row_and_value(demo: Path, tmp_path: Path) -> None:
    wanted = tmp_path / "stays.csv"
    wanted.write_text("stay_id\n30000002\nabc\n")
    with pytest.raises(InputError, match=r"row 3 of stays.csv: stay_id 'abc' is not a whole"):
        read_mimic_iv(demo, stays=wanted)


def test_strict_mode_stops_at_the_implausible_value(demo: Path) -> None:
    with pytest.raises(InputError, match="heart_rate: mimic-iv: chartevents 220045") as info:
        read_mimic_iv(demo, lenient=False)
    assert info.value.value == 999 or "999" in str(info.value)


def test_missing_icustays_and_missing_columns_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="MIMIC-IV folder not found"):
        read_mimic_iv(tmp_path / "nope")
    (tmp_path / "icu").mkdir()
    with pytest.raises(InputError, match="no icu/icustays table"):
        read_mimic_iv(tmp_path)
    (tmp_path / "icu" / "icustays.csv").write_text("subject_id,stay_id,intime\n1,2,2150-01-01\n")
    with pytest.raises(InputError, match=r"lacks column.*hadm_id, outtime") as info:
        read_mimic_iv(tmp_path)
    assert info.value.file == "icustays.csv"


def test_parquet_layout_reads_the_same(demo: Path, tmp_path: Path, imported: MimicImport) -> None:
    for path in demo.rglob("*.csv.gz"):
        target = tmp_path / path.relative_to(demo).with_suffix("").with_suffix(".parquet")
        target.parent.mkdir(parents=True, exist_ok=True)
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv('{path}', header=true, all_varchar=true)) "
            f"TO '{target}' (FORMAT parquet)"
        )
    result = read_mimic_iv(tmp_path)
    pd.testing.assert_frame_equal(
        result.timeline.observations.drop(columns="source"),
        imported.timeline.observations.drop(columns="source"),
    )


def test_map_entries_name_catalogue_variables_and_sources() -> None:
    mapping = load_mimic_map()
    items = list(mapping.items())
    assert len(items) > 40
    for _, item in items:
        assert item.variable in CATALOGUE and item.source and item.label


def test_map_with_a_duplicate_item_is_refused(tmp_path: Path) -> None:
    text = Path(load_mimic_map.__globals__["MAP_PATH"]).read_text()
    dup = "  - {itemid: 50912, label: X, variable: creatinine, source: s}\n"
    bad = tmp_path / "map.yaml"
    bad.write_text(text.replace("labevents:\n", "labevents:\n" + dup, 1))
    with pytest.raises(CatalogueError, match=r"map.yaml: labevents: itemid 50912 is listed twice"):
        load_mimic_map(bad)
    bad.write_text(text.replace("variable: creatinine", "variable: kreatinin", 1))
    with pytest.raises(CatalogueError, match="'kreatinin' is not in the catalogue"):
        load_mimic_map(bad)


def test_renal_replacement_therapy_from_procedures_and_charted_crrt(
    imported: MimicImport,
) -> None:
    obs = imported.timeline.for_patient(A).query("variable == 'rrt'")
    assert obs["hours"].tolist() == [28.0, 28.0, 48.0]  # 12:00 day 1 (x2), day-2 boundary
    assert set(obs["source"].str.extract(r"(\w+events \d+)")[0]) == {
        "chartevents 224144",
        "procedureevents 225809",
    }
    days = assess(imported.timeline.observations, sofa2=True).set_index(["patient_id", "day"])
    # hand count (mimic_demo docstring): receiving RRT is SOFA-2 kidney 4 on days 1 and 2;
    # SOFA (Sepsis-3 Table 1) has no RRT criterion
    assert days.loc[(A, 1), "sofa2_kidney"] == 4 and days.loc[(A, 2), "sofa2_kidney"] == 4
    assert days.loc[(A, 1), "sofa_renal"] == 0
    assert days.loc[(A, 0), "sofa2_kidney"] == 3  # day 0 unchanged: dialysis starts on day 1


def test_procedure_without_value_is_counted_not_used(imported: MimicImport) -> None:
    row = imported.skipped[imported.skipped["itemid"] == 225441]
    assert row["reason"].iloc[0].startswith("no value") and int(row["rows"].iloc[0]) == 1
    assert _values(imported, C, "rrt") == []


def test_same_minute_items_of_one_variable_are_one_averaged_measurement(
    imported: MimicImport,
) -> None:
    # cuff 72 and arterial 68 mmHg at 10:00: mimic-code vitalsign.sql averages them
    assert _values(imported, B, "map") == [70.0]
    assert len(imported.timeline.rejected) == 1  # and no conflict is reported


def test_rrt_and_mechanical_support_items_cite_mimic_code() -> None:
    mapping = load_mimic_map()
    rrt = [i for _, i in mapping.items() if i.variable == "rrt"]
    assert {i.itemid for i in rrt} >= {225441, 225802, 225803, 225805, 225809, 225955, 224144}
    assert all("rrt.sql" in i.source for i in rrt)
    ecmo = [i for i in mapping.chartevents if i.itemid == 229268]
    mcs = next(i for i in ecmo if i.variable == "mechanical_circulatory_support")
    assert mcs.text_values == {"VA": 1, "VAV": 1, "VV": 0, "va": 1, "vav": 1, "vv": 0}
