"""Arms that change nobody are flagged; doses are checked against the studied ranges."""

from __future__ import annotations

import pytest
from reynolds_sim import ReynoldsTrialSimulator
from small_specs import small_spec

from sepsistwin.trial import load_spec, run_trial
from sepsistwin.trial.dose_ranges import check_dose, dose_warnings, spec_doses


def _sham_spec() -> dict[str, object]:
    return small_spec(
        counterfactual=True,
        arms=[
            {"name": "placebo", "therapies": []},
            {"name": "sham", "therapies": []},
            {
                "name": "anakinra",
                "therapies": [
                    {"therapy": "anakinra", "dose": "200 mg", "every_hours": 8, "doses": 6}
                ],
            },
        ],
    )


def test_an_arm_that_changes_nobody_is_flagged_and_its_hr_called_noise(
    simulator: ReynoldsTrialSimulator,
) -> None:
    r = run_trial(_sham_spec(), simulator=simulator, store=":memory:", chunk_size=150, workers=1)
    comps = {c["arm"]: c for c in r.comparisons}
    assert comps["sham"]["no_counterfactual_effect"] is True
    assert "no_counterfactual_effect" not in comps["anakinra"]  # it helps some patients
    assert any("arm sham changed no enrolled patient" in n for n in r.notes)
    text = r.summary()
    assert "sham (no effect)" in text
    assert "!! No effect: sham" in text and "noise" in text


def test_check_dose_names_the_range_the_factor_and_the_source() -> None:
    c = check_dose("anakinra", "1000000000 mg")
    assert c.within is False and c.low == c.high == 200.0 and c.unit == "mg"
    assert "5,000,000 times the highest studied dose" in c.message
    assert "PROVIDE" in c.message and "PMID 36384100" in c.message


@pytest.mark.parametrize(
    "therapy,dose,within",
    [
        ("anakinra", "200 mg", True),
        ("anakinra", "20 mg", False),
        ("nivolumab", "480mg", True),
        ("nivolumab", "2 g", False),  # units converted: 2,000 mg
        ("il7", "10 ug/kg", True),  # per kg at the weight
        ("anti_tnf", "7.5 mg/kg", True),
        ("anakinra", "2 mg/kg/h", True),  # a rate is compared with rates (Fisher 1994)
    ],
)
def test_doses_are_compared_in_converted_units_and_by_kind(
    therapy: str, dose: str, within: bool
) -> None:
    assert check_dose(therapy, dose).within is within


def test_a_dose_kind_nobody_studied_is_not_checked() -> None:
    c = check_dose("probiotics", "1e10 CFU")
    assert c.within is None and "not checked" in c.message


def test_the_shipped_example_trials_use_studied_doses() -> None:
    from sepsistwin.trial.examples import list_examples

    for name in list_examples():
        assert dose_warnings(spec_doses(load_spec(name))) == [], name
