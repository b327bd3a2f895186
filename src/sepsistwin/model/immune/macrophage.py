"""Macrophage activation (MALS / MAS-like) and ferritin (ng/mL).

A positive loop (Jordan 2004, Blood 104:735, doi 10.1182/blood-2003-10-3413, VERIFIED abstract:
antigen-presenting cell -> CD8 -> IFN-gamma -> macrophage activation) and IL-1 drive: the
hyperactivated macrophage fraction ``MAC`` rises with IL-1beta signalling (blocked by anakinra),
scaled by the host gain ``g_mals``. IFN-gamma is a *priming* signal, not an activator on its
own: it amplifies the activation by a second (IL-1/TLR) signal but does nothing without one
(Gifford & Lohmann-Matthes 1987 JNCI 78:121 doi 10.1093/jnci/78.1.121: IFN-gamma alone does not
make human or mouse macrophages produce TNF, LPS is required; Schroder, Sweet & Hume 2006
Immunobiology 211:511 doi 10.1016/j.imbio.2006.05.007, PMID 16920490; Mueller 2017 Front Immunol
doi 10.3389/fimmu.2017.01383: IFN-gamma alone not sufficient; all VERIFIED abstracts). IFN-gamma
priming also raises phagocyte microbicidal activity (``phago_gain``, read by the pathogen-kill
terms). GM-CSF primes macrophages for activation with the same weight (``GM_mac_sig``, its receptor
occupancy): it is a driver of macrophage activation in cytokine release syndrome, which GM-CSF
blockade reduces (Sterner 2019 Blood 133:697 doi 10.1182/blood-2018-10-881722), so the drug that
restores monocytes in immunoparalysis feeds the loop in MALS. Activated macrophages make IL-1beta
and IFN-gamma (cytokine module), ferritin, and hepatobiliary and coagulation damage (MALS = HBD +
DIC, Shakoory 2016 doi 10.1097/CCM.0000000000001402, VERIFIED). Ferritin > 4,420 ng/mL marks MALS
(PROVIDE, Leventogiannis 2022 PMID 36384100, VERIFIED). Equation form:
PROPOSAL.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

HAND = "PROPOSAL (hand-chosen so the calibration targets are reachable; not fitted)"

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    (
        "g_mals",
        1.0,
        "1",
        f"{PROPOSAL}; population distribution CALIBRATED",
        "host macrophage-activation gain",
    ),
    ("k_mac", 0.05, "1/h", HAND, "maximal macrophage activation rate (times g_mals)"),
    (
        "K_IL1",
        1.0,
        "pg/mL",
        f"{PROPOSAL}: plasma IL-1beta of septic patients is a few pg/mL above the healthy "
        "baseline, near the assays' detection limits",
        "IL-1beta signal (above baseline) for half-maximal activation",
    ),
    (
        "K_Pmac",
        0.2,
        "1e6 CFU/mL",
        f"{PROPOSAL}: MALS is triggered by infection in predisposed hosts and resolves when the "
        "infection is controlled (Kyriazopoulou 2017 BMC Med 15:172 doi "
        "10.1186/s12916-017-0930-5)",
        "pathogen load for half-maximal microbial trigger of macrophage activation",
    ),
    (
        "K_IFN_mac",
        500.0,
        "pg/mL",
        "DERIVED: monocyte responses to IFN-gamma start at ~5 U/mL and saturate at 100-200 U/mL "
        "(Becker 1984 J Immunol 132:1249 doi 10.4049/jimmunol.132.3.1249, VERIFIED abstract), "
        "~10 U/mL at 1 U = 50 pg (IFN-gamma-1b 20 MIU/mg, label VERIFIED)",
        "IFN-gamma for half-maximal priming of macrophages",
    ),
    (
        "w_mac_ifn",
        1.0,
        "1",
        PROPOSAL,
        "maximal relative amplification of IL-1 driven activation by IFN-gamma priming",
    ),
    (
        "a_ifn_kill",
        0.5,
        "1",
        "direction: IFN-gamma activates human macrophage antimicrobial activity (Nathan 1983 J Exp "
        "Med 158:670 doi 10.1084/jem.158.3.670, RECALLED) and reduced serious infections in CGD "
        "(Int. CGD Study Group 1991 NEJM 324:509, PMID 1846940, RECALLED); size PROPOSAL",
        "maximal relative rise of phagocytic pathogen killing by IFN-gamma priming",
    ),
    ("mu_mac", 0.04, "1/h", PROPOSAL, "deactivation of macrophages (half-life ~17 h)"),
    ("k_dmac", 0.05, "D-unit/h", PROPOSAL, "maximal tissue damage made by activated macrophages"),
    ("K_dmac", 0.2, "1", PROPOSAL, "activated fraction for half-maximal macrophage damage"),
    (
        "p_fer",
        1000.0,
        "ng/mL/h",
        PROPOSAL,
        "ferritin secretion at full activation (steady state ~33,000 ng/mL, MAS range)",
    ),
    ("p_fer6", 50.0, "ng/mL/h", PROPOSAL, "acute-phase (IL-6 driven) hepatic ferritin"),
    ("K_fer6", 500.0, "pg/mL", PROPOSAL, "IL-6 for half-maximal acute-phase ferritin"),
    ("mu_fer", 0.03, "1/h", PROPOSAL, "ferritin clearance (half-life ~23 h)"),
    (
        "fer0",
        100.0,
        "ng/mL",
        "healthy adult ferritin, RECALLED (reference range 30-300)",
        "baseline ferritin",
    ),
)


def macrophage(b: ModelBuilder) -> None:
    """Hyperactivated macrophages ``MAC`` (fraction 0-1) and ferritin ``FER``."""
    b.add_state("MAC", "1", 0.0, "hyperactivated tissue macrophage fraction", PROPOSAL)
    b.add_state("FER", "ng/mL", 100.0, "serum ferritin", "baseline fer0 (RECALLED)")
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "IL1R_block", "0", "1", "fraction of IL-1 receptors blocked (anakinra)")
    hook(b, "IL6R_block", "0", "1", "fraction of IL-6 receptors blocked (tocilizumab)")
    hook(b, "IFNG_tot", "IFNG", "pg/mL", "IFN-gamma seen by macrophages")
    hook(b, "GM_mac_sig", "0", "1", "GM-CSF receptor signalling of macrophages (0-1)")
    # Hill exponent 2: baseline cytokine levels leave resting macrophages (nearly) at rest.
    # Only the excess over the healthy baselines activates: resting macrophages stay at rest.
    b.add_expression(
        "IL1_eff",
        "max(IL1B*(1 - IL1R_block) - w1, 0)",
        "pg/mL",
        "IL-1beta above baseline reaching receptors",
    )
    b.add_expression(
        "IL1_sig", "IL1_eff**2/(IL1_eff**2 + K_IL1**2)", "1", "IL-1 receptor signalling"
    )
    b.add_expression("IFN_eff", "max(IFNG_tot - wG, 0)", "pg/mL", "IFN-gamma above baseline")
    b.add_expression(
        "IFN_sig_mac",
        "IFN_eff**2/(IFN_eff**2 + K_IFN_mac**2)",
        "1",
        "IFN-gamma signalling on macrophages",
    )
    hook(b, "P_total", "P", "1e6 CFU/mL", "pathogen load (infection modules)")
    b.add_expression(
        "MAC_trigger",
        "P_total/(P_total + K_Pmac)",
        "1",
        "microbial trigger of macrophage activation",
    )
    # IFN-gamma primes (multiplies) the IL-1 driven activation; alone it activates nothing.
    # Activation also needs the microbial trigger (a TLR signal besides IL-1), so the loop
    # winds down once the infection is controlled and MALS resolves in survivors.
    b.add_term(
        "MAC",
        "g_mals*k_mac*MAC_trigger*IL1_sig*(1 + w_mac_ifn*(IFN_sig_mac + GM_mac_sig))*(1 - MAC)",
        "MAC_activation",
        "IL-1 driven activation with the microbial trigger, primed by IFN-gamma or GM-CSF",
    )
    b.add_term("MAC", "-mu_mac*MAC", "MAC_deactivation", "return to rest")
    b.add_term(
        "FER",
        "p_fer*MAC + p_fer6*IL6*(1 - IL6R_block)/(IL6*(1 - IL6R_block) + K_fer6)",
        "FER_secretion",
        "ferritin from activated macrophages and the acute phase",
    )
    b.add_term("FER", "-mu_fer*(FER - fer0)", "FER_clearance", "ferritin clearance")
    provide(b, "Mac_act", "MAC", "1", "hyperactivated macrophage fraction")
    provide(
        b,
        "phago_gain",
        "a_ifn_kill*IFN_sig_mac",
        "1",
        "relative rise of phagocytic killing by IFN-gamma priming",
    )
    b.scale_term("P_phagocyte_kill", "1 + phago_gain", "macrophage")
    b.add_parameter("phi_il1_rec", 0.15, "1", PROPOSAL, "IL-1 dependent share of N* recruitment")
    b.scale_term("N_recruitment", "1 - phi_il1_rec*IL1R_block", "macrophage")
    b.add_term(
        "D",
        "k_dmac*MAC**2/(MAC**2 + K_dmac**2)",
        "D_macrophage",
        "hepatobiliary/DIC damage of MALS",
    )
