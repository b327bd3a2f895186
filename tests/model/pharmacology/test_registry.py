"""Dose parsing and conversion: clinical units and routes -> solver schedules, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.evidence.loader import load_evidence
from sepsistwin.model.pharmacology import (
    THERAPIES,
    THERAPY_MODULES,
    parse_therapy_dose,
    standard_care,
    therapy_schedule,
)
from sepsistwin.solve import Bolus, Infusion


def test_every_evidence_therapy_id_has_a_registry_entry_and_a_module() -> None:
    ids = set(load_evidence().therapies)
    assert ids == set(THERAPIES) == set(THERAPY_MODULES)


def test_issue_examples_parse_to_the_right_states_amounts_and_times() -> None:
    s = parse_therapy_dose("nivolumab:480mg@24")
    (d,) = s.doses
    assert isinstance(d, Infusion) and d.state == "nivolumab_c" and d.start == 24.0
    assert float(d.rate) * d.duration == pytest.approx(480.0)
    s = parse_therapy_dose("il7:10ug/kg@48,every=84,n=8,route=im", weight_kg=80.0)
    assert len(s.doses) == 8
    assert all(isinstance(x, Bolus) and x.state == "il7_depot" for x in s.doses)
    # 10 ug/kg x 80 kg x F_IM 0.2
    assert float(s.doses[0].amount) == pytest.approx(
        10 * 80 * THERAPIES["il7"].routes["im"].bioavailability
    )
    assert [float(x.time) for x in s.doses[:3]] == [48.0, 132.0, 216.0]


def test_per_kg_doses_scale_with_each_patients_weight() -> None:
    s = therapy_schedule("anti_tnf", "1mg/kg", 0.0, route="iv_bolus", weight_kg=[50.0, 100.0])
    assert np.allclose(s.doses[0].amount, [50.0, 100.0])


def test_mass_units_convert_to_the_state_unit() -> None:
    assert float(parse_therapy_dose("meropenem:1g@0,route=iv_bolus").doses[0].amount) == 1000.0
    assert float(
        parse_therapy_dose("interferon_gamma:0.1mg@0,route=iv").doses[0].amount
    ) == pytest.approx(100.0)  # ug


def test_cells_per_kg_become_blood_concentration_for_gene_edited_cells() -> None:
    d = parse_therapy_dose("gene_editing:1e7cells/kg@48").doses[0]
    assert float(d.amount) == pytest.approx(1e7 / 0.07 / 1e9)
    m = parse_therapy_dose("msc:3x10^6cells/kg@24").doses[0]
    assert float(m.amount) == pytest.approx(3.0)


def test_a_rate_with_a_duration_is_an_infusion() -> None:
    d = parse_therapy_dose("anakinra:2mg/kg/h@24,over=72", weight_kg=70.0).doses[0]
    assert isinstance(d, Infusion) and d.duration == 72.0
    assert float(d.rate) == pytest.approx(140.0)


def test_a_daily_dose_repeats_every_24_hours() -> None:
    s = parse_therapy_dose("gm_csf:4ug/kg/d@24,n=3,route=sc")
    assert [float(x.time) for x in s.doses] == [24.0, 48.0, 72.0]


def test_standard_care_is_meropenem_every_8_hours() -> None:
    s = standard_care(6.0, days=1)
    assert [float(d.start) for d in s.doses] == [6.0, 14.0, 22.0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("aspirin:100mg@0", "unknown therapy id 'aspirin'; valid ids"),
        ("nivolumab:480cells@0", "not a mass"),
        ("nivolumab:480mg@0,route=sc", "route 'sc' is not allowed for nivolumab"),
        ("il7:10ug/kg@48,n=8", "need every=H"),
        ("il7:10ug/kg@x", "time 'x'"),
        ("il7:10ug/kg@1,n=0,every=2", "n='0'"),
        ("anakinra:2mg/kg/h@24", "needs over=H"),
        ("probiotics:1e10mg@0", "not a CFU count"),
        ("nivolumab:480mg@0,speed=2", "option 'speed=2' not understood"),
        ("nivolumab 480mg", "expected THERAPY:AMOUNTUNIT@HOURS"),
    ],
)
def test_bad_dose_specs_name_the_field(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("?", r"\?")):
        parse_therapy_dose(spec)
