"""Qualitative behaviour of each immune module of the ``sepsistwin`` preset."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from sepsistwin.clinical import assess
from sepsistwin.model import get_model
from sepsistwin.model.immune import IMMUNE_MODULES
from sepsistwin.model.model import ModelBuilder
from sepsistwin.model.pharmacology import parse_therapy_dose, standard_care
from sepsistwin.model.presets.reynolds2006 import innate_core
from sepsistwin.population.screening import observations
from sepsistwin.solve import simulate, simulate_batch

T = np.arange(0.0, 14 * 24 + 1.0, 1.0)


@pytest.fixture(scope="module")
def model():
    return get_model("sepsistwin")


def test_every_parameter_has_a_unit_and_a_source(model) -> None:
    missing = [p.name for p in model.parameters if not p.unit or not p.source]
    assert missing == []


def test_catalogue_observables_exist_with_canonical_units(model) -> None:
    from sepsistwin.data import catalogue

    cat = yaml.safe_load(open(catalogue.__file__.replace("catalogue.py", "variables.yaml")))
    units = {k: v["canonical_unit"] for k, v in cat["variables"].items()}
    needed = [
        "lymphocytes",
        "mhla_dr",
        "ferritin",
        "il6",
        "il10",
        "tnf",
        "crp",
        "map",
        "lactate",
        "platelets",
        "bilirubin",
        "creatinine",
        "gcs",
        "pao2",
        "fio2",
        "norepinephrine",
        "mechanical_ventilation",
        "pathogen_load",
    ]
    obs = {o.name: o.unit for o in model.observables}
    for name in needed:
        assert name in obs, name
        if name not in ("fio2", "mechanical_ventilation", "gcs"):
            assert obs[name] == units[name], (name, obs[name], units[name])
    assert "pd1_receptor_occupancy" in obs


def test_each_module_builds_on_the_core_with_neutral_hooks() -> None:
    for module in IMMUNE_MODULES:
        b = ModelBuilder("part").include(innate_core)
        for m in IMMUNE_MODULES[: IMMUNE_MODULES.index(module) + 1]:
            b.include(m)
        assert b.build().state_names[:4] == ("P", "N", "D", "CA")


def test_healthy_subject_without_infection_stays_at_baseline() -> None:
    r = simulate("sepsistwin", {}, {"P": 0.0}, T)
    assert r.states["D"][-1] < 0.05
    assert r.observables["ferritin"][-1] < 300
    assert r.observables["mhla_dr"][-1] > 0.9 * r.observables["mhla_dr"][0]
    assert r.observables["lymphocytes"][-1] > 1.8


def test_healthy_subject_has_almost_no_death_risk_over_28_days() -> None:
    # No infection, and the 2 ng/kg endotoxin challenge healthy volunteers get (they survive).
    t = np.arange(0.0, 28 * 24 + 1.0, 1.0)
    quiet = simulate("sepsistwin", {}, {"P": 0.0}, t)
    lps = simulate("sepsistwin", {}, {"P": 0.0}, t, doses=parse_therapy_dose("endotoxin:2ng/kg@0"))
    assert quiet.observables["death_probability"][-1] < 0.001
    assert lps.observables["death_probability"][-1] < 0.02


def test_death_risk_accrues_only_while_organs_fail() -> None:
    # A moderate infection cleared by antibiotics: the hazard stops once organ failure resolves.
    from sepsistwin.population import parameter_set

    p = {**parameter_set("calibrated"), "k_nd": 0.005}
    r = simulate("sepsistwin", p, {"P": 3.0}, T, doses=standard_care(6.0))
    ofi, dp = r.observables["organ_failure_index"], r.observables["death_probability"]
    assert ofi.max() > 1.0 and ofi[-1] < 0.1
    assert dp[-1] > 1e-5  # some risk while the organs failed
    # The hazard follows organ failure averaged over ~tau_ofp (~3 days, calibrated), so it
    # fades with it: the last two days add < 1% of the risk.
    assert dp[-1] - dp[-48] < 1e-2 * dp[-1]


def test_endotoxin_gives_tnf_then_il6_then_il10_and_transient_hla_dr_fall() -> None:
    t = np.arange(0.0, 24.01, 0.1)
    r = simulate("sepsistwin", {}, {"P": 0.0}, t, doses=parse_therapy_dose("endotoxin:2ng/kg@0"))
    o = r.observables
    peaks = [t[np.argmax(o[k])] for k in ("tnf", "il6", "il10")]
    assert peaks[0] < peaks[1] < peaks[2]
    assert o["mhla_dr"][30] < 0.95 * o["mhla_dr"][0]  # falls by 3 h
    assert o["tnf"][-1] < 20 and o["il6"][-1] < 50  # resolved by 24 h


@pytest.fixture(scope="module")
def severity():
    # Rising infection burden under the same standard care.
    return simulate_batch("sepsistwin", {}, {"P": [0.3, 1.0, 3.0]}, T, doses=standard_care(6.0))


def test_heavier_infection_means_more_organ_failure_lower_hla_dr_and_fewer_lymphocytes(
    severity,
) -> None:
    o = severity.observables
    assert np.all(np.diff(o["organ_failure_index"][:, 48]) > 0)
    assert np.all(np.diff(o["mhla_dr"][:, 24]) < 0)
    assert np.all(np.diff(o["lymphocytes"][:, 48]) < 0)
    assert np.all(np.diff(o["death_probability"][:, -1]) > 0)


def test_organ_dysfunction_is_scored_by_the_clinical_sofa_code(severity) -> None:
    obs = observations(severity, 48.0, seed=0)
    a = assess(obs)
    sofa = a[a["day"] == 2].set_index("patient_id")["sofa"]
    assert sofa["v000002"] > sofa["v000000"]
    assert sofa["v000002"] >= 6


def test_macrophage_gain_raises_ferritin_and_il10_gain_lowers_hla_dr() -> None:
    # IL-1 driven activation (IFN-gamma only primes it) needs an IL-1 signal that IL-10 does not
    # suppress: hosts with a weak IL-10 response, macrophage gains at the population's extremes.
    r = simulate_batch(
        "sepsistwin",
        {"g_mals": [1.0, 30.0, 1.0], "g_il10": [0.5, 0.5, 4.0]},
        {"P": 1.0},
        [0.0, 24.0],
        doses=standard_care(6.0),
    )
    fer, hla = r.observables["ferritin"][:, 1], r.observables["mhla_dr"][:, 1]
    assert fer[1] > 2 * fer[0]
    assert hla[2] < hla[0]
    assert r.observables["il10"][2, 1] > r.observables["il10"][0, 1]


def test_low_hla_dr_lets_the_secondary_infection_grow() -> None:
    # A strong IL-10 response keeps mHLA-DR low for days; the ICU-acquired pathogen grows in
    # that window (it adds little IL-10 itself, f_sys2, so mHLA-DR then recovers).
    r = simulate_batch(
        "sepsistwin", {"g_il10": [1.0, 8.0]}, {"P": 0.5}, T, doses=standard_care(6.0)
    )
    assert r.observables["mhla_dr"][1, 3 * 24] < 0.5 * r.observables["mhla_dr"][0, 3 * 24]
    p2 = r.observables["secondary_pathogen_load"][:, 3 * 24]
    assert p2[1] > 3 * p2[0]


def test_low_hla_dr_and_lymphopenia_let_the_icu_acquired_pathogen_grow() -> None:
    # No primary infection, a 5e4 CFU/mL ICU-acquired inoculum under meropenem (the
    # breakthrough organism is resistant). Normal mHLA-DR (22,000 AB/C) and lymphocytes (2.0)
    # clear it; an immunoparalysed set point (3,000 AB/C, < 8,000: Ann Intensive Care 2022)
    # lets it pass 1e5 CFU/mL, faster with lymphopenia (0.4 <= 0.6 x10^9/L: Drewry 2014).
    hla, alc = [22000.0, 3000.0, 22000.0, 3000.0], [2.0, 2.0, 0.4, 0.4]
    r = simulate_batch(
        "sepsistwin",
        {"hla0": hla, "L_hom": alc},
        {"P": 0.0, "P2": 0.05, "HLA": hla, "T": alc},
        T[: 7 * 24 + 1],
        doses=standard_care(0.0),
    )
    p2 = r.observables["secondary_pathogen_load"]
    assert r.observables["mhla_dr"][1, -1] < 8000 and r.observables["lymphocytes"][2, -1] < 0.6
    first = np.argmax(p2 >= 1e5, axis=1)
    assert p2[0].max() < 1e5 and p2[0, -1] < 0.5 * p2[0, 0]  # normal host: cleared
    assert p2[2].max() < 1e5  # lymphopenia alone: monocytes still clear it
    assert p2[1].max() > 1e5 and p2[3].max() > 1e5  # low mHLA-DR: it establishes
    assert first[3] < first[1]  # and sooner when lymphocytes are low too


def test_antibiotics_harm_gut_diversity_which_recovers_slowly() -> None:
    r = simulate_batch("sepsistwin", {}, {"P": 0.2}, T, doses=standard_care(6.0), n=1)
    g = r.observables["gut_diversity"][0]
    assert g[7 * 24] < 0.7
    assert g[-1] > g[7 * 24]


def test_standard_care_antibiotics_lower_pathogen_and_death() -> None:
    # A host whose organ failure is not self-sustaining (k_nd below the population median).
    p = {"k_pg": 0.6, "k_nd": 0.008}
    r0 = simulate("sepsistwin", p, {"P": 1.0}, T)
    r1 = simulate("sepsistwin", p, {"P": 1.0}, T, doses=standard_care(6.0))
    assert r1.observables["pathogen_load"][48] < 1e-3 * r0.observables["pathogen_load"][48]
    assert r1.observables["death_probability"][-1] < 0.5 * r0.observables["death_probability"][-1]


def test_pathogens_damage_tissue_directly_once_past_colonisation() -> None:
    # An established ICU-acquired infection (5e5 CFU/mL held by a resistant organism in a host
    # with no monocyte or T-cell clearance) damages tissue on its own, while the colonisation
    # level of a healthy subject (~1e4 CFU/mL) does not; k_dP = 0 removes the direct damage.
    t = T[: 5 * 24 + 1]
    base = {"hla0": 1000.0, "L_hom": 0.05}
    init = {"P": 0.0, "P2": 0.5, "HLA": 1000.0, "T": 0.05}
    r = simulate_batch("sepsistwin", {**base, "k_dP": [0.12, 0.0]}, init, t)
    d = r.states["D"][:, -1]
    assert d[0] > 1.0 > 5 * d[1], d
    quiet = simulate("sepsistwin", {}, {"P": 0.0}, t)
    assert quiet.states["D"][-1] < 0.05


def test_stress_moves_lymphocytes_out_of_the_blood_and_back() -> None:
    # The blood count is the recirculating pool less the share stress (organ failure) moves out
    # of the circulation (Richardson 1989, Fauci & Dale 1974): lower than the pool during organ
    # failure, equal to it in health, and nothing moves with m_marg = 0.
    r = simulate_batch(
        "sepsistwin", {"m_marg": [0.8, 0.0]}, {"P": 3.0}, T, doses=standard_care(6.0)
    )
    pool = r.states["T"] + r.states["TEX"] + r.states["TKO"]
    blood, ofi = r.observables["lymphocytes"], r.observables["organ_failure_index"]
    i = int(np.argmax(ofi[0]))
    assert ofi[0, i] > 1.0
    assert blood[0, i] < 0.7 * pool[0, i]
    assert np.allclose(blood[1], pool[1])
    quiet = simulate("sepsistwin", {}, {"P": 0.0}, T[:48])
    q_pool = quiet.states["T"] + quiet.states["TEX"] + quiet.states["TKO"]
    assert np.allclose(quiet.observables["lymphocytes"], q_pool, rtol=1e-3)
