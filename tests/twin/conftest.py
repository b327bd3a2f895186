"""Small twin fixtures: a few virtual ICU patients and a short, small sampler."""

from __future__ import annotations

import pytest

from sepsistwin.api import load_timeline
from sepsistwin.data import Timeline
from sepsistwin.twin import (
    ObservationModel,
    SamplerSettings,
    observation_model,
    population_prior,
    without_discrepancy,
)
from sepsistwin.twin.virtual import VirtualCohort, virtual_cohort

#: A sampler small enough for tests (seconds). Its chains are far too short for the default
#: convergence thresholds, so it states lenient ones: the tests check the machinery, the
#: recovery benchmark checks the statistics.
SMALL = SamplerSettings(
    n_walkers=24,
    burn=40,
    block=20,
    min_steps=40,
    max_steps=40,
    init_draws=256,
    ess_min=5,
    rhat_max=5.0,
    tau_factor=0.5,
)


@pytest.fixture(scope="session")
def small() -> SamplerSettings:
    """The small test sampler."""
    return SMALL


@pytest.fixture(scope="session")
def assay_model() -> ObservationModel:
    """Observation model with assay error only (virtual patients follow the model exactly)."""
    return without_discrepancy(observation_model())


@pytest.fixture(scope="session")
def cohort(assay_model: ObservationModel) -> VirtualCohort:
    """Four virtual septic-shock patients observed as an ICU does, to day 28."""
    return virtual_cohort(4, population_prior(), assay_model, seed=11, horizon_days=8)


@pytest.fixture(scope="session")
def timeline(cohort: VirtualCohort) -> Timeline:
    """The cohort's observations of days 0-2."""
    return load_timeline(cohort.window(2))
