"""Therapy registry: each therapy id of the evidence base -> its PK states, target and routes.

Clinical doses (mg, ug, ug/kg, cells/kg, CFU, g; rates per hour; doses per day) are converted to
amounts in the model states, and a route picks the state: ``iv`` (bolus, or a short infusion for
the drugs given that way), ``iv_bolus``, ``iv_infusion`` (``over=H``), ``sc``, ``im``,
``enteral`` (depot states with bioavailability F).

Examples
--------
>>> s = parse_therapy_dose("il7:10ug/kg@48,every=84,n=8,route=im")
>>> len(s.doses), s.doses[0].state, round(float(s.doses[0].amount), 1)
(8, 'il7_depot', 150.0)
>>> parse_therapy_dose("nivolumab:480mg@24").doses[0].state
'nivolumab_c'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from sepsistwin.solve.doses import Bolus, Dose, Infusion, Schedule

ROUTES = ("iv", "iv_bolus", "iv_infusion", "sc", "im", "enteral")
_ROUTE_ALIASES = {
    "ivb": "iv_bolus",
    "bolus": "iv_bolus",
    "ivinf": "iv_infusion",
    "infusion": "iv_infusion",
    "subcutaneous": "sc",
    "intramuscular": "im",
    "oral": "enteral",
    "po": "enteral",
    "ng": "enteral",
    "intravenous": "iv",
}


@dataclass(frozen=True)
class Route:
    """Where a route puts the dose: the target state and the bioavailable fraction."""

    state: str
    bioavailability: float = 1.0
    source: str = ""


@dataclass(frozen=True)
class Therapy:
    """A therapy's dosing interface to the model.

    Parameters
    ----------
    id : str
        Therapy id of the evidence base (``src/sepsistwin/evidence/data/therapies``).
    kind : {"mass", "cells", "cfu"}
        What the dose amount measures.
    state_unit : str
        Unit of the dosed state amount: ``mg``, ``ug``, ``g`` (mass), ``1e6 cells/kg``,
        ``1e9/L`` (cells), ``1e9 CFU``.
    routes : mapping route -> Route
        Allowed routes (``iv`` stands for both ``iv_bolus`` and ``iv_infusion``).
    target : str
        The mechanism, for people (the model declares it).
    iv_infusion_hours : float or None
        If set, plain ``iv`` means an infusion of this length (clinical practice).
    """

    id: str
    label: str
    kind: str
    state_unit: str
    routes: Mapping[str, Route]
    default_route: str
    target: str
    iv_infusion_hours: float | None = None
    regimen: str = ""
    aliases: tuple[str, ...] = field(default=())


def _iv(state: str) -> dict[str, Route]:
    return {"iv": Route(state)}


def _depot(drug: str, **f: tuple[float, str]) -> dict[str, Route]:
    return {route: Route(f"{drug}_depot", val, src) for route, (val, src) in f.items()}


THERAPIES: dict[str, Therapy] = {
    t.id: t
    for t in (
        Therapy(
            "anti_tnf",
            "anti-TNF antibody",
            "mass",
            "mg",
            _iv("anti_tnf_c"),
            "iv",
            "neutralises TNF (recruitment and pathogen killing partly TNF-dependent)",
            iv_infusion_hours=0.25,
            regimen="anti_tnf:1mg/kg@24,every=8,n=9",
        ),
        Therapy(
            "anakinra",
            "anakinra (IL-1Ra)",
            "mass",
            "mg",
            {
                "iv": Route("anakinra_c"),
                **_depot("anakinra", sc=(0.9, "Yang 2019 PMC6662383 F 80-92% (VERIFIED)")),
            },
            "iv",
            "blocks IL-1 receptors (macrophage activation, recruitment)",
            regimen="anakinra:200mg@24,every=8,n=21",
        ),
        Therapy(
            "tocilizumab",
            "tocilizumab (anti-IL-6R)",
            "mass",
            "mg",
            _iv("tocilizumab_c"),
            "iv",
            "blocks IL-6 receptors (CRP, ferritin, part of damage)",
            iv_infusion_hours=1.0,
            regimen="tocilizumab:8mg/kg@24",
        ),
        Therapy(
            "il10",
            "recombinant IL-10",
            "mass",
            "ug",
            {"iv": Route("il10_c"), **_depot("il10", sc=(0.5, "PROPOSAL"))},
            "iv",
            "adds IL-10 (suppresses monocyte cytokines and HLA-DR)",
            regimen="il10:8ug/kg@24",
        ),
        Therapy(
            "nivolumab",
            "nivolumab (anti-PD-1)",
            "mass",
            "mg",
            _iv("nivolumab_c"),
            "iv",
            "PD-1 receptor occupancy: blocks exhaustion, reinvigorates",
            iv_infusion_hours=0.5,
            regimen="nivolumab:480mg@24",
        ),
        Therapy(
            "anti_pd_l1",
            "anti-PD-L1 (BMS-936559-like)",
            "mass",
            "mg",
            _iv("anti_pd_l1_c"),
            "iv",
            "PD-L1 occupancy: blocks exhaustion",
            iv_infusion_hours=1.0,
            regimen="anti_pd_l1:300mg@24",
        ),
        Therapy(
            "anti_ctla4",
            "anti-CTLA-4 (ipilimumab-like)",
            "mass",
            "mg",
            _iv("anti_ctla4_c"),
            "iv",
            "co-stimulation; hyperactivation damage at high exposure",
            iv_infusion_hours=1.5,
            regimen="anti_ctla4:3mg/kg@24",
        ),
        Therapy(
            "il7",
            "recombinant IL-7 (CYT107)",
            "mass",
            "ug",
            {
                "iv": Route("il7_c"),
                **_depot(
                    "il7",
                    im=(0.2, "PROPOSAL: IV ~100x higher levels than IM (Daix 2023)"),
                    sc=(0.2, "PROPOSAL"),
                ),
            },
            "im",
            "lymphocyte proliferation, survival and set point",
            regimen="il7:10ug/kg@48,every=84,n=8,route=im",
        ),
        Therapy(
            "il15",
            "recombinant IL-15",
            "mass",
            "ug",
            {"iv": Route("il15_c"), **_depot("il15", sc=(0.5, "PROPOSAL"))},
            "iv",
            "lymphocyte survival/proliferation; IFN-gamma",
            regimen="il15:0.3ug/kg@48,every=24,n=12",
        ),
        Therapy(
            "interferon_gamma",
            "interferon-gamma-1b",
            "mass",
            "ug",
            {
                "iv": Route("interferon_gamma_c"),
                **_depot(
                    "interferon_gamma",
                    sc=(0.89, "Imukin SmPC generika.cc 51947: F > 89% (VERIFIED)"),
                    im=(0.89, "Imukin SmPC: apparent fraction absorbed > 89% (VERIFIED)"),
                ),
            },
            "sc",
            "adds IFN-gamma (restores mHLA-DR; primes macrophages and killing)",
            regimen="interferon_gamma:100ug@24,every=48,n=8,route=sc",
        ),
        Therapy(
            "gm_csf",
            "GM-CSF",
            "mass",
            "ug",
            {"iv": Route("gm_csf_c"), **_depot("gm_csf", sc=(0.7, "PROPOSAL"))},
            "sc",
            "restores mHLA-DR",
            regimen="gm_csf:4ug/kg/d@24,n=8,route=sc",
        ),
        Therapy(
            "thymosin_alpha1",
            "thymosin alpha-1",
            "mass",
            "mg",
            {
                "iv": Route("thymosin_alpha1_c"),
                **_depot("thymosin_alpha1", sc=(1.0, "apparent (CL/F, V/F) parameters")),
            },
            "sc",
            "T-cell proliferation and mHLA-DR (modest)",
            regimen="thymosin_alpha1:1.6mg@24,every=12,n=14,route=sc",
        ),
        Therapy(
            "msc",
            "mesenchymal stromal cells",
            "cells",
            "1e6 cells/kg",
            _iv("msc_cells"),
            "iv",
            "transient anti-inflammatory source and repair",
            regimen="msc:3e6cells/kg@24",
        ),
        Therapy(
            "probiotics",
            "probiotics",
            "cfu",
            "1e9 CFU",
            {"enteral": Route("probiotic_gut", 1.0)},
            "enteral",
            "restore gut diversity",
            regimen="probiotics:1e10CFU@24,every=24,n=14,route=enteral",
        ),
        Therapy(
            "fmt",
            "faecal microbiota transplant",
            "mass",
            "g",
            {"enteral": Route("fmt_graft", 1.0)},
            "enteral",
            "restore gut diversity",
            regimen="fmt:50g@72,route=enteral",
        ),
        Therapy(
            "gene_editing",
            "PD-1 knock-out T cells (gene editing)",
            "cells",
            "1e9/L",
            _iv("TKO"),
            "iv",
            "non-exhaustible T cells (PD-1 knock-out)",
            regimen="gene_editing:1e7cells/kg@48",
        ),
        Therapy(
            "nanocarrier",
            "nanocarrier (delivery modifier)",
            "mass",
            "mg",
            _iv("nanocarrier_c"),
            "iv",
            "raises effect-site exposure of co-administered drugs",
            regimen="nanocarrier:50mg@24",
        ),
        Therapy(
            "meropenem",
            "meropenem",
            "mass",
            "mg",
            _iv("meropenem_c"),
            "iv",
            "bacterial killing (sigmoid Emax)",
            iv_infusion_hours=0.5,
            regimen="meropenem:1g@6,every=8,n=21",
        ),
    )
}

#: Challenge agents that are not therapies (dosed like them).
CHALLENGES: dict[str, Therapy] = {
    "endotoxin": Therapy(
        "endotoxin",
        "endotoxin (LPS) challenge",
        "mass_per_kg",
        "ng/kg",
        _iv("LPS"),
        "iv",
        "monocyte activation (human LPS model)",
        regimen="endotoxin:2ng/kg@0",
    ),
}

BLOOD_VOLUME_L_PER_KG = 0.07  # adult blood volume ~70 mL/kg (general knowledge)

_MASS_MG = {"g": 1e3, "mg": 1.0, "ug": 1e-3, "µg": 1e-3, "μg": 1e-3, "mcg": 1e-3, "ng": 1e-6}
_STATE_MASS_MG = {"g": 1e3, "mg": 1.0, "ug": 1e-3}
_CELLS = re.compile(r"^(?:(?:x?10\^?(?P<e1>\d+))|(?:1?e(?P<e2>\d+))|(?P<m>million|m))?cells?$")
_CFU = re.compile(r"^(?:(?:x?10\^?(?P<e1>\d+))|(?:1?e(?P<e2>\d+)))?cfu$")
_AMOUNT = re.compile(r"^\s*(?P<num>[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(?P<unit>.*?)\s*$")


@dataclass(frozen=True)
class ParsedAmount:
    """A dose amount split into number, base unit and qualifiers."""

    value: float
    unit: str  # base unit without /kg, /h, /d
    per_kg: bool
    per_hour: bool
    per_day: bool


def parse_amount(text: str, where: str = "dose") -> ParsedAmount:
    """Split ``"10ug/kg"``, ``"2 mg/kg/h"``, ``"3e6 cells/kg"``, ``"4ug/kg/d"`` into parts.

    Examples
    --------
    >>> parse_amount("2 mg/kg/h")
    ParsedAmount(value=2.0, unit='mg', per_kg=True, per_hour=True, per_day=False)
    """
    m = _AMOUNT.match(text)
    if not m or not m["unit"]:
        raise ValueError(
            f"{where}: amount {text!r} must be a number followed by a unit, e.g. "
            "'480mg', '10ug/kg', '3e6cells/kg', '2mg/kg/h'"
        )
    value = float(m["num"])
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: amount {text!r} must be a finite number >= 0")
    parts = [p.strip().lower().replace(" ", "") for p in m["unit"].split("/")]
    unit, quals = parts[0], parts[1:]
    per_kg = per_hour = per_day = False
    for q in quals:
        if q == "kg" and not per_kg:
            per_kg = True
        elif q == "h" and not (per_hour or per_day):
            per_hour = True
        elif q in ("d", "day") and not (per_hour or per_day):
            per_day = True
        else:
            raise ValueError(
                f"{where}: unit {m['unit']!r} not understood ('/{q}'); expected "
                "UNIT[/kg][/h|/d], e.g. 'mg', 'ug/kg', 'mg/kg/h', 'ug/kg/d'"
            )
    return ParsedAmount(value, unit, per_kg, per_hour, per_day)


def _power(m: re.Match[str]) -> float:
    if m["e1"] or m["e2"]:
        return 10.0 ** int(m["e1"] or m["e2"])
    return 1e6 if m.groupdict().get("m") else 1.0


def state_amount(
    therapy: Therapy, amount: ParsedAmount, weight_kg: ArrayLike, where: str
) -> np.ndarray:
    """Convert a parsed clinical amount to the dosed state's unit (array over patients)."""
    w = np.asarray(weight_kg, dtype=float)
    unit = amount.unit
    if therapy.kind in ("mass", "mass_per_kg"):
        if unit not in _MASS_MG:
            raise ValueError(
                f"{where}: unit {unit!r} is not a mass; {therapy.id} is dosed in "
                f"mass units {sorted(set(_MASS_MG) - {'µg', 'μg'})} (optionally "
                "/kg)"
            )
        mg = amount.value * _MASS_MG[unit] * np.ones_like(w)
        if therapy.kind == "mass_per_kg":  # challenge agents are kept per kg (ng/kg)
            per_kg = mg if amount.per_kg else mg / w
            return np.asarray(per_kg / 1e-6, dtype=float)
        total = mg * w if amount.per_kg else mg
        return np.asarray(total / _STATE_MASS_MG[therapy.state_unit], dtype=float)
    if therapy.kind == "cells":
        m = _CELLS.match(unit)
        if not m:
            raise ValueError(
                f"{where}: unit {unit!r} is not a cell count; {therapy.id} is dosed "
                "in cells (e.g. '3e6cells/kg', '1x10^6cells/kg')"
            )
        per_kg = amount.value * _power(m) * (1.0 if amount.per_kg else 1.0 / w)
        if therapy.state_unit == "1e6 cells/kg":
            return np.asarray(per_kg / 1e6 * np.ones_like(w), dtype=float)
        # 10^9/L in blood: cells/kg over the blood volume per kg
        return np.asarray(per_kg / BLOOD_VOLUME_L_PER_KG / 1e9 * np.ones_like(w), dtype=float)
    m = _CFU.match(unit)
    if not m or amount.per_kg:
        raise ValueError(
            f"{where}: unit {unit!r} is not a CFU count; {therapy.id} is dosed in "
            "colony-forming units (e.g. '1e10CFU')"
        )
    return np.asarray(amount.value * _power(m) / 1e9 * np.ones_like(w), dtype=float)


def get_therapy(therapy_id: str) -> Therapy:
    """Return the registry entry (``ValueError`` listing the valid ids when unknown)."""
    key = therapy_id.strip().lower()
    if key in THERAPIES:
        return THERAPIES[key]
    if key in CHALLENGES:
        return CHALLENGES[key]
    raise ValueError(
        f"unknown therapy id {therapy_id!r}; valid ids: {sorted(THERAPIES)} "
        f"(challenges: {sorted(CHALLENGES)})"
    )


def _route(therapy: Therapy, route: str | None, where: str) -> str:
    r = (route or therapy.default_route).strip().lower()
    r = _ROUTE_ALIASES.get(r, r)
    if r not in ROUTES:
        raise ValueError(f"{where}: route {route!r} unknown; routes: {list(ROUTES)}")
    base = "iv" if r.startswith("iv") else r
    if base not in therapy.routes:
        ivs = {"iv", "iv_bolus", "iv_infusion"} if "iv" in therapy.routes else set()
        allowed = sorted(ivs | (set(therapy.routes) - {"iv"}))
        raise ValueError(
            f"{where}: route {r!r} is not allowed for {therapy.id}; allowed: {allowed}"
        )
    return r


def therapy_schedule(
    therapy: str,
    dose: str,
    at_hours: ArrayLike,
    route: str | None = None,
    every: float | None = None,
    n: int = 1,
    weight_kg: ArrayLike = 75.0,
    over_hours: float | None = None,
) -> Schedule:
    """Turn a clinical dose into a solver :class:`~sepsistwin.solve.Schedule`.

    Parameters
    ----------
    therapy : str
        Therapy id (see :data:`THERAPIES`) or a challenge (``"endotoxin"``).
    dose : str
        Amount with unit: ``"480 mg"``, ``"10ug/kg"``, ``"3e6cells/kg"``, ``"1e10CFU"``;
        a rate ``"2mg/kg/h"`` (needs ``over_hours``); a daily dose ``"4ug/kg/d"`` (repeats
        every 24 h unless ``every`` is given).
    at_hours : float or array
        Time of the first dose (per patient allowed).
    route : str, optional
        ``iv``, ``iv_bolus``, ``iv_infusion``, ``sc``, ``im``, ``enteral`` (default: the
        therapy's usual route).
    every, n : float, int
        Repeat ``n`` doses ``every`` hours apart.
    weight_kg : float or array
        Body weight for per-kg doses and cell/CFU conversions.
    over_hours : float, optional
        Infusion duration (``iv_infusion``; rates).

    Examples
    --------
    >>> s = therapy_schedule("nivolumab", "480 mg", at_hours=24)
    >>> type(s.doses[0]).__name__, s.doses[0].duration, round(float(s.doses[0].rate))
    ('Infusion', 0.5, 960)
    """
    t = get_therapy(therapy)
    where = f"dose {therapy}:{dose}"
    amount = parse_amount(dose, where)
    r = _route(t, route, where)
    if isinstance(n, bool) or int(n) != n or int(n) < 1:
        raise ValueError(f"{where}: n={n!r} must be a positive integer")
    n = int(n)
    if amount.per_day and every is None:
        every = 24.0
    if n > 1 and every is None:
        raise ValueError(f"{where}: n={n} doses need every=H (hours between doses)")
    if every is not None and (not math.isfinite(float(every)) or float(every) <= 0):
        raise ValueError(f"{where}: every={every!r} must be > 0 hours")
    times = np.asarray(at_hours, dtype=float)
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise ValueError(f"{where}: time {at_hours!r} must be finite hours >= 0")
    weight = np.asarray(weight_kg, dtype=float)
    if not np.all(np.isfinite(weight)) or np.any(weight <= 0):
        raise ValueError(f"{where}: weight_kg {weight_kg!r} must be > 0")
    raw = state_amount(t, amount, weight, where)
    value: float | np.ndarray = raw if raw.ndim else float(raw)
    if amount.per_hour:
        if over_hours is None:
            raise ValueError(f"{where}: a rate (/h) needs over=H, the infusion duration in hours")
        if r not in ("iv", "iv_infusion"):
            raise ValueError(f"{where}: a rate (/h) is an IV infusion; route {r!r} not allowed")
        r = "iv_infusion"
    route_info = t.routes["iv" if r.startswith("iv") else r]
    infuse = r == "iv_infusion" or (r == "iv" and t.iv_infusion_hours is not None)
    if amount.per_hour:
        dur = float(over_hours)  # type: ignore[arg-type]
        first: Dose = Infusion(route_info.state, _scalar(times), dur, value)
    elif infuse:
        dur = float(over_hours if over_hours is not None else (t.iv_infusion_hours or 0.5))
        if not dur > 0:
            raise ValueError(f"{where}: over={over_hours!r} must be > 0 hours")
        first = Infusion(route_info.state, _scalar(times), dur, _div(value, dur))
    else:
        first = Bolus(route_info.state, _scalar(times), _mul(value, route_info.bioavailability))
    if isinstance(first, Infusion):
        first = Infusion(
            first.state,
            first.start,
            first.duration,
            _mul(np.asarray(first.rate, dtype=float), route_info.bioavailability),
        )
    if n == 1:
        return Schedule((first,))
    return first.repeat(float(every), n)  # type: ignore[arg-type]


def _scalar(a: np.ndarray) -> float | np.ndarray:
    return float(a) if a.ndim == 0 else a


def _mul(v: float | np.ndarray, f: float) -> float | np.ndarray:
    return v * f


def _div(v: float | np.ndarray, d: float) -> float | np.ndarray:
    return v / d


_SPEC = re.compile(
    r"^\s*(?P<id>[A-Za-z_][\w-]*)\s*:\s*(?P<amount>[^@]+?)\s*@\s*(?P<time>[^,]+?)"
    r"\s*(?:,(?P<opts>.*))?$"
)
_OPTIONS = ("every", "n", "route", "over")


def parse_therapy_dose(spec: str, weight_kg: ArrayLike = 75.0) -> Schedule:
    """Parse ``THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N][,route=R][,over=H]`` into a Schedule.

    Examples
    --------
    >>> parse_therapy_dose("meropenem:1g@6,every=8,n=3").doses[2].start
    22.0
    >>> parse_therapy_dose("anakinra:200mg@24,route=sc").doses[0].state
    'anakinra_depot'
    """
    m = _SPEC.match(spec or "")
    if not m:
        raise ValueError(
            f"dose {spec!r}: expected THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N]"
            "[,route=R][,over=H], e.g. 'nivolumab:480mg@24'"
        )
    try:
        at = float(m["time"])
    except ValueError:
        raise ValueError(
            f"dose {spec!r}: time {m['time']!r} after '@' is not a number of hours"
        ) from None
    opts: dict[str, str] = {}
    for part in (m["opts"] or "").split(","):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in _OPTIONS or not val.strip():
            raise ValueError(
                f"dose {spec!r}: option {part.strip()!r} not understood; expected "
                f"one of {[o + '=...' for o in _OPTIONS]}"
            )
        if key in opts:
            raise ValueError(f"dose {spec!r}: option {key!r} given twice")
        opts[key] = val.strip()

    def num(key: str) -> float | None:
        if key not in opts:
            return None
        try:
            return float(opts[key])
        except ValueError:
            raise ValueError(f"dose {spec!r}: {key}={opts[key]!r} is not a number") from None

    n_text = opts.get("n", "1")
    if not n_text.isdigit() or int(n_text) < 1:
        raise ValueError(f"dose {spec!r}: n={n_text!r} must be a positive integer")
    return therapy_schedule(
        m["id"],
        m["amount"],
        at,
        route=opts.get("route"),
        every=num("every"),
        n=int(n_text),
        weight_kg=weight_kg,
        over_hours=num("over"),
    )


def standard_care(
    start_hours: ArrayLike, days: float = 7.0, weight_kg: ArrayLike = 75.0
) -> Schedule:
    """Background antibiotic care: meropenem 1 g IV q8h (30-min infusion) from ``start_hours``.

    Examples
    --------
    >>> len(standard_care(6.0, days=2).doses)
    6
    """
    n = max(1, round(days * 24 / 8))
    return therapy_schedule("meropenem", "1g", start_hours, every=8.0, n=n, weight_kg=weight_kg)
