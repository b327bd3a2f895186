"""Cell therapies and microbiome therapies: MSCs, PD-1 knock-out T cells, probiotics, FMT.

MSCs (CISS, McIntyre 2018 doi 10.1164/rccm.201705-1006OC: 0.3-3 x10^6 cells/kg IV, VERIFIED) lodge
in the lung and are lost with a half-life of about a day (RECALLED); while present
they add an anti-inflammatory paracrine source to CA and speed damage repair (transient,
PROPOSAL sizes). Gene editing: ex-vivo PD-1 knock-out T cells dosed in cells/kg become the
``TKO`` lymphocyte pool (they expand on antigen and never exhaust); in-vivo editing is the model
parameter ``f_pd1_ko``. Probiotics and FMT are enteral: a colonising load that decays and
restores gut diversity while present (Manzanares 2016; Kim 2020; VERIFIED qualitative, sizes
PROPOSAL).
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import PROPOSAL, provide
from sepsistwin.model.model import ModelBuilder


def msc(b: ModelBuilder) -> None:
    """Mesenchymal stromal cells: transient anti-inflammatory source and repair."""
    b.add_state("msc_cells", "1e6 cells/kg", 0.0, "MSCs lodged in the lung")
    b.add_parameter(
        "msc_k", 0.029, "1/h", "t1/2 ~24 h lung trapping (RECALLED 6-24 h, pkpd §13)", "MSC loss"
    )
    b.add_parameter("msc_EC50", 1.0, "1e6 cells/kg", PROPOSAL, "MSC load for half effect")
    b.add_parameter("k_msc_ca", 0.02, "CA-unit/h", PROPOSAL, "maximal paracrine CA source")
    b.add_parameter("a_msc_repair", 0.5, "1", PROPOSAL, "maximal relative rise of damage repair")
    b.add_expression("msc_effect", "msc_cells/(msc_cells + msc_EC50)", "1", "MSC effect")
    b.add_term("msc_cells", "-msc_k*msc_cells", "msc_loss")
    b.add_term("CA", "k_msc_ca*msc_effect", "CA_msc", "paracrine anti-inflammatory mediators")
    b.scale_term("D_decay", "1 + a_msc_repair*msc_effect", "msc")


def gene_editing(b: ModelBuilder) -> None:
    """PD-1 knock-out T cells: doses go into the ``TKO`` state of the lymphocyte module.

    The state and its dynamics belong to the lymphocyte module; this module only records the
    blood-volume conversion used to turn cells/kg into 10^9/L.
    """
    b.add_parameter(
        "blood_volume_kg",
        0.07,
        "L/kg",
        "adult blood volume ~70 mL/kg (general knowledge)",
        "blood volume per kg (cells/kg -> 10^9/L)",
    )


def probiotics(b: ModelBuilder) -> None:
    """Enteral probiotics: colonising load restoring gut diversity."""
    b.add_state("probiotic_gut", "1e9 CFU", 0.0, "colonising probiotic load")
    b.add_parameter("probiotic_k", 0.03, "1/h", PROPOSAL, "probiotic wash-out")
    b.add_parameter("probiotic_EC50", 10.0, "1e9 CFU", PROPOSAL, "load for half effect")
    b.add_parameter("k_probiotic", 0.02, "1/h", PROPOSAL, "maximal diversity restoration rate")
    b.add_term("probiotic_gut", "-probiotic_k*probiotic_gut", "probiotic_washout")
    provide(
        b,
        "probiotic_restore",
        "k_probiotic*probiotic_gut/(probiotic_gut + probiotic_EC50)",
        "1/h",
        "diversity restoration by probiotics",
    )


def fmt(b: ModelBuilder) -> None:
    """Faecal microbiota transplant: engrafting donor microbiota restoring diversity."""
    b.add_state("fmt_graft", "g", 0.0, "engrafting donor stool (grams equivalent)")
    b.add_parameter("fmt_k", 0.01, "1/h", PROPOSAL, "loss of the non-engrafted graft")
    b.add_parameter("fmt_EC50", 10.0, "g", PROPOSAL, "graft for half effect")
    b.add_parameter("k_fmt", 0.05, "1/h", PROPOSAL, "maximal diversity restoration rate")
    b.add_term("fmt_graft", "-fmt_k*fmt_graft", "fmt_loss")
    provide(
        b,
        "fmt_restore",
        "k_fmt*fmt_graft/(fmt_graft + fmt_EC50)",
        "1/h",
        "diversity restoration by FMT",
    )
