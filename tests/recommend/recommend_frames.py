"""Hand-made assessment frames (the columns of sepsistwin.clinical.assess) for rule tests."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

VARIABLES = ("ferritin", "mhla_dr", "lymphocytes", "neutrophils", "il6", "pathogen_load")

# A day with every rule input measured and nothing abnormal (intermediate, balanced).
NORMAL = {
    "ferritin": 900.0,
    "mhla_dr": 15000.0,
    "lymphocytes": 1.8,
    "neutrophils": 6.0,
    "il6": 50.0,
    "pathogen_load": 1.0e4,
}


def day(
    patient: str = "P1",
    d: int = 0,
    phenotype: str = "intermediate",
    immune_state: str = "balanced",
    sepsis3: bool = True,
    **values: float,
) -> dict[str, Any]:
    """One assessment row; unspecified variables take NORMAL values (use math.nan to omit)."""
    row: dict[str, Any] = {
        "patient_id": patient,
        "day": d,
        "phenotype": phenotype,
        "immune_state": immune_state,
        "sepsis3": sepsis3,
    }
    row.update(NORMAL)
    row.update(values)
    return row


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """Assessment frame from rows."""
    return pd.DataFrame(list(rows))


NAN = math.nan
