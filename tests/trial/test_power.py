"""Power helper: replicate trials per size with independent seeds."""

from __future__ import annotations

import pytest
from reynolds_sim import ReynoldsTrialSimulator
from small_specs import small_spec

from sepsistwin.trial import power_curve
from sepsistwin.trial.power import replicate_seed


@pytest.mark.integration
def test_power_rises_with_size_for_a_real_effect(simulator: ReynoldsTrialSimulator) -> None:
    # In the test model the anti-inflammatory arm roughly halves 28-day deaths (see
    # test_runner), so with 20 patients per trial power is modest and with 240 it is high.
    table = power_curve(small_spec(), [20, 240], replicates=4, simulator=simulator, chunk_size=120)
    assert list(table["size"]) == [20, 240]
    assert (table["arm"] == "anakinra").all() and (table["versus"] == "placebo").all()
    small, large = table.iloc[0], table.iloc[1]
    assert 0.0 <= small["power"] <= 1.0
    assert large["power"] >= 0.75
    assert large["power"] >= small["power"]
    assert large["power_ci_low"] <= large["power"] <= large["power_ci_high"]
    assert large["hazard_ratio_median"] < 1.0
    assert large["enrolled_mean"] == 240


def test_replicate_seeds_are_distinct_and_reproducible() -> None:
    seeds = {replicate_seed(5, size, r) for size in (100, 200) for r in range(10)}
    assert len(seeds) == 20
    assert replicate_seed(5, 100, 3) == replicate_seed(5, 100, 3)


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="replicates"):
        power_curve(small_spec(), [10], replicates=0)
    with pytest.raises(ValueError, match="alpha"):
        power_curve(small_spec(), [10], alpha=1.5)
    with pytest.raises(ValueError, match="sizes"):
        power_curve(small_spec(), [])
