"""Evidence base: therapies, trials, doses, adverse events and citations as validated data.

The data live in ``data/citations.yaml`` and one ``data/therapies/<id>.yaml`` per therapy id
(:data:`THERAPY_IDS`). Every literature number carries its citation key and its status
(VERIFIED / RECALLED / NOT_FOUND / DERIVED); RECALLED numbers keep that status wherever
they are shown.

Examples
--------
>>> from sepsistwin.evidence import load_evidence
>>> ev = load_evidence()
>>> ev.therapy("gm_csf").regimens[0].dose.text()
'4 µg/kg/d'
"""

from __future__ import annotations

from sepsistwin.evidence.loader import (
    DATA_DIR,
    THERAPY_IDS,
    EvidenceBase,
    EvidenceError,
    UnknownTherapyError,
    load_evidence,
)
from sepsistwin.evidence.schema import (
    Citation,
    EvidenceLevel,
    Regimen,
    Route,
    Status,
    Therapy,
    TherapyClass,
    Trial,
    Value,
)

__all__ = [
    "DATA_DIR",
    "THERAPY_IDS",
    "Citation",
    "EvidenceBase",
    "EvidenceError",
    "EvidenceLevel",
    "Regimen",
    "Route",
    "Status",
    "Therapy",
    "TherapyClass",
    "Trial",
    "UnknownTherapyError",
    "Value",
    "load_evidence",
]
