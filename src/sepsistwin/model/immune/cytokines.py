"""Monocyte activation and cytokine read-outs: TNF, IL-6, IL-10, IL-1beta, IFN-gamma (pg/mL).

Structure and values from the Brady 2016 lineage of human endotoxin models (Brady et al.,
arXiv 1609.01570; Windoloski et al. Exp Physiol 2024, doi 10.1113/EP091552, repository
KristenWindoloski/InflammationModel_BolusContinuous, fitted mean-bolus set, VERIFIED code
values). Resting monocytes ``MR`` are activated (``MA``) by an endotoxin-equivalent stimulus
and by TNF, inhibited by IL-10; activated monocytes make TNF, IL-6 and IL-10 with
cross-regulation. A 2 ng/kg endotoxin bolus into ``LPS`` reproduces the human
challenge (20 subjects; TNF 331 pg/mL at 1.5 h, IL-6 702 at 2 h, IL-10 44 at 3 h).

Sepsis extensions (PROPOSAL "drive it from a pathogen"):
the stimulus adds pathogen-derived endotoxin equivalents ``k_pe*P_total``, damage-associated
molecular patterns ``k_de*D`` and gut translocation; IL-10 gains a source driven by activated
phagocytes N* (compensatory anti-inflammatory response, CARS, Bone 1996) scaled by the host gain
``g_il10``; monocytes are replenished from the marrow; IL-1beta and IFN-gamma are added as
read-outs that feed macrophage activation, HLA-DR and lymphocytes.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import CALIBRATED, PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

HAND = "PROPOSAL (hand-chosen so the calibration targets are reachable; not fitted)"

BRADY = (
    "Windoloski 2024 doi 10.1113/EP091552 mean-bolus fit / Brady 2016 arXiv 1609.01570 "
    "nominal (VERIFIED code)"
)
BRADY_FIT = "Windoloski 2024 doi 10.1113/EP091552, MeanBolusOptPars (VERIFIED)"

# name, value, unit, source, meaning
PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    ("kE", 1.01, "1/h", BRADY, "endotoxin elimination"),
    ("kMR", 0.006, "1/h", BRADY, "resting monocyte logistic regrowth"),
    ("Mmax", 30000.0, "monocyte-unit", BRADY, "resting monocyte capacity"),
    ("MR0", 28200.0, "monocyte-unit", BRADY, "resting monocyte baseline (initial condition)"),
    ("kMA", 2.674, "1/h", BRADY_FIT, "activated monocyte deactivation"),
    ("kM", 0.0414, "1/h", BRADY, "endotoxin-driven monocyte activation"),
    ("kMTNF", 8.65, "1/h", BRADY, "TNF-amplified monocyte activation"),
    ("xME", 3.3, "ng/kg", BRADY, "half-activation endotoxin level"),
    ("xM10", 3.884, "pg/mL", BRADY_FIT, "IL-10 inhibition of monocyte activation"),
    ("hM10", 0.3, "1", BRADY, "Hill exponent, IL-10 inhibition of activation"),
    ("xMTNF", 140.8, "pg/mL", BRADY_FIT, "TNF half-amplification"),
    ("hMTNF", 3.16, "1", BRADY, "Hill exponent, TNF amplification"),
    ("kTNF", 1.395, "1/h", BRADY_FIT, "TNF clearance"),
    (
        "kTNFM",
        0.998,
        "pg/mL/(monocyte-unit*h)",
        f"{BRADY_FIT}; {CALIBRATED}",
        "TNF production per activated monocyte",
    ),
    ("xTNF10", 15.54, "pg/mL", BRADY_FIT, "IL-10 inhibition of TNF"),
    ("hTNF10", 3.0, "1", BRADY, "Hill exponent, IL-10 on TNF"),
    ("xTNF6", 560.0, "pg/mL", BRADY, "IL-6 inhibition of TNF"),
    ("hTNF6", 2.0, "1", BRADY, "Hill exponent, IL-6 on TNF"),
    ("wTNF", 8.79, "pg/mL", BRADY_FIT, "TNF baseline"),
    ("k6", 0.66, "1/h", BRADY, "IL-6 clearance"),
    (
        "k6M",
        0.81,
        "pg/mL/(monocyte-unit*h)",
        f"{BRADY}; {CALIBRATED}",
        "IL-6 production per activated monocyte",
    ),
    (
        "k6TNF",
        0.81,
        "pg/mL/(monocyte-unit*h)",
        f"{BRADY}; {CALIBRATED}",
        "TNF-enhanced IL-6 production",
    ),
    ("x610", 31.07, "pg/mL", BRADY_FIT, "IL-10 inhibition of IL-6"),
    ("h610", 4.0, "1", BRADY, "Hill exponent, IL-10 on IL-6"),
    ("x66", 560.0, "pg/mL", BRADY, "IL-6 self-inhibition"),
    ("x6TNF", 260.6, "pg/mL", BRADY_FIT, "TNF half-enhancement of IL-6"),
    ("h6TNF", 2.0, "1", BRADY, "Hill exponent, TNF on IL-6"),
    ("w6", 0.61, "pg/mL", BRADY_FIT, "IL-6 baseline"),
    ("k10", 0.8, "1/h", BRADY, "IL-10 clearance"),
    (
        "k10M",
        0.01504,
        "pg/mL/(monocyte-unit*h)",
        f"{BRADY_FIT}; {CALIBRATED}",
        "IL-10 production per activated monocyte",
    ),
    (
        "k106",
        0.01705,
        "pg/mL/(monocyte-unit*h)",
        f"{BRADY_FIT}; {CALIBRATED}",
        "IL-6-enhanced IL-10 production",
    ),
    ("x106", 560.0, "pg/mL", BRADY, "IL-6 half-enhancement of IL-10"),
    ("h106", 3.68, "1", BRADY, "Hill exponent, IL-6 on IL-10"),
    ("w10", 3.75, "pg/mL", BRADY_FIT, "IL-10 baseline"),
    # --- sepsis extensions ---------------------------------------------------------------
    (
        "k_pe",
        0.5,
        "(ng/kg)/(1e6 CFU/mL)",
        HAND,
        "endotoxin-equivalent stimulus per unit pathogen load",
    ),
    (
        "k_de",
        0.3,
        "(ng/kg)/D-unit",
        HAND,
        "endotoxin-equivalent stimulus per unit tissue damage (DAMPs)",
    ),
    ("k_mrep", 0.02, "1/h", PROPOSAL, "marrow replenishment of resting monocytes towards MR0"),
    (
        "k10N",
        60.0,
        "pg/mL/h",
        PROPOSAL,
        "maximal IL-10 of the compensatory response to innate activation (CARS), times g_il10",
    ),
    ("K_10N", 0.3, "N-unit", PROPOSAL, "activated phagocytes for half-maximal CARS IL-10"),
    (
        "g_il10",
        1.0,
        "1",
        f"{PROPOSAL}; population distribution CALIBRATED",
        "host anti-inflammatory (IL-10) gain",
    ),
    ("k1", 0.7, "1/h", PROPOSAL, "IL-1beta clearance"),
    (
        "k1M",
        0.006,
        "pg/mL/(monocyte-unit*h)",
        PROPOSAL,
        "IL-1beta per activated monocyte (LPS peak ~20 pg/mL)",
    ),
    ("k1Mac", 10.0, "pg/mL/h", PROPOSAL, "IL-1beta from hyperactivated tissue macrophages"),
    ("x110", 30.0, "pg/mL", PROPOSAL, "IL-10 inhibition of IL-1beta"),
    ("w1", 1.0, "pg/mL", PROPOSAL, "IL-1beta baseline"),
    ("kG", 0.5, "1/h", PROPOSAL, "IFN-gamma clearance"),
    (
        "kGT",
        6.0,
        "pg/mL/(1e9/L*h)",
        PROPOSAL,
        "IFN-gamma from antigen-stimulated functional T/NK cells",
    ),
    (
        "kGMac",
        10.0,
        "pg/mL/h",
        PROPOSAL,
        "IFN-gamma from the macrophage-activation loop "
        "(Jordan 2004 doi 10.1182/blood-2003-10-3413)",
    ),
    ("xGP", 0.5, "1e6 CFU/mL", PROPOSAL, "antigen level for half-maximal IFN-gamma release"),
    ("wG", 2.0, "pg/mL", PROPOSAL, "IFN-gamma baseline"),
    # --- tissue IL-6 (v2) ------------------------------------------------------------------
    (
        "k6D",
        1500.0,
        "pg/mL/h",
        f"{CALIBRATED}: IL-6 > 1,000 pg/mL in 38% of screened septic patients (MONARCS, "
        "Panacek 2004 Crit Care Med 32:2173 PMID 15640628: 998 of 2,634 IL-6 test-positive)",
        "maximal IL-6 from injured tissue and endothelium (not subject to monocyte tolerance)",
    ),
    (
        "K_6D",
        6.0,
        "D-unit",
        f"{PROPOSAL}: half-maximal at the damage of half-maximal organ dysfunction (K_od)",
        "damage for half-maximal tissue IL-6",
    ),
)


def up(x: str, k: str, h: str) -> str:
    """Hill activation ``x^h/(x^h + k^h)`` as expression text."""
    return f"({x})**({h})/(({x})**({h}) + ({k})**({h}))"


def down(x: str, k: str, h: str) -> str:
    """Hill inhibition ``k^h/(x^h + k^h)`` as expression text."""
    return f"({k})**({h})/(({x})**({h}) + ({k})**({h}))"


def cytokines(b: ModelBuilder) -> None:
    """Endotoxin, monocytes and the five cytokines (see the module docstring)."""
    b.add_state("LPS", "ng/kg", 0.0, "circulating endotoxin (challenge input)", BRADY)
    b.add_state("MR", "monocyte-unit", 28200.0, "resting monocytes", BRADY)
    b.add_state("MA", "monocyte-unit", 0.0, "activated monocytes", BRADY)
    b.add_state("TNF", "pg/mL", 8.79, "TNF-alpha (total, bound + free)", BRADY_FIT)
    b.add_state("IL6", "pg/mL", 0.61, "interleukin-6", BRADY_FIT)
    b.add_state("IL10", "pg/mL", 3.75, "interleukin-10 (endogenous)", BRADY_FIT)
    b.add_state("IL1B", "pg/mL", 1.0, "interleukin-1beta", PROPOSAL)
    b.add_state("IFNG", "pg/mL", 2.0, "interferon-gamma (endogenous)", PROPOSAL)
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)

    # Hooks provided by other modules and drugs (neutral defaults).
    hook(b, "P_total", "P", "1e6 CFU/mL", "total pathogen load (primary + secondary infection)")
    hook(b, "E_gut", "0", "ng/kg", "endotoxin equivalents translocated from the gut")
    hook(b, "TNF_block", "0", "1", "fraction of TNF neutralised by anti-TNF")
    hook(b, "IL6R_block", "0", "1", "fraction of IL-6 receptors blocked (tocilizumab)")
    hook(b, "IL10_exo", "0", "pg/mL", "exogenous IL-10 (drug)")
    hook(b, "IFNG_exo", "0", "pg/mL", "exogenous IFN-gamma (drug)")
    hook(b, "Mac_act", "0", "1", "hyperactivated macrophage fraction (macrophage module)")
    hook(b, "T_func", "0", "1e9/L", "functional effector T cells (lymphocyte module)")
    hook(b, "IL15_gain", "0", "1", "IL-15 drive of T/NK cells (raises IFN-gamma release)")
    hook(b, "CTLA4_gain", "0", "1", "CTLA-4 blockade co-stimulation (raises IFN-gamma release)")
    hook(b, "tol_resp", "0", "1", "share of the monocyte TNF and IL-6 response lost to tolerance")
    hook(b, "tol_il10", "0", "1", "relative rise of monocyte IL-10 in tolerance")

    b.add_expression(
        "E_eff",
        "LPS + k_pe*P_total + k_de*D + E_gut",
        "ng/kg",
        "endotoxin-equivalent stimulus of monocytes",
    )
    provide(b, "TNF_free", "TNF*(1 - TNF_block)", "pg/mL", "unneutralised TNF")
    provide(b, "IL10_tot", "IL10 + IL10_exo", "pg/mL", "endogenous plus exogenous IL-10")
    provide(b, "IFNG_tot", "IFNG + IFNG_exo", "pg/mL", "endogenous plus drug IFN-gamma")
    b.add_expression(
        "S_E", up("E_eff", "xME", "1"), "1", "monocyte stimulation by the stimulus (0-1)"
    )
    b.add_expression(
        "Act_M",
        f"S_E*(kM + kMTNF*{up('TNF_free', 'xMTNF', 'hMTNF')})"
        f"*{down('IL10_tot', 'xM10', 'hM10')}*MR",
        "monocyte-unit/h",
        "monocyte activation flux",
    )

    b.add_term("LPS", "-kE*LPS", "LPS_clearance", "endotoxin elimination")
    b.add_term("MR", "kMR*MR*(1 - MR/Mmax)", "MR_regrowth", "logistic regrowth (Brady)")
    b.add_term("MR", "k_mrep*(MR0 - MR)", "MR_marrow", "marrow replenishment (sepsis)")
    b.add_term("MR", "-Act_M", "MR_activation", "activation")
    b.add_term("MA", "Act_M", "MA_activation", "activation")
    b.add_term("MA", "-kMA*MA", "MA_deactivation", "deactivation")
    b.add_term(
        "TNF",
        f"kTNFM*(1 - tol_resp)*{down('IL6', 'xTNF6', 'hTNF6')}"
        f"*{down('IL10_tot', 'xTNF10', 'hTNF10')}*MA",
        "TNF_production",
        "TNF from activated monocytes",
    )
    b.add_term("TNF", "-kTNF*(TNF - wTNF)", "TNF_clearance", "TNF clearance to baseline")
    b.add_term(
        "IL6",
        f"(k6M + k6TNF*{up('TNF_free', 'x6TNF', 'h6TNF')})*(1 - tol_resp)"
        f"*{down('IL6', 'x66', '1')}*{down('IL10_tot', 'x610', 'h610')}*MA",
        "IL6_production",
        "IL-6 from activated monocytes",
    )
    b.add_term(
        "IL6",
        "k6D*D/(D + K_6D)",
        "IL6_tissue",
        "IL-6 from injured tissue and endothelium (scales with organ injury)",
    )
    # Receptor-mediated IL-6 clearance is blocked by tocilizumab, so serum IL-6 rises.
    b.add_term(
        "IL6",
        "-k6*(1 - 0.5*IL6R_block)*(IL6 - w6)",
        "IL6_clearance",
        "IL-6 clearance (half receptor-mediated, PROPOSAL)",
    )
    b.add_term(
        "IL10",
        f"(k10M + k106*{up('IL6', 'x106', 'h106')})*(1 + tol_il10)*MA",
        "IL10_monocyte",
        "IL-10 from activated monocytes",
    )
    b.add_term(
        "IL10",
        "g_il10*k10N*N/(N + K_10N)",
        "IL10_CARS",
        "IL-10 of the compensatory anti-inflammatory response to innate activation",
    )
    b.add_term("IL10", "-k10*(IL10 - w10)", "IL10_clearance", "IL-10 clearance")
    b.add_term(
        "IL1B",
        f"(k1M*MA + k1Mac*Mac_act)*{down('IL10_tot', 'x110', '2')}",
        "IL1B_production",
        "IL-1beta from monocytes and activated macrophages",
    )
    b.add_term("IL1B", "-k1*(IL1B - w1)", "IL1B_clearance", "IL-1beta clearance")
    b.add_term(
        "IFNG",
        f"kGT*T_func*(1 + IL15_gain + CTLA4_gain)*{up('P_total', 'xGP', '1')}",
        "IFNG_T",
        "IFN-gamma from antigen-stimulated T/NK cells",
    )
    b.add_term("IFNG", "kGMac*Mac_act", "IFNG_loop", "IFN-gamma of the MAS loop")
    b.add_term("IFNG", "-kG*(IFNG - wG)", "IFNG_clearance", "IFN-gamma clearance")
    # The TNF-dependent share of phagocyte recruitment and killing, and the IL-6 dependent share
    # of tissue damage, are lost when the cytokine is blocked (anti-TNF harm: Fisher 1996).
    b.add_parameter("phi_tnf_rec", 0.2, "1", PROPOSAL, "TNF-dependent share of N* recruitment")
    b.add_parameter(
        "phi_tnf_kill", 0.4, "1", PROPOSAL, "TNF-dependent share of phagocytic pathogen killing"
    )
    b.add_parameter("phi_il6_dmg", 0.15, "1", PROPOSAL, "IL-6 dependent share of damage")
    b.scale_term("N_recruitment", "1 - phi_tnf_rec*TNF_block", "cytokines")
    b.scale_term("P_phagocyte_kill", "1 - phi_tnf_kill*TNF_block", "cytokines")
    b.scale_term("D_production", "1 - phi_il6_dmg*IL6R_block", "cytokines")
    b.add_reference(
        "Brady R et al. arXiv 1609.01570 (2016); Windoloski KA et al. Exp Physiol "
        "2024 doi 10.1113/EP091552"
    )
