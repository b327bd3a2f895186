"""Malformed and hostile inputs: one-line InputErrors in bounded time, nothing lost silently."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sepsistwin.data import InputError, read_timeline
from sepsistwin.data.encoding import check_encoding, first_undecodable
from sepsistwin.data.limits import MAX_SPAN_HOURS, MAX_YAML_NODES
from sepsistwin.data.yaml_schema import load_yaml_text, read_yaml
from sepsistwin.trial.spec import TrialSpecError, load_spec, parse_spec

HEADER = "patient_id,time,variable,value,unit\n"
OBS = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2024-03-01T08:00:00Z",
    "code": {"coding": [{"system": "http://loinc.org", "code": "2524-7"}]},
    "valueQuantity": {"value": 2.1, "unit": "mmol/L"},
}


def write(tmp_path: Path, name: str, body: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(body, bytes):
        p.write_bytes(body)
    else:
        p.write_text(body)
    return p


def bundle(*resources: dict[str, object]) -> str:
    return json.dumps({"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]})


# --- encodings ------------------------------------------------------------------------------


def test_latin1_byte_names_row_column_byte_and_the_option(tmp_path: Path) -> None:
    p = write(tmp_path, "labs.csv", (HEADER + "p1,0,creatinine,88,\xb5mol/L\n").encode("latin-1"))
    with pytest.raises(InputError) as exc:
        read_timeline(p)
    msg = str(exc.value)
    assert msg.startswith("row 2 of labs.csv: byte 0xb5 at column 20 is not valid UTF-8")
    assert "--encoding latin-1" in msg and "\n" not in msg
    assert exc.value.row == 2


def test_latin1_file_reads_with_encoding_option(tmp_path: Path) -> None:
    p = write(tmp_path, "labs.csv", (HEADER + "p1,0,creatinine,88.4,\xb5mol/L\n").encode("latin-1"))
    tl = read_timeline(p, encoding="latin-1")
    assert tl.observations["value"].round(3).tolist() == [1.0]


def test_bad_byte_in_header_and_in_lenient_mode_is_still_a_clean_error(tmp_path: Path) -> None:
    p = write(tmp_path, "h.csv", b"patient_id,t\xffme,variable,value,unit\np1,0,gcs,15,\n")
    with pytest.raises(InputError, match=r"row 1 of h\.csv: byte 0xff"):
        read_timeline(p, lenient=True)


def test_unknown_encoding_is_named() -> None:
    with pytest.raises(InputError, match="'klingon' is not a known text encoding"):
        check_encoding("klingon")


def test_first_undecodable_finds_a_byte_beyond_the_first_chunk(tmp_path: Path) -> None:
    body = b"x" * (3 << 20) + b"\n\n\xe9"
    p = write(tmp_path, "big.csv", body)
    assert first_undecodable(p, "utf-8") == (len(body) - 1, 3, 1, b"\xe9")


def test_ndjson_and_onset_files_name_the_bad_byte(tmp_path: Path) -> None:
    nd = write(tmp_path, "o.ndjson", (json.dumps(OBS) + "\n").encode() + b'{"a": "\xb5"}\n')
    with pytest.raises(InputError, match=r"o\.ndjson: line 2: byte 0xb5"):
        read_timeline(nd)
    data = write(tmp_path, "d.csv", HEADER + "p1,2024-03-01T08:00,gcs,15,\n")
    onset = write(tmp_path, "on.csv", b"patient_id,onset\np\xe91,2024-03-01T06:00\n")
    with pytest.raises(InputError, match=r"row 2 of on\.csv: byte 0xe9"):
        read_timeline(data, onset=onset)


# --- times and values -------------------------------------------------------------------------


def test_huge_hours_are_a_row_problem_not_a_memory_blow_up(tmp_path: Path) -> None:
    p = write(tmp_path, "t.csv", HEADER + "p1,0,gcs,15,\np1,1e12,gcs,14,\n")
    with pytest.raises(InputError, match=r"row 3 of t\.csv: time '1000000000000' is "):
        read_timeline(p)
    tl = read_timeline(p, lenient=True)
    assert len(tl.observations) == 1 and "366 days" in tl.rejected["message"].iloc[0]


def test_year_typo_rejects_the_typo_row_not_the_others(tmp_path: Path) -> None:
    rows = "p1,2024-03-01T08:00,gcs,15,\np1,1924-03-01T09:00,gcs,14,\np1,2024-03-02T08:00,gcs,13,\n"
    tl = read_timeline(write(tmp_path, "y.csv", HEADER + rows), lenient=True)
    assert tl.observations["hours"].tolist() == [0.0, 24.0]
    (message,) = tl.rejected["message"]
    assert message.startswith("gcs: row 3 of y.csv: time '1924-03-01T09:00:00' is 36,525 days")
    assert "a typo in the year?" in message


def test_rows_too_far_from_the_onset_are_rejected(tmp_path: Path) -> None:
    data = write(tmp_path, "d.csv", HEADER + "p1,2024-03-01T08:00,gcs,15,\n")
    onset = write(tmp_path, "on.csv", "patient_id,onset\np1,2021-03-01T06:00\n")
    with pytest.raises(InputError, match=r"days from onset \(2021-03-01 06:00\)"):
        read_timeline(data, onset=onset)


def test_rows_within_the_span_are_kept(tmp_path: Path) -> None:
    far = MAX_SPAN_HOURS - 1
    tl = read_timeline(write(tmp_path, "ok.csv", HEADER + f"p1,0,gcs,15,\np1,{far},gcs,14,\n"))
    assert tl.observations["hours"].tolist() == [0.0, float(far)]


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "1650-06-01"])
def test_out_of_bounds_datetimes_name_the_supported_years(tmp_path: Path, when: str) -> None:
    p = write(tmp_path, "o.csv", HEADER + f"p1,{when},gcs,15,\n")
    with pytest.raises(InputError, match="outside the supported years 1800-2250"):
        read_timeline(p)


def test_out_of_bounds_parquet_timestamps_are_rows_not_a_crash(tmp_path: Path) -> None:
    table = pa.table(
        {
            "patient_id": ["p1", "p1"],
            "time": pa.array(
                [pd.Timestamp("2024-03-01").value // 10**9, -62135596800], pa.int64()
            ).cast(pa.timestamp("s")),
            "variable": ["gcs", "gcs"],
            "value": [15.0, 14.0],
            "unit": ["", ""],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    with pytest.raises(InputError, match=r"row 3 of t\.parquet: time '1-01-01.* supported years"):
        read_timeline(tmp_path / "t.parquet")


def test_offset_unit_for_a_concentration_is_a_unit_problem(tmp_path: Path) -> None:
    p = write(tmp_path, "u.csv", HEADER + "p1,0,lactate,1.0,degC\n")
    with pytest.raises(InputError, match="unit 'degC' is not a concentration; expected mmol/L"):
        read_timeline(p)


def test_binary_parquet_text_with_bad_bytes_names_the_row(tmp_path: Path) -> None:
    table = pa.table(
        {
            "patient_id": ["p1", "p1"],
            "time": [0.0, 1.0],
            "variable": ["creatinine", "creatinine"],
            "value": [1.0, 1.0],
            "unit": pa.array([b"mg/dL", b"\xb5mol/L"], pa.binary()),
        }
    )
    pq.write_table(table, tmp_path / "b.parquet")
    with pytest.raises(InputError, match=r"row 3 of b\.parquet: unit holds bytes"):
        read_timeline(tmp_path / "b.parquet")
    values = table.set_column(3, "value", pa.array([b"1", b"\x80"], pa.binary()))
    pq.write_table(values, tmp_path / "v.parquet")
    with pytest.raises(InputError, match=r"row 3 of v\.parquet: value holds bytes"):
        read_timeline(tmp_path / "v.parquet", lenient=True)


def test_not_a_parquet_file_is_one_line(tmp_path: Path) -> None:
    p = write(tmp_path, "x.parquet", b"PAR1 this is not parquet")
    with pytest.raises(InputError, match=r"^x\.parquet: cannot read as Parquet") as exc:
        read_timeline(p)
    assert "\n" not in str(exc.value)


# --- duplicates, skipped resources, onsets without data ----------------------------------


def test_conflicting_duplicates_fail_strict_and_are_listed_lenient(tmp_path: Path) -> None:
    rows = "p1,0,lactate,2.0,mmol/L\np1,0,lactate,2.0,mmol/L\np1,0,lactate,4.0,mmol/L\n"
    p = write(tmp_path, "dup.csv", HEADER + rows)
    with pytest.raises(InputError, match=r"row 4 of dup\.csv: conflicts with row 2") as exc:
        read_timeline(p)
    assert "--lenient" in str(exc.value)
    tl = read_timeline(p, lenient=True)
    assert tl.observations["value"].tolist() == [2.0, 2.0]
    assert tl.rejected["row"].tolist() == [4]


def test_same_value_in_other_units_is_not_a_conflict(tmp_path: Path) -> None:
    rows = "p1,0,creatinine,1.0,mg/dL\np1,0,creatinine,88.4,umol/L\n"
    assert len(read_timeline(write(tmp_path, "u.csv", HEADER + rows)).observations) == 2


def test_urine_volumes_at_one_time_add_up_rather_than_conflict(tmp_path: Path) -> None:
    rows = "p1,1,urine_output,300,mL\np1,1,urine_output,200,mL\n"
    tl = read_timeline(write(tmp_path, "v.csv", HEADER + rows))
    assert tl.observations["value"].tolist() == [300.0, 200.0]


def test_misspelt_resource_type_is_rejected_and_other_types_are_listed(tmp_path: Path) -> None:
    lower = {**OBS, "resourceType": "observation", "id": "o2"}
    typo = {**OBS, "resourceType": "Observaton", "id": "o3"}
    encounter = {"resourceType": "Encounter", "id": "e1"}
    void = {**OBS, "id": "o4", "status": "entered-in-error"}
    p = write(tmp_path, "b.json", bundle(OBS, lower, typo, encounter, void))
    with pytest.raises(InputError, match="did you mean 'Observation'"):
        read_timeline(p)
    tl = read_timeline(p, lenient=True)
    assert len(tl.observations) == 1
    assert tl.rejected["row"].tolist() == ["observation/o2", "Observaton/o3"]
    assert tl.skipped["row"].tolist() == ["Encounter/e1", "Observation/o4"]
    assert "entered-in-error" in tl.skipped["reason"].iloc[1]


def test_malformed_resource_element_is_its_own_row_problem(tmp_path: Path) -> None:
    broken = {**OBS, "id": "o9", "code": "lactate"}
    tl = read_timeline(write(tmp_path, "b.json", bundle(OBS, broken)), lenient=True)
    assert tl.rejected["row"].tolist() == ["Observation/o9"]
    assert "not well-formed FHIR" in tl.rejected["message"].iloc[0]


def test_onset_rows_without_data_are_listed(tmp_path: Path) -> None:
    data = write(tmp_path, "d.csv", HEADER + "p1,2024-03-01T08:00,gcs,15,\n")
    onset = write(tmp_path, "on.csv", "patient_id,onset\np1,2024-03-01T06:00\np9,2024-03-01\n")
    tl = read_timeline(data, onset=onset)
    assert tl.skipped.to_dict("records") == [
        {
            "file": "on.csv",
            "row": None,
            "patient_id": "p9",
            "reason": "onset of patient 'p9', who has no usable observation in d.csv",
        }
    ]


# --- JSON and YAML bombs ----------------------------------------------------------------------


def test_deeply_nested_json_is_one_line(tmp_path: Path) -> None:
    deep = '{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(InputError, match=r"^d\.json: JSON nested more than about \d+ levels"):
        read_timeline(write(tmp_path, "d.json", deep))


def test_bundle_entry_of_the_wrong_type_is_one_line(tmp_path: Path) -> None:
    p = write(tmp_path, "e.json", '{"resourceType": "Bundle", "entry": "oops"}')
    with pytest.raises(InputError, match=r"Bundle\.entry is not a list"):
        read_timeline(p)


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{k}: &{k} [" + ", ".join([f"*{p}"] * 9) + "]\n"
    for p, k in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_yaml_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(ValueError, match=f"more than {MAX_YAML_NODES} YAML nodes"):
        load_yaml_text(BOMB, "bomb.yaml", ValueError)


def test_yaml_alias_bomb_in_a_trial_spec_is_a_spec_error(tmp_path: Path) -> None:
    p = write(tmp_path, "trial.yaml", "name: x\nseed: 1\n" + BOMB)
    with pytest.raises(TrialSpecError, match=r"trial\.yaml: more than .* alias bomb"):
        load_spec(p)


def test_recursive_alias_and_deep_nesting_are_refused() -> None:
    with pytest.raises(ValueError, match="alias refers to a node containing it"):
        load_yaml_text("a: &a [1, *a]\n", "r.yaml", ValueError)
    with pytest.raises(ValueError, match="nested more than 100 levels deep"):
        load_yaml_text("a: " + "[" * 5000 + "]" * 5000, "n.yaml", ValueError)


def test_yaml_with_bad_bytes_names_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "c.yaml", b"phenotype:\n  name: \xb5\n")
    with pytest.raises(ValueError, match=r"c\.yaml: line 2: byte 0xb5 is not valid UTF-8"):
        read_yaml(p, ValueError)


def test_spec_errors_are_input_errors() -> None:
    with pytest.raises(InputError):
        parse_spec("name: [", "t.yaml")


# --- size limits ----------------------------------------------------------------------------


def test_oversized_bundle_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sepsistwin.data.fhir as fhir

    monkeypatch.setattr(fhir, "MAX_BUNDLE_BYTES", 100)
    p = write(tmp_path, "big.json", bundle(OBS, OBS))
    with pytest.raises(InputError, match=r"^big\.json: the file is .* above the limit of 100 "):
        read_timeline(p)


def test_overlong_ndjson_line_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sepsistwin.data.fhir as fhir

    monkeypatch.setattr(fhir, "MAX_NDJSON_LINE_BYTES", 50)
    p = write(tmp_path, "o.ndjson", json.dumps(OBS) + "\n")
    with pytest.raises(InputError, match=r"o\.ndjson: line 1: longer than 50 bytes"):
        read_timeline(p)


def test_oversized_table_and_yaml_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sepsistwin.data.tabular as tabular
    import sepsistwin.data.yaml_schema as yaml_schema

    monkeypatch.setattr(tabular, "MAX_TABLE_BYTES", 10)
    p = write(tmp_path, "t.csv", HEADER + "p1,0,gcs,15,\n")
    with pytest.raises(InputError, match="above the limit of 10 bytes for a CSV long table"):
        read_timeline(p)
    monkeypatch.setattr(yaml_schema, "MAX_YAML_BYTES", 10)
    y = write(tmp_path, "c.yaml", "phenotype: {mals_ferritin_ng_ml: 5000}\n")
    with pytest.raises(ValueError, match=r"c\.yaml: the file is .* above the limit of 10 bytes"):
        read_yaml(y, ValueError)


def test_period_with_a_year_typo_in_its_end_is_rejected_not_expanded(tmp_path: Path) -> None:
    admin = {
        "resourceType": "MedicationAdministration",
        "id": "m1",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7512"}]
        },
        "effectivePeriod": {"start": "2024-03-01T08:00:00Z", "end": "2204-03-01T08:00:00Z"},
        "dosage": {"rateQuantity": {"value": 0.1, "unit": "ug/kg/min"}},
    }
    p = write(tmp_path, "m.json", bundle(OBS, admin))
    with pytest.raises(InputError, match="lasts more than 366 days"):
        read_timeline(p)
    tl = read_timeline(p, lenient=True)
    assert len(tl.observations) == 1 and tl.rejected["row"].tolist() == [
        "MedicationAdministration/m1"
    ]
