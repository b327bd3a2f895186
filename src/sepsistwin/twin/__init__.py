"""Patient digital twin: the model conditioned on one patient's timeline.

``fit(timeline, patient_id)`` returns a :class:`Twin`: a posterior over the patient's
quantities (prior: the calibrated virtual septic-shock population; inference: ensemble MCMC),
with ``.forecast()`` (bands to day 28, phenotype per day, 28-day death), ``.whatif()``
(each recommended option and any regimen against standard care), ``.update(new_data)``
(warm-started) and ``.summary()``. See docs/twin.md.

Examples
--------
>>> from sepsistwin.twin import SamplerSettings
>>> SamplerSettings().n_walkers
48
"""

from sepsistwin.twin.forecast import Forecast
from sepsistwin.twin.inference import Diagnostics, SamplerSettings
from sepsistwin.twin.observation import ObservationModel, error_table, observation_model
from sepsistwin.twin.patient import (
    PatientData,
    TwinInputError,
    patient_data,
    read_doses,
    read_fhir_doses,
)
from sepsistwin.twin.prior import PopulationPrior, population_prior
from sepsistwin.twin.twin import NotConvergedError, Twin, fit, without_discrepancy
from sepsistwin.twin.whatif import WhatIf, regimen_spec

__all__ = [
    "Diagnostics",
    "Forecast",
    "NotConvergedError",
    "ObservationModel",
    "PatientData",
    "PopulationPrior",
    "SamplerSettings",
    "Twin",
    "TwinInputError",
    "WhatIf",
    "error_table",
    "fit",
    "observation_model",
    "patient_data",
    "population_prior",
    "read_doses",
    "read_fhir_doses",
    "regimen_spec",
    "without_discrepancy",
]
