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
    endotype = _endotype_line(r)
    if endotype:
        parts.append(endotype)
    return "\n".join(parts)


def _endotype_line(r: pd.Series) -> str | None:
    """The day's transcriptomic endotypes, when a sample was scored (sepsistwin.omics)."""
    shown = []
    if isinstance(r.get("srs"), str):
        p = r.get("srs_p")
        q = r.get("srsq")
        extra = ", ".join(
            x
            for x in (
                f"SRSq {float(q):.2f}" if q is not None and pd.notna(q) else "",
                f"p {float(p):.2f}" if p is not None and pd.notna(p) else "",
            )
            if x
        )
        shown.append(f"{r['srs']} ({extra})" if extra else str(r["srs"]))
    for col, label in (("srs19", "SRS 19-gene"), ("sweeney", "Sweeney"), ("mars", "MARS")):
        if isinstance(r.get(col), str):
            shown.append(f"{label} {r[col]}")
    if not shown:
        return None
    flags = sorted(
        {
            f
            for c in ("srs_quality", "sweeney_quality", "mars_quality")
            if isinstance(r.get(c), str)
            for f in r[c].split(";")
            if f != "ok"
        }
    )
    sample = r.get("endotype_sample")
    where = f" from sample {sample}" if isinstance(sample, str) else ""
    return f"Transcriptomic endotype{where}: {'; '.join(shown)}" + (
        f" (flags: {', '.join(flags)})" if flags else ""
    )
