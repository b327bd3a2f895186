"""Trial specification: the issue's keys load; every kind of mistake names its line and key."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from sepsistwin.trial import TrialSpecError, list_examples, load_spec, parse_spec
from sepsistwin.trial.spec import Dose

ISSUE_EXAMPLE = textwrap.dedent("""\
    name: provide-like
    seed: 7
    population: {size: 2000, preset: septic_shock}
    screening: {at_hours: 24}
    enrollment:
      phenotypes: [MALS, immunoparalysis]
      rules: ["lymphocytes <= 1.1"]
    background:
      - {therapy: meropenem, dose: 1 g, route: iv, start_hours: 0, every_hours: 8, doses: 21}
    arms:
      - {name: placebo, allocation: 1, therapies: []}
      - name: guided
        allocation: 1
        guided:
          MALS: [{therapy: anakinra, dose: 200 mg, route: iv, every_hours: 8, doses: 21}]
          immunoparalysis:
            - {therapy: interferon_gamma, dose: 100 ug, route: sc, every_hours: 48, doses: 8}
    follow_up_days: 28
    """)


def errors_of(text: str) -> list[str]:
    with pytest.raises(TrialSpecError) as exc:
        parse_spec(text, "t.yaml")
    return exc.value.errors


def test_issue_example_parses_with_its_keys() -> None:
    spec = parse_spec(ISSUE_EXAMPLE)
    assert spec.population.size == 2000
    assert spec.enrollment.rules[0].variable == "lymphocytes"
    assert spec.background[0].administration_hours()[:3] == [0.0, 8.0, 16.0]
    guided = spec.arms[1]
    assert [t.therapy for t in guided.therapies_for("MALS")] == ["anakinra"]
    assert [t.therapy for t in guided.therapies_for("intermediate")] == []
    assert guided.therapies_for("immunoparalysis")[0].dose.mg == pytest.approx(0.1)


@pytest.mark.parametrize("name", list_examples())
def test_every_shipped_example_is_valid(name: str) -> None:
    spec = load_spec(name)
    assert spec.name == name
    assert len(spec.arms) >= 2


def test_shipped_examples_cover_the_issue_list() -> None:
    names = set(list_examples())
    assert {
        "provide-like",
        "iris7-il7",
        "nivolumab-doses",
        "tests-thymosin",
        "anti-tnf-unselected",
    } <= names
    nivo = load_spec("nivolumab-doses")
    doses = sorted(a.therapies[0].dose.mg for a in nivo.arms if a.therapies)
    assert doses == [20.0, 480.0, 960.0]


def test_unknown_key_names_line_and_path() -> None:
    text = ISSUE_EXAMPLE.replace("follow_up_days: 28", "follow_up_dayz: 28")
    errs = errors_of(text)
    assert any(e.startswith("t.yaml: line 18: follow_up_dayz: unknown key") for e in errs)


def test_unknown_therapy_names_the_nested_line_and_valid_ids() -> None:
    text = ISSUE_EXAMPLE.replace("therapy: anakinra", "therapy: anakinraa")
    (err,) = errors_of(text)
    assert err.startswith("t.yaml: line 15: arms[1].guided.MALS[0].therapy:")
    assert "'anakinraa' is not a therapy id" in err and "anakinra" in err


def test_dose_without_known_unit_is_rejected_with_the_accepted_units() -> None:
    (err,) = errors_of(ISSUE_EXAMPLE.replace("dose: 200 mg", "dose: 200 mgs"))
    assert "line 15" in err and "unit 'mgs' not understood" in err and "ug/kg" in err


def test_bad_phenotype_and_rule_are_reported_together() -> None:
    text = ISSUE_EXAMPLE.replace("[MALS, immunoparalysis]", "[MALS, paralysis]").replace(
        '"lymphocytes <= 1.1"', '"lymphs <= 1.1"'
    )
    errs = errors_of(text)
    assert any("line 6: enrollment.phenotypes" in e and "'paralysis'" in e for e in errs)
    assert any("line 7: enrollment.rules" in e and "'lymphs' is not assessed" in e for e in errs)


def test_rule_over_several_days_needs_enough_days_before_screening() -> None:
    text = ISSUE_EXAMPLE.replace('"lymphocytes <= 1.1"', '"mhla_dr < 8000 for 2 days"')
    (err,) = errors_of(text)
    assert err.startswith("t.yaml: line 7: enrollment.rules[0]: 'mhla_dr < 8000 for 2 days'")
    assert "the window rule" in err and "at_hours > 24" in err and "'for 1 days'" in err
    ok = parse_spec(text.replace("at_hours: 24", "at_hours: 30"))
    assert ok.enrollment.rules[0].for_days == 2


@pytest.mark.parametrize("hours", [0.5, 6, 12, 23.5])
def test_screening_before_24_hours_is_valid_with_single_day_rules(hours: float) -> None:
    spec = parse_spec(ISSUE_EXAMPLE.replace("at_hours: 24", f"at_hours: {hours}"))
    assert spec.screening.at_hours == hours


def test_missing_required_key_and_wrong_type() -> None:
    text = ISSUE_EXAMPLE.replace("seed: 7\n", "").replace("size: 2000", "size: many")
    errs = errors_of(text)
    assert any(e.endswith("seed: missing required key") for e in errs)
    assert any("line 2: population.size" in e and "'many'" in e for e in errs)


def test_repeated_doses_need_an_interval() -> None:
    (err,) = errors_of(ISSUE_EXAMPLE.replace("every_hours: 8, doses: 21}]", "doses: 21}]"))
    assert "line 15: arms[1].guided.MALS[0]" in err and "need every_hours" in err


def test_arm_names_must_be_unique() -> None:
    (err,) = errors_of(ISSUE_EXAMPLE.replace("name: guided", "name: placebo"))
    assert "names must be unique" in err and "placebo" in err


def test_invalid_yaml_reports_the_line() -> None:
    (err,) = errors_of("name: x\nseed: [1, 2\npopulation: {size: 3}\n")
    assert err.startswith("t.yaml: line ") and "not valid YAML" in err


def test_block_randomisation_needs_whole_allocations() -> None:
    text = ISSUE_EXAMPLE.replace(
        "follow_up_days: 28", "follow_up_days: 28\nrandomization: {stratify_by: [phenotype]}"
    ).replace("allocation: 1, therapies", "allocation: 1.5, therapies")
    (err,) = errors_of(text)
    assert "whole-number allocations" in err


def test_size_override_changes_the_fingerprint_only_through_the_size() -> None:
    spec = parse_spec(ISSUE_EXAMPLE)
    bigger = spec.with_size(5000)
    assert bigger.population.size == 5000 and spec.population.size == 2000
    assert bigger.fingerprint() != spec.fingerprint()
    assert spec.with_size(2000).fingerprint() == spec.fingerprint()
    with pytest.raises(TrialSpecError, match="positive integer"):
        spec.with_size(0)


def test_spec_round_trips_through_its_canonical_form() -> None:
    spec = parse_spec(ISSUE_EXAMPLE)
    again = load_spec(spec.canonical())
    assert again == spec and again.fingerprint() == spec.fingerprint()


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("1 g", 1.0, "g"),
        ("100 µg", 100.0, "ug"),
        ("7.5 mg/kg", 7.5, "mg/kg"),
        ("10 ug/kg", 10.0, "ug/kg"),
    ],
)
def test_dose_text_parses_value_and_unit(text: str, value: float, unit: str) -> None:
    d = Dose.from_text(text)
    assert (d.value, d.unit) == (value, unit)


@pytest.mark.parametrize("bad", ["200", "mg 200", "0 mg", 200])
def test_dose_text_rejects_missing_unit_or_amount(bad: object) -> None:
    with pytest.raises(ValueError, match="dose"):
        Dose.from_text(bad)


def test_missing_example_name_lists_the_examples() -> None:
    with pytest.raises(FileNotFoundError, match="provide-like"):
        load_spec("no-such-trial")


def test_clinical_criteria_are_rules_by_name() -> None:
    from sepsistwin.trial.rules import parse_rule

    spec = parse_spec(ISSUE_EXAMPLE.replace('"lymphocytes <= 1.1"', '"sepsis3", "septic_shock"'))
    rules = spec.enrollment.rules
    assert [(r.variable, r.op, r.threshold) for r in rules] == [
        ("sepsis3", "==", 1.0),
        ("septic_shock", "==", 1.0),
    ]
    assert rules[0].holds(np.array([[1.0], [0.0], [np.nan]])).tolist() == [True, False, False]
    assert parse_rule("sepsis3 == 1").variable == "sepsis3"
    errs = errors_of(ISSUE_EXAMPLE.replace('"lymphocytes <= 1.1"', '"sepsis4"'))
    assert any("criterion (sepsis3, septic_shock)" in e for e in errs)


RATE_SPEC = ISSUE_EXAMPLE.replace(
    "MALS: [{therapy: anakinra, dose: 200 mg, route: iv, every_hours: 8, doses: 21}]",
    "MALS: [{therapy: anakinra, dose: 2 mg/kg/h, route: iv, infusion_hours: 72}]",
)


def test_a_rate_dose_runs_for_its_infusion_hours() -> None:
    spec = parse_spec(RATE_SPEC, "t.yaml")
    dose = spec.arms[1].guided["MALS"][0].dose
    assert (dose.value, dose.unit, dose.per_hour) == (2.0, "mg/kg/h", True)


def test_rates_per_minute_and_volume_rates_become_per_hour_drug_rates() -> None:
    per_min = Dose.from_text("0.1 ug/kg/min")
    assert (round(per_min.value, 9), per_min.unit, per_min.text) == (6.0, "ug/kg/h", "6 ug/kg/h")
    text = RATE_SPEC.replace("dose: 2 mg/kg/h,", "dose: 10 mL/h, concentration: 4 mg/mL,")
    dose = parse_spec(text, "t.yaml").arms[1].guided["MALS"][0].dose
    assert (dose.value, dose.unit) == (40.0, "mg/h")


def test_a_rate_without_infusion_hours_or_concentration_names_what_is_missing() -> None:
    no_hours = RATE_SPEC.replace(", infusion_hours: 72", "")
    (msg,) = errors_of(no_hours)
    assert "t.yaml" in msg and "is a rate: give infusion_hours" in msg
    no_conc = RATE_SPEC.replace("dose: 2 mg/kg/h", "dose: 10 mL/h")
    assert "give concentration (e.g. '4 mg/mL')" in errors_of(no_conc)[0]
    bad_unit = RATE_SPEC.replace("dose: 2 mg/kg/h", "dose: 2 furlongs/h")
    assert "rate unit 'furlongs'/h not understood" in errors_of(bad_unit)[0]
