"""Doses: the schedule types and the one grammar for writing doses; imports nothing of sepsistwin.

:mod:`sepsistwin.dosing.schedule` holds boluses, infusions and schedules (what the solver
gives); :mod:`sepsistwin.dosing.grammar` reads amounts, rates and dose texts for the CLI, the
dashboard, the Python API, trial specifications and the pharmacology registry, with one rule for
units, repeats and a dose of zero (refused). Errors are :class:`DoseError` (a ``ValueError``).

Examples
--------
>>> parse_dose("P:0.5@12").doses[0]
Bolus(state='P', time=12.0, amount=0.5)
"""

from sepsistwin.dosing.errors import DoseError
from sepsistwin.dosing.grammar import (
    MG_PER_MASS_UNIT,
    UNITS_HELP,
    Amount,
    DoseText,
    drug_rate,
    parse_amount,
    parse_concentration,
    parse_dose,
    parse_dose_text,
    state_schedule,
)
from sepsistwin.dosing.schedule import (
    MAX_REPEATS,
    Bolus,
    Dose,
    Infusion,
    Schedule,
    Value,
    as_schedule,
    check_count,
    check_repeat,
)

__all__ = [
    "MAX_REPEATS",
    "MG_PER_MASS_UNIT",
    "UNITS_HELP",
    "Amount",
    "Bolus",
    "Dose",
    "DoseError",
    "DoseText",
    "Infusion",
    "Schedule",
    "Value",
    "as_schedule",
    "check_count",
    "check_repeat",
    "drug_rate",
    "parse_amount",
    "parse_concentration",
    "parse_dose",
    "parse_dose_text",
    "state_schedule",
]
