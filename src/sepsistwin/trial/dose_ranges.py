"""Studied dose ranges: a requested dose checked against the regimens the evidence base cites.

A dose is compared with the regimens of the same therapy and the same kind (a single
administration, a rate per hour, or a daily dose). Mass units are converted (g, mg, ug, ng);
per-kg and absolute doses are compared at the given body weight. Units that cannot be
converted into each other (cells, CFU) are compared only when they are the same unit. A
therapy without a studied regimen of that kind is not compared, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sepsistwin.dosing import Amount
from sepsistwin.evidence import EvidenceBase, load_evidence

#: Mass units in mg.
_MASS_MG = {"g": 1e3, "mg": 1.0, "ug": 1e-3, "µg": 1e-3, "mcg": 1e-3, "ng": 1e-6}


@dataclass(frozen=True)
class DoseCheck:
    """The result of :func:`check_dose`.

    Attributes
    ----------
    therapy, dose : str
        What was asked for.
    within : bool or None
        True inside the studied range, False outside, None when nothing comparable was
        studied (``message`` says why).
    low, high : float or None
        The studied range, in ``unit`` (absolute amounts at the given weight).
    unit : str
    factor : float or None
        The dose divided by the range's nearer end (> 1 above it, < 1 below it).
    sources : list of str
        The regimens' citations (authors, year, journal; DOI/PMID).
    message : str
        One line for a warning, naming the range and its sources.
    """

    therapy: str
    dose: str
    within: bool | None
    low: float | None
    high: float | None
    unit: str
    factor: float | None
    sources: list[str]
    message: str


def _amount(value: float, unit: str, per_kg: bool, weight_kg: float) -> tuple[float, str]:
    """(amount, unit) with mass in mg and per-kg doses multiplied by the weight."""
    u = unit.lower().replace(" ", "")
    if u in _MASS_MG:
        value, u = value * _MASS_MG[u], "mg"
    return (value * weight_kg if per_kg else value), u


def _value_unit(a: Amount) -> tuple[float, str]:
    """A parsed amount as (number, unit): masses in their unit, counts in single cells/CFU."""
    return (a.value, a.base) if a.kind == "mass" else (a.count(), a.base or a.unit)


def _num(x: float) -> str:
    """1,000,000,000 rather than 1e+09; three significant digits below 100."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _kind(per_hour: bool, per_day: bool) -> str:
    return "rate per hour" if per_hour else "daily dose" if per_day else "dose"


def _cite(ev: EvidenceBase, key: str) -> str:
    try:
        c = ev.cite(key)
    except KeyError:
        return key
    return f"{c.text} ({c.label()})"


def check_dose(
    therapy: str,
    dose: str,
    weight_kg: float = 75.0,
    evidence: EvidenceBase | None = None,
) -> DoseCheck:
    """Compare ``dose`` (e.g. ``"200 mg"``, ``"10 ug/kg"``, ``"2 mg/kg/h"``) of ``therapy``
    with the doses of the regimens the evidence base cites for it.

    Examples
    --------
    >>> check_dose("anakinra", "200 mg").within
    True
    >>> c = check_dose("anakinra", "1000000000 mg")
    >>> c.within, round(c.factor)
    (False, 5000000)
    >>> "is 5,000,000 times the highest studied dose, above the studied range 200 mg" in c.message
    True
    """
    from sepsistwin.dosing import parse_amount

    ev = evidence or load_evidence()
    asked = parse_amount(dose, f"{therapy} dose")
    kind = _kind(asked.is_rate, asked.daily)
    mine = _amount(*_value_unit(asked), asked.per_kg, weight_kg)
    t = ev.therapy(therapy)
    lows: list[float] = []
    highs: list[float] = []
    sources: list[str] = []
    unit = ""
    weight_used = asked.per_kg
    for r in t.regimens:
        if r.dose is None:
            continue
        try:
            studied = parse_amount(f"{r.dose.value:g} {r.dose.unit}", f"{therapy} regimen {r.id}")
        except ValueError:
            continue
        if _kind(studied.is_rate, studied.daily) != kind:
            continue
        lo = _amount(*_value_unit(studied), studied.per_kg, weight_kg)
        upper = r.dose.upper if r.dose.upper is not None else studied.value
        hi = _amount(
            upper * (studied.factor if studied.kind != "mass" else 1.0),
            _value_unit(studied)[1],
            studied.per_kg,
            weight_kg,
        )
        if lo[1] != mine[1]:
            continue
        unit = lo[1]
        weight_used = weight_used or studied.per_kg
        lows.append(lo[0])
        highs.append(hi[0])
        if r.dose.source and r.dose.source not in sources:
            sources.append(r.dose.source)
    if not lows:
        return DoseCheck(
            therapy,
            dose,
            None,
            None,
            None,
            "",
            None,
            [],
            f"{therapy} {dose}: the evidence base cites no {kind} of {therapy} in comparable "
            "units; not checked",
        )
    low, high = min(lows), max(highs)
    value = mine[0]
    within = low <= value <= high
    factor = value / high if value > high else (value / low if value < low and low > 0 else 1.0)
    cited = [_cite(ev, s) for s in sources]
    per_kg_note = f" at {weight_kg:g} kg" if weight_used else ""
    span = f"{_num(low)} {unit}" if low == high else f"{_num(low)} to {_num(high)} {unit}"
    where = "above" if value > high else "below"
    message = (
        f"{therapy} {dose} ({_num(value)} {unit}{per_kg_note}) is "
        + (
            "within"
            if within
            else f"{_num(factor)} times the {'highest' if value > high else 'lowest'} studied "
            f"{kind}, {where}"
        )
        + f" the studied range {span}; sources: "
        + "; ".join(cited)
    )
    return DoseCheck(therapy, dose, within, low, high, unit, factor, cited, message)


def dose_warnings(
    doses: list[tuple[str, str, str]], weight_kg: float = 75.0
) -> list[tuple[str, DoseCheck]]:
    """``(where, check)`` for each ``(where, therapy, dose)`` outside its studied range
    (therapies the evidence base does not hold, and unparsable doses, are left to the dose
    parser's own errors)."""
    from sepsistwin.evidence import UnknownTherapyError

    ev = load_evidence()
    out = []
    for where, therapy, dose in doses:
        try:
            check = check_dose(therapy, dose, weight_kg, ev)
        except (UnknownTherapyError, ValueError):
            continue
        if check.within is False:
            out.append((where, check))
    return out


def spec_doses(spec: object) -> list[tuple[str, str, str]]:
    """``(where, therapy, dose)`` of every therapy entry of a trial specification (arms,
    phenotype-guided arms, background), found in its plain data form.

    Examples
    --------
    >>> spec_doses({"arms": [{"name": "a", "therapies": [{"therapy": "il7", "dose": "10 ug/kg"}]}]})
    [('arms[0].therapies[0]', 'il7', '10 ug/kg')]
    """
    data = spec.model_dump() if hasattr(spec, "model_dump") else spec
    found: list[tuple[str, str, str]] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            dose = node.get("dose")
            if isinstance(dose, dict):  # a parsed dose keeps the text it was written as
                dose = dose.get("text")
            if isinstance(node.get("therapy"), str) and isinstance(dose, str):
                found.append((path, node["therapy"], dose))
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list | tuple):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(data, "")
    return found
