"""The population prior: read from the sampler, conditioned on known quantities."""

from __future__ import annotations

import numpy as np

from sepsistwin.population import sample_population
from sepsistwin.twin import population_prior
from sepsistwin.twin.prior import patient_inputs


def test_prior_covers_the_population_quantities_and_set_points() -> None:
    p = population_prior()
    assert {"k_pg", "g_mals", "k_nd", "init:P", "abx_start"} <= set(p.names)
    assert p.init_links["HLA"] == "hla0"
    assert "death_log_h3" in p.shared  # calibrated model parameter shared by every patient


def test_prior_median_matches_the_population() -> None:
    p = population_prior()
    pop = sample_population(3000, seed=5)
    j = p.index("g_mals")
    assert np.exp(p.mean[j]) == np.float64(np.exp(p.mean[j]))
    assert abs(np.log(np.median(pop.params["g_mals"])) - p.mean[j]) < 0.1


def test_conditioning_on_a_correlated_quantity_moves_the_other() -> None:
    p = population_prior()
    lo = p.conditional({"g_mals": 0.1})
    hi = p.conditional({"g_mals": 20.0})
    j = lo.free_names.index("g_il10")
    # MALS and IL-10 gains are negatively correlated in the population.
    assert hi.mean[j] < lo.mean[j]


def test_values_round_trip_through_whitening() -> None:
    p = population_prior()
    c = p.conditional({"body_weight": 80.0})
    w = c.sample(5, np.random.default_rng(1))
    v = c.values(w)
    assert np.allclose(v[:, p.index("body_weight")], 80.0)
    inside = np.all((v > p.lower) & (v < p.upper), axis=1)
    assert np.allclose(c.whiten(v[inside]), w[inside], atol=1e-8)


def test_marginalised_quantities_are_drawn_only_with_a_generator() -> None:
    p = population_prior()
    c = p.conditional({}, marginal=("mic",))
    w = np.zeros((50, c.ndim))
    j = p.index("mic")
    assert np.ptp(c.values(w)[:, j]) == 0
    assert np.ptp(c.values(w, np.random.default_rng(0))[:, j]) > 0


def test_inputs_carry_parameters_initial_states_and_care() -> None:
    p = population_prior()
    params, init, abx, weight = patient_inputs(p, p.to_values(p.mean)[None, :])
    assert init["HLA"][0] == params["hla0"][0]
    assert abx.shape == (1,) and weight.shape == (1,)
