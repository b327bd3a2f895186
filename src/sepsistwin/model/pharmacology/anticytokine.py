"""Anti-inflammatory biologics: anti-TNF, anakinra (IL-1Ra), tocilizumab (anti-IL-6R), IL-10.

Each neutralises or blocks its cytokine by occupancy ``C/(C + EC50)``; what the blockade does is
declared by the biology modules (hooks ``TNF_block``, ``IL1R_block``, ``IL6R_block``,
``IL10_exo``): e.g. anti-TNF removes the TNF-dependent share of phagocyte recruitment *and* of
pathogen killing, the mechanism of its dose-dependent harm (Fisher 1996 NEJM PMID 8637514,
mortality rose with dose, VERIFIED).
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, provide
from sepsistwin.model.model import ModelBuilder
from sepsistwin.model.pharmacology._pk import Value, add_occupancy, add_pk

FASANMADE = "Fasanmade 2009 doi 10.1007/s00228-009-0718-4 (VERIFIED)"
YANG = "Yang 2003 doi 10.1016/S0009-9236(03)00094-8 (VERIFIED)"
FREY = "Frey 2010 doi 10.1177/0091270009350623 (VERIFIED transcr.)"
HUHN = "Fuchs 1996 J Clin Immunol 16:291 Cmax 15 ng/mL at 1 ug/kg; t1/2 3.2 h (VERIFIED, pkpd §11)"


def anti_tnf(b: ModelBuilder) -> None:
    """Anti-TNF monoclonal antibody (infliximab-like two-compartment PK); neutralises TNF."""
    add_pk(
        b,
        "anti_tnf",
        amount_unit="mg",
        conc_unit="mg/L",
        label="anti-TNF",
        V=Value(3.29, "L", FASANMADE),
        CL=Value(0.407 / 24, "L/h", f"{FASANMADE}; 0.407 L/d"),
        Q=Value(7.14 / 24, "L/h", f"{FASANMADE}; 7.14 L/d"),
        Vp=Value(4.13, "L", FASANMADE),
    )
    occ = add_occupancy(b, "anti_tnf", Value(3.0, "mg/L", PROPOSAL), label="anti-TNF")
    b.add_parameter("anti_tnf_emax", 0.95, "1", PROPOSAL, "maximal fraction of TNF neutralised")
    provide(b, "TNF_block", f"anti_tnf_emax*{occ}", "1", "fraction of TNF neutralised")


def anakinra(b: ModelBuilder) -> None:
    """Anakinra (IL-1 receptor antagonist): IV or SC, blocks IL-1 signalling."""
    add_pk(
        b,
        "anakinra",
        amount_unit="mg",
        conc_unit="mg/L",
        label="anakinra",
        per_kg=True,
        V=Value(0.142, "L/kg", "Yang 2001 Ann Rheum Dis 60:A459 V/F = 0.142*WT (VERIFIED)"),
        CL=Value(8.2 / 75, "L/h/kg", f"{YANG}; 137 mL/min = 8.2 L/h per 75 kg"),
        ka=Value(0.38, "1/h", "Urien 2013 doi 10.1186/2050-6511-14-40 (VERIFIED transcr.)"),
    )
    occ = add_occupancy(
        b,
        "anakinra",
        Value(
            0.4,
            "mg/L",
            "Urien 2013: Css 0.4 mg/L brings CRP <= 10 mg/L (VERIFIED), used as EC50 (DERIVED)",
        ),
        label="anakinra",
    )
    provide(b, "IL1R_block", occ, "1", "fraction of IL-1 receptors blocked")


def tocilizumab(b: ModelBuilder) -> None:
    """Tocilizumab: two-compartment PK with target-mediated (Michaelis-Menten) elimination."""
    add_pk(
        b,
        "tocilizumab",
        amount_unit="mg",
        conc_unit="mg/L",
        label="tocilizumab",
        V=Value(3.5, "L", FREY),
        CL=Value(0.3 / 24, "L/h", f"{FREY}; 0.3 L/d"),
        Q=Value(0.2 / 24, "L/h", f"{FREY}; 0.2 L/d"),
        Vp=Value(2.9, "L", FREY),
        vmax=Value(7.5 / 24, "mg/h", f"{FREY}; 7.5 mg/d"),
        km=Value(2.7, "mg/L", FREY),
    )
    occ = add_occupancy(
        b,
        "tocilizumab",
        Value(0.45, "mg/L", "sIL-6R Kd a few nM (RECALLED): 3 nM x 148 kDa, DERIVED"),
        label="tocilizumab",
    )
    provide(b, "IL6R_block", occ, "1", "fraction of IL-6 receptors blocked")


def il10(b: ModelBuilder) -> None:
    """Recombinant IL-10 (ilodecakin): adds to circulating IL-10 (pg/mL)."""
    add_pk(
        b,
        "il10",
        amount_unit="ug",
        conc_unit="ug/L",
        label="rhIL-10",
        per_kg=True,
        V=Value(0.067, "L/kg", f"{HUHN}; V = dose/Cmax DERIVED"),
        CL=Value(0.0145, "L/h/kg", f"{HUHN}; CL = V*ln2/3.2 h DERIVED"),
        ka=Value(0.5, "1/h", "SC terminal t1/2 2.7-4.5 h (Huhn 1997, VERIFIED); ka PROPOSAL"),
    )
    provide(b, "IL10_exo", "1000*il10_conc*nano_exposure", "pg/mL", "exogenous IL-10")
