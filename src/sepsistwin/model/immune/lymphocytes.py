"""Lymphocytes (10^9/L): apoptosis, homeostasis, IL-7/IL-15, PD-1/CTLA-4 driven exhaustion.

Functional ``T`` and exhausted ``TEX`` lymphocytes (PROPOSAL, after the
Agur-group exhaustion models, Gillis 2021 doi 10.3389/fimmu.2021.616881, and the reversible-pool
idea of Kareva & Gevertz). Inflammation/damage-driven apoptosis
makes the early lymphopenia; homeostatic proliferation (IL-7 dependent) restores the count when
damage resolves; persistent antigen and IL-10 push functional cells into exhaustion, which PD-1 /
PD-L1 blockade reverses (receptor occupancy from the drug PK). Blockade also protects T cells
from sepsis-induced apoptosis (Brahmamdam 2010 doi 10.1189/jlb.0110037; Zhang 2011 doi
10.1186/cc10059, VERIFIED abstracts): reinvigoration alone only moves cells between two pools
that both count in the ALC, so without this term anti-PD-1 could not raise the lymphocyte count
that Watanabe 2020 (PMID 31513050, VERIFIED abstract) saw rise. ``TKO`` are adoptively transferred
PD-1 knock-out T cells (gene editing): they never exhaust. Targets: day-4 ALC ~1.1 vs 0.7
x10^9/L in survivors vs non-survivors (Drewry 2014 doi 10.1097/SHK.0000000000000234, VERIFIED);
IL-7 raises ALC 3-4 fold (IRIS-7, Francois 2018 doi 10.1172/jci.insight.98960, VERIFIED).
Functional T cells kill pathogen and make IFN-gamma (feeds the core and HLA-DR). The storm and
damage apoptosis rates ``k_apo`` and ``k_apo_d`` are CALIBRATED to the Drewry day-4 counts.

The states count the whole recirculating pool; the blood count ``ALC_blood`` (the catalogue's
``lymphocytes``) is what stays in the circulation. Stress hormones move recirculating
lymphocytes out of the blood within hours and they return when the stress ends: endotoxin in
volunteers gives a lymphocytopenia that follows the cortisol rise (Richardson 1989 Ann Surg
210:239 doi 10.1097/00000658-198908000-00018, PMID 2667476), hydrocortisone alone empties the
recirculating pool with a nadir at 4-6 h and recovery by 24 h (Fauci & Dale 1974 J Clin Invest
53:240 doi 10.1172/JCI107544). In septic shock the stress follows the organ failure, so the blood
share is ``1 - m_marg*OFI^2/(OFI^2 + K_marg^2)`` (algebraic: the redistribution is fast on the
model's time scale). ``m_marg`` is CALIBRATED with the apoptosis rates to the onset and day-4
counts (ALC about 0.7 x10^9/L at septic-shock onset, Drewry 2014).
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import CALIBRATED, PROPOSAL, hook, provide
from sepsistwin.model.model import ModelBuilder

HAND = "PROPOSAL (hand-chosen so the calibration targets are reachable; not fitted)"

PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    (
        "L_hom",
        2.0,
        "1e9/L",
        "normal adult ALC 1.0-4.0 (general knowledge)",
        "homeostatic lymphocyte set point",
    ),
    ("r_hp", 0.012, "1/h", HAND, "maximal homeostatic proliferation rate"),
    ("mu_L", 0.002, "1/h", PROPOSAL, "natural lymphocyte turnover"),
    (
        "k_apo",
        0.08,
        "1/h",
        f"{CALIBRATED}: day-4 ALC of survivors and non-survivors (Drewry 2014)",
        "maximal apoptosis rate in the cytokine storm",
    ),
    ("K_apo6", 100.0, "pg/mL", PROPOSAL, "IL-6 (storm marker) for half-maximal apoptosis"),
    (
        "k_apo_d",
        0.03,
        "1/h",
        f"{CALIBRATED}: day-4 ALC of survivors and non-survivors (Drewry 2014)",
        "maximal apoptosis rate from persistent damage",
    ),
    ("K_apo_D", 5.0, "D-unit", PROPOSAL, "damage for half-maximal apoptosis"),
    ("k_ex", 0.02, "1/h", PROPOSAL, "maximal exhaustion rate under persistent antigen"),
    ("K_ex_P", 0.5, "1e6 CFU/mL", PROPOSAL, "antigen load for half-maximal exhaustion"),
    ("a_ex10", 1.0, "1", PROPOSAL, "relative rise of exhaustion by IL-10"),
    ("K_ex10", 30.0, "pg/mL", PROPOSAL, "IL-10 for half-maximal exhaustion enhancement"),
    ("k_re", 0.02, "1/h", PROPOSAL, "reinvigoration rate at full checkpoint blockade"),
    ("mu_ex", 0.005, "1/h", PROPOSAL, "death of exhausted lymphocytes"),
    ("k_pT", 0.06, "1/(1e9/L*h)", PROPOSAL, "pathogen killing by functional T cells"),
    (
        "f_pd1_ko",
        0.0,
        "1",
        PROPOSAL,
        "fraction of endogenous T cells with PD-1 knocked out (in-vivo gene editing)",
    ),
    (
        "m_marg",
        0.5,
        "1",
        f"{CALIBRATED}: ALC at screening and day 4 (Drewry 2014); Richardson 1989, Fauci & "
        "Dale 1974 (redistribution out of the blood)",
        "largest share of recirculating lymphocytes that stress moves out of the blood",
    ),
    (
        "K_marg",
        2.0,
        "1",
        f"{PROPOSAL}: two failing organs' worth of organ failure index",
        "organ failure index for half the maximal redistribution",
    ),
    ("a_il7_apo", 0.6, "1", PROPOSAL, "maximal protection from apoptosis by IL-7 (Bcl-2)"),
    (
        "a_il15_apo",
        0.6,
        "1",
        "Inoue 2010 doi 10.4049/jimmunol.0902307 direction (VERIFIED); size PROPOSAL",
        "maximal protection from apoptosis by IL-15",
    ),
    (
        "a_pd1_apo",
        0.5,
        "1",
        "direction: anti-PD-1 24 h after CLP prevented lymphocyte depletion, raised Bcl-xL and "
        "blocked apoptosis (Brahmamdam 2010 J Leukoc Biol doi 10.1189/jlb.0110037, VERIFIED "
        "abstract); PD-1/PD-L1 blockade lowered apoptosis of septic-shock patients' T cells in "
        "vitro (Zhang 2011 Crit Care 15:R70 doi 10.1186/cc10059, PMC3222003, VERIFIED abstract); "
        "size PROPOSAL (as a_il7_apo)",
        "maximal protection from sepsis-induced apoptosis by PD-1 pathway blockade",
    ),
)


def lymphocytes(b: ModelBuilder) -> None:
    """Functional ``T``, exhausted ``TEX`` and PD-1 knock-out ``TKO`` lymphocytes."""
    b.add_state("T", "1e9/L", 2.0, "functional lymphocytes", "L_hom")
    b.add_state("TEX", "1e9/L", 0.0, "exhausted lymphocytes (PD-1 high)", PROPOSAL)
    b.add_state("TKO", "1e9/L", 0.0, "transferred PD-1 knock-out T cells", PROPOSAL)
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "P_total", "P", "1e6 CFU/mL", "antigen load")
    hook(b, "IL10_tot", "IL10", "pg/mL", "IL-10 seen by T cells")
    hook(b, "IL7_effect", "0", "1", "IL-7 receptor signalling (0-1)")
    hook(b, "IL7_gain", "0", "1", "IL-7 proliferation gain (IL7_effect times its Emax)")
    hook(b, "IL15_effect", "0", "1", "IL-15 receptor signalling (0-1)")
    hook(b, "IL15_gain", "0", "1", "IL-15 proliferation gain")
    hook(b, "Thy_gain", "0", "1", "thymosin alpha-1 proliferation gain")
    hook(b, "CTLA4_gain", "0", "1", "CTLA-4 blockade co-stimulation gain")
    hook(b, "PD1_block", "0", "1", "PD-1 receptor occupancy by anti-PD-1")
    hook(b, "PDL1_block", "0", "1", "PD-L1 occupancy by anti-PD-L1")

    hook(b, "OFI", "0", "1", "organ failure index (organs module; stress of the host)")
    provide(b, "ALC", "T + TEX + TKO", "1e9/L", "lymphocytes of the recirculating pool")
    provide(
        b,
        "ALC_blood",
        "ALC*(1 - m_marg*max(OFI, 0)**2/(max(OFI, 0)**2 + K_marg**2))",
        "1e9/L",
        "absolute lymphocyte count in blood (stress redistribution out of the circulation)",
    )
    b.add_expression(
        "CP_block",
        "1 - (1 - PD1_block)*(1 - PDL1_block)",
        "1",
        "PD-1 pathway blockade (either receptor or ligand)",
    )
    b.add_expression(
        "apo_rate",
        "(k_apo*IL6/(IL6 + K_apo6) + k_apo_d*D/(D + K_apo_D))"
        "*(1 - a_il7_apo*IL7_effect)*(1 - a_il15_apo*IL15_effect)"
        "*(1 - a_pd1_apo*CP_block)",
        "1/h",
        "sepsis-induced apoptosis: cytokine storm and persistent damage "
        "(less under IL-7, IL-15 and PD-1 pathway blockade)",
    )
    b.add_expression(
        "ex_drive",
        "P_total/(P_total + K_ex_P)*(1 + a_ex10*IL10_tot/(IL10_tot + K_ex10))",
        "1",
        "exhaustion drive: persistent antigen and IL-10",
    )
    b.add_expression(
        "L_set",
        "L_hom*(1 + IL7_gain + IL15_gain)",
        "1e9/L",
        "homeostatic set point (raised by IL-7/IL-15)",
    )
    b.add_expression(
        "prolif",
        "r_hp*(1 + IL7_gain + IL15_gain + Thy_gain + CTLA4_gain)*max(1 - ALC/L_set, 0)",
        "1/h",
        "homeostatic proliferation rate",
    )
    b.add_term(
        "T",
        "prolif*T + mu_L*L_hom",
        "T_homeostasis",
        "homeostatic proliferation and marrow/thymic output (balances turnover)",
    )
    b.add_term("T", "-(mu_L + apo_rate)*T", "T_death", "turnover and apoptosis")
    b.add_term(
        "T",
        "-k_ex*ex_drive*(1 - CP_block)*(1 - f_pd1_ko)*T",
        "T_exhaustion",
        "exhaustion (PD-1 pathway), prevented by blockade or knock-out",
    )
    b.add_term(
        "TEX", "k_ex*ex_drive*(1 - CP_block)*(1 - f_pd1_ko)*T", "TEX_exhaustion", "exhaustion"
    )
    b.add_term("T", "k_re*CP_block*TEX", "T_reinvigoration", "reinvigoration by blockade")
    b.add_term("TEX", "-k_re*CP_block*TEX", "TEX_reinvigoration", "reinvigoration")
    b.add_term("TEX", "-(mu_ex + apo_rate)*TEX", "TEX_death", "death of exhausted cells")
    b.add_term(
        "TKO",
        "prolif*TKO*P_total/(P_total + K_ex_P) - (mu_L + apo_rate)*TKO",
        "TKO_dynamics",
        "antigen-driven expansion and death of PD-1 knock-out cells",
    )
    provide(b, "T_func", "T + TKO", "1e9/L", "functional effector lymphocytes")
    b.add_term("P", "-k_pT*(T + TKO)*P", "P_T_kill", "pathogen killing by T cells")
