"""Per-patient solver status: bit flags, never a silent NaN."""

from __future__ import annotations

import enum

from sepsistwin.solve import _kernel


class Status(enum.IntFlag):
    """Outcome of one patient's integration (bits combine).

    ``OK`` (0) means success with the explicit method throughout. ``STIFF_FALLBACK`` is
    informational: the patient was finished with the Rosenbrock method. ``STOPPED`` is
    informational too: the patient met its terminal condition (``StopWhen``, e.g. death) and its
    later save points are NaN by request. Any of the other bits means the integration failed;
    save points from there on are NaN.

    Examples
    --------
    >>> Status(Status.STIFF_FALLBACK | Status.MAX_STEPS).failed
    True
    >>> Status.STIFF_FALLBACK.failed
    False
    """

    OK = 0
    STIFF_FALLBACK = _kernel.ST_STIFF
    MAX_STEPS = _kernel.ST_MAX_STEPS
    NON_FINITE = _kernel.ST_NON_FINITE
    STEP_TOO_SMALL = _kernel.ST_STEP_TOO_SMALL
    SINGULAR_MATRIX = _kernel.ST_SINGULAR
    STOPPED = _kernel.ST_STOPPED

    @property
    def failed(self) -> bool:
        """True if any failure bit is set."""
        return bool(self & FAILURE_MASK)

    def describe(self) -> str:
        """Human-readable description, e.g. ``'failed: max steps (stiff fallback used)'``."""
        fails = [
            f.name.lower().replace("_", " ")
            for f in Status
            if f & FAILURE_MASK and f in self and f.name
        ]
        note = " (stiff fallback used)" if Status.STIFF_FALLBACK in self else ""
        if Status.STOPPED in self:
            note += " (stopped at the terminal condition)"
        return ("failed: " + ", ".join(fails) if fails else "ok") + note


FAILURE_MASK = Status.MAX_STEPS | Status.NON_FINITE | Status.STEP_TOO_SMALL | Status.SINGULAR_MATRIX
