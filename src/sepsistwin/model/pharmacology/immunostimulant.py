"""Immunostimulants: IL-7, IL-15, interferon-gamma, GM-CSF, thymosin alpha-1.

IL-7 and IL-15 raise lymphocyte proliferation and survival and the homeostatic set point; IL-15
also drives IFN-gamma. IFN-gamma and GM-CSF restore monocyte HLA-DR; thymosin alpha-1 modestly
raises T-cell proliferation and HLA-DR. Human PK is missing or RECALLED for most;
values are marked. The IL-7 gain is CALIBRATED to the IRIS-7 3-4 fold ALC rise.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import CALIBRATED, PROPOSAL, provide
from sepsistwin.model.model import ModelBuilder
from sepsistwin.model.pharmacology._pk import Value, add_occupancy, add_pk


def il7(b: ModelBuilder) -> None:
    """Recombinant IL-7 (CYT107): IV, IM or SC; lymphocyte proliferation and survival."""
    add_pk(
        b,
        "il7",
        amount_unit="ug",
        conc_unit="ug/L",
        label="rhIL-7",
        per_kg=True,
        V=Value(0.1, "L/kg", "PROPOSAL (CYT107 PK not found)"),
        CL=Value(0.01155, "L/h/kg", "PROPOSAL: elimination t1/2 6 h"),
        ka=Value(0.07, "1/h", "IM/SC absorption t1/2 ~10 h (RECALLED 10-30 h)"),
    )
    occ = add_occupancy(b, "il7", Value(1.0, "ug/L", PROPOSAL), label="rhIL-7")
    b.add_parameter(
        "a_il7",
        3.0,
        "1",
        CALIBRATED,
        "maximal IL-7 gain of proliferation and set point (IRIS-7 3-4 fold ALC)",
    )
    provide(b, "IL7_effect", occ, "1", "IL-7 receptor signalling")
    provide(b, "IL7_gain", f"a_il7*{occ}", "1", "IL-7 proliferation gain")


def il15(b: ModelBuilder) -> None:
    """Recombinant IL-15: lymphocyte survival/proliferation and IFN-gamma release."""
    add_pk(
        b,
        "il15",
        amount_unit="ug",
        conc_unit="ug/L",
        label="rhIL-15",
        per_kg=True,
        V=Value(0.07, "L/kg", "PROPOSAL (plasma volume; short t1/2)"),
        CL=Value(0.0194, "L/h/kg", "PROPOSAL: t1/2 2.5 h ('hours', VERIFIED qualitative)"),
        ka=Value(0.3, "1/h", PROPOSAL),
    )
    occ = add_occupancy(b, "il15", Value(1.0, "ug/L", PROPOSAL), label="rhIL-15")
    b.add_parameter(
        "a_il15",
        2.0,
        "1",
        "CD8 x3 with SC IL-15 (Miller 2018, VERIFIED); PROPOSAL",
        "maximal IL-15 proliferation / IFN-gamma gain",
    )
    provide(b, "IL15_effect", occ, "1", "IL-15 receptor signalling")
    provide(b, "IL15_gain", f"a_il15*{occ}", "1", "IL-15 gain")


def interferon_gamma(b: ModelBuilder) -> None:
    """Recombinant IFN-gamma-1b (SC): adds to IFN-gamma (mHLA-DR, priming, killing).

    Human SC PK (one compartment, flip-flop absorption) from the Imukin (IFN-gamma-1b) SmPC
    (Swiss Fachinformation, generika.cc reg. 51947, read 2026-11-25; VERIFIED values): after
    50 ug/m2 SC (~90 ug at 1.8 m2) Cmax 631 pg/mL at ~8 h, AUC 8.3 ng*h/mL, F > 89%, Vss/F
    10.9-46.7 L, MRT 10.95 h, t1/2 5.9 h. DERIVED: CL = F*dose/AUC = 0.89*90/8.3 = 9.65 L/h
    (0.129 L/h/kg at 75 kg); ka = ln2/5.9 h (absorption-limited terminal phase) and
    1/k_el = MRT - 1/ka = 2.44 h, so V = CL/k_el = 23.5 L (0.31 L/kg, inside the Vss range);
    this gives Cmax ~590 pg/mL at ~4.3 h after 90 ug. The monkey values used before (Ferraiolo
    1988) gave a peak of ~110 pg/mL, 6-fold below the human SC exposure.
    """
    imukin = "Imukin SmPC (generika.cc 51947, VERIFIED): AUC 8.3 ng*h/mL after 50 ug/m2 SC"
    add_pk(
        b,
        "interferon_gamma",
        amount_unit="ug",
        conc_unit="ug/L",
        label="rhIFN-gamma",
        per_kg=True,
        V=Value(0.313, "L/kg", f"{imukin}, MRT 10.95 h; V = CL/k_el DERIVED (23.5 L/75 kg)"),
        CL=Value(0.129, "L/h/kg", f"{imukin}; CL = F*dose/AUC DERIVED (9.65 L/h/75 kg)"),
        ka=Value(
            0.1175,
            "1/h",
            "Imukin SmPC t1/2 5.9 h after SC (VERIFIED), absorption-"
            "limited (flip-flop); ka = ln2/5.9 h DERIVED",
        ),
    )
    provide(
        b, "IFNG_exo", "1000*interferon_gamma_conc*nano_exposure", "pg/mL", "exogenous IFN-gamma"
    )


def gm_csf(b: ModelBuilder) -> None:
    """GM-CSF (sargramostim/molgramostim): restores monocyte HLA-DR."""
    add_pk(
        b,
        "gm_csf",
        amount_unit="ug",
        conc_unit="ug/L",
        label="GM-CSF",
        per_kg=True,
        V=Value(0.1, "L/kg", "PROPOSAL"),
        CL=Value(
            0.0613,
            "L/h/kg",
            "IV t1/2-beta 68 min (Hovgaard); CL = V*ln2/t1/2 DERIVED",
        ),
        ka=Value(0.1, "1/h", "SC peak at 15-20 h (VERIFIED); ka DERIVED"),
    )
    occ = add_occupancy(
        b,
        "gm_csf",
        Value(1.0, "ug/L", "SC 10 ug/kg keeps > 1 ng/mL for > 12 h (VERIFIED); EC50 PROPOSAL"),
        label="GM-CSF",
    )
    b.add_parameter(
        "a_hla_gm",
        1.5,
        "1",
        "Meisel 2009: normalised mHLA-DR 19/19 (VERIFIED); size PROPOSAL",
        "maximal relative mHLA-DR rise by GM-CSF",
    )
    b.add_expression("gm_csf_hla_gain", f"a_hla_gm*{occ}", "1", "GM-CSF mHLA-DR gain")
    b.add_parameter(
        "k_tol_gm",
        0.02,
        "1/h",
        "PROPOSAL; direction: GM-CSF restores monocyte LPS responsiveness (TNF) ex vivo in "
        "immunoparalysed patients (Meisel 2009 Am J Respir Crit Care Med 180:640 doi "
        "10.1164/rccm.200903-0363OC, VERIFIED abstract)",
        "reversal of monocyte reprogramming at full GM-CSF receptor occupancy",
    )
    provide(b, "TOL_rev_drug", f"k_tol_gm*{occ}", "1/h", "reversal of reprogramming by GM-CSF")
    provide(b, "GM_prime_sig", occ, "1", "GM-CSF priming of monocytes against IL-10")
    provide(b, "GM_mac_sig", occ, "1", "GM-CSF priming of macrophage activation")


def thymosin_alpha1(b: ModelBuilder) -> None:
    """Thymosin alpha-1 (SC): modest T-cell proliferation and mHLA-DR gain."""
    add_pk(
        b,
        "thymosin_alpha1",
        amount_unit="mg",
        conc_unit="mg/L",
        label="thymosin alpha-1",
        V=Value(35.0, "L", "Rost 1999 PMID 10027483 Vz/F 30-40 L (VERIFIED)"),
        CL=Value(10.0, "L/h", "CL/F 6-17 L/h DERIVED"),
        ka=Value(1.2, "1/h", "tmax 1-2 h, DERIVED"),
    )
    occ = add_occupancy(
        b, "thymosin_alpha1", Value(0.02, "mg/L", PROPOSAL), label="thymosin alpha-1"
    )
    b.add_parameter(
        "a_thy",
        0.3,
        "1",
        "ETASS mHLA-DR increased (VERIFIED secondary); PROPOSAL",
        "maximal thymosin gain of proliferation and mHLA-DR",
    )
    provide(b, "Thy_gain", f"a_thy*{occ}", "1", "thymosin proliferation gain")
    b.add_expression("thymosin_hla_gain", f"a_thy*{occ}", "1", "thymosin mHLA-DR gain")


def hla_drug_gain(b: ModelBuilder) -> None:
    """Wire GM-CSF and thymosin alpha-1 to mHLA-DR (both modules must be included first)."""
    provide(
        b,
        "HLA_drug_gain",
        "gm_csf_hla_gain + thymosin_hla_gain",
        "1",
        "relative mHLA-DR rise by drugs",
    )
