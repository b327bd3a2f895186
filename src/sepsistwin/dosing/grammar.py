"""The dose grammar: amounts, rates, concentrations and dose texts, read one way everywhere.

Amounts and rates (``AMOUNT``)::

    NUMBER [UNIT][/kg][/h | /min | /d]

``UNIT`` is a mass (``g``, ``mg``, ``ug`` = ``µg`` = ``mcg``, ``ng``), international units
(``IU``, ``MIU``), a count of cells or colony-forming units with an optional power of ten
(``cells``, ``3e6 cells``, ``x10^6 cells``, ``million cells``; ``CFU``, ``x10^9 CFU``), a volume
(``mL``, as a rate with a concentration such as ``4 mg/mL``), or nothing: an amount in a model
state's own unit. ``/kg`` scales with body weight; ``/h`` (``/hr``, ``/hour``) and ``/min``
(``/minute``, held as per hour, x 60) make a rate, given as an infusion of a stated length;
``/d`` (``/day``) is a daily dose, repeated every 24 hours.

Dose texts (``--dose`` of the CLI, the dashboard, :func:`parse_dose_text`)::

    TARGET:AMOUNT@HOURS[,every=H][,n=N][,route=R][,over=H][,conc=C]
    TARGET:RATE@START-END[,...]

``TARGET`` is a therapy id (amounts with units) or a model state (amounts without a unit).
``every=H,n=N`` repeats the dose N times H hours apart (N at most :data:`MAX_REPEATS`);
``over=H`` (or ``infusion_hours=H``, the trial specification's name) is the length of each
infusion of a rate, which ``START-END`` states as times instead; ``conc=C`` (or
``concentration=C``) turns a volume rate (``mL/h``) into a drug rate.

A dose of zero is refused wherever a dose is written (text or trial specification): it gives
nothing, so it is a typo or a placebo, and a placebo arm is written without the therapy.
Vectorised schedules built in Python (:mod:`sepsistwin.dosing.schedule`) may hold zeros for the
patients of a batch who do not receive that dose.

Examples
--------
>>> parse_amount("0.1 ug/kg/min").canonical
'6 ug/kg/h'
>>> d = parse_dose_text("il7:10ug/kg@48,every=84,n=8,route=im")
>>> d.target, d.amount.value, d.amount.unit, d.n, d.route
('il7', 10.0, 'ug/kg', 8, 'im')
>>> parse_dose("CA:0.01/h@0-48").doses[0].duration
48.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from sepsistwin.dosing.errors import DoseError
from sepsistwin.dosing.schedule import (
    Bolus,
    Dose,
    Infusion,
    Schedule,
    check_count,
    check_repeat,
)

_NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"
_AMOUNT = re.compile(rf"^\s*(?P<num>-?{_NUMBER})\s*(?P<unit>.*?)\s*$")
_CONCENTRATION = re.compile(r"^(?P<amount>.*?)\s*/\s*ml\s*$", re.IGNORECASE)

#: mg per unit of each mass unit.
MG_PER_MASS_UNIT: dict[str, float] = {"g": 1e3, "mg": 1.0, "ug": 1e-3, "ng": 1e-6}
_MASS = {"g": "g", "mg": "mg", "ug": "ug", "µg": "ug", "μg": "ug", "mcg": "ug", "ng": "ng"}
_IU = {"iu": ("IU", 1.0), "miu": ("MIU", 1e6)}
_COUNT = re.compile(
    r"^(?:x?10\^?(?P<e1>\d+)|1?e(?P<e2>\d+)|(?P<million>million|m))?(?P<what>cells?|cfu)$"
)
#: Time qualifiers: spelling -> (held per, factor to that period).
_PER = {
    "h": ("h", 1.0),
    "hr": ("h", 1.0),
    "hour": ("h", 1.0),
    "min": ("h", 60.0),
    "minute": ("h", 60.0),
    "d": ("d", 1.0),
    "day": ("d", 1.0),
}
UNITS_HELP = (
    "UNIT[/kg][/h|/min|/d], UNIT one of g, mg, ug, ng, IU, MIU, cells, x10^N cells, CFU, "
    "x10^N CFU, mL"
)
_EXAMPLES = "'200 mg', '10 ug/kg', '3e6 cells/kg', '2 mg/kg/h'"


@dataclass(frozen=True)
class Amount:
    """An amount or rate as written, split into its parts.

    Attributes
    ----------
    value : float
        The number (a rate per minute is held per hour: x 60).
    unit : str
        Canonical amount unit with ``/kg`` and without the time: ``mg``, ``ug/kg``,
        ``x10^6 cells/kg``, ``CFU``, ``IU``, ``mL``; ``""`` for a model state's own unit.
    kind : {"mass", "iu", "cells", "cfu", "volume", "state"}
        What the unit measures.
    base : str
        The unit without power of ten or ``/kg``: ``mg``, ``IU``, ``cells``, ``CFU``, ``mL``,
        ``""``.
    factor : float
        ``unit`` in ``base`` units (``x10^6 cells`` -> 1e6, ``MIU`` -> 1e6).
    per_kg : bool
        Per kilogram of body weight.
    per : {"", "h", "d"}
        ``""`` an amount, ``"h"`` a rate per hour, ``"d"`` a daily dose.
    text : str
        The text as written (stripped).

    Examples
    --------
    >>> a = parse_amount("3 x10^6 cells/kg")
    >>> a.kind, a.base, a.factor, a.per_kg, a.unit
    ('cells', 'cells', 1000000.0, True, 'x10^6 cells/kg')
    """

    value: float
    unit: str
    kind: str
    base: str
    factor: float
    per_kg: bool
    per: str
    text: str

    @property
    def is_rate(self) -> bool:
        """A rate (per hour), given as an infusion."""
        return self.per == "h"

    @property
    def daily(self) -> bool:
        """A daily dose (``/d``), repeated every 24 hours."""
        return self.per == "d"

    @property
    def unit_text(self) -> str:
        """The unit with its time qualifier: ``mg/kg/h``, ``g/day``, ``ug``.

        Examples
        --------
        >>> parse_amount("2 g/d").unit_text
        'g/day'
        """
        return self.unit + {"": "", "h": "/h", "d": "/day"}[self.per]

    @property
    def canonical(self) -> str:
        """``VALUE UNIT`` in the canonical spelling (rates per hour).

        Examples
        --------
        >>> parse_amount("100 µg").canonical
        '100 ug'
        """
        return f"{self.value:g} {self.unit_text}"

    def count(self) -> float:
        """The number in ``base`` units (``3 x10^6 cells`` -> 3e6)."""
        return self.value * self.factor if self.factor != 1.0 else self.value


def _unit(text: str) -> tuple[str, str, str, float] | None:
    """``(canonical unit, kind, base, factor)`` of an amount unit without qualifiers."""
    key = text.replace(" ", "").lower()
    if key == "":
        return "", "state", "", 1.0
    if key in _MASS or text in _MASS:
        unit = _MASS.get(key) or _MASS[text]
        return unit, "mass", unit, 1.0
    if key in _IU:
        unit, factor = _IU[key]
        return unit, "iu", "IU", factor
    if key == "ml":
        return "mL", "volume", "mL", 1.0
    m = _COUNT.match(key)
    if m is None:
        return None
    base = "CFU" if m["what"] == "cfu" else "cells"
    power = int(m["e1"] or m["e2"] or (6 if m["million"] else 0))
    if power == 0:
        return base, base.lower(), base, 1.0
    return f"x10^{power} {base}", base.lower(), base, 10.0**power


def parse_amount(text: object, where: str | None = None, *, unit_required: bool = True) -> Amount:
    """Read an amount or rate (``"480 mg"``, ``"10ug/kg"``, ``"2 mg/kg/h"``, ``"0.5"``).

    Parameters
    ----------
    text : str
        The amount as written.
    where : str, optional
        What the message of a :class:`DoseError` starts with (default ``dose 'TEXT'``).
    unit_required : bool
        Refuse a bare number (a model state's own unit).

    Examples
    --------
    >>> a = parse_amount("2 mg/kg/h")
    >>> a.value, a.unit, a.per_kg, a.is_rate
    (2.0, 'mg/kg', True, True)
    >>> try:
    ...     parse_amount("0 mg")
    ... except DoseError as e:
    ...     print(e)
    dose '0 mg': amount must be > 0 (a dose of zero gives nothing; leave the dose out)
    """
    where = where or f"dose {str(text).strip()!r}"
    if isinstance(text, int | float) and not isinstance(text, bool):
        if unit_required:
            raise DoseError(where, f"{text!r} has no unit; expected e.g. {_EXAMPLES}: {UNITS_HELP}")
        text = repr(float(text))
    if not isinstance(text, str):
        raise DoseError(where, f"expected text such as '200 mg', got {text!r}")
    m = _AMOUNT.match(text)
    if not m:
        raise DoseError(
            where, f"amount {text.strip()!r} is not '<number> <unit>' (e.g. {_EXAMPLES})"
        )
    value = float(m["num"])
    raw_unit = m["unit"]
    parts = [p.strip() for p in raw_unit.split("/")]
    base_text, quals = parts[0], [q.replace(" ", "").lower() for q in parts[1:]]
    per_kg = bool(quals) and quals[0] == "kg"
    rest = quals[1:] if per_kg else quals
    per, per_factor = "", 1.0
    if rest and rest[-1] in _PER:
        per, per_factor = _PER[rest[-1]]
        rest = rest[:-1]
    unit = _unit(base_text)
    if rest or unit is None:
        amount_part = "/".join([base_text.replace(" ", ""), *quals[: 1 if per_kg else 0]])
        if per == "h" and not rest:
            raise DoseError(
                where,
                f"rate unit {amount_part!r}/{quals[-1]} not understood; expected a rate such as "
                "'2 mg/kg/h', '0.1 ug/kg/min', '50 mg/h' or '10 mL/h' (with a concentration)",
            )
        raise DoseError(
            where,
            f"unit {raw_unit!r} not understood; expected e.g. {_EXAMPLES}: {UNITS_HELP}",
        )
    canonical, kind, base, factor = unit
    if kind == "state" and (per_kg or per == "d"):
        raise DoseError(
            where,
            f"amount {text.strip()!r}: an amount without a unit (a model state's own unit) "
            "takes only /h (a rate)",
        )
    if kind == "state" and unit_required:
        raise DoseError(
            where, f"amount {text.strip()!r} has no unit; expected e.g. {_EXAMPLES}: {UNITS_HELP}"
        )
    if not math.isfinite(value):
        raise DoseError(where, f"amount {text.strip()!r} must be a finite number")
    if value <= 0:
        what = "rate" if per == "h" else "amount"
        raise DoseError(
            where, f"{what} must be > 0 (a dose of zero gives nothing; leave the dose out)"
        )
    return Amount(
        value=value * per_factor if per_factor != 1.0 else value,
        unit=canonical + ("/kg" if per_kg else ""),
        kind=kind,
        base=base,
        factor=factor,
        per_kg=per_kg,
        per=per,
        text=text.strip(),
    )


def parse_concentration(text: str, where: str | None = None) -> Amount:
    """Read a concentration ``"<number> <amount>/mL"`` (``"4 mg/mL"``) as the amount per mL.

    Examples
    --------
    >>> parse_concentration("16 ug/mL").canonical
    '16 ug'
    """
    where = where or f"concentration {text!r}"
    m = _CONCENTRATION.match(text) if isinstance(text, str) else None
    amount = None
    if m is not None:
        try:
            amount = parse_amount(m["amount"], where)
        except DoseError:
            amount = None
    if amount is None or amount.kind == "volume" or amount.per_kg or amount.per:
        raise DoseError(
            where,
            f"concentration {text!r} is not '<number> <amount>/mL' (e.g. '4 mg/mL', '16 ug/mL')",
        )
    return amount


def drug_rate(volume_rate: Amount, concentration: Amount, where: str | None = None) -> Amount:
    """A volume rate (``10 mL/h``) times a concentration (``4 mg/mL``): the drug rate.

    Examples
    --------
    >>> drug_rate(parse_amount("10 mL/h"), parse_concentration("4 mg/mL")).canonical
    '40 mg/h'
    """
    where = where or f"dose {volume_rate.text!r}"
    if not (volume_rate.kind == "volume" and volume_rate.is_rate):
        raise DoseError(
            where,
            f"concentration is only used with a volume rate (mL/h); dose is "
            f"'{volume_rate.canonical}'",
        )
    value = volume_rate.value * concentration.value
    unit = concentration.unit + ("/kg" if volume_rate.per_kg else "")
    return replace(
        concentration,
        value=value,
        unit=unit,
        per_kg=volume_rate.per_kg,
        per="h",
        text=f"{value:g} {unit}/h",
    )


@dataclass(frozen=True)
class DoseText:
    """A dose text split into its parts (see the module docstring for the grammar).

    ``end`` is set by the ``START-END`` form; ``n`` and ``every`` are ``None`` when not given.
    """

    target: str
    amount: Amount
    start: float
    end: float | None
    every: float | None
    n: int | None
    route: str | None
    over: float | None
    concentration: Amount | None
    text: str

    @property
    def where(self) -> str:
        """The dose as messages name it."""
        return f"dose {self.text!r}"

    @property
    def duration(self) -> float | None:
        """Length of each infusion: ``over=H`` or ``END - START``; ``None`` if neither.

        Examples
        --------
        >>> parse_dose_text("anakinra:2mg/kg/h@24-96").duration
        72.0
        """
        if self.over is not None:
            return self.over
        return None if self.end is None else self.end - self.start

    @property
    def doses(self) -> int:
        """How many administrations (``n``, default 1)."""
        return self.n or 1


_SPEC = re.compile(
    r"^\s*(?P<target>[A-Za-z_][\w-]*)\s*:\s*(?P<amount>[^@]+?)\s*@\s*(?P<time>[^,]+?)"
    r"\s*(?:,(?P<opts>.*))?$"
)
#: Option spellings -> the option they set.
_OPTIONS = {
    "every": "every",
    "n": "n",
    "route": "route",
    "over": "over",
    "infusion_hours": "over",
    "conc": "conc",
    "concentration": "conc",
}
_FORMS = (
    "expected THERAPY:AMOUNTUNIT@HOURS (e.g. 'nivolumab:480mg@24') or STATE:AMOUNT@HOURS, a rate "
    "as ...:RATE@START-END or with over=H, optionally followed by ,every=H,n=N,route=R,conc=C"
)


def _hours(text: str, what: str, where: str, *, positive: bool = False) -> float:
    try:
        v = float(text)
    except ValueError:
        raise DoseError(where, f"{what} {text!r} is not a number of hours") from None
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        raise DoseError(where, f"{what}={text!r} must be {'> 0' if positive else '>= 0'} hours")
    return v


def parse_dose_text(text: str) -> DoseText:
    """Split a dose text ``TARGET:AMOUNT@HOURS[,options]`` into a :class:`DoseText`.

    The amount is read by :func:`parse_amount` (a unit is optional here: a model state is dosed
    in its own unit); what the target accepts is checked where the target is known
    (:func:`state_schedule`, :func:`sepsistwin.model.pharmacology.therapy_schedule`).

    Examples
    --------
    >>> d = parse_dose_text("P:0.5@12,every=24,n=2")
    >>> d.target, d.amount.kind, d.start, d.every, d.n
    ('P', 'state', 12.0, 24.0, 2)
    """
    m = _SPEC.match(text) if isinstance(text, str) else None
    where = f"dose {text!r}"
    if not m:
        raise DoseError(where, _FORMS)
    amount = parse_amount(m["amount"], where, unit_required=False)
    time = m["time"]
    head, sep, end_s = time[1:].partition("-")  # a leading '-' is a sign, refused below
    start_s = time[:1] + head
    start = _hours(start_s if sep else time, "time", where)
    end = None
    if sep:
        end = _hours(end_s, "end", where)
        if end <= start:
            raise DoseError(where, f"infusion end {end:g} h must be after start {start:g} h")
    opts: dict[str, str] = {}
    for part in (m["opts"] or "").split(","):
        if not part.strip():
            continue
        key, eq, val = part.partition("=")
        name = _OPTIONS.get(key.strip().lower())
        if not eq or name is None or not val.strip():
            raise DoseError(
                where,
                f"option {part.strip()!r} not understood; expected every=H, n=N, route=R, "
                "over=H (or infusion_hours=H), conc=C (or concentration=C)",
            )
        if name in opts:
            raise DoseError(where, f"option {name!r} given twice")
        opts[name] = val.strip()
    every = _hours(opts["every"], "every", where, positive=True) if "every" in opts else None
    n = check_count(opts["n"], where) if "n" in opts else None
    if every is not None and n is None:
        raise DoseError(where, "every=H repeats the dose: give n=N, the number of doses")
    if n is not None and n > 1 and every is None and not amount.daily:
        raise DoseError(where, f"n={n} doses need every=H (hours between doses)")
    over = _hours(opts["over"], "over", where, positive=True) if "over" in opts else None
    if over is not None and end is not None:
        raise DoseError(where, "give the infusion length once: START-END or over=H")
    if (end is not None or over is not None) and not (amount.is_rate or amount.kind != "state"):
        raise DoseError(where, "START-END and over=H are for a rate (AMOUNT/h) into a model state")
    conc = parse_concentration(opts["conc"], where) if "conc" in opts else None
    return DoseText(
        target=m["target"],
        amount=amount,
        start=start,
        end=end,
        every=every,
        n=n,
        route=opts.get("route"),
        over=over,
        concentration=conc,
        text=text.strip(),
    )


def state_schedule(dose: DoseText) -> Schedule:
    """The schedule of a dose into a model state (amounts in the state's own unit).

    A bare amount is a bolus added to the state; a rate (``/h``) an infusion for ``START-END``
    or ``over=H`` hours.

    Examples
    --------
    >>> state_schedule(parse_dose_text("CA:0.01/h@6,over=24")).doses[0].start
    6.0
    """
    a, where = dose.amount, dose.where
    if a.kind != "state":
        raise DoseError(
            where,
            f"{dose.target!r} is a model state, dosed in its own unit: write the amount without "
            f"a unit (a therapy dose names a therapy id: THERAPY:AMOUNTUNIT@HOURS)",
        )
    if dose.route is not None or dose.concentration is not None:
        raise DoseError(where, "route= and conc= are options of therapy doses, not of a state")
    first: Dose
    if a.is_rate:
        duration = dose.duration
        if duration is None:
            raise DoseError(
                where, "an infusion needs START-END hours after '@' (or over=H, its length)"
            )
        first = Infusion(dose.target, dose.start, duration, a.value)
    else:
        first = Bolus(dose.target, dose.start, a.value)
    if dose.doses == 1:
        return Schedule((first,))
    return first.repeat(*check_repeat(dose.every, dose.doses, where))  # type: ignore[arg-type]


def parse_dose(text: str) -> Schedule:
    """Parse a dose into a model state (``STATE:AMOUNT@HOURS``, ``STATE:RATE/h@START-END``).

    Examples
    --------
    >>> parse_dose("P:0.5@12,every=24,n=2").doses[1].time
    36.0
    >>> parse_dose("CA:0.01/h@0-48").doses[0].duration
    48.0
    """
    return state_schedule(parse_dose_text(text))
