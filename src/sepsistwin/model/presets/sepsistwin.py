"""The full ``sepsistwin`` immune model: Reynolds 2006 core + immune modules + pharmacology.

Modules (``sepsistwin.model.immune``): cytokines (Brady-lineage human LPS model, driven in sepsis
by the pathogen), macrophage activation and ferritin (MALS), monocyte HLA-DR, lymphocytes and
PD-1 exhaustion, secondary infection, gut microbiome/barrier, antibiotic kill, organ dysfunction
(six SOFA components) and the death hazard, clinical read-outs. Pharmacology
(``sepsistwin.model.pharmacology``): a PK/PD module for each of the 18 therapy ids. Time in hours.

The model is its equations and default parameters only: calibrated values are data applied
when simulating (:class:`sepsistwin.population.ParameterSet`), so ``get_model("sepsistwin")``
does not change when the calibration is rerun.

Examples
--------
>>> from sepsistwin.model import get_model
>>> m = get_model("sepsistwin")
>>> {"lymphocytes", "mhla_dr", "ferritin", "pd1_receptor_occupancy"} <= set(m.observable_names)
True
"""

from __future__ import annotations

from sepsistwin.model.immune import IMMUNE_MODULES
from sepsistwin.model.model import Model, ModelBuilder
from sepsistwin.model.pharmacology import pharmacology
from sepsistwin.model.presets.reynolds2006 import innate_core
from sepsistwin.model.registry import register_model


def build_sepsistwin() -> Model:
    """Assemble the model from its modules (equations and default parameters).

    Examples
    --------
    >>> len(build_sepsistwin().state_names) > 30
    True
    """
    b = ModelBuilder(
        "sepsistwin",
        "Septic-shock immune model: Reynolds 2006 core, cytokines, MALS, mHLA-DR, lymphocyte "
        "exhaustion, secondary infection, microbiome, SOFA organs, death hazard, PK/PD of 18 "
        "therapies",
        time_unit="h",
    )
    b.include(innate_core, "innate_core")
    for module in IMMUNE_MODULES:
        b.include(module)
    b.include(pharmacology, "pharmacology")
    # Pathogen and infection states are tracked in CFU/mL by the catalogue observable.
    b.add_observable("secondary_pathogen_load", "P2*1e6", "CFU/mL", "nosocomial pathogen load")
    b.add_observable("gut_diversity", "GUT", "1", "gut microbial diversity (1 = healthy)")
    b.add_observable("mhla_dr", "HLA", "AB/C", "monocyte HLA-DR")
    b.add_observable("ferritin", "FER", "ng/mL", "serum ferritin")
    return b.build()


@register_model("sepsistwin")
def sepsistwin() -> Model:
    """Build the ``sepsistwin`` preset (no calibration applied)."""
    return build_sepsistwin()
