"""Virtual population: seeded sampling, screening through the clinical code, calibration targets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sepsistwin.population import TARGETS, death_times, sample_population
from sepsistwin.population.calibrate import (
    HORIZON_H,
    cohort_stats,
    hazard_rate,
    il7_fold,
    lps_response,
    lymphopenic_patients,
    nivolumab_check,
)


def test_same_seed_same_population_and_different_seed_differs() -> None:
    a, b, c = (sample_population(50, seed=s) for s in (3, 3, 4))
    assert np.array_equal(a.init["P"], b.init["P"])
    assert np.array_equal(a.params["g_mals"], b.params["g_mals"])
    assert not np.array_equal(a.init["P"], c.init["P"])


def test_host_gains_are_negatively_correlated_and_within_bounds() -> None:
    pop = sample_population(4000, seed=1)
    r = np.corrcoef(np.log(pop.params["g_mals"]), np.log(pop.params["g_il10"]))[0, 1]
    assert -0.45 < r < -0.15
    assert pop.abx_start.min() >= 1.0 and pop.abx_start.max() <= 24.0


def test_sepsis_preset_has_a_lighter_infection_burden_and_general_is_its_alias() -> None:
    a = sample_population(2000, "septic_shock", seed=2)
    b = sample_population(2000, "sepsis", seed=2)
    c = sample_population(2000, "general", seed=2)
    assert np.median(b.init["P"]) < np.median(a.init["P"])
    assert np.median(b.init["PF"]) < np.median(a.init["PF"])
    assert np.array_equal(b.init["P"], c.init["P"]) and b.preset == c.preset == "sepsis"


def test_population_carries_the_calibrated_parameter_set() -> None:
    from sepsistwin.population import parameter_set

    cal = parameter_set("calibrated")
    pop = sample_population(3, seed=1)
    for name, value in cal.items():
        assert np.all(pop.params[name] == value)
    own = sample_population(3, seed=1, parameters={"k6D": 123.0})
    assert np.all(own.params["k6D"] == 123.0) and "death_log_h3" not in own.params


def test_bad_size_and_preset_are_rejected() -> None:
    with pytest.raises(ValueError, match="n must be a positive integer"):
        sample_population(0)
    with pytest.raises(ValueError, match="unknown population preset 'mild'"):
        sample_population(5, "mild")


def test_death_times_follow_the_uniform_draws() -> None:
    pop = sample_population(30, seed=5)
    r = pop.simulate(np.arange(0.0, 24 * 28 + 1.0, 6.0))
    u = np.full(pop.n, 0.5)
    early = death_times(r, np.full(pop.n, 0.9))
    late = death_times(r, u)
    assert np.all(early <= late)


def _cohort(n: int, seed: int, preset: str = "septic_shock"):
    pop = sample_population(n, preset, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = pop.simulate(np.arange(0.0, HORIZON_H + 1.0, 1.0))
    return pop, r, cohort_stats(r, seed=seed)


@pytest.fixture(scope="module")
def cohort():
    # A seed the calibration (seed 2024) never saw.
    return _cohort(3000, 11)


@pytest.mark.integration
@pytest.mark.parametrize(
    "name",
    [
        "fraction_MALS",
        "fraction_immunoparalysis",
        "fraction_intermediate",
        "mortality_ratio_MALS",
        "mortality_ratio_immunoparalysis",
        "mortality_overall",
        "early_death_share",
        "il6_over_1000",
        "alc_day4_survivors",
        "alc_day4_nonsurvivors",
        "hla_recovery_survivors",
        "hla_recovery_nonsurvivors",
        "secondary_infection_ratio_immunoparalysis",
    ],
)
@pytest.mark.integration
def test_cohort_targets_are_met_within_tolerance_on_a_fresh_seed(cohort, name: str) -> None:
    # A fresh seed's estimate differs from the calibration's (1,500 patients) by sampling
    # error as well: a phenotype share may miss its tolerance by up to two standard errors of
    # a proportion over the screened cohort's effective size.
    _pop, _r, st = cohort
    v, target = st.values[name], TARGETS[name]
    slack = 0.0
    if name.startswith("fraction_"):
        w = st.weight
        n_eff = float(np.sum(w) ** 2 / np.sum(w**2))
        slack = 2.0 * float(np.sqrt(v * (1.0 - v) / n_eff))
    assert target.within(v) or abs(v - target.value) <= target.tolerance + slack, (name, v, slack)


@pytest.mark.integration
def test_sepsis_preset_mortality_is_lower_than_septic_shock(cohort) -> None:
    pop = sample_population(3000, "sepsis", seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = pop.simulate(np.arange(0.0, HORIZON_H + 1.0, 1.0))
    gen = cohort_stats(r, seed=11, criterion="sepsis3")
    assert gen.values["mortality_overall"] < cohort[2].values["mortality_overall"] - 0.05


def test_death_hazard_is_zero_without_organ_failure_and_rises_with_it() -> None:
    h = hazard_rate(np.array([0.0, 0.01, 1.0, 3.0, 5.0]), -5.0, 4.0)
    assert h[0] == 0.0 and h[1] < 1e-10
    assert np.all(np.diff(h) > 0)
    assert np.isclose(h[3], np.exp(-5.0))


@pytest.mark.integration
def test_screened_cohort_is_the_patients_in_septic_shock_at_screening(cohort) -> None:
    _pop, r, st = cohort
    assert 0.05 < st.values["screened_fraction"] < 1.0
    ofi24 = r.observables["organ_failure_index"][:, 24]
    # Septic shock needs circulatory failure: the screened have more organ failure.
    assert np.median(ofi24[st.screened]) > 1.5 * np.median(ofi24[~st.screened])


@pytest.mark.integration
def test_mortality_is_lowest_in_intermediate(cohort) -> None:
    v = cohort[2].values
    assert min(v["mortality_MALS"], v["mortality_immunoparalysis"]) > v["mortality_intermediate"]


@pytest.mark.integration
def test_survivors_resolve_mals_and_organ_failure_by_day_28(cohort) -> None:
    # MALS resolves in survivors (ferritin falls) and their organs recover (OFI falls).
    _pop, r, st = cohort
    surv = st.weight * (1 - st.mortality)
    fer = np.atleast_2d(r.observables["ferritin"])
    ofi = np.atleast_2d(r.observables["organ_failure_index"])
    mals = (st.phenotype == "MALS") & (surv > 0)
    assert np.average(fer[mals, -1], weights=surv[mals]) < 0.5 * np.average(
        fer[mals, 24], weights=surv[mals]
    )
    assert np.average(ofi[:, -1], weights=surv) < 0.5 * np.average(ofi[:, 24], weights=surv)


@pytest.mark.integration
def test_secondary_infection_is_more_frequent_in_immunoparalysis(cohort) -> None:
    # Low mHLA-DR predicts ICU-acquired infection (Landelle 2010; Ann Intensive Care 2022).
    v = cohort[2].values
    assert v["secondary_infection_immunoparalysis"] > 0.10
    assert v["secondary_infection_immunoparalysis"] > 1.5 * v["secondary_infection_intermediate"]


@pytest.mark.integration
def test_reported_misses_keep_their_direction(cohort) -> None:
    # Not targets the model meets (docs/calibration.md): ALC at screening is lower than the
    # healthy count but not as low as Drewry's; ICU-acquired infection is more frequent than
    # published but concentrated in immunoparalysis.
    v = cohort[2].values
    assert v["alc_screening"] < 2.0
    assert 0.0 < v["secondary_infection_overall"] < 0.6


@pytest.mark.integration
def test_survivors_have_more_lymphocytes_and_recovering_hla_dr_by_day_4(cohort) -> None:
    v = cohort[2].values
    assert v["alc_day4_survivors"] > v["alc_day4_nonsurvivors"]
    assert v["hla_recovery_survivors"] > 1.0 > v["hla_recovery_nonsurvivors"]


def test_endotoxin_peaks_and_tolerance_match_the_human_challenge() -> None:
    from sepsistwin.population import parameter_set
    from sepsistwin.population.calibrate import tolerance_ratio

    cal = parameter_set("calibrated")
    assert TARGETS["tolerance_tnf_ratio"].within(tolerance_ratio(cal))
    r = lps_response(cal)
    for k in ("tnf", "il6", "il10"):
        assert TARGETS[f"{k}_peak"].within(r[f"{k}_peak"]), (k, r[f"{k}_peak"])
        assert TARGETS[f"{k}_peak_time"].within(r[f"{k}_peak_time"]), k


def test_nivolumab_half_life_and_receptor_occupancy_after_480mg() -> None:
    from sepsistwin.population import parameter_set

    v = nivolumab_check(parameter_set("calibrated"))
    assert TARGETS["nivolumab_half_life"].within(v["nivolumab_half_life"])
    assert v["nivolumab_ro_day28"] > 0.90


@pytest.mark.integration
def test_il7_raises_lymphocytes_three_to_four_fold(cohort) -> None:
    pop, r, _st = cohort
    idx = lymphopenic_patients(r, n_max=30)
    assert idx.size >= 10
    fold = il7_fold(pop.subset(idx), {})
    assert TARGETS["il7_alc_fold"].within(fold), fold


def test_frailty_correlation_of_damage_susceptibility_and_il10_gain_is_sampled() -> None:
    # The sampler reproduces the frailty weight it is given (calibrated: docs/calibration.md).
    from sepsistwin.population import load_calibrated_parameters
    from sepsistwin.population.sampler import SEPTIC_SHOCK, frailty_correlation

    hyper = {x.target: {"center": x.center, "spread": x.spread} for x in SEPTIC_SHOCK}
    hyper.update({k: dict(v) for k, v in load_calibrated_parameters().population.items()})
    for rho in (0.0, 0.6):
        hyper["k_nd"]["rho_g_il10"] = rho
        pop = sample_population(4000, seed=1, hyper=hyper)
        r = np.corrcoef(np.log(pop.params["k_nd"]), np.log(pop.params["g_il10"]))[0, 1]
        assert abs(r - frailty_correlation(hyper)) < 0.1
    assert r > 0.3


def test_macrophage_activation_prone_hosts_are_frailer_with_the_mals_weight() -> None:
    # PROVIDE: MALS dies more often than immunoparalysis although MALS hosts have a weaker
    # IL-10 response; the weight of log g_mals in log k_nd (calibrated) makes them frailer.
    from sepsistwin.population import load_calibrated_parameters
    from sepsistwin.population.sampler import SEPTIC_SHOCK

    hyper = {x.target: {"center": x.center, "spread": x.spread} for x in SEPTIC_SHOCK}
    hyper.update({k: dict(v) for k, v in load_calibrated_parameters().population.items()})

    def corr(rho_m: float) -> float:
        hyper["k_nd"]["rho_g_mals"] = rho_m
        pop = sample_population(4000, seed=1, hyper=hyper)
        return float(np.corrcoef(np.log(pop.params["k_nd"]), np.log(pop.params["g_mals"]))[0, 1])

    assert corr(0.4) > corr(0.0) + 0.25
    hyper["k_nd"]["rho_g_il10"] = 0.9
    hyper["k_nd"]["rho_g_mals"] = 0.99
    with pytest.raises(ValueError, match="exceed unit variance"):
        sample_population(10, seed=1, hyper=hyper)


def test_post_hoc_persistent_failure_matches_the_model_state() -> None:
    # The calibration refits the averaging time of persistent organ failure without
    # re-simulating: its exact filter of the OFI trajectory must reproduce the model's OFP.
    from sepsistwin.model.pharmacology import standard_care
    from sepsistwin.population.calibrate import persistent_failure
    from sepsistwin.solve import simulate

    t = np.arange(0.0, 10 * 24 + 1.0, 1.0)
    r = simulate("sepsistwin", {"k_nd": 0.01}, {"P": 3.0}, t, doses=standard_care(6.0))
    ofi = np.atleast_2d(r.observables["organ_failure_index"])
    ofp = persistent_failure(ofi, t, 48.0)[0]
    model = r.observables["persistent_organ_failure"]
    assert model.max() > 1.0
    assert np.max(np.abs(ofp - model)) < 0.01 * model.max()
