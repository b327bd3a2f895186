"""Each kind of bad input gives an error naming file, row, field, value and what was expected;
lenient mode drops only the bad rows and lists them."""

from __future__ import annotations

import pandas as pd
import pytest

from sepsistwin.data import InputError, observations_from_frame, read_timeline

GOOD = "p1,2024-03-01T08:00:00Z,lactate,2.0,mmol/L"


def _error(path, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        read_timeline(path, **kw)
    return info.value


def test_unit_of_the_wrong_dimension_names_everything(write_csv):
    path = write_csv([GOOD, "p1,2024-03-01T09:00:00Z,lactate,18,mg"])
    err = _error(path)
    assert str(err).splitlines()[0] == (
        "lactate: row 3 of labs.csv: unit 'mg' is not a concentration; expected mmol/L or mg/dL"
    )
    assert (err.file, err.row, err.field, err.value) == ("labs.csv", 3, "unit", "mg")
    assert err.expected == "mmol/L or mg/dL"
    assert err.variable == "lactate"


def test_unknown_unit_names_the_unit_and_the_accepted_ones(write_csv):
    err = _error(write_csv(["p1,2024-03-01T09:00:00Z,creatinine,1.1,blorp/L"]))
    assert "creatinine: row 2 of labs.csv: unit 'blorp/L' is not a known unit" in str(err)
    assert "expected mg/dL or umol/L" in str(err)
    assert (err.field, err.value) == ("unit", "blorp/L")


def test_unknown_variable_suggests_the_closest_name(write_csv):
    err = _error(write_csv([GOOD, GOOD, "p1,2024-03-01T09:00:00Z,feritin,500,ng/mL"]))
    assert str(err).splitlines()[0] == (
        "row 4 of labs.csv: unknown variable 'feritin'; did you mean 'ferritin'?"
    )
    assert (err.row, err.field, err.value, err.variable) == (4, "variable", "feritin", None)


def test_non_numeric_value_is_an_error(write_csv):
    err = _error(write_csv([GOOD, '"p1",2024-03-01T09:00:00Z,ferritin,"12,5",ng/mL']))
    assert str(err).startswith("ferritin: row 3 of labs.csv: value '12,5' is not a number")
    assert (err.field, err.value, err.expected) == ("value", "12,5", "a number")


def test_missing_value_is_an_error_not_a_silent_nan(write_csv):
    err = _error(write_csv(["p1,2024-03-01T09:00:00Z,ferritin,,ng/mL"]))
    assert "ferritin: row 2 of labs.csv: value is missing; expected a number" in str(err)


def test_fraction_above_one_is_implausible_and_the_percent_unit_is_suggested(write_csv):
    err = _error(write_csv(["p1,2024-03-01T09:00:00Z,fio2,45,1"]))
    assert str(err).splitlines()[0] == (
        "fio2: row 2 of labs.csv: value 45 (unit '1') is outside the plausible range "
        "0.21-1 (fraction); did you mean unit '%'?"
    )
    assert (err.field, err.value) == ("value", 45.0)
    assert err.expected == "0.21-1 (fraction)"


def test_value_in_the_wrong_unit_shows_the_converted_value_and_suggests_the_unit(write_csv):
    err = _error(write_csv(["p1,2024-03-01T09:00:00Z,creatinine,88,mg/dL"]))
    assert "value 88 (unit 'mg/dL') is outside the plausible range 0-40 mg/dL" in str(err)
    assert "did you mean unit 'umol/L'?" in str(err)


def test_temperature_in_fahrenheit_written_as_celsius_is_implausible(write_csv):
    err = _error(write_csv(["p1,2024-03-01T09:00:00Z,temperature,101.3,degC"]))
    assert "outside the plausible range 15-46 degC; did you mean unit 'degF'?" in str(err)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("p1,2024-03-01T09:00:00Z,mechanical_ventilation,2,", "value 2 is not 0 or 1 (a flag)"),
        ("p1,2024-03-01T09:00:00Z,gcs,14.5,", "value 14.5 is not a whole number (a score)"),
        ("p1,2024-03-01T09:00:00Z,gcs,2,", "outside the plausible range 3-15 (score)"),
        ("p1,2024-03-01T09:00:00Z,lactate,-1,mmol/L", "outside the plausible range 0-40"),
    ],
)
def test_flags_scores_and_negative_values_are_checked(write_csv, line, fragment):
    assert fragment in str(_error(write_csv([line])))


def test_flags_accept_words_and_numbers(write_csv):
    path = write_csv(
        [
            "p1,2024-03-01T09:00:00Z,mechanical_ventilation,yes,",
            "p1,2024-03-01T10:00:00Z,mechanical_ventilation,0,1",
            "p1,2024-03-01T11:00:00Z,infection_suspected,TRUE,",
        ]
    )
    assert read_timeline(path).observations["value"].tolist() == [1.0, 0.0, 1.0]


def test_missing_required_column_names_file_and_column(write_csv):
    path = write_csv(
        ["p1,2024-03-01T09:00:00Z,lactate,2.0"], header="patient_id,time,variable,value"
    )
    err = _error(path)
    assert str(err).startswith("labs.csv: missing required column 'unit'")
    assert (err.file, err.field, err.row) == ("labs.csv", "unit", None)


def test_empty_file_and_header_only_file_are_errors(tmp_path, write_csv):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert str(_error(empty)).startswith("empty.csv: the file is empty")
    assert str(_error(write_csv([]))) == "labs.csv: the file has no data rows"


def test_unparseable_time_is_an_error(write_csv):
    err = _error(write_csv([GOOD, "p1,03/01/2024 9am,lactate,2.0,mmol/L"]))
    assert "lactate: row 3 of labs.csv: time '03/01/2024 9am' is not readable" in str(err)
    assert (err.field, err.value) == ("time", "03/01/2024 9am")
    assert "ISO-8601" in err.expected


def test_mixing_iso_times_and_hours_is_an_error(write_csv):
    err = _error(write_csv([GOOD, "p1,12,lactate,2.0,mmol/L"]))
    msg = str(err)
    assert msg.startswith("labs.csv: column 'time' mixes ISO-8601 times and numeric hours")
    assert "row 2" in msg and "row 3" in msg
    assert (err.field, err.row) == ("time", 3)


def test_mixing_times_with_and_without_utc_offset_is_an_error(write_csv):
    err = _error(write_csv([GOOD, "p1,2024-03-01T09:00:00,lactate,2.0,mmol/L"]))
    assert "mixes times with a UTC offset and times without one" in str(err)


def test_missing_patient_id_is_an_error(write_csv):
    err = _error(write_csv([GOOD, ",2024-03-01T09:00:00Z,lactate,2.0,mmol/L"]))
    assert str(err).startswith("lactate: row 3 of labs.csv: patient_id is missing")
    assert err.field == "patient_id"


def test_row_with_too_many_fields_names_the_row(write_csv):
    err = _error(write_csv([GOOD, "p1,2024-03-01T09:00:00Z,ferritin,12,5,ng/mL"]))
    assert "row 3 of labs.csv: row has 6 fields but the header has 5" in str(err)


def test_strict_mode_lists_the_first_problems_of_the_file(write_csv):
    lines = [GOOD] + [f"p1,2024-03-01T09:00:00Z,lactate,{v},mg" for v in range(15)]
    err = _error(write_csv(lines))
    text = str(err)
    assert "(14 more problems in labs.csv:" in text
    assert len(err.problems) == 10
    assert text.rstrip().endswith("...)")


def test_lenient_mode_drops_only_bad_rows_and_lists_them(write_csv):
    path = write_csv(
        [
            "p1,2024-03-01T08:00:00Z,lactate,2.0,mmol/L",
            "p1,2024-03-01T09:00:00Z,lactate,18,mg",  # bad unit
            "p1,2024-03-01T10:00:00Z,feritin,500,ng/mL",  # unknown variable
            "p2,2024-03-01T11:00:00Z,ferritin,500,ug/L",
            "p2,2024-03-01T12:00:00Z,fio2,45,1",  # implausible
            "p2,2024-03-01T13:00:00Z,ferritin,12 5,ng/mL",  # not a number
            "p2,2024-03-01T14:00:00Z,fio2,45,%",
        ]
    )
    tl = read_timeline(path, lenient=True)
    obs = tl.observations
    assert obs["source"].tolist() == ["labs.csv:2", "labs.csv:5", "labs.csv:8"]
    assert obs["value"].tolist() == pytest.approx([2.0, 500.0, 0.45])
    rej = tl.rejected
    assert list(rej.columns) == ["file", "row", "patient_id", "field", "value", "message"]
    assert rej["row"].tolist() == [3, 4, 6, 7]
    assert rej["field"].tolist() == ["unit", "variable", "value", "value"]
    assert rej["patient_id"].tolist() == ["p1", "p1", "p2", "p2"]
    assert rej["message"].iloc[1] == (
        "row 4 of labs.csv: unknown variable 'feritin'; did you mean 'ferritin'?"
    )


def test_lenient_mode_keeps_good_rows_of_a_patient_whose_other_rows_are_bad(write_csv):
    path = write_csv(["p1,2024-03-01T06:00:00Z,lactate,2.0,mmol/Q", GOOD])
    tl = read_timeline(path, lenient=True)
    # The rejected row does not set time zero: the first *kept* observation does.
    assert tl.observations["hours"].tolist() == [0.0]
    assert tl.time_zero["p1"] == pd.Timestamp("2024-03-01T08:00:00Z")


def test_lenient_mode_still_raises_for_whole_file_problems(write_csv):
    path = write_csv([GOOD, "p1,5,lactate,2.0,mmol/L"])
    with pytest.raises(InputError, match=r"mixes ISO-8601 times and numeric hours"):
        read_timeline(path, lenient=True)


def test_lenient_mode_lists_rows_with_too_many_fields(write_csv):
    path = write_csv([GOOD, "p1,2024-03-01T09:00:00Z,ferritin,12,5,ng/mL"])
    tl = read_timeline(path, lenient=True)
    assert len(tl.observations) == 1
    assert tl.rejected["row"].tolist() == [3]


def test_in_memory_frame_gets_the_same_validation_with_its_source_name():
    frame = pd.DataFrame(
        {
            "patient_id": ["p1", "p1"],
            "time": [0.0, 1.0],
            "variable": ["lactate", "lactate"],
            "value": [2.0, 18.0],
            "unit": ["mmol/L", "mg"],
        }
    )
    with pytest.raises(InputError) as info:
        observations_from_frame(frame, source_name="upload.csv")
    assert str(info.value).startswith("lactate: row 3 of upload.csv: unit 'mg'")
    tl = observations_from_frame(frame, source_name="upload.csv", lenient=True)
    assert tl.observations["source"].tolist() == ["upload.csv:2"]


def test_unsupported_suffix_is_an_error(tmp_path):
    path = tmp_path / "labs.xlsx"
    path.write_text("x")
    with pytest.raises(InputError, match=r"labs\.xlsx: unsupported file type '\.xlsx'"):
        read_timeline(path)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read_timeline(tmp_path / "nope.csv")
