"""Clinical rules: SOFA, qSOFA, SIRS, Sepsis-3, septic shock and the immune phenotype.

Reads no files: it takes canonical observations (see :mod:`sepsistwin.data`) or
virtual-patient model outputs in the same vocabulary.
"""

from sepsistwin.clinical.assessment import (
    IMMUNE_STATES,
    PHENOTYPES,
    RESULT_COLUMNS,
    SOFA_COMPONENTS,
    assess,
)
from sepsistwin.clinical.config import ClinicalConfig, ConfigError, default_config, load_config
from sepsistwin.clinical.explain import explain

__all__ = [
    "IMMUNE_STATES",
    "PHENOTYPES",
    "RESULT_COLUMNS",
    "SOFA_COMPONENTS",
    "ClinicalConfig",
    "ConfigError",
    "assess",
    "default_config",
    "explain",
    "load_config",
]
