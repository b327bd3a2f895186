"""Pharmacology: a PK/PD module for every therapy id of the evidence base, and dosing.

Every drug acts only through its mechanism: its PK gives a concentration, an occupancy or Emax
effect of that concentration changes a rate of the immune model (through the hooks of
:mod:`sepsistwin.model.immune`). :func:`therapy_schedule` and :func:`parse_therapy_dose` turn
clinical doses (the grammar of :mod:`sepsistwin.dosing`) into solver schedules.

Examples
--------
>>> sorted(THERAPY_MODULES)[:3]
['anakinra', 'anti_ctla4', 'anti_pd_l1']
"""

from collections.abc import Callable

from sepsistwin.model.model import ModelBuilder
from sepsistwin.model.pharmacology.antibiotics import meropenem
from sepsistwin.model.pharmacology.anticytokine import anakinra, anti_tnf, il10, tocilizumab
from sepsistwin.model.pharmacology.cells_microbiome import fmt, gene_editing, msc, probiotics
from sepsistwin.model.pharmacology.checkpoint import anti_ctla4, anti_pd_l1, nivolumab
from sepsistwin.model.pharmacology.delivery import nanocarrier
from sepsistwin.model.pharmacology.immunostimulant import (
    gm_csf,
    hla_drug_gain,
    il7,
    il15,
    interferon_gamma,
    thymosin_alpha1,
)
from sepsistwin.model.pharmacology.registry import (
    CHALLENGES,
    ROUTES,
    THERAPIES,
    Route,
    Therapy,
    dose_schedule,
    get_therapy,
    parse_therapy_dose,
    standard_care,
    text_schedule,
    therapy_schedule,
)

#: therapy id -> module adding its PK/PD to a builder (the evidence base's 18 ids).
THERAPY_MODULES: dict[str, Callable[[ModelBuilder], None]] = {
    "anti_tnf": anti_tnf,
    "anakinra": anakinra,
    "tocilizumab": tocilizumab,
    "il10": il10,
    "nivolumab": nivolumab,
    "anti_pd_l1": anti_pd_l1,
    "anti_ctla4": anti_ctla4,
    "il7": il7,
    "il15": il15,
    "interferon_gamma": interferon_gamma,
    "gm_csf": gm_csf,
    "thymosin_alpha1": thymosin_alpha1,
    "msc": msc,
    "probiotics": probiotics,
    "fmt": fmt,
    "gene_editing": gene_editing,
    "nanocarrier": nanocarrier,
    "meropenem": meropenem,
}


def pharmacology(b: ModelBuilder) -> None:
    """Add every therapy's PK/PD module (and the GM-CSF/thymosin wiring to mHLA-DR)."""
    for therapy_id, module in THERAPY_MODULES.items():
        b.include(module, therapy_id)
    hla_drug_gain(b)


__all__ = [
    "CHALLENGES",
    "ROUTES",
    "THERAPIES",
    "THERAPY_MODULES",
    "Route",
    "Therapy",
    "dose_schedule",
    "get_therapy",
    "parse_therapy_dose",
    "pharmacology",
    "standard_care",
    "text_schedule",
    "therapy_schedule",
]
