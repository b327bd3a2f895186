"""The primary infection's focus: a tissue reservoir that only host defence clears.

The Reynolds core's pathogen ``P`` is the accessible (circulating and well-perfused tissue)
load: antibiotics and activated phagocytes kill it within hours. Septic shock, however, starts
from a focus (pneumonia, abdominal or urinary source, soft tissue) where bacteria sit at high
density, grow slowly and are barely killed by beta-lactams: the inoculum effect and
stationary-phase tolerance of dense populations (Brook 1989 Rev Infect Dis 11:361 doi
10.1093/clinids/11.3.361, RECALLED) and poor penetration of abscesses and biofilm. The focus
``PF`` seeds ``P`` and stimulates the innate response like it; it is cleared by host defence:

- monocytes and macrophages, whose antimicrobial competence ``mono_comp`` follows mHLA-DR (half
  competence at 8,000 AB/C, the mHLA-DR below which ICU-acquired infection becomes likely, Ann
  Intensive Care 2022 doi 10.1186/s13613-022-01010-y, VERIFIED), raised by IFN-gamma priming;
- T-cell help (half effect at the day-4 ALC that predicts secondary infection, Drewry 2014 Shock
  doi 10.1097/SHK.0000000000000234, VERIFIED);
- both need TNF and IL-1 signalling: blocking either slows clearance (TNF or IL-1 deficient mice
  fail to control bacterial infection: Pfeffer 1993 Cell 73:457 doi
  10.1016/0092-8674(93)90134-C; anti-TNF raised mortality with dose in septic shock: Fisher 1996
  N Engl J Med 334:1697 PMID 8637514, VERIFIED abstract; mechanism PROPOSAL).

So under appropriate antibiotics the infection clears over days when defence is intact, and
persists or relapses (once the antibiotic course ends) when mHLA-DR, lymphocytes or cytokine
signalling fail. Equation form and rates: PROPOSAL.

Infected tissue is also damaged by the bacteria themselves (toxins, invasion, local necrosis) once
they pass colonisation density (a Hill function of exponent 2 of the tissue load), not only by the
inflammatory response: the damage variable of the reduced sepsis models
integrates bacterial as well as inflammatory inputs (Barber 2021 Front Syst Biol 1:755913 doi
10.3389/fsysb.2021.755913). So an infection that persists or is acquired in the ICU harms organs
even in a host whose inflammatory response is reprogrammed (immunoparalysis), which is how
late deaths follow persistent infection and ICU-acquired infection (Otto 2011 Crit Care 15:R183
doi 10.1186/cc10332; Daviaud 2015 Ann Intensive Care 5:16 doi 10.1186/s13613-015-0058-8).
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
        "k_gF",
        0.03,
        "1/h",
        f"{PROPOSAL}: doubling ~1 day at focus density (far below the planktonic k_pg)",
        "growth rate of bacteria in the focus",
    ),
    ("PF_inf", 5.0, "1e6 CFU/mL", PROPOSAL, "carrying capacity of the focus"),
    ("k_sF", 0.02, "1/h", PROPOSAL, "seeding of the accessible load P from the focus"),
    (
        "k_fm",
        0.1,
        "1/h",
        f"{PROPOSAL}: a competent host clears the focus in ~3-5 days",
        "maximal clearance of the focus by competent monocytes and macrophages",
    ),
    ("k_fT", 0.04, "1/h", PROPOSAL, "maximal clearance of the focus helped by T cells"),
    ("K_fT", 0.6, "1e9/L", DREWRY_2014, "functional lymphocytes for half-maximal T-cell help"),
    (
        "phi_tnf_def",
        0.5,
        "1",
        f"{PROPOSAL}; direction Pfeffer 1993 (TNF receptor-deficient mice succumb to "
        "bacterial infection) and Fisher 1996 (VERIFIED dose-dependent harm)",
        "TNF-dependent share of focus clearance",
    ),
    (
        "phi_il1_def",
        0.3,
        "1",
        f"{PROPOSAL}; direction: IL-1 signalling is needed for neutrophil recruitment and "
        "S. aureus control (Miller 2006 Immunity 24:79 doi 10.1016/j.immuni.2005.11.011, "
        "RECALLED)",
        "IL-1-dependent share of focus clearance",
    ),
    (
        "k_dP",
        0.12,
        "D-unit/h",
        f"{PROPOSAL}: an established ICU-acquired infection at its carrying capacity "
        "(P2_inf = 0.5) with no inflammatory response holds damage at k_dP/2/mu_d = 3 D-units, "
        "a SOFA rise of about 2: the organ dysfunction that defines sepsis (Singer 2016 JAMA "
        "315:801 doi 10.1001/jama.2016.0287)",
        "maximal tissue damage done by the pathogens themselves",
    ),
    (
        "K_dP",
        0.5,
        "1e6 CFU/mL",
        f"{PROPOSAL}: half-maximal at the carrying capacity of an ICU-acquired infection; "
        "Hill exponent 2, so colonisation (~1e4 CFU/mL) does no harm",
        "tissue pathogen load for half-maximal direct damage",
    ),
    (
        "f_pen",
        0.005,
        "1",
        f"{PROPOSAL}: beta-lactams kill growing bacteria; the dense focus is tolerant "
        "(inoculum effect) and poorly penetrated",
        "antibiotic kill in the focus relative to the accessible load",
    ),
)


def focus(b: ModelBuilder) -> None:
    """Infection focus ``PF`` seeding the accessible load ``P``."""
    b.add_state("PF", "1e6 CFU/mL", 0.0, "primary infection focus (tissue reservoir)", PROPOSAL)
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "mono_comp", "1", "1", "monocyte antimicrobial competence (HLA-DR module)")
    hook(b, "T_func", "0", "1e9/L", "functional T cells")
    hook(b, "TNF_block", "0", "1", "fraction of TNF neutralised")
    hook(b, "IL1R_block", "0", "1", "fraction of IL-1 receptors blocked")
    hook(b, "phago_gain", "0", "1", "relative rise of phagocytic killing (IFN-gamma priming)")
    hook(b, "abx_kill", "0", "1/h", "antibiotic kill rate (antibiotic module)")
    hook(b, "P2_tissue", "0", "1e6 CFU/mL", "ICU-acquired pathogen load (secondary infection)")
    b.add_expression(
        "defence",
        "(k_fm*mono_comp*(1 + phago_gain) + k_fT*T_func/(T_func + K_fT))"
        "*(1 - phi_tnf_def*TNF_block)*(1 - phi_il1_def*IL1R_block)",
        "1/h",
        "host clearance rate of the focus",
    )
    b.add_term("PF", "k_gF*PF*(1 - PF/PF_inf)", "PF_growth", "slow growth in the focus")
    b.add_term("PF", "-(defence + f_pen*abx_kill)*PF", "PF_clearance", "host defence, antibiotic")
    b.add_term("P", "k_sF*PF", "P_seeding", "seeding from the focus")
    provide(b, "P_primary", "P + PF", "1e6 CFU/mL", "primary infection load (accessible + focus)")
    b.replace_expression("R", "(k_nn*N + k_np*P_primary + k_nd*D)/inhib")
    b.add_expression(
        "P_tissue", "max(PF + P + P2_tissue, 0)", "1e6 CFU/mL", "pathogen load in the tissues"
    )
    b.add_term(
        "D",
        "k_dP*P_tissue**2/(P_tissue**2 + K_dP**2)",
        "D_pathogen",
        "tissue damage done by the pathogens themselves",
    )
