"""The observation model: likelihood, censoring, units, broken files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sepsistwin.twin import observation_model
from sepsistwin.twin.observation import ObservationError


def test_likelihood_peaks_at_the_measured_value() -> None:
    om = observation_model()
    pred = np.array([500.0, 1000.0, 2000.0, 8000.0])
    ll = om.loglik("ferritin", pred, np.array([2000.0]))
    assert int(np.argmax(ll)) == 2


def test_value_at_the_lower_limit_is_left_censored() -> None:
    om = observation_model()
    lod = om.variables["il6"].lower_limit
    assert lod is not None
    ll = om.loglik("il6", np.array([0.1, 1.0, 100.0]), np.array([lod]))
    # Censored: any prediction well below the limit is as likely as can be (log P -> 0).
    assert ll[0] > -0.01
    assert ll[0] > ll[1] > ll[2]


def test_non_finite_prediction_is_impossible() -> None:
    om = observation_model()
    assert om.loglik("lactate", np.array([np.nan]), np.array([2.0]))[0] == -np.inf


def test_only_model_observables_with_catalogue_entries_are_kept() -> None:
    om = observation_model()
    assert "procalcitonin" not in om.variables  # no model observable today
    assert {"ferritin", "mhla_dr", "lymphocytes", "il6"} <= set(om.fitted)
    assert "wbc" in om.variables and "wbc" not in om.fitted


def test_model_bilirubin_is_converted_to_the_catalogue_unit() -> None:
    om = observation_model()
    # model mg/dL -> catalogue canonical unit (1 mg/dL bilirubin = 17.1 umol/L)
    v = float(om.model_values("bilirubin", np.array([1.0]))[0])
    assert v == pytest.approx(1.0) or v == pytest.approx(17.1, rel=0.01)


def test_broken_file_names_file_key_and_value(tmp_path: Path) -> None:
    p = tmp_path / "obs.yaml"
    p.write_text("variables:\n  lactate:\n    error: gamma\n    source: x\n    status: PROPOSAL\n")
    with pytest.raises(ObservationError, match=r"obs.yaml: variables.lactate.error"):
        observation_model(path=p)


def test_unknown_variable_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "obs.yaml"
    p.write_text(
        "variables:\n  lactat:\n    error: lognormal\n    cv: 0.1\n    source: x\n"
        "    status: PROPOSAL\n"
    )
    with pytest.raises(ObservationError, match="lactat: not a variable of the catalogue"):
        observation_model(path=p)


def test_simulated_measurements_have_the_assay_cv() -> None:
    om = observation_model()
    rng = np.random.default_rng(0)
    x = om.measure("crp", np.full(20000, 100.0), rng, discrepancy=False)
    assert np.std(np.log(x)) == pytest.approx(om.variables["crp"].assay_sigma, rel=0.05)
