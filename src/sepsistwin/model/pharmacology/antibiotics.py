"""Meropenem: two-compartment PK in critically ill patients; feeds the antibiotic kill.

Shekar 2014 (Crit Care doi 10.1186/s13054-014-0565-2, VERIFIED transcription):
CL = 1.89 x CrCL (11.3 L/h at CrCL 100 mL/min, DERIVED), Vc 18.7 L, Q 21.0 L/h, Vp 13.2 L;
protein binding ~2% (RECALLED). Gut flora exposure (for the microbiome) is an occupancy of the
free concentration (PROPOSAL).
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, provide
from sepsistwin.model.model import ModelBuilder
from sepsistwin.model.pharmacology._pk import Value, add_pk

SHEKAR = "Shekar 2014 doi 10.1186/s13054-014-0565-2 (VERIFIED transcr.)"


def meropenem(b: ModelBuilder) -> None:
    """Meropenem PK; provides the free concentration ``abx_conc`` and gut exposure."""
    add_pk(
        b,
        "meropenem",
        amount_unit="mg",
        conc_unit="mg/L",
        label="meropenem",
        V=Value(18.7, "L", SHEKAR),
        CL=Value(11.3, "L/h", f"{SHEKAR}; CrCL 100 mL/min DERIVED"),
        Q=Value(21.0, "L/h", SHEKAR),
        Vp=Value(13.2, "L", SHEKAR),
    )
    b.add_parameter("meropenem_fu", 0.98, "1", "protein binding ~2% (RECALLED)", "unbound fraction")
    b.add_parameter(
        "meropenem_gut_EC50",
        2.0,
        "mg/L",
        PROPOSAL,
        "plasma concentration for half-maximal gut-flora exposure",
    )
    provide(b, "abx_conc", "meropenem_fu*meropenem_conc", "mg/L", "free meropenem")
    provide(
        b,
        "abx_gut_exposure",
        "meropenem_conc/(meropenem_conc + meropenem_gut_EC50)",
        "1",
        "gut flora exposure to antibiotic",
    )
