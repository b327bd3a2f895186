"""Virtual septic-shock populations: sampling, virtual screening, outcomes, calibration.

Examples
--------
>>> pop = sample_population(10, preset="septic_shock", seed=3)
>>> pop.n
10
"""

from sepsistwin.population.calibrated import (
    Calibration,
    load_calibrated_parameters,
    parameter_set,
)
from sepsistwin.population.sampler import (
    PRESETS,
    Dist,
    VirtualPopulation,
    distributions,
    sample_population,
)
from sepsistwin.population.screening import (
    death_times,
    observations,
    screen,
    survival_probability,
)
from sepsistwin.population.targets import TARGETS, Target

__all__ = [
    "PRESETS",
    "TARGETS",
    "Calibration",
    "Dist",
    "Target",
    "VirtualPopulation",
    "death_times",
    "distributions",
    "load_calibrated_parameters",
    "observations",
    "parameter_set",
    "sample_population",
    "screen",
    "survival_probability",
]
