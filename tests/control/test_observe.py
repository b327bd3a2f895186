"""ICU-like observation of a simulated patient through the twin's observation model."""

from __future__ import annotations

import numpy as np

from sepsistwin.control.observe import icu_observations, icu_times, screening_observations
from sepsistwin.twin import observation_model, without_discrepancy


def _patient(hours: np.ndarray) -> dict[str, np.ndarray]:
    n = hours.size
    return {
        "lactate": np.full(n, 3.0),
        "ferritin": np.full(n, 2000.0),
        "temperature": np.full(n, 38.5),
        "norepinephrine": np.full(n, 0.2),
        "mhla_dr": np.full(n, 4000.0),
        "platelets": np.full(n, 120.0),
    }


def test_icu_times_are_the_morning_and_evening_rounds_in_the_window() -> None:
    assert icu_times(0.0, 24.0).tolist() == [8.0, 20.0]
    assert icu_times(20.0, 56.0).tolist() == [32.0, 44.0, 56.0]


def test_observations_carry_noise_missingness_and_stop_at_death() -> None:
    om = without_discrepancy(observation_model())
    hours = np.arange(0.0, 97.0, 4.0)
    obs = icu_observations(
        "P1",
        hours,
        _patient(hours),
        om,
        np.random.default_rng(1),
        t_from=0.0,
        t_to=96.0,
        death_hours=70.0,
    )
    assert set(obs.columns) == {"patient_id", "time", "variable", "value", "unit"}
    assert obs["time"].max() < 70.0  # nothing after death
    vitals = obs[obs["variable"] == "temperature"]
    assert sorted(vitals["time"]) == [8.0, 20.0, 32.0, 44.0, 56.0, 68.0]
    lact = obs[obs["variable"] == "lactate"]
    assert set(lact["time"]) <= {8.0, 32.0, 56.0}  # morning labs only
    assert lact["value"].std() > 0  # assay noise
    assert set(obs[obs["variable"] == "mhla_dr"]["time"]) <= {32.0}  # day 1 (day 3 after death)
    many = [
        icu_observations(
            "P1", hours, _patient(hours), om, np.random.default_rng(s), t_from=0.0, t_to=96.0
        )
        for s in range(30)
    ]
    n_lact = [int((m["variable"] == "lactate").sum()) for m in many]
    assert min(n_lact) < 4 == max(n_lact)  # sometimes missing (10%), never more than 4 days


def test_the_same_seed_gives_the_same_observations() -> None:
    om = without_discrepancy(observation_model())
    hours = np.arange(0.0, 49.0, 4.0)
    a = icu_observations(
        "P", hours, _patient(hours), om, np.random.default_rng(3), t_from=0.0, t_to=48.0
    )
    b = icu_observations(
        "P", hours, _patient(hours), om, np.random.default_rng(3), t_from=0.0, t_to=48.0
    )
    assert a.equals(b)


def test_screening_labs_are_measured_once_before_enrolment_with_assay_error() -> None:
    om = without_discrepancy(observation_model())
    truth = {"ferritin": 6000.0, "mhla_dr": 3000.0, "il6": 900.0}
    a = screening_observations("P1", truth, om, np.random.default_rng(1), at=24.0)
    b = screening_observations("P1", truth, om, np.random.default_rng(2), at=24.0)
    assert set(a["variable"]) == {"ferritin", "mhla_dr"}  # the phenotype's tests only
    assert (a["time"] < 24.0).all() and (a["time"] > 23.0).all()
    assert not np.allclose(a["value"], b["value"])  # assay error, seeded
    assert np.allclose(a["value"], [6000.0, 3000.0], rtol=0.5)
