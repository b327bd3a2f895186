"""Immune-checkpoint antibodies: nivolumab (anti-PD-1), anti-PD-L1, anti-CTLA-4.

Nivolumab: two-compartment linear PK of Bajaj 2017 (CPT PSP doi 10.1002/psp4.12143, VERIFIED
transcription; male, ECOG >= 1 covariates: CL 0.316 L/d, Vc 4.23 L DERIVED; Q 0.770
L/d, Vp 2.78 L; time-varying CL not modelled), receptor occupancy ``C/(C + EC50)`` with EC50
0.10 ug/mL back-calculated from van den Haak 2023 (doi 10.1111/cts.13503, DERIVED). Targets: t1/2
~15 d and RO > 90% for >= 28 d after 480 mg (Hotchkiss 2019 doi 10.1007/s00134-019-05704-z).
Occupancy blocks PD-1 driven exhaustion, reinvigorates exhausted cells and protects T cells
from sepsis-induced apoptosis (``a_pd1_apo``, lymphocyte module).

Anti-PD-L1 (BMS-936559): PK not obtained; a generic IgG4 one-compartment PK (t1/2 ~2 weeks,
RECALLED) with occupancy of PD-L1 blocking the same pathway.

Anti-CTLA-4 (ipilimumab PK, Feng 2014 doi 10.1111/bcp.12323, VERIFIED transcription): occupancy
adds co-stimulation (T-cell proliferation and IFN-gamma); at high exposure hyperactivated T cells
cause tissue damage, so the dose response is non-monotone (Inoue 2011 Shock, PMID 21368717:
high dose harmful in CLP mice, VERIFIED). Effect sizes PROPOSAL.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, provide
from sepsistwin.model.model import ModelBuilder
from sepsistwin.model.pharmacology._pk import Value, add_occupancy, add_pk

BAJAJ = "Bajaj 2017 doi 10.1002/psp4.12143 (VERIFIED transcr.)"
FENG = "Feng 2014 doi 10.1111/bcp.12323 (VERIFIED transcr.)"


def nivolumab(b: ModelBuilder) -> None:
    """Nivolumab two-compartment PK and PD-1 receptor occupancy."""
    add_pk(
        b,
        "nivolumab",
        amount_unit="mg",
        conc_unit="mg/L",
        label="nivolumab",
        V=Value(4.23, "L", f"{BAJAJ}; male ECOG>=1 covariates DERIVED"),
        CL=Value(0.316 / 24, "L/h", f"{BAJAJ}; 0.316 L/d male ECOG>=1 DERIVED"),
        Q=Value(0.770 / 24, "L/h", f"{BAJAJ}; 0.770 L/d"),
        Vp=Value(2.78, "L", BAJAJ),
    )
    occ = add_occupancy(
        b,
        "nivolumab",
        Value(
            0.10,
            "mg/L",
            "van den Haak 2023 doi 10.1111/cts.13503: RO>90% for 23 d after 20 mg, EC50 DERIVED",
        ),
        label="nivolumab",
        nano=False,
    )
    provide(b, "PD1_block", occ, "1", "PD-1 receptor occupancy")


def anti_pd_l1(b: ModelBuilder) -> None:
    """Anti-PD-L1 (BMS-936559-like) one-compartment PK and PD-L1 occupancy."""
    add_pk(
        b,
        "anti_pd_l1",
        amount_unit="mg",
        conc_unit="mg/L",
        label="anti-PD-L1",
        V=Value(6.0, "L", "IgG4 typical (RECALLED; BMS-936559 PK not obtained)"),
        CL=Value(0.25 / 24, "L/h", "IgG4 typical, t1/2 ~2 weeks (RECALLED)"),
    )
    occ = add_occupancy(
        b, "anti_pd_l1", Value(0.2, "mg/L", PROPOSAL), label="anti-PD-L1", nano=False
    )
    provide(b, "PDL1_block", occ, "1", "PD-L1 occupancy")


def anti_ctla4(b: ModelBuilder) -> None:
    """Anti-CTLA-4 (ipilimumab PK): co-stimulation, and hyperactivation damage at high dose."""
    add_pk(
        b,
        "anti_ctla4",
        amount_unit="mg",
        conc_unit="mg/L",
        label="anti-CTLA-4",
        V=Value(4.15, "L", FENG),
        CL=Value(0.0150, "L/h", FENG),
        Q=Value(0.0411, "L/h", FENG),
        Vp=Value(3.11, "L", FENG),
    )
    occ = add_occupancy(
        b, "anti_ctla4", Value(1.0, "mg/L", PROPOSAL), label="anti-CTLA-4", nano=False
    )
    b.add_parameter("a_ctla4", 1.0, "1", PROPOSAL, "maximal co-stimulation gain of CTLA-4 blockade")
    b.add_parameter(
        "ctla4_harm_EC50",
        60.0,
        "mg/L",
        PROPOSAL,
        "concentration for half-maximal hyperactivation (Inoue 2011 direction)",
    )
    b.add_parameter(
        "k_ctla4_dmg", 0.15, "D-unit/h", PROPOSAL, "maximal damage by hyperactivated T cells"
    )
    provide(b, "CTLA4_gain", f"a_ctla4*{occ}", "1", "CTLA-4 blockade co-stimulation")
    b.add_expression(
        "ctla4_hyper",
        "anti_ctla4_conc**2/(anti_ctla4_conc**2 + ctla4_harm_EC50**2)",
        "1",
        "hyperactivation at supra-therapeutic exposure",
    )
    b.add_term(
        "D",
        "k_ctla4_dmg*ctla4_hyper*T/L_hom",
        "D_ctla4_hyperactivation",
        "immune-mediated damage by hyperactivated T cells",
    )
