"""Readable explanation of one patient-day of an assessment."""

from __future__ import annotations

import pandas as pd


def explain(assessment: pd.DataFrame, patient_id: str, day: int) -> str:
    """Explain one patient-day: scores, phenotype, the rules that fired and what was missing.

    Examples
    --------
    >>> from sepsistwin.clinical import assess
    >>> obs = pd.DataFrame({"patient_id": ["p1"], "hours": [1.0],
    ...                     "variable": ["ferritin"], "value": [6000.0]})
    >>> print(explain(assess(obs), "p1", 0).splitlines()[0])
    Patient p1, day 0 (hours 0-24)
    """
    rows = assessment[(assessment["patient_id"] == patient_id) & (assessment["day"] == day)]
    if rows.empty:
        known = sorted(assessment["patient_id"].unique().tolist())
        raise KeyError(f"no assessment for patient {patient_id!r} day {day}; patients: {known}")
    r = rows.iloc[0]
    parts = [
        f"Patient {patient_id}, day {day} (hours {24 * day}-{24 * (day + 1)})",
        f"SOFA {r['sofa']} (respiration {r['sofa_respiration']}, coagulation "
        f"{r['sofa_coagulation']}, liver {r['sofa_liver']}, cardiovascular "
        f"{r['sofa_cardiovascular']}, CNS {r['sofa_cns']}, renal {r['sofa_renal']}); "
        f"qSOFA {r['qsofa']}; SIRS criteria {r['sirs']}",
        f"Sepsis-3: {'yes' if r['sepsis3'] else 'no'}; septic shock: "
        f"{'yes' if r['septic_shock'] else 'no'}",
        f"Immune phenotype: {r['phenotype']}; immune state: {r['immune_state']}",
        "Rules that fired:",
        *[f"  - {x}" for x in r["reasons"]],
        "Missing: " + (", ".join(r["missing"]) if r["missing"] else "nothing"),
    ]
    return "\n".join(parts)
