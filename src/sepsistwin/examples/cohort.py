"""A synthetic but clinically coherent example cohort of 10 septic patients.

Each patient is written as daily values in the units people chart them in (a mix
of SI and conventional units on purpose, so the example exercises unit
conversion). Values are invented for illustration, shaped after the phenotypes in
PROVIDE (Leventogiannis 2022, PMID 36384100): MALS, immunoparalysis,
intermediate, plus septic shock, an evolving course, missing data, a neutropenic
patient and a patient without sepsis.

The shipped files under ``examples/data/`` are written by :func:`write_example_cohort`
(``python -m sepsistwin.examples src/sepsistwin/examples/data``); a test checks they are up
to date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

# Hour of the day each kind of variable is charted (labs in the morning; vitals twice).
_LAB_HOUR = 6
_VITAL_HOURS = (8, 20)
_VITALS = {"map", "sbp", "heart_rate", "resp_rate", "temperature", "gcs"}
_FLAGS = {"mechanical_ventilation", "infection_suspected"}
_DRUGS = {"norepinephrine", "epinephrine", "dopamine", "dobutamine"}


def _charted_unit(variable: str) -> str:
    """The catalogue's canonical unit, with dimensionless values charted with an empty unit."""
    from sepsistwin.data import CATALOGUE

    unit = CATALOGUE[variable].canonical_unit
    return "" if unit == "1" else unit


@dataclass(frozen=True)
class ExamplePatient:
    """One synthetic patient: daily values per variable (None = not measured that day)."""

    patient_id: str
    story: str
    admitted: str  # ISO time of the first observation
    onset_hours: float | None  # onset relative to admission (onset file), or None
    days: dict[str, list[float | None]]
    units: dict[str, str] = field(default_factory=dict)


COHORT_PATIENTS: tuple[ExamplePatient, ...] = (
    ExamplePatient(
        "ICU-001",
        "MALS with septic shock: ferritin > 4,420 ng/mL, multi-organ failure, ventilated",
        "2026-03-02T07:00:00",
        0.0,
        {
            "infection_suspected": [1, 1, 1, 1],
            "ferritin": [8900, 12400, 15100, 14000],
            "mhla_dr": [6100, 5200, 4800, 5000],
            "il6": [3800, 2900, 2100, 1500],
            "il10": [90, 70, 60, 40],
            "tnf": [95, 80, 60, 50],
            "crp": [310, 290, 260, 240],
            "procalcitonin": [24, 30, 22, 15],
            "lymphocytes": [0.7, 0.6, 0.5, 0.6],
            "neutrophils": [18, 20, 17, 15],
            "wbc": [21, 23, 19, 17],
            "platelets": [62, 41, 28, 30],
            "bilirubin": [68, 103, 140, 150],  # umol/L
            "creatinine": [2.1, 2.9, 3.6, 3.8],
            "urine_output": [700, 420, 180, 190],
            "lactate": [5.8, 6.4, 4.9, 4.1],
            "pao2": [78, 70, 66, 72],
            "fio2": [0.6, 0.7, 0.7, 0.6],
            "mechanical_ventilation": [1, 1, 1, 1],
            "norepinephrine": [0.28, 0.35, 0.3, 0.22],
            "map": [61, 58, 63, 64],
            "sbp": [88, 84, 92, 95],
            "heart_rate": [128, 134, 122, 118],
            "resp_rate": [28, 26, 24, 24],
            "temperature": [39.4, 39.1, 38.6, 38.2],
            "gcs": [9, 8, 8, 9],
            "pathogen_load": [3.0e5, 1.2e5, 2.0e4, 5.0e3],
        },
        units={"bilirubin": "umol/L"},
    ),
    ExamplePatient(
        "ICU-002",
        "Immunoparalysis with septic shock: mHLA-DR < 5,000 AB/C on consecutive days, lymphopenia",
        "2026-03-03T22:30:00",
        -2.0,
        {
            "infection_suspected": [1, 1, 1, 1, 1],
            "ferritin": [980, 1100, 1050, 900, 850],
            "mhla_dr": [3100, 2600, 2900, 3400, 3900],
            "il6": [420, 260, 180, 150, 120],
            "il10": [65, 58, 40, 35, 30],
            "tnf": [22, 18, 15, 14, 12],
            "crp": [220, 240, 200, 180, 160],
            "lymphocytes": [0.55, 0.48, 0.5, 0.6, 0.62],
            "neutrophils": [14, 15, 13, 12, 11],
            "wbc": [16, 17, 15, 14, 13],
            "platelets": [132, 118, 104, 110, 121],
            "bilirubin": [1.1, 1.3, 1.4, 1.2, 1.1],
            "creatinine": [168, 195, 177, 150, 130],  # umol/L
            "urine_output": [900, 750, 820, 1100, 1400],
            "lactate": [3.4, 2.9, 2.2, 1.8, 1.5],
            "pao2": [82, 85, 88, 92, 95],
            "fio2": [0.4, 0.4, 0.35, 0.3, 0.3],
            "mechanical_ventilation": [1, 1, 1, 0, 0],
            "norepinephrine": [0.09, 0.07, 0.04, None, None],
            "map": [66, 68, 71, 74, 76],
            "sbp": [96, 98, 104, 112, 118],
            "heart_rate": [112, 108, 100, 95, 92],
            "resp_rate": [24, 22, 20, 19, 18],
            "temperature": [38.3, 37.9, 37.6, 37.4, 37.2],
            "gcs": [13, 13, 14, 15, 15],
            "pathogen_load": [8.0e4, 6.0e4, 5.0e4, 3.0e4, 2.0e4],
        },
        units={"creatinine": "umol/L"},
    ),
    ExamplePatient(
        "ICU-003",
        "Intermediate phenotype, sepsis without shock, recovering",
        "2026-03-04T11:15:00",
        None,
        {
            "infection_suspected": [1, 1, 1],
            "ferritin": [1450, 1300, 1100],
            "mhla_dr": [9200, 11000, 14500],
            "il6": [310, 140, 60],
            "il10": [18, 12, 8],
            "tnf": [25, 18, 12],
            "crp": [180, 150, 90],
            "lymphocytes": [1.3, 1.5, 1.8],
            "neutrophils": [11, 9, 7],
            "wbc": [13.5, 11.2, 9.0],
            "platelets": [142, 150, 170],
            "bilirubin": [0.9, 0.8, 0.7],
            "creatinine": [1.4, 1.2, 1.0],
            "urine_output": [1400, 1700, 1900],
            "lactate": [2.4, 1.6, 1.1],
            "pao2": [78, 82, 90],
            "fio2": [0.28, 0.24, 0.21],
            "map": [72, 76, 80],
            "sbp": [104, 112, 120],
            "heart_rate": [104, 96, 88],
            "resp_rate": [23, 20, 18],
            "temperature": [101.8, 100.4, 99.1],  # degF
            "gcs": [15, 15, 15],
        },
        units={"temperature": "degF"},
    ),
    ExamplePatient(
        "ICU-004",
        "Immunoparalysis that recovers: mHLA-DR 3,800 -> 12,000 AB/C by day 4 (survivor pattern)",
        "2026-03-05T03:40:00",
        0.0,
        {
            "infection_suspected": [1, 1, 1, 1, 1],
            "ferritin": [2100, 1900, 1500, 1200, 900],
            "mhla_dr": [3800, 5600, 7400, 9800, 12100],
            "il6": [520, 300, 150, 80, 40],
            "il10": [40, 25, 15, 10, 8],
            "tnf": [30, 24, 18, 15, 12],
            "crp": [250, 210, 160, 110, 70],
            "lymphocytes": [0.8, 0.9, 1.0, 1.2, 1.4],
            "neutrophils": [12, 11, 9, 8, 7],
            "wbc": [15, 14, 12, 10, 9],
            "platelets": [118, 110, 125, 140, 165],
            "bilirubin": [1.5, 1.4, 1.2, 1.0, 0.9],
            "creatinine": [1.9, 1.6, 1.3, 1.1, 1.0],
            "urine_output": [1100, 1300, 1600, 1800, 2000],
            "lactate": [38, 27, 18, 14, 12],  # mg/dL
            "pao2": [80, 84, 88, 92, 96],
            "fio2": [0.5, 0.45, 0.4, 0.35, 0.3],
            "mechanical_ventilation": [1, 1, 1, 0, 0],
            "norepinephrine": [0.15, 0.08, 0.03, None, None],
            "map": [63, 67, 70, 74, 78],
            "sbp": [92, 98, 105, 114, 120],
            "heart_rate": [118, 110, 100, 92, 86],
            "resp_rate": [26, 24, 21, 19, 17],
            "temperature": [38.9, 38.4, 37.8, 37.3, 37.0],
            "gcs": [11, 12, 14, 15, 15],
        },
        units={"lactate": "mg/dL"},
    ),
    ExamplePatient(
        "ICU-005",
        "Evolving course: intermediate on day 0, MALS from day 2 (ferritin rising above 4,420)",
        "2026-03-06T16:05:00",
        2.0,
        {
            "infection_suspected": [1, 1, 1, 1],
            "ferritin": [2600, 3900, 6200, 9800],
            "mhla_dr": [8800, 7600, 6900, 6400],
            "il6": [700, 1200, 2600, 3400],
            "il10": [30, 45, 60, 70],
            "tnf": [40, 60, 90, 110],
            "crp": [160, 230, 300, 320],
            "lymphocytes": [1.0, 0.9, 0.8, 0.7],
            "neutrophils": [10, 13, 16, 18],
            "wbc": [12, 15, 19, 21],
            "platelets": [160, 120, 80, 45],
            "bilirubin": [1.0, 1.8, 3.1, 4.6],
            "creatinine": [1.1, 1.5, 2.2, 2.8],
            "urine_output": [1500, 1100, 650, 380],
            "lactate": [1.8, 2.6, 3.8, 4.4],
            "pao2": [11.5, 10.1, 9.3, 8.8],  # kPa
            "fio2": [0.3, 0.4, 0.5, 0.6],
            "mechanical_ventilation": [0, 0, 1, 1],
            "norepinephrine": [None, 0.06, 0.18, 0.32],
            "map": [72, 66, 62, 60],
            "sbp": [108, 98, 90, 86],
            "heart_rate": [104, 115, 126, 132],
            "resp_rate": [22, 25, 27, 29],
            "temperature": [38.4, 38.9, 39.3, 39.5],
            "gcs": [15, 14, 12, 10],
        },
        units={"pao2": "kPa"},
    ),
    ExamplePatient(
        "ICU-006",
        "Missing data: no mHLA-DR or cytokines, sparse labs; phenotype indeterminate",
        "2026-03-07T09:20:00",
        None,
        {
            "infection_suspected": [1, None, None],
            "ferritin": [2300, None, 2100],
            "platelets": [None, 95, None],
            "creatinine": [2.3, None, 2.0],
            "lactate": [2.8, None, None],
            "fio2": [40, 35, None],
            "pao2": [96, 91, None],  # FiO2 in %
            "map": [68, 70, 73],
            "gcs": [14, None, 15],
            "heart_rate": [110, 102, 96],
            "temperature": [38.2, None, 37.5],
        },
        units={"fio2": "%"},
    ),
    ExamplePatient(
        "ICU-007",
        "Persistent lymphopenia with T-cell exhaustion picture: ALC <= 0.7 for 5 days",
        "2026-03-08T13:00:00",
        0.0,
        {
            "infection_suspected": [1, 1, 1, 1, 1],
            "ferritin": [1300, 1250, 1180, 1100, 1050],
            "mhla_dr": [6900, 6400, 6100, 6300, 6600],
            "il6": [240, 190, 160, 140, 130],
            "il10": [28, 26, 24, 22, 20],
            "tnf": [16, 15, 14, 13, 13],
            "crp": [190, 180, 175, 170, 160],
            "lymphocytes": [650, 560, 500, 520, 540],  # cells/uL
            "neutrophils": [9, 9.5, 10, 9.8, 9.4],
            "wbc": [11, 11.5, 12, 11.8, 11.2],
            "platelets": [135, 128, 122, 126, 130],
            "bilirubin": [1.3, 1.4, 1.4, 1.3, 1.2],
            "creatinine": [1.6, 1.7, 1.6, 1.5, 1.4],
            "urine_output": [1200, 1100, 1150, 1250, 1300],
            "lactate": [2.2, 2.0, 1.9, 1.7, 1.6],
            "pao2": [76, 74, 75, 78, 80],
            "fio2": [0.35, 0.35, 0.35, 0.3, 0.3],
            "map": [68, 69, 70, 71, 72],
            "sbp": [100, 102, 104, 106, 108],
            "heart_rate": [102, 100, 98, 96, 94],
            "resp_rate": [22, 21, 21, 20, 20],
            "temperature": [38.1, 38.0, 37.9, 38.2, 38.0],
            "gcs": [14, 14, 14, 14, 14],
            "pathogen_load": [4.0e4, 4.5e4, 5.0e4, 4.2e4, 3.8e4],
        },
        units={"lymphocytes": "cells/uL"},
    ),
    ExamplePatient(
        "ICU-008",
        "Hyperinflammation without MALS: IL-6 > 1,000 pg/mL, ferritin below 4,420, mHLA-DR normal",
        "2026-03-09T05:45:00",
        0.0,
        {
            "infection_suspected": [1, 1, 1],
            "ferritin": [3100, 3400, 2800],
            "mhla_dr": [11800, 10900, 12500],
            "il6": [2400, 1600, 700],
            "il10": [35, 25, 15],
            "tnf": [120, 90, 50],
            "crp": [280, 260, 190],
            "lymphocytes": [1.2, 1.3, 1.5],
            "neutrophils": [19, 17, 13],
            "wbc": [22, 20, 15],
            "platelets": [98, 90, 110],
            "bilirubin": [2.2, 2.0, 1.6],
            "creatinine": [2.4, 2.1, 1.7],
            "urine_output": [600, 800, 1100],
            "lactate": [4.6, 3.2, 2.1],
            "pao2": [70, 74, 80],
            "fio2": [0.5, 0.45, 0.4],
            "mechanical_ventilation": [1, 1, 1],
            "norepinephrine": [0.45, 0.25, 0.1],
            "epinephrine": [0.05, None, None],
            "map": [58, 63, 68],
            "sbp": [84, 92, 100],
            "heart_rate": [138, 124, 110],
            "resp_rate": [30, 26, 22],
            "temperature": [40.1, 39.2, 38.4],
            "gcs": [10, 11, 13],
        },
        units={"norepinephrine": "mcg/kg/min", "epinephrine": "mcg/kg/min"},
    ),
    ExamplePatient(
        "ICU-009",
        "Immunoparalysis with neutropenia (ANC < 1.5 x10^9/L excludes ImmunoSep-like therapy)",
        "2026-03-10T20:10:00",
        0.0,
        {
            "infection_suspected": [1, 1, 1],
            "ferritin": [1700, 1850, 1900],
            "mhla_dr": [2400, 2200, 2500],
            "il6": [380, 300, 260],
            "il10": [55, 50, 45],
            "tnf": [14, 12, 12],
            "crp": [210, 230, 220],
            "lymphocytes": [0.4, 0.35, 0.4],
            "neutrophils": [0.8, 0.6, 0.9],
            "wbc": [1.6, 1.3, 1.7],
            "platelets": [48, 39, 35],
            "bilirubin": [1.6, 1.9, 2.1],
            "creatinine": [1.5, 1.8, 2.0],
            "urine_output": [900, 800, 700],
            "lactate": [3.0, 3.3, 2.8],
            "pao2": [72, 70, 68],
            "fio2": [0.5, 0.5, 0.55],
            "mechanical_ventilation": [1, 1, 1],
            "norepinephrine": [0.12, 0.14, 0.1],
            "map": [64, 63, 65],
            "sbp": [92, 90, 94],
            "heart_rate": [120, 122, 118],
            "resp_rate": [25, 26, 25],
            "temperature": [38.8, 38.9, 38.6],
            "gcs": [12, 11, 11],
        },
    ),
    ExamplePatient(
        "ICU-010",
        "Suspected infection without organ dysfunction (SOFA < 2): not Sepsis-3, balanced immunity",
        "2026-03-11T10:30:00",
        None,
        {
            "infection_suspected": [1, 1],
            "ferritin": [420, 380],
            "mhla_dr": [18500, 19800],
            "il6": [45, 20],
            "il10": [6, 4],
            "tnf": [14, 10],
            "crp": [85, 60],
            "lymphocytes": [1.6, 1.8],
            "neutrophils": [8.5, 6.9],
            "wbc": [10.5, 8.8],
            "platelets": [210, 220],
            "bilirubin": [0.6, 0.5],
            "creatinine": [1.3, 1.0],
            "urine_output": [1800, 2000],
            "lactate": [1.4, 1.1],
            "pao2": [92, 95],
            "fio2": [0.21, 0.21],
            "map": [78, 82],
            "sbp": [118, 124],
            "heart_rate": [96, 84],
            "resp_rate": [20, 17],
            "temperature": [38.3, 37.4],
            "gcs": [15, 15],
        },
    ),
)


def _observation_hours(variable: str) -> tuple[int, ...]:
    return _VITAL_HOURS if variable in _VITALS or variable in _DRUGS else (_LAB_HOUR,)


def example_cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the example cohort.

    Returns
    -------
    (observations, onsets)
        ``observations``: long table ``patient_id, time, variable, value, unit`` with
        ISO-8601 times and units as charted. ``onsets``: ``patient_id, onset`` for the
        patients whose time zero is not their first observation.

    Examples
    --------
    >>> obs, onsets = example_cohort()
    >>> sorted(obs["patient_id"].unique())[:2]
    ['ICU-001', 'ICU-002']
    """
    rows = []
    onsets = []
    for p in COHORT_PATIENTS:
        admitted = pd.Timestamp(p.admitted)
        # Day d of the record starts 24 h after the previous; charting hours are clock offsets.
        for variable, daily in p.days.items():
            unit = p.units.get(variable) or _charted_unit(variable)
            for day, value in enumerate(daily):
                if value is None:
                    continue
                for k, hour in enumerate(_observation_hours(variable)):
                    # Second vital sign of the day is slightly better (not the day's worst).
                    v = value
                    if k == 1 and variable in _VITALS - {"gcs", "temperature"}:
                        v = value * (1.03 if variable in {"map", "sbp"} else 0.97)
                    t = admitted + pd.Timedelta(hours=24 * day + hour)
                    rows.append((p.patient_id, t.isoformat(), variable, round(float(v), 4), unit))
        if p.onset_hours is not None:
            onset = admitted + pd.Timedelta(hours=p.onset_hours)
            onsets.append((p.patient_id, onset.isoformat()))
    obs = pd.DataFrame(rows, columns=["patient_id", "time", "variable", "value", "unit"])
    obs = obs.sort_values(["patient_id", "time", "variable"], kind="stable").reset_index(drop=True)
    return obs, pd.DataFrame(onsets, columns=["patient_id", "onset"])


def example_path(name: str = "cohort.csv") -> Path:
    """Path of a shipped example file (``cohort.csv``, ``onsets.csv``, ``cohort_fhir.json``)."""
    path = Path(str(resources.files("sepsistwin.examples").joinpath("data", name)))
    if not path.exists():
        available = sorted(p.name for p in path.parent.iterdir())
        raise FileNotFoundError(f"no example file {name!r}; available: {available}")
    return path


def write_example_cohort(directory: str | Path) -> list[Path]:
    """Write ``cohort.csv``, ``onsets.csv`` and the FHIR R4 Bundle ``cohort_fhir.json``."""
    import json

    from sepsistwin.data import read_timeline, to_fhir_bundle

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    obs, onsets = example_cohort()
    csv_path, onset_path = directory / "cohort.csv", directory / "onsets.csv"
    obs.to_csv(csv_path, index=False)
    onsets.to_csv(onset_path, index=False)
    timeline = read_timeline(csv_path, onset=onset_path)
    bundle = to_fhir_bundle(timeline.observations, time_zero=timeline.time_zero)
    fhir_path = directory / "cohort_fhir.json"
    fhir_path.write_text(json.dumps(bundle) + "\n")
    return [csv_path, onset_path, fhir_path]
