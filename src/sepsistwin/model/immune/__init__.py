"""Biological modules of the ``sepsistwin`` immune model, one per file.

Each module is a function ``module(b: ModelBuilder) -> None`` declaring its states, parameters
(unit, default, source and status) and rate terms, reading like the biology. Modules meet at
named *hooks* (:mod:`sepsistwin.model.immune._hooks`): e.g. the lymphocyte module reads
``PD1_block`` (0 without a drug), which the nivolumab PK module provides as receptor occupancy.

Examples
--------
>>> from sepsistwin.model import get_model
>>> "HLA" in get_model("sepsistwin").state_names
True
"""

from sepsistwin.model.immune.antibiotics import antibiotics
from sepsistwin.model.immune.cytokines import cytokines
from sepsistwin.model.immune.focus import focus
from sepsistwin.model.immune.hla_dr import hla_dr
from sepsistwin.model.immune.infection import secondary_infection
from sepsistwin.model.immune.lymphocytes import lymphocytes
from sepsistwin.model.immune.macrophage import macrophage
from sepsistwin.model.immune.microbiome import microbiome
from sepsistwin.model.immune.organs import organs
from sepsistwin.model.immune.readouts import readouts

#: The modules of the full model, in inclusion order.
IMMUNE_MODULES = (
    cytokines,
    macrophage,
    hla_dr,
    lymphocytes,
    focus,
    secondary_infection,
    microbiome,
    antibiotics,
    organs,
    readouts,
)

__all__ = [
    "IMMUNE_MODULES",
    "antibiotics",
    "cytokines",
    "focus",
    "hla_dr",
    "lymphocytes",
    "macrophage",
    "microbiome",
    "organs",
    "readouts",
    "secondary_infection",
]
