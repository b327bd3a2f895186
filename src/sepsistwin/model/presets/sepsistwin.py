"""The full ``sepsistwin`` immune model: Reynolds 2006 core + immune modules + pharmacology.

Modules (``sepsistwin.model.immune``): cytokines (Brady-lineage human LPS model, driven in sepsis
by the pathogen), macrophage activation and ferritin (MALS), monocyte HLA-DR, lymphocytes and
PD-1 exhaustion, secondary infection, gut microbiome/barrier, antibiotic kill, organ dysfunction
(six SOFA components) and the death hazard, clinical read-outs. Pharmacology
(``sepsistwin.model.pharmacology``): a PK/PD module for each of the 18 therapy ids. Time in hours.
Population-calibrated defaults are read from ``sepsistwin/population/data/calibrated.yaml`` when
present (``sepsistwin calibrate`` writes it).

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


def build_sepsistwin(calibrated: bool = True) -> Model:
    """Assemble the model; ``calibrated`` applies the stored calibration (if any) to defaults.

    Examples
    --------
    >>> len(build_sepsistwin(calibrated=False).state_names) > 30
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
    if calibrated:
        from sepsistwin.population.calibrated import load_calibrated_parameters

        for name, value in load_calibrated_parameters().model.items():
            b.set_parameter(name, value)
    return b.build()


@register_model("sepsistwin")
def sepsistwin() -> Model:
    """Build the ``sepsistwin`` preset with the stored calibration applied."""
    return build_sepsistwin(calibrated=True)
