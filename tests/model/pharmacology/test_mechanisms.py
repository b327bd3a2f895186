"""Interferon-gamma and anti-PD-1 act through their sourced mechanisms (issue #5 review)."""

from __future__ import annotations

import numpy as np

from sepsistwin.model.pharmacology import parse_therapy_dose, standard_care, therapy_schedule
from sepsistwin.solve import Bolus, simulate, simulate_batch

T = np.arange(0.0, 14 * 24 + 1.0, 0.25)
IFN_COURSE = {"dose": "100ug", "route": "sc", "every": 48, "n": 7}


def test_interferon_gamma_sc_exposure_matches_the_human_label() -> None:
    # Imukin SmPC (VERIFIED): 50 ug/m2 SC (~90 ug at 1.8 m2) -> Cmax 631 pg/mL at ~8 h,
    # AUC 8.3 ng*h/mL. The exogenous part is ifng minus the unstimulated baseline.
    t = np.arange(0.0, 72.0 + 1e-9, 0.25)
    base = simulate("sepsistwin", {}, {"P": 0.0}, t).observables["ifng"]
    r = simulate(
        "sepsistwin",
        {},
        {"P": 0.0},
        t,
        doses=therapy_schedule("interferon_gamma", "90ug", 0.0, route="sc"),
    )
    exo = r.observables["ifng"] - base
    assert 0.75 * 631 < exo.max() < 1.25 * 631, exo.max()
    assert 3.0 <= t[int(np.argmax(exo))] <= 9.0
    auc = float(np.sum(0.5 * (exo[1:] + exo[:-1]) * np.diff(t))) / 1000.0  # ng*h/mL
    assert 0.85 * 8.3 < auc < 1.15 * 8.3, auc


def test_interferon_gamma_alone_does_not_activate_macrophages() -> None:
    # Priming without a second (IL-1/TLR) signal: a healthy subject given two weeks of
    # IFN-gamma keeps resting macrophages and a normal ferritin, even with a high MALS gain.
    sched = therapy_schedule("interferon_gamma", at_hours=0.0, **IFN_COURSE)
    r = simulate_batch("sepsistwin", {"g_mals": [1.0, 30.0]}, {"P": 0.0}, T, doses=sched)
    assert r.observables["ifng"].max() > 300  # the drug is there
    assert r.states["MAC"].max() < 1e-3
    assert r.observables["ferritin"].max() < 300


def test_interferon_gamma_primes_il1_driven_macrophage_activation() -> None:
    # With an IL-1 signal and a microbial trigger present (an uncontrolled focus), IFN-gamma
    # amplifies macrophage activation.
    p = {"g_mals": 1.0, "g_il10": 0.3}
    init = {"P": 1.5, "PF": 2.0}
    sched = standard_care(6.0)
    ifn = sched + therapy_schedule("interferon_gamma", at_hours=12.0, **IFN_COURSE)
    r0 = simulate("sepsistwin", p, init, T, doses=sched)
    r1 = simulate("sepsistwin", p, init, T, doses=ifn)
    i = int(24 / 0.25)
    assert r0.states["MAC"][i] > 0.01  # an IL-1 driven activation to prime
    assert r1.states["MAC"][i] > 1.1 * r0.states["MAC"][i]


def test_interferon_gamma_speeds_phagocytic_pathogen_clearance_with_dose() -> None:
    # No antibiotics, a self-limiting infection: more IFN-gamma, less pathogen burden.
    amounts = np.array([0.0, 20.0, 200.0])
    r = simulate_batch(
        "sepsistwin",
        {"k_pg": 0.3},
        {"P": 0.9},
        np.arange(0.0, 49.0),
        doses=Bolus("interferon_gamma_c", 0.0, amounts),
        n=3,
    )
    burden = r.observables["pathogen_load"].sum(axis=1)  # pathogen AUC over 48 h
    assert burden[2] < burden[1] < burden[0]


def test_nivolumab_raises_lymphocytes_of_a_lymphopenic_septic_patient_with_dose() -> None:
    # PD-1 blockade protects T cells from sepsis-induced apoptosis (Brahmamdam 2010): the count
    # rises with occupancy; reinvigoration alone would only move cells between counted pools.
    p = {"k_nd": 0.03, "L_hom": 1.2}
    amounts = np.array([0.0, 0.5, 480.0])
    sched = standard_care(6.0) + Bolus("nivolumab_c", 24.0, amounts)
    r = simulate_batch("sepsistwin", p, {"P": 1.2, "T": 1.2}, T, doses=sched, n=3)
    alc = r.observables["lymphocytes"][:, int(8 * 24 / 0.25)]
    assert r.observables["lymphocytes"][0, int(24 / 0.25)] <= 1.1  # lymphopenic at dosing
    assert alc[0] < alc[1] < alc[2]
    assert alc[2] > 1.3 * alc[0]


def test_interferon_gamma_primed_monocytes_escape_il10_and_outlast_the_drug() -> None:
    # A strong IL-10 response (immunoparalysis) and one 100 ug SC dose at 24 h: IFN-gamma-primed
    # monocytes escape the IL-10 suppression (Herrero 2003), and the restored mHLA-DR outlasts
    # the drug (plasma t1/2 ~6 h) because primed monocytes leave the blood over ~a day.
    t = np.arange(0.0, 5 * 24 + 1.0, 1.0)
    sched = standard_care(6.0)
    dosed = sched + therapy_schedule("interferon_gamma", "100ug", 24.0, route="sc")
    p, init = {"g_il10": 8.0}, {"P": 0.5}
    r0 = simulate("sepsistwin", p, init, t, doses=sched)
    r1 = simulate("sepsistwin", p, init, t, doses=dosed)
    hla0, hla1 = r0.observables["mhla_dr"], r1.observables["mhla_dr"]
    assert hla0[24] < 5000 and r0.observables["il10"][24] > 30  # immunoparalysed at dosing
    drug = r1.states["interferon_gamma_c"]
    assert drug[48] < 0.2 * drug.max()  # mostly cleared one day after the dose
    assert hla1[48] > 2.0 * hla0[48]
    assert r1.states["IFN_prime"][48] > 0.2 > 10 * r0.states["IFN_prime"][48]
    assert hla1[96] < 0.85 * hla1[48]  # and it wanes as primed monocytes are replaced


def test_interferon_gamma_priming_needs_the_drug_not_health_or_endotoxin() -> None:
    # The healthy set point and the fall within hours of endotoxin are unchanged: neither has
    # IFN-gamma above baseline, so no monocyte is primed.
    t = np.arange(0.0, 24.01, 0.5)
    quiet = simulate("sepsistwin", {}, {"P": 0.0}, t)
    lps = simulate("sepsistwin", {}, {"P": 0.0}, t, doses=parse_therapy_dose("endotoxin:2ng/kg@0"))
    assert np.allclose(quiet.observables["mhla_dr"], 22000.0, rtol=0.01)
    assert quiet.states["IFN_prime"].max() < 0.01
    assert lps.states["IFN_prime"].max() < 0.01
    assert lps.observables["mhla_dr"][6] < 0.95 * lps.observables["mhla_dr"][0]  # by 3 h


def test_gm_csf_primes_monocytes_against_il10_like_interferon_gamma() -> None:
    # GM-CSF restores HLA-DR of septic monocytes ex vivo (Williams 1998) and within 24 h in
    # patients (Nierhaus 2003): in the model it primes monocytes against the IL-10 suppression,
    # so mHLA-DR rises in an immunoparalysed host within a day of the first dose.
    t = np.arange(0.0, 4 * 24 + 1.0, 1.0)
    sched = standard_care(6.0)
    dosed = sched + therapy_schedule("gm_csf", "4ug/kg", 24.0, route="sc", every=24.0, n=3)
    p, init = {"g_il10": 8.0}, {"P": 0.5}
    r0 = simulate("sepsistwin", p, init, t, doses=sched)
    r1 = simulate("sepsistwin", p, init, t, doses=dosed)
    assert r0.observables["mhla_dr"][24] < 5000
    assert r1.states["IFN_prime"][48] > 0.2 > 10 * r0.states["IFN_prime"][48]
    assert r1.observables["mhla_dr"][48] > 2.0 * r0.observables["mhla_dr"][48]
