"""Therapy registry: each therapy id of the evidence base -> its PK states, target and routes.

Clinical doses (the grammar of :mod:`sepsistwin.dosing`: mg, ug, ug/kg, cells/kg, CFU, g; rates
per hour or minute; doses per day) are converted to amounts in the model states, and a route
picks the state: ``iv`` (bolus, or a short infusion for the drugs given that way), ``iv_bolus``,
``iv_infusion`` (``over=H``), ``sc``, ``im``, ``enteral`` (depot states with bioavailability F).

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from sepsistwin.dosing import (
    MG_PER_MASS_UNIT,
    Amount,
    Bolus,
    Dose,
    DoseError,
    DoseText,
    Infusion,
    Schedule,
    check_count,
    check_repeat,
    drug_rate,
    parse_amount,
    parse_concentration,
    parse_dose_text,
    state_schedule,
)

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

_STATE_MASS_MG = {"g": 1e3, "mg": 1.0, "ug": 1e-3}


def state_amount(therapy: Therapy, amount: Amount, weight_kg: ArrayLike, where: str) -> np.ndarray:
    """Convert a clinical amount (:func:`sepsistwin.dosing.parse_amount`) to the dosed state's
    unit (array over patients).

    Examples
    --------
    >>> float(state_amount(THERAPIES["msc"], parse_amount("3e6 cells/kg"), 70.0, "msc"))
    3.0
    """
    w = np.asarray(weight_kg, dtype=float)
    if therapy.kind in ("mass", "mass_per_kg"):
        if amount.kind != "mass":
            raise DoseError(
                where,
                f"unit {amount.unit_text!r} is not a mass; {therapy.id} is dosed in mass units "
                f"{sorted(MG_PER_MASS_UNIT)} (optionally /kg)",
            )
        mg = amount.value * MG_PER_MASS_UNIT[amount.base] * np.ones_like(w)
        if therapy.kind == "mass_per_kg":  # challenge agents are kept per kg (ng/kg)
            per_kg = mg if amount.per_kg else mg / w
            return np.asarray(per_kg / 1e-6, dtype=float)
        total = mg * w if amount.per_kg else mg
        return np.asarray(total / _STATE_MASS_MG[therapy.state_unit], dtype=float)
    if therapy.kind == "cells":
        if amount.kind != "cells":
            raise DoseError(
                where,
                f"unit {amount.unit_text!r} is not a cell count; {therapy.id} is dosed in cells "
                "(e.g. '3e6cells/kg', '1x10^6cells/kg')",
            )
        per_kg = amount.value * amount.factor * (1.0 if amount.per_kg else 1.0 / w)
        if therapy.state_unit == "1e6 cells/kg":
            return np.asarray(per_kg / 1e6 * np.ones_like(w), dtype=float)
        # 10^9/L in blood: cells/kg over the blood volume per kg
        return np.asarray(per_kg / BLOOD_VOLUME_L_PER_KG / 1e9 * np.ones_like(w), dtype=float)
    if amount.kind != "cfu" or amount.per_kg:
        raise DoseError(
            where,
            f"unit {amount.unit_text!r} is not a CFU count; {therapy.id} is dosed in "
            "colony-forming units (e.g. '1e10CFU')",
        )
    return np.asarray(amount.value * amount.factor / 1e9 * np.ones_like(w), dtype=float)


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
        raise DoseError(where, f"route {route!r} unknown; routes: {list(ROUTES)}")
    base = "iv" if r.startswith("iv") else r
    if base not in therapy.routes:
        ivs = {"iv", "iv_bolus", "iv_infusion"} if "iv" in therapy.routes else set()
        allowed = sorted(ivs | (set(therapy.routes) - {"iv"}))
        raise DoseError(where, f"route {r!r} is not allowed for {therapy.id}; allowed: {allowed}")
    return r


def therapy_schedule(
    therapy: str,
    dose: str | Amount,
    at_hours: ArrayLike,
    route: str | None = None,
    every: float | None = None,
    n: int = 1,
    weight_kg: ArrayLike = 75.0,
    over_hours: float | None = None,
    concentration: str | Amount | None = None,
) -> Schedule:
    """Turn a clinical dose into a solver :class:`~sepsistwin.dosing.Schedule`.

    Parameters
    ----------
    therapy : str
        Therapy id (see :data:`THERAPIES`) or a challenge (``"endotoxin"``).
    dose : str or Amount
        Amount with unit (the grammar of :mod:`sepsistwin.dosing`): ``"480 mg"``,
        ``"10ug/kg"``, ``"3e6cells/kg"``, ``"1e10CFU"``; a rate ``"2mg/kg/h"``,
        ``"0.1 ug/kg/min"`` (needs ``over_hours``) or ``"10 mL/h"`` (needs ``concentration``
        too); a daily dose ``"4ug/kg/d"`` (repeats every 24 h unless ``every`` is given).
    at_hours : float or array
        Time of the first dose (per patient allowed).
    route : str, optional
        ``iv``, ``iv_bolus``, ``iv_infusion``, ``sc``, ``im``, ``enteral`` (default: the
        therapy's usual route).
    every, n : float, int
        Repeat ``n`` doses (at most :data:`~sepsistwin.dosing.MAX_REPEATS`) ``every`` hours
        apart.
    weight_kg : float or array
        Body weight for per-kg doses and cell/CFU conversions.
    over_hours : float, optional
        Infusion duration (``iv_infusion``; rates).
    concentration : str or Amount, optional
        Drug per mL (``"4 mg/mL"``) of a volume rate (``mL/h``).

    Examples
    --------
    >>> s = therapy_schedule("nivolumab", "480 mg", at_hours=24)
    >>> type(s.doses[0]).__name__, s.doses[0].duration, round(float(s.doses[0].rate))
    ('Infusion', 0.5, 960)
    """
    text = dose.text if isinstance(dose, Amount) else str(dose)
    where = f"dose {therapy}:{text}"
    amount = dose if isinstance(dose, Amount) else parse_amount(dose, where)
    conc = (
        parse_concentration(concentration, where)
        if isinstance(concentration, str)
        else concentration
    )
    return _schedule(
        get_therapy(therapy), amount, at_hours, route, every, n, weight_kg, over_hours, conc, where
    )


def _schedule(
    t: Therapy,
    amount: Amount,
    at_hours: ArrayLike,
    route: str | None,
    every: float | None,
    n: int,
    weight_kg: ArrayLike,
    over_hours: float | None,
    concentration: Amount | None,
    where: str,
) -> Schedule:
    if amount.kind == "state":
        raise DoseError(
            where, f"amount {amount.text!r} has no unit; {t.id} is dosed in clinical units"
        )
    if amount.kind == "volume" and amount.is_rate and concentration is None:
        raise DoseError(
            where,
            f"'{amount.canonical}' is a volume rate: give conc= (e.g. '4 mg/mL') so it becomes "
            "a rate of the drug",
        )
    if concentration is not None:
        amount = drug_rate(amount, concentration, where)
    r = _route(t, route, where)
    n = check_count(n, where)
    if amount.daily and every is None:
        every = 24.0
    if n > 1 and every is None:
        raise DoseError(where, f"n={n} doses need every=H (hours between doses)")
    if every is not None and (not math.isfinite(float(every)) or float(every) <= 0):
        raise DoseError(where, f"every={every!r} must be > 0 hours")
    times = np.asarray(at_hours, dtype=float)
    if not np.all(np.isfinite(times)) or np.any(times < 0):
        raise DoseError(where, f"time {at_hours!r} must be finite hours >= 0")
    weight = np.asarray(weight_kg, dtype=float)
    if not np.all(np.isfinite(weight)) or np.any(weight <= 0):
        raise DoseError(where, f"weight_kg {weight_kg!r} must be > 0")
    raw = state_amount(t, amount, weight, where)
    value: float | np.ndarray = raw if raw.ndim else float(raw)
    if amount.is_rate:
        if over_hours is None:
            raise DoseError(
                where,
                "a rate (/h) needs over=H (the infusion length in hours) or START-END after '@'",
            )
        if r not in ("iv", "iv_infusion"):
            raise DoseError(where, f"a rate (/h) is an IV infusion; route {r!r} not allowed")
        r = "iv_infusion"
    route_info = t.routes["iv" if r.startswith("iv") else r]
    infuse = r == "iv_infusion" or (r == "iv" and t.iv_infusion_hours is not None)
    if amount.is_rate:
        dur = float(over_hours)  # type: ignore[arg-type]
        first: Dose = Infusion(route_info.state, _scalar(times), dur, value)
    elif infuse:
        dur = float(over_hours if over_hours is not None else (t.iv_infusion_hours or 0.5))
        if not dur > 0:
            raise DoseError(where, f"over={over_hours!r} must be > 0 hours")
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
    return first.repeat(*check_repeat(every, n, where))  # type: ignore[arg-type]


def _scalar(a: np.ndarray) -> float | np.ndarray:
    return float(a) if a.ndim == 0 else a


def _mul(v: float | np.ndarray, f: float) -> float | np.ndarray:
    return v * f


def _div(v: float | np.ndarray, d: float) -> float | np.ndarray:
    return v / d


def parse_therapy_dose(spec: str, weight_kg: ArrayLike = 75.0) -> Schedule:
    """Parse ``THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N][,route=R][,over=H][,conc=C]``.

    The grammar is :mod:`sepsistwin.dosing`'s (a rate may also give its infusion as
    ``@START-END``).

    Examples
    --------
    >>> parse_therapy_dose("meropenem:1g@6,every=8,n=3").doses[2].start
    22.0
    >>> parse_therapy_dose("anakinra:200mg@24,route=sc").doses[0].state
    'anakinra_depot'
    >>> parse_therapy_dose("anakinra:2mg/kg/h@24-96", weight_kg=70.0).doses[0].duration
    72.0
    """
    return text_schedule(parse_dose_text(spec), weight_kg)


def text_schedule(dose: DoseText, weight_kg: ArrayLike = 75.0) -> Schedule:
    """The schedule of a parsed therapy dose text (:func:`sepsistwin.dosing.parse_dose_text`)."""
    return _schedule(
        get_therapy(dose.target),
        dose.amount,
        dose.start,
        dose.route,
        dose.every,
        dose.doses,
        weight_kg,
        dose.duration,
        dose.concentration,
        dose.where,
    )


def dose_schedule(spec: str, state_names: Sequence[str], weight_kg: ArrayLike = 75.0) -> Schedule:
    """A dose text into a model state (``STATE:...``) or of a therapy (``THERAPY:...``).

    What ``--dose`` of ``sepsistwin simulate`` and the dashboard's scenarios read.

    Examples
    --------
    >>> dose_schedule("P:0.5@12", ("P", "N")).doses[0].state
    'P'
    >>> dose_schedule("nivolumab:480mg@24", ("P", "nivolumab_c")).doses[0].state
    'nivolumab_c'
    """
    dose = parse_dose_text(spec)
    if dose.target in state_names:
        return state_schedule(dose)
    if dose.target.lower() in THERAPIES or dose.target.lower() in CHALLENGES:
        return text_schedule(dose, weight_kg)
    raise DoseError(
        dose.where,
        f"state {dose.target!r} is not in the model and {dose.target!r} is not a therapy id; "
        f"states: {', '.join(state_names)}; therapies: {', '.join(sorted(THERAPIES))}",
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
