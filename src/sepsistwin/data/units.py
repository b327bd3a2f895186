"""Unit handling: a project pint registry, the spellings people use, and conversion factors.

Pint is asked once per distinct (variable, unit string) for a linear conversion
``canonical = scale * value + offset``; the readers then apply it to whole numpy arrays,
so a file with millions of rows costs a handful of pint calls.

How a unit string is read (each step documented in docs/data-formats.md):

1. surrounding spaces are stripped; the variable's own ``unit_aliases`` apply
   (temperature: ``C`` -> ``degC``, ``F`` -> ``degF``);
2. the alias table :data:`UNIT_ALIASES` maps common and UCUM spellings to pint
   expressions (``mcg/kg/min``, ``mm[Hg]``, ``Cel``, ``[degF]``, ``10*9/L``, ``AB/C``,
   ``{AB}/{cell}``, ``mL/(24.h)``, ``bpm``, ...);
3. generic rewrites: micro signs -> ``u``, ``mcg`` -> ``ug``, UCUM powers ``10*9`` ->
   ``10^9``, ``x10^9`` / ``10E9`` -> ``10^9``, UCUM annotations ``{cells}`` -> ``1``,
   ``mm3`` -> ``mm**3``, ``/24h`` -> ``/(24*hour)``, a leading ``/`` -> ``1/``;
4. pint parses the result with the project registry (which adds ``cell``, ``antibody``
   and ``CFU``).

A unit is accepted for a variable when it converts to the canonical unit: same dimension,
or mass <-> substance concentration through the catalogue's molar mass. Dimensionless
variables (FiO2, GCS, flags) accept only their listed units, so ``%`` is FiO2-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import pint

from sepsistwin.data.catalogue import CATALOGUE, Variable

#: Extra units of the project registry (pint definition syntax).
REGISTRY_DEFINITIONS: tuple[str, ...] = (
    # A counted cell is dimensionless, so cells/uL is 1/uL.
    "cell = [] = cells",
    # Antibodies bound per cell (Quantibrite mHLA-DR): its own dimension, so AB/C never
    # converts to a count per volume by accident.
    "antibody = [antibody] = AB = antibodies",
    # Colony-forming units: own dimension for the same reason.
    "colony_forming_unit = [colony_forming_unit] = CFU",
)

#: Spellings -> pint expression. Keys are matched exactly after stripping spaces at the ends.
UNIT_ALIASES: dict[str, str] = {
    # dimensionless: empty, UCUM "1", scores and flags
    "": "1",
    "1": "1",
    "{score}": "1",
    "score": "1",
    "points": "1",
    "{flag}": "1",
    "fraction": "1",
    "%": "percent",
    # mHLA-DR: antibodies per cell ("mAb" is monoclonal antibody, not milli-AB)
    "AB/C": "antibody/cell",
    "AB/cell": "antibody/cell",
    "Ab/cell": "antibody/cell",
    "mAb/cell": "antibody/cell",
    "{AB}/{cell}": "antibody/cell",
    "{Ab}/{cell}": "antibody/cell",
    "antibodies/cell": "antibody/cell",
    "AB/c": "antibody/cell",
    # pressure
    "mm[Hg]": "mmHg",
    "mm Hg": "mmHg",
    "mmhg": "mmHg",
    # temperature
    "Cel": "degC",
    "°C": "degC",
    "℃": "degC",
    "celsius": "degC",
    "[degF]": "degF",
    "°F": "degF",
    "℉": "degF",
    "fahrenheit": "degF",
    # rates per minute
    "/min": "1/min",
    "bpm": "1/min",
    "beats/min": "1/min",
    "{beats}/min": "1/min",
    "breaths/min": "1/min",
    "{breaths}/min": "1/min",
    "min-1": "1/min",
    # urine output per day
    "mL/(24.h)": "mL/day",
    "ml/(24.h)": "mL/day",
    "mL/(24 h)": "mL/day",
    "mL/day": "mL/day",
    # counts per volume
    "G/L": "10^9/L",
    "K/uL": "10^3/uL",
    "k/uL": "10^3/uL",
    "K/µL": "10^3/uL",
    "k/µL": "10^3/uL",
    "Gpt/L": "10^9/L",
    # colony-forming units
    "{CFU}/mL": "CFU/mL",
    "cfu/mL": "CFU/mL",
    "cfu/ml": "CFU/mL",
}

_MICRO = re.compile("[\u00b5\u03bc]")
_MCG = re.compile(r"\bmcg\b")
_UCUM_POWER = re.compile(r"\b10\*(\d+)")
_TIMES_POWER = re.compile(r"^(?:x|×)\s*10\^?(\d+)")
_E_POWER = re.compile(r"^10[eE](\d+)")
_ANNOTATION = re.compile(r"\{[^{}]*\}")
_CUBIC = re.compile(r"\b(mm|cm|dm|m)3\b")
_PER_HOURS = re.compile(r"/\(?\s*(\d+)\s*[.*]?\s*(?:h|hr|hrs|hour|hours)\s*\)?$")


@cache
def unit_registry() -> pint.UnitRegistry:
    """Return the project's pint registry (standard units plus cell, antibody, CFU).

    Examples
    --------
    >>> ureg = unit_registry()
    >>> round(ureg.Quantity(1, "mmHg").to("kPa").magnitude, 4)
    0.1333
    """
    ureg: pint.UnitRegistry = pint.UnitRegistry()
    for definition in REGISTRY_DEFINITIONS:
        ureg.define(definition)
    return ureg


def normalise_unit(text: str, variable: Variable | None = None) -> str:
    """Rewrite a unit as people write it into a pint expression.

    Examples
    --------
    >>> normalise_unit("mcg/kg/min")
    'ug/kg/min'
    >>> normalise_unit("10*9/L")
    '10^9/L'
    >>> normalise_unit("/uL")
    '1/uL'
    """
    s = text.strip()
    if variable is not None and s in variable.unit_aliases:
        s = variable.unit_aliases[s]
    if s in UNIT_ALIASES:
        return UNIT_ALIASES[s]
    s = _MICRO.sub("u", s)
    s = _MCG.sub("ug", s)
    if s in UNIT_ALIASES:
        return UNIT_ALIASES[s]
    s = _UCUM_POWER.sub(r"10^\1", s)
    s = _TIMES_POWER.sub(r"10^\1", s)
    s = _E_POWER.sub(r"10^\1", s)
    s = _ANNOTATION.sub("1", s)
    s = _CUBIC.sub(r"\1**3", s)
    s = _PER_HOURS.sub(r"/(\1*hour)", s)
    s = s.replace(" ", "")
    if s.startswith("/"):
        s = "1" + s
    return s


@dataclass(frozen=True)
class Conversion:
    """A linear conversion to the canonical unit: ``canonical = scale * value + offset``."""

    scale: float
    offset: float = 0.0

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Convert an array of values (vectorised)."""
        if self.offset == 0.0:
            return values * self.scale
        return values * self.scale + self.offset


@dataclass(frozen=True)
class UnitProblem:
    """Why a unit cannot be used for a variable, phrased for an error message."""

    problem: str
    expected: str


def _parse(expr: str) -> pint.Quantity:
    ureg = unit_registry()
    q = ureg.parse_expression(expr)
    if not isinstance(q, ureg.Quantity):  # a bare number such as "1"
        q = ureg.Quantity(q, "dimensionless")
    return q


def _two_point(src: pint.Quantity, dst: pint.Quantity) -> Conversion:
    # Evaluate the conversion at 0 and 1 so offset units (degF -> degC) come out right.
    ureg = unit_registry()
    m_src, m_dst = float(src.magnitude), float(dst.magnitude)

    def f(x: float) -> float:
        return float(ureg.Quantity(x * m_src, src.units).to(dst.units).magnitude) / m_dst

    at0, at1 = f(0.0), f(1.0)
    # Pint's float arithmetic leaves noise in the last digits (ug/L -> ng/mL gives
    # 0.9999999999999999); 14 significant digits keep every factor exact to ~1e-14.
    scale, offset = float(f"{at1 - at0:.14g}"), float(f"{at0:.14g}")
    return Conversion(scale=scale, offset=offset if abs(offset) > 1e-12 else 0.0)


@lru_cache(maxsize=4096)
def conversion_for(variable: str, unit: str) -> Conversion | UnitProblem:
    """Return the conversion of ``unit`` to ``variable``'s canonical unit, or why not.

    Parameters
    ----------
    variable : str
        Canonical variable name.
    unit : str
        The unit as written in the input (``""`` for none).

    Returns
    -------
    Conversion or UnitProblem

    Examples
    --------
    >>> conv = conversion_for("creatinine", "umol/L")
    >>> round(1 / conv.scale, 2)  # umol/L per mg/dL
    88.4
    >>> conversion_for("lactate", "mg").problem
    "unit 'mg' is not a concentration"
    """
    var = CATALOGUE[variable]
    try:
        return _conversion(var, unit)
    except Exception:  # pint's arithmetic errors (an offset unit times a molar mass, ...)
        return UnitProblem(f"unit '{unit}' is not a {var.quantity}", var.expected_units)


def _conversion(var: Variable, unit: str) -> Conversion | UnitProblem:
    expected = var.expected_units
    expr = normalise_unit(unit, var)
    canon_expr = normalise_unit(var.canonical_unit, var)
    try:
        src = _parse(expr)
    except Exception:  # pint raises several types for unparseable strings
        hint = _close_unit(unit, var)
        return UnitProblem(
            f"unit '{unit}' is not a known unit" + (f"; did you mean '{hint}'?" if hint else ""),
            expected,
        )
    dst = _parse(canon_expr)
    if dst.dimensionless:
        allowed = {normalise_unit(u, var) for u in var.accepted_units}
        if expr not in allowed or not src.dimensionless:
            if not unit.strip():
                return UnitProblem(f"unit is missing; {var.name} is a {var.quantity}", expected)
            return UnitProblem(f"unit '{unit}' is not accepted for a {var.quantity}", expected)
        return _two_point(src, dst)
    if src.dimensionality == dst.dimensionality:
        return _two_point(src, dst)
    if var.molar_mass_g_per_mol is not None:
        molar_mass = unit_registry().Quantity(var.molar_mass_g_per_mol, "g/mol")
        for candidate in (src * molar_mass, src / molar_mass):
            if candidate.dimensionality == dst.dimensionality:
                return _two_point(candidate, dst)
    if not unit.strip():
        return UnitProblem(f"unit is missing; {var.name} is a {var.quantity}", expected)
    return UnitProblem(f"unit '{unit}' is not a {var.quantity}", expected)


def _close_unit(unit: str, var: Variable) -> str | None:
    import difflib

    match = difflib.get_close_matches(unit.strip(), var.accepted_units, n=1, cutoff=0.6)
    return match[0] if match else None


def convert(values: np.ndarray | float, unit: str, variable: str) -> np.ndarray:
    """Convert values written in ``unit`` to ``variable``'s canonical unit.

    Raises
    ------
    ValueError
        If the unit cannot be used for the variable.

    Examples
    --------
    >>> float(convert(98.6, "degF", "temperature").round(6))
    37.0
    """
    conv = conversion_for(variable, unit)
    if isinstance(conv, UnitProblem):
        raise ValueError(f"{variable}: {conv.problem}; expected {conv.expected}")
    return conv.apply(np.asarray(values, dtype=np.float64))
