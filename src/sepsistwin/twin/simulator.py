"""Simulating twin draws: prior quantities -> solver inputs -> observables in catalogue units.

Every call runs all draws as one batch of the compiled kernel (per-lane parameters and doses),
so the likelihood of a whole MCMC ensemble, a forecast over posterior draws or a what-if arm
is one kernel call. Only public names are used: observables by name, parameters and initial
states as the population draws them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sepsistwin.model import get_model
from sepsistwin.model.pharmacology import parse_therapy_dose, standard_care
from sepsistwin.solve import Schedule, SimulationResult, simulate_batch
from sepsistwin.twin.prior import PopulationPrior, patient_inputs

FloatArray = NDArray[np.float64]

#: Solver tolerances of twin simulations (those of the population and trial simulations).
RTOL, ATOL = 1e-5, 1e-8
#: Days of standard-care antibiotics (as the population's standard care).
CARE_DAYS = 7.0
#: The model's observable of the cumulative probability of death.
DEATH_OBSERVABLE = "death_probability"


@dataclass
class TwinSimulator:
    """Runs batches of twin draws on the model.

    Parameters
    ----------
    prior : PopulationPrior
        Maps draws to parameters and initial states.
    model : str or Model
        The model (default ``"sepsistwin"``).
    """

    prior: PopulationPrior
    model: Any = "sepsistwin"

    def __post_init__(self) -> None:
        self._model = get_model(self.model) if isinstance(self.model, str) else self.model
        if DEATH_OBSERVABLE not in self._model.observable_names:
            raise ValueError(
                f"model {self._model.name!r} has no {DEATH_OBSERVABLE!r} observable; the twin "
                "needs it for the death forecast"
            )

    @property
    def observable_names(self) -> tuple[str, ...]:
        """The model's observables."""
        return tuple(self._model.observable_names)

    def schedule(self, abx: FloatArray, weight: FloatArray, specs: Sequence[str] = ()) -> Schedule:
        """Standard care from each draw's antibiotic start plus the doses ``specs``."""
        sched = standard_care(abx, days=CARE_DAYS, weight_kg=weight)
        for spec in specs:
            sched = sched + parse_therapy_dose(spec, weight_kg=weight)
        return sched

    def run(
        self,
        values: FloatArray,
        t_eval: FloatArray,
        specs: Sequence[str] = (),
        extra: Callable[[FloatArray], Schedule] | None = None,
    ) -> SimulationResult:
        """Simulate draws ``values`` (n, prior.ndim) over ``t_eval`` with doses ``specs``.

        ``extra`` maps the draws' body weights (n,) to more doses, per draw (per-lane times
        and amounts): how a batch of different regimens runs as one call.
        Failed integrations (rare, extreme draws) come back as NaN; callers treat them as
        impossible (likelihood) or leave them out (forecasts).
        """
        params, init, abx, weight = patient_inputs(self.prior, values)
        sched = self.schedule(abx, weight, specs)
        if extra is not None:
            sched = sched + extra(np.asarray(weight, dtype=float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return simulate_batch(
                self._model,
                params,
                init,
                np.asarray(t_eval, dtype=float),
                rtol=RTOL,
                atol=ATOL,
                doses=sched,
                n=int(np.atleast_2d(values).shape[0]),
            )
