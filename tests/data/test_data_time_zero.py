"""Time zero: ISO times vs hours, the onset file, baseline SOFA, Parquet time columns."""

from __future__ import annotations

import pandas as pd
import pytest

from sepsistwin.data import InputError, read_onsets, read_timeline


def test_iso_times_start_at_each_patients_first_observation(write_csv):
    path = write_csv(
        [
            "p1,2024-03-01T10:00:00Z,lactate,2.0,mmol/L",
            "p1,2024-03-01T08:00:00Z,lactate,3.0,mmol/L",
            "p2,2024-03-05T00:00:00+02:00,lactate,1.0,mmol/L",
            "p2,2024-03-06T01:30:00+02:00,lactate,1.5,mmol/L",
        ]
    )
    tl = read_timeline(path)
    obs = tl.observations
    # grouped by patient, input order within a patient
    assert obs["patient_id"].astype(str).tolist() == ["p1", "p1", "p2", "p2"]
    assert obs["hours"].tolist() == [2.0, 0.0, 0.0, 25.5]
    assert obs["value"].tolist() == [2.0, 3.0, 1.0, 1.5]
    assert tl.for_patient("p1")["hours"].tolist() == [0.0, 2.0]
    assert tl.time_zero == {
        "p1": pd.Timestamp("2024-03-01T08:00:00Z"),
        "p2": pd.Timestamp("2024-03-04T22:00:00Z"),
    }


def test_onset_file_sets_time_zero_and_earlier_observations_get_negative_hours(tmp_path, write_csv):
    labs = write_csv(
        [
            "p1,2024-03-01T08:00:00Z,lactate,2.0,mmol/L",
            "p1,2024-03-01T14:00:00Z,lactate,3.0,mmol/L",
            "p2,2024-03-02T08:00:00Z,lactate,1.0,mmol/L",
        ]
    )
    onsets = tmp_path / "onsets.csv"
    onsets.write_text("patient_id,onset,baseline_sofa\np1,2024-03-01T12:00:00Z,2\n")
    tl = read_timeline(labs, onset=onsets)
    assert tl.observations["hours"].tolist() == [-4.0, 2.0, 0.0]
    assert tl.time_zero["p1"] == pd.Timestamp("2024-03-01T12:00:00Z")
    assert tl.time_zero["p2"] == pd.Timestamp("2024-03-02T08:00:00Z")  # no onset: first obs
    assert tl.baseline_sofa == {"p1": 2}


def test_numeric_hours_are_used_as_given_and_a_numeric_onset_is_subtracted(tmp_path, write_csv):
    labs = write_csv(
        [
            "p1,6,lactate,2.0,mmol/L",
            "p1,30.5,lactate,3.0,mmol/L",
            "p2,-2,lactate,1.0,mmol/L",
        ]
    )
    tl = read_timeline(labs)
    assert tl.observations["hours"].tolist() == [6.0, 30.5, -2.0]
    assert tl.time_zero == {"p1": 0.0, "p2": 0.0}
    onsets = tmp_path / "onsets.csv"
    onsets.write_text("patient_id,onset\np1,4\n")
    tl = read_timeline(labs, onset=onsets)
    assert tl.observations["hours"].tolist() == [2.0, 26.5, -2.0]
    assert tl.time_zero == {"p1": 4.0, "p2": 0.0}


def test_onset_mapping_works_like_an_onset_file(write_csv):
    labs = write_csv(["p1,2024-03-01T08:00:00Z,lactate,2.0,mmol/L"])
    tl = read_timeline(labs, onset={"p1": pd.Timestamp("2024-03-01T06:00:00Z")})
    assert tl.observations["hours"].tolist() == [2.0]


def test_naive_times_stay_naive(write_csv):
    labs = write_csv(["p1,2024-03-01 08:00,lactate,2.0,mmol/L", "p1,2024-03-01,pao2,80,mmHg"])
    tl = read_timeline(labs)
    assert tl.time_zero["p1"] == pd.Timestamp("2024-03-01T00:00:00")
    assert tl.time_zero["p1"].tzinfo is None
    assert sorted(tl.observations["hours"].tolist()) == [0.0, 8.0]


def test_date_only_times_fit_a_file_with_offsets_as_utc_midnight(write_csv):
    labs = write_csv(
        ["p1,2024-03-01T08:00:00+01:00,lactate,2.0,mmol/L", "p1,2024-03-01,pao2,80,mmHg"]
    )
    tl = read_timeline(labs)
    assert tl.observations["hours"].tolist() == [7.0, 0.0]


def test_onset_in_hours_for_iso_observations_is_an_error(tmp_path, write_csv):
    labs = write_csv(["p1,2024-03-01T08:00:00Z,lactate,2.0,mmol/L"])
    onsets = tmp_path / "onsets.csv"
    onsets.write_text("patient_id,onset\np1,4\n")
    with pytest.raises(InputError, match=r"onsets\.csv: onset of patient 'p1' is a number"):
        read_timeline(labs, onset=onsets)


def test_iso_onset_for_observations_in_hours_is_an_error(tmp_path, write_csv):
    labs = write_csv(["p1,4,lactate,2.0,mmol/L"])
    onsets = tmp_path / "onsets.csv"
    onsets.write_text("patient_id,onset\np1,2024-03-01T08:00:00Z\n")
    with pytest.raises(InputError, match=r"is a date-time .* gives times in hours"):
        read_timeline(labs, onset=onsets)


def test_naive_onset_for_offset_observations_is_an_error(tmp_path, write_csv):
    labs = write_csv(["p1,2024-03-01T08:00:00Z,lactate,2.0,mmol/L"])
    onsets = tmp_path / "onsets.csv"
    onsets.write_text("patient_id,onset\np1,2024-03-01T06:00:00\n")
    with pytest.raises(InputError, match=r"without a UTC offset but the times of labs\.csv"):
        read_timeline(labs, onset=onsets)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            "patient_id,onset\np1,2024-03-01T06:00Z\np1,2024-03-02T06:00Z\n",
            "row 3 of onsets.csv: patient 'p1' already has an onset at row 2",
        ),
        (
            "patient_id,onset,baseline_sofa\np1,2024-03-01T06:00Z,25\n",
            "row 2 of onsets.csv: baseline_sofa '25' is not a whole number 0-24",
        ),
        (
            "patient_id,onset,baseline_sofa\np1,2024-03-01T06:00Z,1.5\n",
            "baseline_sofa '1.5' is not a whole number",
        ),
        (
            "patient_id,onset\np1,yesterday\n",
            "row 2 of onsets.csv: onset 'yesterday' is not readable",
        ),
        ("patient_id,onset\n,2024-03-01T06:00Z\n", "row 2 of onsets.csv: patient_id is missing"),
        ("patient_id,start\np1,2024-03-01T06:00Z\n", "onsets.csv: missing required column 'onset'"),
        ("patient_id,onset\np1,2024-03-01T06:00Z\np2,5\n", "column 'onset' mixes"),
        ("", "onsets.csv: the file is empty"),
    ],
)
def test_bad_onset_files_are_errors_naming_file_and_row(tmp_path, content, fragment):
    path = tmp_path / "onsets.csv"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        read_onsets(path)
    assert fragment in str(info.value)


def test_onset_file_blank_baseline_sofa_means_unknown(tmp_path):
    path = tmp_path / "onsets.csv"
    path.write_text("patient_id,onset,baseline_sofa\np1,2,3\np2,0,\n")
    tz, sofa = read_onsets(path)
    assert tz == {"p1": 2.0, "p2": 0.0}
    assert sofa == {"p1": 3}


def test_parquet_with_timestamp_column_and_with_float_hours(tmp_path):
    base = {
        "patient_id": ["p1", "p1"],
        "variable": ["lactate", "creatinine"],
        "value": [2.0, 88.4],
        "unit": ["mmol/L", "umol/L"],
    }
    stamps = pd.DataFrame(
        {**base, "time": pd.to_datetime(["2024-03-01T08:00Z", "2024-03-01T11:00Z"])}
    )
    hours = pd.DataFrame({**base, "time": [8.0, 11.0]})
    stamps.to_parquet(tmp_path / "stamps.parquet")
    hours.to_parquet(tmp_path / "hours.pq")
    a = read_timeline(tmp_path / "stamps.parquet").observations
    b = read_timeline(tmp_path / "hours.pq").observations
    assert a["hours"].tolist() == [0.0, 3.0]
    assert b["hours"].tolist() == [8.0, 11.0]
    assert a["value"].tolist() == pytest.approx([2.0, 1.0], rel=1e-3)
    assert a["source"].tolist() == ["stamps.parquet:2", "stamps.parquet:3"]


def test_column_names_are_matched_case_insensitively_and_extra_columns_ignored(write_csv):
    path = write_csv(
        ["p1,2024-03-01T08:00:00Z,lactate,2.0,mmol/L,ward 3"],
        header="Patient_ID,Time,Variable,Value,Unit,comment",
    )
    assert read_timeline(path).observations["value"].tolist() == [2.0]


def test_patient_ids_keep_leading_zeros(write_csv):
    path = write_csv(["007,1,lactate,2.0,mmol/L"])
    assert read_timeline(path).patients == ["007"]


def test_interleaved_patients_are_grouped_in_order_of_first_appearance(write_csv):
    path = write_csv(
        [
            "b,5,lactate,1.0,mmol/L",
            "a,3,lactate,2.0,mmol/L",
            "b,1,lactate,3.0,mmol/L",
            "a,2,lactate,4.0,mmol/L",
        ]
    )
    tl = read_timeline(path)
    obs = tl.observations
    assert obs["patient_id"].astype(str).tolist() == ["b", "b", "a", "a"]
    assert obs["source"].tolist() == ["labs.csv:2", "labs.csv:4", "labs.csv:3", "labs.csv:5"]
    assert tl.patients == ["b", "a"]
