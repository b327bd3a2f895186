"""The decision space of one therapy: dose, start, interval and number of doses.

Bounds come from the evidence base, never from the optimiser: the dose lies within the doses
of the therapy's studied regimens (same route and unit; a regimen's ``upper`` widens the
range), the interval is at least the studied interval (a longer one gives less drug than
studied, never more) and at most :data:`INTERVAL_STRETCH` times it, the number of doses is at
most the studied course, every dose falls inside the planning horizon, and the start lies
between the end of the patient's data and the end of the therapy's timing window when the
recommendation gives one (e.g. within 72 h of Sepsis-3 for anakinra and interferon-gamma,
ImmunoSep).

A point of the space is a vector in the unit cube (what CMA-ES searches); :class:`Regimen` is
what it decodes to, written in the one dose grammar of :mod:`sepsistwin.dosing`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sepsistwin.solve import Bolus, Infusion, Schedule

FloatArray = NDArray[np.float64]

#: Longest interval the optimiser may choose, as a multiple of the longest studied interval
#: (sepsistwin PROPOSAL: stretching an interval only lowers exposure below the studied one).
INTERVAL_STRETCH = 2.0
#: Time (hours) of the zero-amount doses of lanes that do not get a dose: after every
#: simulation's end, so the integrator never stops at them.
NEVER_HOURS = 1e7
#: Start times are whole hours.
START_STEP_HOURS = 1.0

_SPEC = re.compile(r"^(?P<therapy>[a-z0-9_]+):(?P<amount>[0-9.eE+-]+)(?P<unit>[^@]+)@(?P<at>[^,]+)")


@dataclass(frozen=True)
class Regimen:
    """A dosing regimen: ``n_doses`` doses of ``dose`` ``unit`` every ``interval_hours``
    from ``start_hours`` (hours since the patient's time zero).

    Examples
    --------
    >>> r = Regimen("anakinra", 200.0, "mg", "iv", 72.0, 8.0, 3)
    >>> r.spec
    'anakinra:200mg@72,every=8,n=3,route=iv'
    >>> r.doses_between(70.0, 90.0)
    ['anakinra:200mg@72,route=iv', 'anakinra:200mg@80,route=iv', 'anakinra:200mg@88,route=iv']
    """

    therapy: str
    dose: float
    unit: str
    route: str
    start_hours: float
    interval_hours: float | None
    n_doses: int

    @property
    def amount(self) -> str:
        """The dose as grammar text (``"200mg"``)."""
        return f"{self.dose:g}{self.unit}"

    @property
    def spec(self) -> str:
        """The dose specification ``THERAPY:AMOUNTUNIT@HOURS[,every=H,n=N],route=R``."""
        head = f"{self.therapy}:{self.amount}@{self.start_hours:g}"
        if self.n_doses > 1 and self.interval_hours is not None:
            head += f",every={self.interval_hours:g},n={self.n_doses}"
        return head + f",route={self.route}"

    @property
    def times(self) -> list[float]:
        """Hours (since time zero) of every dose."""
        step = self.interval_hours or 0.0
        return [self.start_hours + k * step for k in range(self.n_doses)]

    @property
    def total(self) -> float:
        """Total amount over the course (in ``unit``)."""
        return self.dose * self.n_doses

    def doses_between(self, t_from: float, t_to: float) -> list[str]:
        """Each dose given in ``[t_from, t_to)`` as its own single-dose specification."""
        return [
            f"{self.therapy}:{self.amount}@{t:g},route={self.route}"
            for t in self.times
            if t_from - 1e-9 <= t < t_to - 1e-9
        ]

    def describe(self) -> str:
        """One line: ``anakinra 200 mg iv every 8 h x 3 from 72 h``."""
        course = (
            f"every {self.interval_hours:g} h x {self.n_doses}"
            if self.n_doses > 1 and self.interval_hours is not None
            else "once"
        )
        return (
            f"{self.therapy} {self.dose:g} {self.unit} {self.route} {course} "
            f"from {self.start_hours:g} h"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields and the dose specification."""
        return {
            "therapy": self.therapy,
            "dose": self.dose,
            "unit": self.unit,
            "route": self.route,
            "start_hours": self.start_hours,
            "interval_hours": self.interval_hours,
            "n_doses": self.n_doses,
            "spec": self.spec,
            "text": self.describe(),
        }


def parse_regimen(spec: str) -> Regimen:
    """A :class:`Regimen` from a bolus dose specification (``regimen_spec``'s output).

    Raises ``ValueError`` for a rate (``over=``) or a specification it cannot read.

    Examples
    --------
    >>> parse_regimen("interferon_gamma:100ug@30,every=48,n=8,route=sc").n_doses
    8
    """
    m = _SPEC.match(spec.strip())
    if m is None:
        raise ValueError(f"dose specification {spec!r} is not THERAPY:AMOUNTUNIT@HOURS[,...]")
    opts = dict(
        kv.split("=", 1) for kv in spec.strip()[m.end() :].strip(",").split(",") if "=" in kv
    )
    if "over" in opts or "-" in m["at"]:
        raise ValueError(f"{spec}: a rate (infusion over hours) is not optimised")
    every = float(opts["every"]) if "every" in opts else None
    return Regimen(
        m["therapy"],
        float(m["amount"]),
        m["unit"].strip(),
        opts.get("route", "iv"),
        float(m["at"]),
        every,
        int(opts.get("n", 1)),
    )


@dataclass(frozen=True)
class DoseSpace:
    """Bounds of one therapy's regimen (see the module docstring).

    Attributes
    ----------
    therapy, unit, route : str
        What is given and how (the recommended regimen's unit and route).
    reference : Regimen
        The rule-based regimen (the recommendation's, started at the end of the data).
    dose_low, dose_high : float
        Studied dose range (``unit``).
    interval_low, interval_high : float or None
        Interval range (hours); ``None`` for a single-dose therapy.
    max_doses : int
        Most doses (studied course, and as many as fit in the horizon).
    start_low, start_high : float
        Earliest and latest start (hours since time zero).
    horizon_end : float
        Every dose is given before this hour.
    studied_total : float
        Total amount of the studied course (for the exposure penalty).
    label : str
        The recommended regimen's label.
    """

    therapy: str
    unit: str
    route: str
    reference: Regimen
    dose_low: float
    dose_high: float
    interval_low: float | None
    interval_high: float | None
    max_doses: int
    start_low: float
    start_high: float
    horizon_end: float
    studied_total: float
    label: str = ""

    @property
    def variables(self) -> tuple[str, ...]:
        """The free decision variables (those whose range is not a single value)."""
        out = []
        if self.dose_high > self.dose_low:
            out.append("dose")
        if self.start_high > self.start_low:
            out.append("start")
        if self.max_doses > 1:
            out.append("n_doses")
            if (
                self.interval_low is not None
                and self.interval_high is not None
                and self.interval_high > self.interval_low
            ):
                out.append("interval")
        return tuple(out)

    def decode(self, x: Sequence[float] | FloatArray) -> Regimen:
        """The regimen at point ``x`` of the unit cube (one coordinate per variable)."""
        u = dict(zip(self.variables, np.clip(np.asarray(x, dtype=float), 0.0, 1.0), strict=False))
        dose = self.dose_low + u.get("dose", 1.0) * (self.dose_high - self.dose_low)
        dose = float(f"{dose:.3g}")
        start = self.start_low + u.get("start", 0.0) * (self.start_high - self.start_low)
        start = float(math.floor(start / START_STEP_HOURS) * START_STEP_HOURS)
        start = min(max(start, self.start_low), self.start_high)
        interval = self.interval_low
        if interval is not None and self.interval_high is not None:
            interval = interval + u.get("interval", 0.0) * (self.interval_high - interval)
            interval = float(round(interval))
        n = 1 + round(u.get("n_doses", 1.0) * (self.max_doses - 1))
        if self.studied_total > 0:
            # Never more drug in all than the largest studied course.
            n = max(1, min(n, math.floor(self.studied_total / dose + 1e-9)))
        if interval is not None and n > 1:
            fit = math.floor((self.horizon_end - 1e-9 - start) / interval) + 1
            n = max(1, min(n, fit))
        return Regimen(
            self.therapy,
            dose,
            self.unit,
            self.route,
            start,
            interval if n > 1 else self.reference.interval_hours,
            n,
        )

    def encode(self, r: Regimen) -> FloatArray:
        """The point of the unit cube closest to ``r`` (inverse of :meth:`decode`)."""

        def frac(v: float, lo: float, hi: float) -> float:
            return float(np.clip((v - lo) / (hi - lo), 0.0, 1.0)) if hi > lo else 0.0

        x = {
            "dose": frac(r.dose, self.dose_low, self.dose_high),
            "start": frac(r.start_hours, self.start_low, self.start_high),
            "n_doses": frac(r.n_doses, 1, self.max_doses),
            "interval": frac(
                r.interval_hours or 0.0, self.interval_low or 0.0, self.interval_high or 0.0
            ),
        }
        return np.array([x[v] for v in self.variables], dtype=float)

    def exposure(self, r: Regimen) -> float:
        """Total amount of ``r`` as a fraction of the studied course."""
        return float(r.total / self.studied_total) if self.studied_total > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The bounds, JSON-ready."""
        return {
            "therapy": self.therapy,
            "unit": self.unit,
            "route": self.route,
            "dose": [self.dose_low, self.dose_high],
            "interval_hours": None
            if self.interval_low is None
            else [self.interval_low, self.interval_high],
            "max_doses": self.max_doses,
            "start_hours": [self.start_low, self.start_high],
            "variables": list(self.variables),
            "reference": self.reference.spec,
        }


def _comparable(therapy: str, reference: Regimen) -> list[tuple[Regimen, float]]:
    """Studied regimens of ``therapy`` with the reference's route and unit, each with the
    upper end of its dose range (its dose when it states no range)."""
    from sepsistwin.evidence import load_evidence
    from sepsistwin.twin import regimen_spec

    out = []
    for reg in load_evidence().therapy(therapy).regimens:
        try:
            r = parse_regimen(regimen_spec(therapy, reg.id, 0.0))
        except (ValueError, KeyError):
            continue
        if r.route != reference.route or r.unit != reference.unit:
            continue
        upper = r.dose
        if reg.dose.upper is not None and reg.dose.value > 0:
            upper = r.dose * reg.dose.upper / reg.dose.value
        out.append((r, upper))
    return out


def dose_space(
    therapy: str,
    reference_spec: str,
    *,
    horizon_end: float,
    latest_start: float | None = None,
    label: str = "",
) -> DoseSpace:
    """The decision space of ``therapy`` around its recommended regimen ``reference_spec``
    (started at the earliest decision time), every dose before ``horizon_end``.

    Examples
    --------
    >>> s = dose_space("nivolumab", "nivolumab:480mg@72,route=iv", horizon_end=240.0)
    >>> s.dose_low, s.dose_high, s.max_doses, s.variables
    (20.0, 960.0, 1, ('dose', 'start'))
    """
    ref = parse_regimen(reference_spec)
    studied = _comparable(therapy, ref) or [(ref, ref.dose)]
    dose_low = min(r.dose for r, _ in studied)
    dose_high = max(u for _, u in studied)
    intervals = [r.interval_hours for r, _ in studied if r.interval_hours and r.n_doses > 1]
    max_studied_n = max(r.n_doses for r, _ in studied)
    t0 = ref.start_hours
    start_high = horizon_end - 1.0
    if latest_start is not None:
        start_high = min(start_high, latest_start)
    start_high = max(t0, float(math.floor(start_high)))
    i_lo: float | None = None
    i_hi: float | None = None
    if intervals and max_studied_n > 1:
        i_lo, i_hi = min(intervals), INTERVAL_STRETCH * max(intervals)
        fit = math.floor((horizon_end - 1e-9 - t0) / i_lo) + 1
        max_n = max(1, min(max_studied_n, fit))
    else:
        max_n = 1
    studied_total = max(u * r.n_doses for r, u in studied)
    return DoseSpace(
        therapy,
        ref.unit,
        ref.route,
        ref,
        dose_low,
        dose_high,
        i_lo if max_n > 1 else None,
        i_hi if max_n > 1 else None,
        max_n,
        t0,
        start_high,
        horizon_end,
        studied_total,
        label,
    )


def lane_schedule(
    regimens: Sequence[Regimen | None],
    draws: int,
    weight: FloatArray,
) -> Schedule:
    """One schedule giving lane block ``j`` (lanes ``j*draws .. (j+1)*draws``) regimen
    ``regimens[j]`` (``None``: nothing), for a batch of ``len(regimens) * draws`` lanes.

    Each therapy's k-th dose is one dose entry with per-lane times and amounts (zero, at
    :data:`NEVER_HOURS`, in the lanes that do not give it), built from the model's dosing of
    one unit dose per lane (per-kg doses at each lane's weight) and scaled: dosing is linear
    in the amount.
    """
    from sepsistwin.model.pharmacology import therapy_schedule

    n_lanes = len(regimens) * draws
    weight = np.broadcast_to(np.asarray(weight, dtype=float), (n_lanes,))
    groups: dict[tuple[str, str, str], list[int]] = {}
    for j, r in enumerate(regimens):
        if r is not None:
            groups.setdefault((r.therapy, r.unit, r.route), []).append(j)
    doses: list[Bolus | Infusion] = []
    for (therapy, unit, route), blocks in groups.items():
        k_max = max(regimens[j].n_doses for j in blocks)  # type: ignore[union-attr]
        for k in range(k_max):
            # Lanes without this dose get it (with a zero amount) after the end of any
            # simulation, where the solver never stops for it: no restart, no cost.
            times = np.full(n_lanes, NEVER_HOURS)
            scale = np.zeros(n_lanes)
            for j in blocks:
                r = regimens[j]
                assert r is not None
                if k < r.n_doses:
                    sl = slice(j * draws, (j + 1) * draws)
                    times[sl] = r.times[k]
                    scale[sl] = r.dose
            unit_dose = therapy_schedule(
                therapy, f"1{unit}", times, route=route, n=1, weight_kg=weight
            )
            doses.extend(_scaled(d, scale) for d in unit_dose.doses)
    return Schedule(tuple(doses))


def _scaled(d: Bolus | Infusion, scale: FloatArray) -> Bolus | Infusion:
    if isinstance(d, Bolus):
        return Bolus(d.state, d.time, np.asarray(d.amount, dtype=float) * scale)
    return Infusion(d.state, d.start, d.duration, np.asarray(d.rate, dtype=float) * scale)


def spaces_from_options(
    options: Sequence[tuple[str, str, str]],
    *,
    horizon_end: float,
    latest_start: Mapping[str, float] | None = None,
) -> tuple[list[DoseSpace], list[str]]:
    """Decision spaces of the recommended options (``Twin.options()``); the second list
    names the options left out and why (a rate the optimiser does not vary)."""
    spaces, skipped = [], []
    for therapy, spec, label in options:
        try:
            spaces.append(
                dose_space(
                    therapy,
                    spec,
                    horizon_end=horizon_end,
                    latest_start=(latest_start or {}).get(therapy),
                    label=label,
                )
            )
        except ValueError as exc:
            skipped.append(f"{therapy}: {exc}")
    return spaces, skipped
