"""Nanocarrier: a delivery modifier raising the effect-site exposure of co-administered drugs.

No source was collected (evidence base: preclinical, RECALLED). Modelled as a long-circulating
carrier (one compartment, t1/2 ~21 h, PROPOSAL) whose presence multiplies the effect-site
concentration of the cytokine and biologic drugs by ``nano_exposure`` = 1 + e_nano*occupancy
(targeted delivery to immune cells). It has no effect of its own: it changes exposure only.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, provide
from sepsistwin.model.model import ModelBuilder
from sepsistwin.model.pharmacology._pk import Value, add_pk


def nanocarrier(b: ModelBuilder) -> None:
    """Nanocarrier PK and the exposure multiplier ``nano_exposure``."""
    add_pk(
        b,
        "nanocarrier",
        amount_unit="mg",
        conc_unit="mg/L",
        label="nanocarrier",
        V=Value(3.0, "L", PROPOSAL),
        CL=Value(0.1, "L/h", f"{PROPOSAL}: t1/2 ~21 h"),
    )
    b.add_parameter("nanocarrier_EC50", 5.0, "mg/L", PROPOSAL, "carrier level for half effect")
    b.add_parameter("e_nano", 2.0, "1", PROPOSAL, "maximal relative exposure gain")
    provide(
        b,
        "nano_exposure",
        "1 + e_nano*nanocarrier_conc/(nanocarrier_conc + nanocarrier_EC50)",
        "1",
        "effect-site exposure multiplier",
    )
