"""Secondary (ICU-acquired) infection established when monocyte and T-cell defences fail.

A second, ICU-acquired pathogen ``P2`` (1e6 CFU/mL) is seeded continuously: at a constant rate
per ICU day (devices, lines, ventilation: the hazard of ICU-acquired infection is roughly
constant over the ICU stay, van Vught 2016 JAMA doi 10.1001/jama.2016.2691, RECALLED) plus a
translocation rate that rises when the gut barrier fails. It grows logistically to a local
carrying capacity ``P2_inf`` (an ICU-acquired pneumonia or line infection, not a second
septic-shock-sized inoculum) and is killed by activated phagocytes, by HLA-DR competent
monocytes and by functional T cells. The monocyte and T-cell clearances are Hill functions of
mHLA-DR (``mono_comp``, HLA-DR module) and of the lymphocyte count, with half effects at the
clinical risk thresholds:
persistent mHLA-DR < 8,000 AB/C at day 5-7 predicts ICU-acquired infection (n = 1,053, Ann
Intensive Care 2022 doi 10.1186/s13613-022-01010-y, VERIFIED), and day-4 ALC <= 0.6 x10^9/L
predicts secondary infection (Drewry 2014 Shock doi 10.1097/SHK.0000000000000234, VERIFIED;
persistent lymphopenia at day 3: Adrie 2017 Ann Intensive Care doi
10.1186/s13613-017-0242-0, VERIFIED). The ICU-acquired organism is a breakthrough of the
background carbapenem (resistant), so meropenem does not kill it by default (``f_abx2 = 0``).
With normal mHLA-DR and lymphocytes the seeded organism is held at colonisation
level (~1e4 CFU/mL); in immunoparalysis it establishes. Its systemic weight ``f_sys2`` (antigen,
endotoxin equivalents, phagocyte recruitment relative to the primary infection) is small: an
ICU-acquired infection is mostly local (its local tissue damage counts in full, through the
direct pathogen damage of the focus module) and adds few deaths (attributable mortality ~2%, van
Vught 2016, RECALLED). Incidence of ICU-acquired infection: 23% of ICU patients with shock
(Adrie 2017, 174/753, VERIFIED), 24% after septic shock with low mHLA-DR independently
predictive (Landelle 2010 doi 10.1007/s00134-010-1962-x, 37/153, aHR 2.5, VERIFIED), 13.5% of
sepsis ICU admissions (232/1,719; van Vught 2016, VERIFIED abstract): a calibration target
(docs/calibration.md) met by the population median of the growth rate ``k_pg2``, which varies
between patients (organism, inoculum, site). Equation form: PROPOSAL.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

DREWRY_2014 = (
    "Drewry 2014 doi 10.1097/SHK.0000000000000234 (VERIFIED: day-4 ALC <= 0.6 "
    "predicts secondary infection)"
)

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    (
        "s_p2",
        1e-3,
        "1e6 CFU/mL/h",
        f"{PROPOSAL}; constant per ICU day (van Vught 2016, RECALLED)",
        "ICU-exposure (device) seeding",
    ),
    ("s_p2_gut", 2e-3, "1e6 CFU/mL/h", PROPOSAL, "seeding by translocation at total barrier loss"),
    ("k_pg2", 0.14, "1/h", PROPOSAL, "growth rate of the ICU-acquired pathogen"),
    (
        "P2_inf",
        0.5,
        "1e6 CFU/mL",
        f"{PROPOSAL}; a local ICU-acquired infection (5e5 CFU/mL, "
        "above the 1e5 CFU/mL count of a secondary infection)",
        "carrying capacity of P2",
    ),
    ("k_p2m", 0.2, "1/h", PROPOSAL, "maximal clearance by HLA-DR competent monocytes"),
    ("k_p2T", 0.06, "1/h", PROPOSAL, "maximal clearance by functional T cells"),
    (
        "K_p2T",
        0.6,
        "1e9/L",
        DREWRY_2014,
        "functional lymphocytes for half-maximal T-cell clearance",
    ),
    ("n_p2T", 2.0, "1", PROPOSAL, "Hill exponent of the T-cell clearance"),
    (
        "f_sys2",
        0.1,
        "1",
        f"{PROPOSAL}; a local (lung, line) infection; set so the deaths "
        "it adds stay small (attributable mortality ~2%, van Vught 2016, RECALLED)",
        "systemic weight of P2 (antigen, endotoxin equivalents, phagocyte recruitment) "
        "relative to the primary infection",
    ),
    (
        "f_abx2",
        0.0,
        "1",
        f"{PROPOSAL}; breakthrough organism resistant to the background carbapenem",
        "relative antibiotic efficacy on the ICU-acquired pathogen",
    ),
)


def secondary_infection(b: ModelBuilder) -> None:
    """ICU-acquired pathogen ``P2``."""
    b.add_state("P2", "1e6 CFU/mL", 0.0, "secondary (ICU-acquired) pathogen", PROPOSAL)
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "barrier_loss", "0", "1", "gut barrier loss (microbiome module)")
    hook(b, "abx_kill", "0", "1/h", "antibiotic kill rate (antibiotic module)")
    hook(b, "T_func", "0", "1e9/L", "functional T cells")
    hook(b, "phago_gain", "0", "1", "relative rise of phagocytic killing (IFN-gamma priming)")
    hook(b, "mono_comp", "1", "1", "monocyte antimicrobial competence (HLA-DR module)")
    hook(b, "P_primary", "P", "1e6 CFU/mL", "primary infection load (focus module)")
    b.add_expression(
        "P2_mono",
        "k_p2m*mono_comp",
        "1/h",
        "P2 clearance by HLA-DR competent monocytes",
    )
    b.add_expression(
        "P2_tcell",
        "k_p2T*T_func**n_p2T/(T_func**n_p2T + K_p2T**n_p2T)",
        "1/h",
        "P2 clearance by functional T cells",
    )
    b.add_term("P2", "s_p2 + s_p2_gut*barrier_loss", "P2_seeding", "ICU-acquired seeding")
    b.add_term("P2", "k_pg2*P2*(1 - P2/P2_inf)", "P2_growth", "logistic growth")
    b.add_term(
        "P2",
        "-(k_pn*f_N*(1 + phago_gain) + P2_mono + P2_tcell + f_abx2*abx_kill)*P2",
        "P2_clearance",
        "phagocytes, monocytes, T cells, antibiotics",
    )
    provide(b, "P_total", "P_primary + f_sys2*P2", "1e6 CFU/mL", "total pathogen load")
    # Its local tissue damage counts in full (the focus module's direct damage term).
    provide(b, "P2_tissue", "P2", "1e6 CFU/mL", "ICU-acquired pathogen load")
    # The second pathogen recruits phagocytes like the first (Reynolds k_np), with its weight.
    b.replace_expression("R", "(k_nn*N + k_np*(P_primary + f_sys2*P2) + k_nd*D)/inhib")
