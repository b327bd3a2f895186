"""Secondary (nosocomial) infection whose establishment rises with immunosuppression.

A second pathogen ``P2`` (1e6 CFU/mL) is seeded continuously at a low rate that rises when the
gut barrier fails (translocation) and from device exposure; it grows logistically and is killed
by activated phagocytes, by functional T cells and by HLA-DR competent monocytes (antigen
presentation), and by antibiotics at a reduced efficacy (nosocomial strains are often resistant).
With normal mHLA-DR and lymphocytes it is cleared; in immunoparalysis it establishes and restarts
inflammation, giving the later deaths and ICU-acquired infections linked to low mHLA-DR (< 8,000
AB/C at day 5-7: Ann Intensive Care 2022 doi 10.1186/s13613-022-01010-y, VERIFIED) and to
ALC <= 0.6 at day 4 (Drewry 2014, VERIFIED). Equation form: PROPOSAL.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    ("s_p2", 2e-4, "1e6 CFU/mL/h", PROPOSAL, "baseline nosocomial seeding (devices)"),
    ("s_p2_gut", 2e-3, "1e6 CFU/mL/h", PROPOSAL, "seeding by translocation at total barrier loss"),
    ("k_pg2", 0.15, "1/h", PROPOSAL, "growth rate of the nosocomial pathogen"),
    ("k_p2m", 0.35, "1/h", PROPOSAL, "clearance by HLA-DR competent monocytes at hla0"),
    ("f_abx2", 0.5, "1", PROPOSAL, "relative antibiotic efficacy on nosocomial strains"),
)


def secondary_infection(b: ModelBuilder) -> None:
    """Nosocomial pathogen ``P2``."""
    b.add_state("P2", "1e6 CFU/mL", 0.0, "secondary (nosocomial) pathogen", PROPOSAL)
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "barrier_loss", "0", "1", "gut barrier loss (microbiome module)")
    hook(b, "abx_kill", "0", "1/h", "antibiotic kill rate (antibiotic module)")
    hook(b, "T_func", "0", "1e9/L", "functional T cells")
    hook(b, "phago_gain", "0", "1", "relative rise of phagocytic killing (IFN-gamma priming)")
    b.add_term("P2", "s_p2 + s_p2_gut*barrier_loss", "P2_seeding", "nosocomial seeding")
    b.add_term("P2", "k_pg2*P2*(1 - P2/P_inf)", "P2_growth", "logistic growth")
    b.add_term("P2", "-(k_pn*f_N*(1 + phago_gain) + k_pT*T_func + k_p2m*HLA/hla0"
               " + f_abx2*abx_kill)*P2",
               "P2_clearance", "phagocytes, T cells, monocytes, antibiotics")
    provide(b, "P_total", "P + P2", "1e6 CFU/mL", "total pathogen load")
    # The second pathogen recruits phagocytes like the first (Reynolds k_np acting on P + P2).
    b.replace_expression("R", "(k_nn*N + k_np*(P + P2) + k_nd*D)/inhib")
