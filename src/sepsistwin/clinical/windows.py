"""The assessment window rule: which hours the assessment days before a decision time cover.

A decision (a trial's screening, an enrolment rule ``for N days``) is taken at hour ``A``
from sepsis onset, any ``A > 0``. The assessment days it looks at end at ``A``:

- the last day covers the 24 h up to the decision, ``(A - 24, A]``; the day before it
  ``(A - 48, A - 24]``, and so on (day ``k`` back: ``(A - 24 (k + 1), A - 24 k]``);
- there are no observations before onset (hour 0), so before 24 h the last day is partial:
  screening at 12 h assesses the 12 h since onset, ``(0, 12]``, with the day's usual rules
  (worst value of the window, SOFA, Sepsis-3, septic shock, phenotype);
- a rule ``for N days`` needs each of its ``N`` days to hold at least one hour after onset:
  ``A > 24 (N - 1)``, i.e. ``N <= ceil(A / 24)``. A day wholly before onset has no value, and
  a missing value never satisfies a rule, so such a rule could enrol nobody: it is an
  error at validation, naming the rule and where it was written.

The trial's screening (``sepsistwin.trial``) applies exactly this rule; docs/clinical-rules.md
("Assessment window before a decision") states it for people.
"""

from __future__ import annotations

import math

#: Hours in one assessment day.
DAY_HOURS = 24.0


def window_days(at_hours: float, n_days: int) -> list[tuple[float, float]]:
    """The ``(start, end]`` hours of the ``n_days`` assessment days ending at ``at_hours``.

    Earliest first; starts before onset are clipped to 0 (no observations exist there).

    Examples
    --------
    >>> window_days(36.0, 2)
    [(0.0, 12.0), (12.0, 36.0)]
    >>> window_days(12.0, 1)
    [(0.0, 12.0)]
    """
    days = []
    for k in range(n_days - 1, -1, -1):
        start = max(0.0, at_hours - DAY_HOURS * (k + 1))
        end = at_hours - DAY_HOURS * k
        days.append((start, max(0.0, end)))
    return days


def usable_days(at_hours: float) -> int:
    """How many assessment days ending at ``at_hours`` hold at least one hour after onset.

    Examples
    --------
    >>> usable_days(12.0), usable_days(24.0), usable_days(24.5)
    (1, 1, 2)
    """
    return max(1, math.ceil(at_hours / DAY_HOURS))


def rule_window_problem(
    rule: str, for_days: int, at_hours: float, *, at_source: str = "screening.at_hours"
) -> str | None:
    """Why a rule ``for N days`` cannot be evaluated at ``at_hours`` (None when it can).

    Examples
    --------
    >>> rule_window_problem("mhla_dr < 8000 for 2 days", 2, 36.0) is None
    True
    >>> print(rule_window_problem("mhla_dr < 8000 for 2 days", 2, 12.0))
    'mhla_dr < 8000 for 2 days' needs 2 assessment days ending at screening, but screening.at_hours 12 leaves 1 with observations (the window rule: the days end at screening, 24 h each, and hold observations only after onset); expected at_hours > 24, or 'for 1 days'
    """  # noqa: E501
    have = usable_days(at_hours)
    if for_days <= have:
        return None
    return (
        f"'{rule}' needs {for_days} assessment days ending at screening, but {at_source} "
        f"{at_hours:g} leaves {have} with observations (the window rule: the days end at "
        "screening, 24 h each, and hold observations only after onset); expected at_hours > "
        f"{DAY_HOURS * (for_days - 1):g}, or 'for {have} days'"
    )


__all__ = ["DAY_HOURS", "rule_window_problem", "usable_days", "window_days"]
