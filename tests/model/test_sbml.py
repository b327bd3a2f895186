"""SBML export: libsbml validates it and libroadrunner reproduces our trajectories."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.model import get_model
from sepsistwin.model.presets.reynolds2006 import SCENARIOS
from sepsistwin.model.sbml import to_sbml, validate_sbml, write_sbml
from sepsistwin.solve import Bolus, Infusion, simulate

roadrunner = pytest.importorskip("roadrunner")
STATES = ("P", "N", "D", "CA")


def _rr_run(xml: str, t_end: float, n: int) -> np.ndarray:
    rr = roadrunner.RoadRunner(xml)
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-14
    rr.integrator.maximum_num_steps = 1_000_000
    rr.timeCourseSelections = ["time", *STATES]
    return np.asarray(rr.simulate(0.0, t_end, n))


def test_exported_document_validates_with_no_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    xml = to_sbml(get_model("reynolds2006"))
    assert validate_sbml(xml) == []
    assert "BIOMD0000000714" in xml and 'rateRule variable="D"' in xml
    path = write_sbml(get_model("reynolds2006"), tmp_path / "r.xml")
    assert path.read_text() == xml


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_roadrunner_reproduces_our_scenarios_within_1e_5(scenario: str) -> None:
    sc = SCENARIOS[scenario]
    m = get_model("reynolds2006")
    rr = _rr_run(to_sbml(m, sc["params"], sc["init"]), 500.0, 501)
    ours = simulate(m, sc["params"], sc["init"], rr[:, 0], rtol=1e-11, atol=1e-14)
    diff = max(np.abs(ours.states[s] - rr[:, k + 1]).max() for k, s in enumerate(STATES))
    assert diff <= 1e-5


def test_dose_schedule_exports_as_events_that_roadrunner_follows() -> None:
    m = get_model("reynolds2006")
    doses = Bolus("P", 10.5, 0.4).repeat(every=24.0, n=2) + Infusion("CA", 5.25, 20.5, 0.02)
    xml = to_sbml(m, {"k_pg": 0.3}, {"P": 0.8}, doses)
    assert validate_sbml(xml) == []
    assert xml.count("<event ") == 4
    rr = _rr_run(xml, 120.0, 121)
    ours = simulate(m, {"k_pg": 0.3}, {"P": 0.8}, rr[:, 0], rtol=1e-11, atol=1e-14, doses=doses)
    undosed = simulate(m, {"k_pg": 0.3}, {"P": 0.8}, rr[:, 0], rtol=1e-11, atol=1e-14)
    diff = max(np.abs(ours.states[s] - rr[:, k + 1]).max() for k, s in enumerate(STATES))
    assert diff <= 1e-5
    assert np.abs(ours.states["CA"] - undosed.states["CA"]).max() > 1e-2  # doses mattered


def test_per_patient_dose_arrays_cannot_be_exported() -> None:
    with pytest.raises(ValueError, match="one patient's schedule"):
        to_sbml(get_model("reynolds2006"), doses=Bolus("P", [1.0, 2.0], 1.0))


def test_unknown_override_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown parameter"):
        to_sbml(get_model("reynolds2006"), params={"nope": 1.0})
