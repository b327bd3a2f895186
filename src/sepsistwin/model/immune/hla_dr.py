"""Monocyte HLA-DR (antibodies per cell): deactivation by IL-10, restoration by IFN-gamma/GM-CSF.

No published ODE exists (PROPOSAL form): mHLA-DR relaxes at
rate ``k_hla`` to a set point that IL-10 suppresses and IFN-gamma, GM-CSF and thymosin alpha-1
raise; ``hla0`` is the healthy set point (IFN-gamma counts above its baseline, IL-10 relative to
its baseline). IFN-gamma raises the set point of every monocyte (maximal rise and EC50 ~10 U/mL,
500 pg/mL, from monocyte cultures: Becker 1984 J Immunol 132:1249, VERIFIED abstract), and IL-10
given with it lowers IFN-gamma-induced class II expression (de Waal Malefyt 1991 J Exp Med
174:915, RECALLED).

IFN-gamma priming: a monocyte exposed to IFN-gamma is reprogrammed so that IL-10 no
longer suppresses it - IFN-gamma pretreatment attenuates IL-10 activation of STAT3 and abrogates
its inhibitory effects (Herrero 2003 J Immunol 171:5034, "Reprogramming of IL-10 activity and
signaling by IFN-gamma", RECALLED), and the IL-10 suppression of MHC class II is STAT3-dependent
(Williams 2004 J Immunol 172:567 doi 10.4049/jimmunol.172.1.567, VERIFIED abstract). The primed
fraction of circulating monocytes ``IFN_prime`` rises with IFN-gamma receptor occupancy (same
EC50 ``K_hla_ifn``) at ``k_prime`` and falls as primed monocytes leave the blood and are replaced
by unprimed ones from the marrow: classical monocytes circulate for about a day (Patel 2017 J Exp
Med 214:1913 doi 10.1084/jem.20170355, VERIFIED abstract), so ``k_mono_out`` = 1/24 h. The set
point is the mixture of primed monocytes (no IL-10 suppression) and unprimed ones (IL-10
suppressed). So IFN-gamma does not merely multiply an IL-10-crushed set point (which would
give no restoration at IL-10 ~50 pg/mL), and the restoration outlasts the drug (plasma t1/2
~6 h) by the monocyte lifespan, as in the clinic where daily or alternate-day dosing restores
mHLA-DR. Healthy subjects and an endotoxin challenge have no IFN-gamma above baseline, so
``IFN_prime`` stays 0: the healthy set point and the fall within hours after LPS are unchanged.
GM-CSF primes monocytes the same way (signal ``GM_prime_sig``, its receptor occupancy, at the
same rate ``k_prime``): GM-CSF priming restores HLA-DR and the LPS response of septic-shock
monocytes ex vivo (Williams 1998 J Infect Dis 178:1421-1433, VERIFIED abstract), and in patients
with persistently low mHLA-DR 5 ug/kg/d raised it about 5-fold within 24 h in 9 of 9 (Nierhaus
2003 Intensive Care Med 29:646 doi 10.1007/s00134-003-1666-6, VERIFIED abstract).

Targets: immunoparalysis (< 5,000 AB/C, PROVIDE, VERIFIED) in ~43% of septic shock at screening;
recovery by days 3-4 in survivors, not in non-survivors (Monneret 2006 doi
10.1007/s00134-006-0204-8, VERIFIED in % positive). Restoration sizes: IFN-gamma 2,666 -> 12,451
AB/C (Payen 2019 doi 10.1186/s12879-019-4526-x), GM-CSF normalisation in 19/19 (Meisel 2009),
nivolumab ~11,500 by day 14 (Hotchkiss 2019) - validation, not calibration (docs/validation.md).

Monocyte reprogramming ``TOL`` (endotoxin tolerance, 0 naive to 1 fully tolerant) is the slow
state of immunoparalysis: it builds with the IL-10 of the compensatory response to inflammation
(IL-10 and TGF-beta mediate endotoxin desensitisation, Randow 1995), decays with a half-life
of ~2 weeks (tolerance is imprinted in marrow progenitors and outlasts the one-day life of a
circulating monocyte) and is reversed by IFN-gamma and GM-CSF. It cuts the
monocyte TNF and IL-6 response per stimulus (``tol_resp``), raises monocyte IL-10
(``tol_il10``) and lowers the mHLA-DR set point; its rate ``k_tol_in`` is CALIBRATED so that a
second 2 ng/kg endotoxin challenge a week after the first gives ~40% of the first TNF peak
(Leentjens 2012). Monocyte and macrophage antimicrobial competence ``mono_comp`` follows
mHLA-DR (half at 8,000 AB/C), so low mHLA-DR means a host losing defence against the primary
focus (``focus.py``) and ICU-acquired organisms (``infection.py``).
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import CALIBRATED, PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    (
        "hla0",
        22000.0,
        "AB/C",
        "healthy 15,000-40,000 AB/C RECALLED",
        "healthy mHLA-DR set point",
    ),
    (
        "k_hla",
        0.12,
        "1/h",
        "PROPOSAL; fall within 3 h of LPS (Eur J Intern Med 2000, VERIFIED)",
        "mHLA-DR turnover towards its set point",
    ),
    ("K_hla10", 12.0, "pg/mL", CALIBRATED, "IL-10 for half suppression of mHLA-DR"),
    ("n_hla10", 1.5, "1", PROPOSAL, "Hill exponent of IL-10 suppression"),
    (
        "a_hla_ifn",
        1.25,
        "1",
        "Becker 1984 J Immunol 132:1249 doi 10.4049/jimmunol.132.3.1249 (VERIFIED abstract): "
        "IFN-gamma-treated monocytes 4-5x vs ~2x HLA-DR of fresh monocytes in control culture; "
        "DERIVED 4.5/2 - 1",
        "maximal relative mHLA-DR rise by IFN-gamma",
    ),
    (
        "K_hla_ifn",
        500.0,
        "pg/mL",
        "DERIVED: HLA-DR rises from 5 U/mL, maximal at 100-200 U/mL (Becker 1984, VERIFIED "
        "abstract); ~10 U/mL at 1 U = 50 pg (IFN-gamma-1b 20 MIU/mg, label VERIFIED)",
        "IFN-gamma for half-maximal monocyte response (HLA-DR rise, priming)",
    ),
    (
        "k_prime",
        0.15,
        "1/h",
        "PROPOSAL: monocytes primed within about a day of exposure (overnight IFN-gamma "
        "pretreatment reprograms IL-10 signalling, Herrero 2003 J Immunol 171:5034, RECALLED)",
        "maximal rate of IFN-gamma priming of monocytes (at full receptor occupancy)",
    ),
    # --- monocyte reprogramming (endotoxin tolerance), v2 ---------------------------------------
    (
        "k_tol_in",
        1.0,
        "1/h",
        f"{CALIBRATED}: second 2 ng/kg endotoxin challenge a week after the first gives ~40% "
        "of the first TNF response in placebo subjects (Leentjens 2012 Am J Respir Crit Care "
        "Med 186:838 doi 10.1164/rccm.201204-0645OC, VERIFIED abstract)",
        "rate of monocyte reprogramming at full IL-10 signalling",
    ),
    (
        "K_tol10",
        20.0,
        "pg/mL",
        "PROPOSAL: IL-10 (with TGF-beta) mediates endotoxin desensitisation of monocytes "
        "(Randow 1995 J Exp Med 181:1887 doi 10.1084/jem.181.5.1887, RECALLED); half effect "
        "below the 2 ng/kg endotoxin IL-10 peak (~44 pg/mL, Janum)",
        "IL-10 above baseline for half-maximal reprogramming",
    ),
    (
        "k_tol_out",
        0.00206,
        "1/h",
        "PROPOSAL: half-life 14 d; tolerance outlasts the one-day circulation of a monocyte "
        "because it is imprinted in marrow progenitors (Kalafati 2020 Cell 183:771 doi "
        "10.1016/j.cell.2020.09.058, RECALLED direction) and still halves the TNF response a "
        "week after one endotoxin dose (Leentjens 2012, VERIFIED)",
        "decay of monocyte reprogramming without stimulation",
    ),
    (
        "a_tol",
        0.9,
        "1",
        "PROPOSAL: tolerant monocytes lose most of their TNF and IL-6 response to LPS "
        "while IL-10 is preserved (Biswas & Lopez-Collazo 2009 Trends Immunol 30:475 doi "
        "10.1016/j.it.2009.07.009, RECALLED)",
        "maximal share of the monocyte TNF and IL-6 response lost to tolerance",
    ),
    (
        "a_tol10",
        0.5,
        "1",
        "PROPOSAL: IL-10 production preserved or raised in tolerant monocytes (Biswas & "
        "Lopez-Collazo 2009, RECALLED)",
        "maximal relative rise of monocyte IL-10 in tolerance",
    ),
    (
        "a_tol_hla",
        0.35,
        "1",
        "PROPOSAL: reprogrammed monocytes express less HLA-DR independently of IL-10 "
        "(Monneret 2008 Mol Med 14:64 doi 10.2119/2007-00102.Monneret, RECALLED)",
        "maximal relative fall of the mHLA-DR set point in tolerance",
    ),
    (
        "k_tol_ifn",
        0.02,
        "1/h",
        "PROPOSAL; direction: IFN-gamma partially reverses endotoxin tolerance in humans "
        "(Leentjens 2012, VERIFIED abstract)",
        "reversal of reprogramming at full IFN-gamma receptor signalling",
    ),
    (
        "K_comp",
        8000.0,
        "AB/C",
        "Ann Intensive Care 2022 doi 10.1186/s13613-022-01010-y (VERIFIED: mHLA-DR < 8,000 "
        "AB/C at day 5-7 predicts ICU-acquired infection)",
        "mHLA-DR for half-maximal monocyte antimicrobial competence",
    ),
    ("n_comp", 2.0, "1", PROPOSAL, "Hill exponent of monocyte competence in mHLA-DR"),
    (
        "k_mono_out",
        1.0 / 24.0,
        "1/h",
        "Patel 2017 J Exp Med 214:1913 doi 10.1084/jem.20170355 (VERIFIED abstract): classical "
        "monocytes circulate for a day; DERIVED 1/24 h",
        "replacement of circulating monocytes (loss of the primed state)",
    ),
)


def hla_dr(b: ModelBuilder) -> None:
    """Monocyte HLA-DR ``HLA`` (AB/C) and the IFN-gamma-primed monocyte fraction ``IFN_prime``."""
    b.add_state("HLA", "AB/C", 22000.0, "monocyte HLA-DR expression", "hla0 (RECALLED)")
    b.add_state(
        "IFN_prime",
        "1",
        0.0,
        "fraction of circulating monocytes primed by IFN-gamma or GM-CSF (IL-10 resistant)",
        "none primed in health (IFN-gamma at baseline)",
    )
    b.add_state(
        "TOL",
        "1",
        0.0,
        "monocyte reprogramming (endotoxin tolerance, 0 naive to 1 fully tolerant)",
        "naive in health",
    )
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "TOL_rev_drug", "0", "1/h", "reversal of reprogramming by drugs (GM-CSF)")
    hook(b, "IL10_tot", "IL10", "pg/mL", "IL-10 seen by monocytes")
    hook(b, "IFNG_tot", "IFNG", "pg/mL", "IFN-gamma seen by monocytes")
    hook(b, "HLA_drug_gain", "0", "1", "relative mHLA-DR rise by GM-CSF and thymosin alpha-1")
    hook(b, "GM_prime_sig", "0", "1", "GM-CSF receptor signalling of monocytes (0-1)")
    # hla0 is the healthy set point: IFN-gamma acts above its baseline wG and the IL-10
    # suppression is normalised to the baseline w10 (so a healthy subject stays at hla0).
    b.add_expression(
        "IFN_eff_hla",
        "max(IFNG_tot - wG, 0)",
        "pg/mL",
        "IFN-gamma above baseline seen by monocytes",
    )
    b.add_expression(
        "IFN_occ_hla",
        "IFN_eff_hla/(IFN_eff_hla + K_hla_ifn)",
        "1",
        "monocyte IFN-gamma receptor signalling (fraction of maximal)",
    )
    b.add_expression(
        "HLA_il10_free",
        "1 + (w10/K_hla10)**n_hla10",
        "1",
        "set point without IL-10 suppression relative to health (baseline IL-10 removed)",
    )
    b.add_expression(
        "HLA_set",
        "hla0*(1 + a_hla_ifn*IFN_occ_hla + HLA_drug_gain)*(1 - a_tol_hla*TOL)*HLA_il10_free"
        "*(IFN_prime + (1 - IFN_prime)/(1 + (IL10_tot/K_hla10)**n_hla10))",
        "AB/C",
        "mHLA-DR set point (primed monocytes escape IL-10 suppression)",
    )
    b.add_term("HLA", "k_hla*(HLA_set - HLA)", "HLA_turnover", "relaxation to the set point")
    # IL-10 peaks hours after TNF, so the reprogramming it drives spares the first response
    # to a stimulus and blunts the next one (endotoxin tolerance). Hill exponent 2: the small
    # IL-10 excess of a healthy subject leaves the monocytes naive.
    b.add_term(
        "TOL",
        "k_tol_in*max(IL10_tot - w10, 0)**2/(max(IL10_tot - w10, 0)**2 + K_tol10**2)*(1 - TOL)",
        "TOL_induction",
        "reprogramming builds with the IL-10 of inflammatory exposure",
    )
    b.add_term(
        "TOL",
        "-(k_tol_out + k_tol_ifn*IFN_occ_hla + TOL_rev_drug)*TOL",
        "TOL_decay",
        "slow decay; reversed by IFN-gamma and GM-CSF",
    )
    provide(b, "tol_resp", "a_tol*TOL", "1", "share of the monocyte response lost to tolerance")
    provide(b, "tol_il10", "a_tol10*TOL", "1", "relative rise of monocyte IL-10 in tolerance")
    provide(
        b,
        "mono_comp",
        "HLA**n_comp/(HLA**n_comp + K_comp**n_comp)",
        "1",
        "monocyte/macrophage antimicrobial competence (follows mHLA-DR)",
    )
    b.add_term(
        "IFN_prime",
        "k_prime*min(IFN_occ_hla + GM_prime_sig, 1)*(1 - IFN_prime)",
        "IFN_priming",
        "IFN-gamma and GM-CSF priming of circulating monocytes",
    )
    b.add_term(
        "IFN_prime",
        "-k_mono_out*IFN_prime",
        "IFN_prime_turnover",
        "primed monocytes replaced by unprimed ones from the marrow",
    )
