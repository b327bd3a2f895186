"""Enrollment rules over assessed variables: ``"ferritin > 4420"``, ``"mhla_dr < 8000 for 2 days"``.

A rule compares one column of the clinical assessment (the day's worst value of a catalogue
variable, SOFA or a component, qSOFA, SIRS, ``pf_ratio``) with a number. The clinical criteria
``sepsis3`` and ``septic_shock`` are rules on their own (``"sepsis3"``, the same as
``"sepsis3 == 1"``): a trial of patients with sepsis enrols only those who meet Sepsis-3 at
screening, as PROVIDE did. ``for N days`` asks a rule to hold on each of the last N assessment
days before screening. A missing value never satisfies a rule (the patient is not enrolled,
and the count is reported).

Examples
--------
>>> r = parse_rule("mhla_dr < 8000 for 2 days")
>>> r.variable, r.op, r.threshold, r.for_days
('mhla_dr', '<', 8000.0, 2)
>>> parse_rule("septic_shock").text, parse_rule("sepsis3 for 2 days").threshold
('septic_shock', 1.0)
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, model_serializer

from sepsistwin.clinical import SOFA_COMPONENTS
from sepsistwin.clinical.config import default_config

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
    "!=": operator.ne,
}
_RULE = re.compile(
    r"^\s*(?P<var>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<num>[+-]?[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)"
    r"(?:\s+for\s+(?P<days>[0-9]+)\s+days?)?\s*$"
)
#: Yes/no criteria of the clinical assessment, usable as rules by name (1 = met, 0 = not met).
CRITERIA = ("sepsis3", "septic_shock")
_CRITERION = re.compile(
    r"^\s*(?P<var>" + "|".join(CRITERIA) + r")(?:\s+for\s+(?P<days>[0-9]+)\s+days?)?\s*$"
)


def rule_variables() -> tuple[str, ...]:
    """The assessment columns a rule may test.

    Examples
    --------
    >>> "ferritin" in rule_variables() and "sofa" in rule_variables()
    True
    """
    return tuple(
        sorted(
            {
                *default_config().worst,
                "sofa",
                *SOFA_COMPONENTS,
                "qsofa",
                "sirs",
                "pf_ratio",
                *CRITERIA,
            }
        )
    )


class Rule(BaseModel):
    """A parsed enrollment rule (serialises back to its text)."""

    model_config = ConfigDict(frozen=True)

    variable: str
    op: str
    threshold: float
    for_days: int = 1
    text: str

    @model_serializer
    def _as_text(self) -> str:
        return self.text

    def holds(self, values: NDArray[np.float64]) -> NDArray[np.bool_]:
        """True where the rule holds; ``values`` has shape (n, for_days), NaN never holds.

        Examples
        --------
        >>> parse_rule("lymphocytes <= 1.1").holds(np.array([[0.9], [1.5], [np.nan]])).tolist()
        [True, False, False]
        """
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            ok = _OPS[self.op](v, self.threshold) & ~np.isnan(v)
        return np.asarray(ok.all(axis=1), dtype=bool)


def parse_rule(text: Any) -> Rule:
    """Parse ``"<variable> <op> <number> [for N days]"``; ``ValueError`` says what was expected.

    Examples
    --------
    >>> parse_rule("ferritin > 4420").op
    '>'
    """
    if isinstance(text, Rule):
        return text
    if not isinstance(text, str):
        raise ValueError(f"rule {text!r}: expected text such as 'lymphocytes <= 1.1'")
    crit = _CRITERION.match(text)
    m = _RULE.match(text)
    if crit:
        days = int(crit["days"]) if crit["days"] else 1
        if days < 1:
            raise ValueError(f"rule {text!r}: 'for N days' needs N >= 1")
        return Rule(
            variable=crit["var"], op="==", threshold=1.0, for_days=days, text=" ".join(text.split())
        )
    if not m:
        raise ValueError(
            f"rule {text!r}: expected '<variable> <op> <number> [for N days]' with "
            f"op one of {', '.join(_OPS)} (e.g. 'mhla_dr < 8000 for 2 days'), or a criterion "
            f"({', '.join(CRITERIA)})"
        )
    var = m["var"]
    if var not in rule_variables():
        raise ValueError(
            f"rule {text!r}: variable {var!r} is not assessed; expected one of "
            f"{', '.join(rule_variables())}"
        )
    days = int(m["days"]) if m["days"] else 1
    if days < 1:
        raise ValueError(f"rule {text!r}: 'for N days' needs N >= 1")
    return Rule(
        variable=var,
        op=m["op"],
        threshold=float(m["num"]),
        for_days=days,
        text=" ".join(text.split()),
    )
