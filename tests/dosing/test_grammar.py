"""The one dose grammar: amounts, rates, schedules, the zero rule and the repeat bound."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.dosing import (
    MAX_REPEATS,
    Bolus,
    DoseError,
    Infusion,
    parse_amount,
    parse_dose,
    parse_dose_text,
)
from sepsistwin.model.pharmacology import THERAPIES, dose_schedule, parse_therapy_dose
from sepsistwin.trial import TrialSpecError, parse_spec
from sepsistwin.trial.spec import Dose


@pytest.mark.parametrize(
    ("text", "value", "unit", "kind", "count"),
    [
        ("480mg", 480.0, "mg", "mass", 480.0),
        ("100 µg", 100.0, "ug", "mass", 100.0),
        ("10 mcg/kg", 10.0, "ug/kg", "mass", 10.0),
        ("2 ng/kg", 2.0, "ng/kg", "mass", 2.0),
        ("5 MIU", 5.0, "MIU", "iu", 5e6),
        ("3e6 cells/kg", 3e6, "cells/kg", "cells", 3e6),
        ("3 x10^6 cells/kg", 3.0, "x10^6 cells/kg", "cells", 3e6),
        ("1 million cells", 1.0, "x10^6 cells", "cells", 1e6),
        ("2 x10^9 CFU", 2.0, "x10^9 CFU", "cfu", 2e9),
        ("0.5", 0.5, "", "state", 0.5),
    ],
)
def test_amounts_read_value_unit_and_count(
    text: str, value: float, unit: str, kind: str, count: float
) -> None:
    a = parse_amount(text, unit_required=False)
    assert (a.value, a.unit, a.kind, a.count()) == (value, unit, kind, count)
    assert not a.is_rate


@pytest.mark.parametrize(
    ("text", "per_hour", "unit_text"),
    [
        ("2 mg/kg/h", 2.0, "mg/kg/h"),
        ("2 mg/kg/hour", 2.0, "mg/kg/h"),
        ("0.1 ug/kg/min", 6.0, "ug/kg/h"),
        ("10 mL/h", 10.0, "mL/h"),
        ("0.01/h", 0.01, "/h"),
    ],
)
def test_rates_are_held_per_hour(text: str, per_hour: float, unit_text: str) -> None:
    a = parse_amount(text, unit_required=False)
    assert a.is_rate and a.value == pytest.approx(per_hour) and a.unit_text == unit_text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("200", "has no unit"),
        ("mg 200", "is not '<number> <unit>'"),
        ("200 mgs", "unit 'mgs' not understood"),
        ("2 furlongs/h", "rate unit 'furlongs'/h not understood"),
        ("2 mg/h/kg", "not understood"),
        ("1e999 mg", "finite"),
        ("0 mg", "amount must be > 0"),
        ("0 mg/kg/h", "rate must be > 0"),
        ("-3 mg", "amount must be > 0"),
    ],
)
def test_bad_amounts_are_one_line_errors_naming_the_text(text: str, problem: str) -> None:
    with pytest.raises(DoseError) as info:
        parse_amount(text)
    msg = str(info.value)
    assert msg.startswith(f"dose {text!r}: ") and problem in msg and "\n" not in msg


def test_schedule_options_hours_every_and_n() -> None:
    d = parse_dose_text("il7:10ug/kg@48,every=84,n=8,route=im")
    assert (d.start, d.every, d.n, d.route, d.duration) == (48.0, 84.0, 8, "im", None)
    d = parse_dose_text("anakinra:2mg/kg/h@24-96")
    assert (d.start, d.end, d.duration) == (24.0, 96.0, 72.0)
    d = parse_dose_text("anakinra:2mg/kg/h@24,infusion_hours=72")
    assert d.duration == 72.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("P:1@2,every=3", "give n=N"),
        ("P:1@2,n=3", "need every=H"),
        ("P:1@2,n=0,every=3", "n='0' must be a positive integer"),
        ("P:1@2,n=2.5,every=3", "n='2.5' must be a positive integer"),
        ("P:1@2,every=0,n=2", "every='0' must be > 0 hours"),
        ("P:1@x", "time 'x' is not a number of hours"),
        ("P:1@-5", "time='-5' must be >= 0 hours"),
        ("P:1/h@5-2", "end 2 h must be after start 5 h"),
        ("P:1/h@5-7,over=2", "once"),
        ("P:1@2,n=2,n=2,every=1", "given twice"),
        ("P:1@2,speed=2", "option 'speed=2' not understood"),
        ("P 1@2", "expected THERAPY:AMOUNTUNIT@HOURS"),
    ],
)
def test_bad_schedules_are_refused_naming_the_option(text: str, problem: str) -> None:
    with pytest.raises(DoseError, match=problem.replace("(", r"\(")):
        parse_dose_text(text)


@pytest.mark.parametrize("n", ["1000000000", "9" * 5000, str(MAX_REPEATS + 1)])
def test_an_absurd_repeat_count_is_refused_with_the_limit_before_any_dose_is_built(n: str) -> None:
    for text in (f"P:1@0,every=1,n={n}", f"nivolumab:480mg@0,every=1,n={n}"):
        with pytest.raises(DoseError) as info:
            dose_schedule(text, ("P",))
        msg = str(info.value)
        assert f"more than {MAX_REPEATS} doses" in msg and "\n" not in msg
    with pytest.raises(DoseError, match=f"more than {MAX_REPEATS}"):
        Bolus("P", 0.0, 1.0).repeat(every=1.0, n=1_000_000_000)


def test_the_largest_repeat_count_is_accepted() -> None:
    s = parse_dose(f"P:1@0,every=1,n={MAX_REPEATS}")
    assert len(s) == MAX_REPEATS and float(s.doses[-1].time) == MAX_REPEATS - 1  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["P:0@1", "P:0/h@1-2", "nivolumab:0mg@24", "il7:0ug/kg@48"])
def test_a_written_dose_of_zero_is_refused_for_states_and_therapies(text: str) -> None:
    with pytest.raises(DoseError, match="must be > 0"):
        dose_schedule(text, ("P",))


def test_a_dose_of_zero_is_refused_in_a_trial_spec_too() -> None:
    text = (
        "name: z\nseed: 1\npopulation: {size: 10}\nscreening: {at_hours: 24}\n"
        "arms:\n  - {name: a, therapies: [{therapy: anakinra, dose: 0 mg}]}\n"
    )
    with pytest.raises(TrialSpecError, match=r"line 6: .*dose '0 mg': amount must be > 0"):
        parse_spec(text, "z.yaml")


def test_per_patient_zeros_in_a_python_schedule_mean_not_dosed() -> None:
    from sepsistwin.solve import event_table

    et = event_table(Bolus("P", [1.0, 2.0], [0.5, 0.0]), ["P"], n=2)
    assert et.value[:, 0].tolist() == [0.5, 0.0]


def test_state_and_therapy_doses_share_one_grammar() -> None:
    (bolus,) = dose_schedule("P:0.5@12", ("P", "N")).doses
    assert bolus == Bolus("P", 12.0, 0.5)
    (inf,) = dose_schedule("CA:0.01/h@6,over=24", ("CA",)).doses
    assert isinstance(inf, Infusion) and (inf.start, inf.duration, inf.rate) == (6.0, 24.0, 0.01)
    # A rate of a therapy: START-END and over= are the same infusion.
    a = parse_therapy_dose("anakinra:2mg/kg/h@24-96", weight_kg=70.0).doses[0]
    b = parse_therapy_dose("anakinra:2mg/kg/h@24,over=72", weight_kg=70.0).doses[0]
    assert a == b and isinstance(a, Infusion) and float(a.rate) == pytest.approx(140.0)


def test_per_minute_and_volume_rates_of_a_therapy_become_drug_rates_per_hour() -> None:
    per_min = parse_therapy_dose("anakinra:0.025mg/kg/min@24,over=72", weight_kg=80.0).doses[0]
    assert float(per_min.rate) == pytest.approx(0.025 * 60 * 80)  # type: ignore[union-attr]
    vol = parse_therapy_dose("anakinra:10mL/h@24,over=72,conc=4mg/mL").doses[0]
    assert float(vol.rate) == pytest.approx(40.0)  # type: ignore[union-attr]
    with pytest.raises(DoseError, match="volume rate: give conc="):
        parse_therapy_dose("anakinra:10mL/h@24,over=72")


def test_the_trial_spec_reads_doses_with_the_grammar() -> None:
    for text in ("200 mg", "2 mg/kg/h", "0.1 ug/kg/min", "3 x10^6 cells/kg", "2 g/day"):
        a = parse_amount(text)
        d = Dose.from_text(text)
        assert (d.value, d.unit, d.per_hour) == (a.value, a.unit_text, a.is_rate)


def test_every_registry_regimen_reads_with_the_grammar() -> None:
    for t in THERAPIES.values():
        s = parse_therapy_dose(t.regimen, weight_kg=np.array([60.0, 90.0]))
        assert len(s) >= 1, t.id
