"""Monocyte HLA-DR (antibodies per cell): deactivation by IL-10, restoration by IFN-gamma/GM-CSF.

No published ODE exists (model-notes-cytokines.md section 5, PROPOSAL form): mHLA-DR relaxes at
rate ``k_hla`` to a set point that IL-10 suppresses and IFN-gamma, GM-CSF and thymosin alpha-1
raise; ``hla0`` is the healthy set point (IFN-gamma counts above its baseline, IL-10 relative to
its baseline). IFN-gamma's effect multiplies the IL-10 suppressed set point: IL-10 also lowers IFN-
gamma-induced class II expression (de Waal Malefyt 1991 J Exp Med 174:915, RECALLED). Its EC50 (~10
U/mL, 500 pg/mL) and maximal rise come from monocyte cultures (Becker 1984 J Immunol 132:1249,
VERIFIED abstract), not from the clinical responses below. Targets: immunoparalysis (< 5,000 AB/C,
PROVIDE, VERIFIED) in ~43% of septic shock at screening; recovery by days 3-4 in survivors, not in
non-survivors (Monneret 2006 doi 10.1007/s00134-006-0204-8, VERIFIED in % positive). Restoration
sizes: IFN-gamma 2,666 -> 12,451 AB/C (Payen 2019 doi 10.1186/s12879-019-4526-x), GM-CSF
normalisation in 19/19 (Meisel 2009), nivolumab ~11,500 by day 14 (Hotchkiss 2019) - validation,
not calibration.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import CALIBRATED, PROPOSAL, hook
from sepsistwin.model.model import ModelBuilder

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    (
        "hla0",
        22000.0,
        "AB/C",
        "healthy 15,000-40,000 AB/C RECALLED (model-notes.md §4)",
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
        "IFN-gamma for half-maximal mHLA-DR rise",
    ),
)


def hla_dr(b: ModelBuilder) -> None:
    """Monocyte HLA-DR ``HLA`` (AB/C)."""
    b.add_state("HLA", "AB/C", 22000.0, "monocyte HLA-DR expression", "hla0 (RECALLED)")
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "IL10_tot", "IL10", "pg/mL", "IL-10 seen by monocytes")
    hook(b, "IFNG_tot", "IFNG", "pg/mL", "IFN-gamma seen by monocytes")
    hook(b, "HLA_drug_gain", "0", "1", "relative mHLA-DR rise by GM-CSF and thymosin alpha-1")
    # hla0 is the healthy set point: IFN-gamma acts above its baseline wG and the IL-10
    # suppression is normalised to the baseline w10 (so a healthy subject stays at hla0).
    b.add_expression(
        "IFN_eff_hla",
        "max(IFNG_tot - wG, 0)",
        "pg/mL",
        "IFN-gamma above baseline seen by monocytes",
    )
    b.add_expression(
        "HLA_set",
        "hla0*(1 + a_hla_ifn*IFN_eff_hla/(IFN_eff_hla + K_hla_ifn) + HLA_drug_gain)"
        "*(1 + (w10/K_hla10)**n_hla10)/(1 + (IL10_tot/K_hla10)**n_hla10)",
        "AB/C",
        "mHLA-DR set point",
    )
    b.add_term("HLA", "k_hla*(HLA_set - HLA)", "HLA_turnover", "relaxation to the set point")
