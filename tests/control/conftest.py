"""A small converged twin of a virtual ICU patient with recommended options, for the optimiser."""

from __future__ import annotations

import pytest

from sepsistwin.api import load_timeline
from sepsistwin.clinical import assess
from sepsistwin.control import OptimizerSettings
from sepsistwin.recommend import recommend
from sepsistwin.twin import (
    SamplerSettings,
    Twin,
    fit,
    observation_model,
    population_prior,
    without_discrepancy,
)
from sepsistwin.twin.virtual import VirtualCohort, virtual_cohort

#: A sampler small enough for tests, with lenient convergence thresholds (the tests check the
#: optimiser's machinery; the twin's statistics are checked by its own validation).
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

#: A search small enough for tests.
FAST = OptimizerSettings(draws=12, report_draws=32, popsize=4, generations=2, seed=3)


#: The therapies the tests' patient must be offered at day 2 (an immunoparalysed patient).
NEEDED = {"il7", "nivolumab"}


@pytest.fixture(scope="session")
def cohort() -> VirtualCohort:
    """Virtual septic-shock patients observed as an ICU does (the twin tests' seed)."""
    return virtual_cohort(
        24, population_prior(), without_discrepancy(observation_model()), seed=11, horizon_days=8
    )


def offered_patient(cohort: VirtualCohort, day: int, needed: set[str]) -> str:
    """The first patient of ``cohort`` to whom ``recommend`` offers every therapy in ``needed``
    on ``day`` (assessed on the data up to that day, as the clinician sees it)."""
    obs = load_timeline(cohort.window(day)).observations
    recs = recommend(assess(obs))
    for pid in cohort.ids:
        try:
            offered = {o["therapy"] for o in recs.get(pid, day).options}
        except (KeyError, ValueError):
            continue  # no row for that day (died or not yet observed)
        if needed <= offered:
            return pid
    pytest.fail(f"no patient of the cohort is offered {sorted(needed)} on day {day}")


@pytest.fixture(scope="session")
def twin(cohort: VirtualCohort) -> Twin:
    """The twin of a patient to whom recommend offers IL-7 and nivolumab at day 2."""
    return fit(
        load_timeline(cohort.window(2)),
        offered_patient(cohort, 2, NEEDED),
        until_day=2,
        observation=without_discrepancy(observation_model()),
        settings=SMALL,
        seed=0,
    )


@pytest.fixture(scope="session")
def fast() -> OptimizerSettings:
    """The small search."""
    return FAST
