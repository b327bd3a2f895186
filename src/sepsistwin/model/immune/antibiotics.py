"""Antibiotic kill of the pathogens (pharmacodynamics), driven by the meropenem PK module.

Sigmoid Emax kill ``Emax*C^h/(EC50^h + C^h)`` (Czock & Keller 2007 doi 10.1007/s10928-007-9069-x,
form VERIFIED; beta-lactams: high Hill, time-dependent) on the primary pathogen, and at a reduced
efficacy on the nosocomial one (infection module). The concentration comes from the meropenem
two-compartment PK (``sepsistwin.model.pharmacology``); standard care gives it from a start time
(see :func:`sepsistwin.model.pharmacology.standard_care`). Kill parameters RECALLED.
"""

from __future__ import annotations

from sepsistwin.model.immune._hooks import hook, provide
from sepsistwin.model.model import ModelBuilder

RECALLED = "meropenem kill-rate parameters (RECALLED, not verified)"
PARAMETERS: tuple[tuple[str, float, str, str, str], ...] = (
    ("abx_emax", 3.0, "1/h", RECALLED, "maximal kill rate (2-4 /h)"),
    (
        "mic",
        0.5,
        "mg/L",
        "P. aeruginosa MIC 0.5-2 mg/L (RECALLED)",
        "minimal inhibitory concentration of the pathogen",
    ),
    ("abx_ec50_mic", 0.6, "1", RECALLED, "EC50 as a multiple of MIC (0.3-1)"),
    ("abx_hill", 3.0, "1", RECALLED, "Hill coefficient (2-4)"),
)


def antibiotics(b: ModelBuilder) -> None:
    """Antibiotic kill term on ``P`` (and the ``abx_kill`` rate used for ``P2``)."""
    for name, value, unit, source, meaning in PARAMETERS:
        b.add_parameter(name, value, unit, source, meaning)
    hook(b, "abx_conc", "0", "mg/L", "free antibiotic concentration (meropenem PK)")
    # C + 1e-9 mg/L keeps the Jacobian of C**h finite at C = 0 (no effect on the kill).
    b.add_expression(
        "abx_ch", "(abx_conc + 1e-9)**abx_hill", "1", "concentration to the Hill power"
    )
    provide(
        b,
        "abx_kill",
        "abx_emax*abx_ch/((abx_ec50_mic*mic)**abx_hill + abx_ch)",
        "1/h",
        "antibiotic kill rate",
    )
    b.add_term("P", "-abx_kill*P", "P_antibiotic", "antibiotic killing")
