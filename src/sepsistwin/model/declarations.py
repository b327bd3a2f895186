"""Declarations a model is made of: states, parameters, expressions, rate terms, observables.

Each is a small frozen record. Expressions are strings in Python syntax (``**`` or ``^`` for
powers; ``exp``, ``log``, ``sqrt``, ``tanh``, ``min``, ``max``, ``abs`` allowed), parsed once with
sympy when the model is built, so the solver kernel, the Jacobian and the SBML writer all read the
same definition.
"""

from __future__ import annotations

import keyword
import math
from dataclasses import dataclass

# Names the generated code uses for its own arguments and helpers; a model may not reuse them.
RESERVED_NAMES = frozenset(
    {"t", "y", "p", "dy", "jac", "out", "math", "np", "nb", "u", "time", "pi", "e"}
    | {"exp", "log", "sqrt", "tanh", "min", "max", "abs", "Min", "Max", "Abs"}
)


def check_name(kind: str, name: str) -> None:
    """Raise ``ValueError`` unless ``name`` is a usable identifier for a ``kind`` declaration."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{kind} name {name!r} is not a valid identifier")
    if name.startswith("_"):
        raise ValueError(f"{kind} name {name!r} must not start with an underscore")
    if name in RESERVED_NAMES:
        raise ValueError(
            f"{kind} name {name!r} is reserved by the code generator; "
            f"reserved names: {sorted(RESERVED_NAMES)}"
        )


def _check_finite(kind: str, name: str, field: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{kind} {name!r}: {field} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{kind} {name!r}: {field} must be finite, got {value!r}")
    return v


@dataclass(frozen=True)
class State:
    """A dynamic variable of the model.

    Parameters
    ----------
    name : str
        Identifier used in expressions (e.g. ``"P"``).
    unit : str
        Unit of the state (free text, e.g. ``"1e6 CFU/mL"``).
    initial : float
        Default initial value (must be >= 0: states are amounts or concentrations).
    description : str
        What the state represents.
    source : str
        Where the initial value comes from (PMID/DOI, BioModels id).

    Examples
    --------
    >>> State("P", "1e6 CFU/mL", 1.0, "pathogen").name
    'P'
    """

    name: str
    unit: str
    initial: float
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        check_name("state", self.name)
        v = _check_finite("state", self.name, "initial", self.initial)
        if v < 0:
            raise ValueError(f"state {self.name!r}: initial must be >= 0, got {v}")
        object.__setattr__(self, "initial", v)


@dataclass(frozen=True)
class Parameter:
    """A constant of the model, with its unit, default value and source.

    Parameters
    ----------
    name : str
        Identifier used in expressions.
    value : float
        Default value.
    unit : str
        Unit (free text, e.g. ``"1/h"``).
    source : str
        Literature source of the value (PMID/DOI, VERIFIED/RECALLED where known).
    description : str
        Meaning of the parameter.
    lower, upper : float or None
        Optional plausible bounds (used by calibration; the default must lie within them).

    Examples
    --------
    >>> Parameter("k_pg", 0.3, "1/h", "PMID 16584750").value
    0.3
    """

    name: str
    value: float
    unit: str
    source: str
    description: str = ""
    lower: float | None = None
    upper: float | None = None

    def __post_init__(self) -> None:
        check_name("parameter", self.name)
        v = _check_finite("parameter", self.name, "value", self.value)
        object.__setattr__(self, "value", v)
        lo = (
            None
            if self.lower is None
            else _check_finite("parameter", self.name, "lower", self.lower)
        )
        hi = (
            None
            if self.upper is None
            else _check_finite("parameter", self.name, "upper", self.upper)
        )
        if lo is not None and v < lo:
            raise ValueError(f"parameter {self.name!r}: value {v} is below lower bound {lo}")
        if hi is not None and v > hi:
            raise ValueError(f"parameter {self.name!r}: value {v} is above upper bound {hi}")
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)


@dataclass(frozen=True)
class Expression:
    """A named intermediate quantity, e.g. ``f_N = N/(1 + (CA/c_inf)**2)``.

    Examples
    --------
    >>> Expression("f_N", "N/(1 + (CA/c_inf)**2)").name
    'f_N'
    """

    name: str
    expression: str
    unit: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        check_name("expression", self.name)


@dataclass(frozen=True)
class Term:
    """One additive contribution to a state's rate of change (``d state/dt += expression``).

    Terms are named so later modules can find and modify them (e.g. multiply a killing term by
    a drug effect).

    Examples
    --------
    >>> Term("P_growth", "P", "k_pg*P*(1 - P/P_inf)").state
    'P'
    """

    name: str
    state: str
    expression: str
    description: str = ""
    module: str = ""

    def __post_init__(self) -> None:
        check_name("term", self.name)


@dataclass(frozen=True)
class Observable:
    """A derived output computed from states, parameters and expressions.

    Examples
    --------
    >>> Observable("pathogen_load", "P*1e6", "CFU/mL").unit
    'CFU/mL'
    """

    name: str
    expression: str
    unit: str
    description: str = ""

    def __post_init__(self) -> None:
        check_name("observable", self.name)
