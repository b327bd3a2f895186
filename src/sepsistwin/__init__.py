"""sepsistwin: immune rebalancing in septic shock.

Assess a patient's timeline (SOFA, Sepsis-3, septic shock, immune phenotype),
recommend phenotype-matched immunotherapy from a cited evidence base, simulate
a mechanistic immune model with every therapy's PK/PD, and run in-silico
trials on virtual populations.

Research software: every output is decision support, never a clinical order.
"""

from __future__ import annotations

__version__ = "0.1.0"

DISCLAIMER = (
    "Research decision support only: not a prescription or clinical order. "
    "Every option must be judged by the treating clinician."
)

__all__ = ["DISCLAIMER", "__version__"]
