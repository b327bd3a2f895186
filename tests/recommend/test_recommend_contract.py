"""The output contract: keys, disclaimer, sources on every number, input validation, config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from recommend_frames import NAN, day, frame

from sepsistwin import DISCLAIMER
from sepsistwin.recommend import RULES_PATH, RulesError, load_rules, recommend

DAY_KEYS = {
    "patient_id",
    "day",
    "phenotype",
    "immune_state",
    "options",
    "excluded",
    "no_immunotherapy_reason",
    "measure_next",
    "notes",
    "disclaimer",
}
OPTION_KEYS = {
    "therapy",
    "rank",
    "dose",
    "schedule",
    "route",
    "rationale",
    "evidence_level",
    "trials",
    "effect_reported",
    "warnings",
    "contraindications_found",
    "timing_window",
    "status_of_numbers",
}
NUMERIC_KEYS = ("value", "upper", "estimate", "treatment", "control", "p_value", "ci")


def _rich_cohort() -> pd.DataFrame:
    """Days that fire every rule path at least once."""
    return frame(
        day("MALS1", 0, "MALS", "hyperinflammatory", ferritin=8000, il6=2500),
        day("IP1", 0, "immunoparalysis", "immunosuppressed", mhla_dr=3000, lymphocytes=0.5),
        day(
            "IP1",
            1,
            "immunoparalysis",
            "immunosuppressed",
            mhla_dr=3500,
            lymphocytes=0.6,
            pathogen_load=5e6,
        ),
        day("NONE", 0),
        day("IND", 0, "indeterminate", "indeterminate", ferritin=NAN, mhla_dr=NAN),
    )


def _numbered(obj: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(obj, dict):
        if any(
            isinstance(obj.get(k), int | float | list) and not isinstance(obj.get(k), bool)
            for k in NUMERIC_KEYS
        ):
            out.append((path, obj))
        for k, v in obj.items():
            out.extend(_numbered(v, f"{path}.{k}"))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.extend(_numbered(v, f"{path}[{i}]"))
    return out


def test_every_record_has_the_contract_keys_and_the_disclaimer() -> None:
    records = recommend(_rich_cohort()).to_records()
    assert len(records) == 5
    for rec in records:
        assert DAY_KEYS <= set(rec)
        assert rec["disclaimer"] == DISCLAIMER
        for opt in rec["options"]:
            assert OPTION_KEYS <= set(opt)


def test_records_are_json_serialisable() -> None:
    text = json.dumps(recommend(_rich_cohort()).to_records())
    assert json.loads(text)[0]["patient_id"] == "MALS1"


def test_every_number_shown_carries_a_source_and_a_status() -> None:
    records = recommend(_rich_cohort()).to_records()
    checked = 0
    for rec in records:
        for path, d in _numbered(rec):
            assert d.get("source"), f"{rec['patient_id']} day {rec['day']}{path}: no source"
            assert d.get("status"), f"{rec['patient_id']} day {rec['day']}{path}: no status"
            checked += 1
    assert checked > 50  # the walk really visited doses, effects, thresholds, rates


def test_recalled_numbers_are_never_reported_as_verified() -> None:
    records = recommend(_rich_cohort()).to_records()
    ip = next(r for r in records if r["patient_id"] == "IP1" and r["day"] == 1)
    seen_recalled = 0
    for opt in ip["options"]:
        not_verified = set(opt["status_of_numbers"]["not_verified"])
        for path, d in _numbered(opt):
            if d["status"] == "RECALLED":
                seen_recalled += 1
                assert path.lstrip(".") in not_verified
                assert opt["status_of_numbers"]["all_verified"] is False
    assert seen_recalled > 0  # IFN-gamma dose and the pathogen-load threshold are RECALLED


def test_filter_by_patient_and_day_and_unknown_values_name_the_valid_ones() -> None:
    rs = recommend(_rich_cohort())
    assert [(d.patient_id, d.day) for d in rs.filter(patient="IP1")] == [("IP1", 0), ("IP1", 1)]
    assert len(rs.filter(patient="IP1", day=1)) == 1
    with pytest.raises(KeyError, match="unknown patient 'X'"):
        rs.filter(patient="X")
    with pytest.raises(KeyError, match=r"no day 7 for patient 'IP1'; expected one of \[0, 1\]"):
        rs.filter(patient="IP1", day=7)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["phenotype"]), r"missing column\(s\) \['phenotype'\]"),
        (lambda f: f.assign(phenotype="septic"), r"row 0: phenotype 'septic' is not one of"),
        (lambda f: f.assign(immune_state="calm"), r"row 0: immune_state 'calm' is not one of"),
        (lambda f: f.assign(day=0.5), r"row 0: day 0.5 is not an integer"),
        (lambda f: f.assign(il6="high"), r"row 0: il6 'high' is not a number \(expected pg/mL\)"),
        (lambda f: pd.concat([f, f]), r"patient 'P1' day 0 appears more than once"),
    ],
)
def test_bad_assessment_input_is_a_clear_error(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        recommend(mutate(frame(day())))


def test_absent_variable_column_counts_as_not_measured() -> None:
    d = recommend(frame(day()).drop(columns=["lymphocytes"])).get("P1", 0)
    assert "lymphocytes" in [m["variable"] for m in d.measure_next]


def _rules_copy(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_thresholds_come_from_the_rules_file_not_the_code(tmp_path: Path) -> None:
    # Raising the ImmunoSep neutrophil floor in the config changes the decision at ANC 1.8.
    path = _rules_copy(
        tmp_path, lambda d: d["thresholds"]["neutrophils_min"].__setitem__("value", 2.0)
    )
    mals = frame(
        day(phenotype="MALS", immune_state="hyperinflammatory", ferritin=6000, neutrophils=1.8)
    )
    assert recommend(mals).get("P1", 0).options[0]["therapy"] == "anakinra"
    assert recommend(mals, rules=load_rules(path)).get("P1", 0).options == []


def test_every_threshold_has_value_unit_source_and_status() -> None:
    rs = load_rules()
    for name, th in rs.thresholds.items():
        assert th.unit and th.source and th.status, name


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["rules"][0].__setitem__("regimen", "nope"),
            r"rules\.yaml: rules\[0\]\.regimen: anakinra has no regimen 'nope'",
        ),
        (
            lambda d: d["rules"][0].__setitem__("trials", ["provide", "nope"]),
            r"rules\.yaml: rules\[0\]\.trials: anakinra has no trial 'nope'",
        ),
        (
            lambda d: d["rules"][0].__setitem__("evidence_level", "meta_analysis"),
            r"rules\.yaml: rules\[0\]\.evidence_level: 'meta_analysis' is not the level",
        ),
        (
            lambda d: d["rules"][0].__setitem__("id", "made_up_rule"),
            r"rules\.yaml: rules\[0\]\.id: no engine condition for 'made_up_rule'",
        ),
        (
            lambda d: d["thresholds"]["il7_alc"].pop("unit"),
            r"rules\.yaml: thresholds\.il7_alc\.unit: missing required key",
        ),
        (
            lambda d: d["thresholds"]["il7_alc"].__setitem__("source", "nobody"),
            r"rules\.yaml: thresholds\.il7_alc\.source: unknown citation key 'nobody'",
        ),
    ],
)
def test_malformed_rules_file_names_file_and_key(tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RulesError, match=message):
        load_rules(_rules_copy(tmp_path, mutate))
