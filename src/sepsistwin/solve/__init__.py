"""Batched compiled ODE integration with dose events; knows no biology.

See docs/architecture.md for the design (Numba kernel per model, DOPRI5 with a Rodas4 stiff
fallback per patient, dense output, restart at dose events).
"""

from sepsistwin.solve.batch import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    SolverOptions,
    simulate,
    simulate_batch,
)
from sepsistwin.solve.doses import Bolus, Infusion, Schedule, event_table, parse_dose
from sepsistwin.solve.result import SimulationResult
from sepsistwin.solve.status import Status
from sepsistwin.solve.stop import StopWhen

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "Bolus",
    "Infusion",
    "Schedule",
    "SimulationResult",
    "SolverOptions",
    "Status",
    "StopWhen",
    "event_table",
    "parse_dose",
    "simulate",
    "simulate_batch",
]
