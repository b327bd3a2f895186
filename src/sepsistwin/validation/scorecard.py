"""The validation scorecard: published behaviours against paired virtual-cohort simulations.

Each behaviour of ``data/behaviours.yaml`` is a data entry: the therapy arms (doses in clinical
units, hours after infection onset), the cohort (the ``septic_shock`` preset's patients in
septic shock at screening, optionally one phenotype), a metric, the published value with its
source and the expected direction or range. Therapies are compared *paired*: the same virtual
patients (parameters, initial state and death draw) are simulated with and without the
therapy, so a difference of a few percentage points is the therapy's effect and not sampling
noise; the confidence interval is a bootstrap over patients.

A behaviour the model misses stays in the table as a miss: nothing here feeds back into a
parameter.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sepsistwin.data.yaml_schema import read_yaml, validate
from sepsistwin.model.pharmacology import therapy_schedule
from sepsistwin.population.calibrate import (
    HORIZON_H,
    SCREEN_H,
    base_model,
    expected_mortality,
    secondary_infection_incidence,
    tolerance_ratio,
    weighted_median,
)
from sepsistwin.population.sampler import VirtualPopulation, sample_population
from sepsistwin.population.screening import screen
from sepsistwin.solve import Schedule, SimulationResult

Metric = Literal[
    "mortality_difference",
    "difference_of_differences",
    "observable_median",
    "observable_fold",
    "tolerance_ratio",
    "death_share",
    "secondary_infection_ratio",
]
Role = Literal["constraint", "calibration", "held_out"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dose(_Strict):
    """One therapy regimen of an arm (:func:`sepsistwin.model.pharmacology.therapy_schedule`)."""

    therapy: str
    dose: str
    at: float = Field(..., ge=0, description="hours after infection onset")
    every: float | None = Field(None, gt=0)
    n: int = Field(1, ge=1)
    route: str | None = None
    over: float | None = Field(None, gt=0, description="infusion hours")


class Expected(_Strict):
    """The verdict rule: a range, or a direction (above / below a value)."""

    range: tuple[float, float] | None = None
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Expected:
        if sum(x is not None for x in (self.range, self.above, self.below)) != 1:
            raise ValueError("give exactly one of range, above, below")
        return self

    def holds(self, value: float) -> bool:
        """Whether ``value`` meets the rule."""
        if not np.isfinite(value):
            return False
        if self.range is not None:
            return self.range[0] <= value <= self.range[1]
        if self.above is not None:
            return value > self.above
        return value < float(self.below)  # type: ignore[arg-type]

    def text(self) -> str:
        """The rule as text, e.g. ``'in [-5, 3]'`` or ``'> 0'``."""
        if self.range is not None:
            return f"in [{self.range[0]:g}, {self.range[1]:g}]"
        if self.above is not None:
            return f"> {self.above:g}"
        return f"< {self.below:g}"


class Contrast(_Strict):
    """The second arm pair of a difference of differences."""

    treatment: list[Dose]
    control: list[Dose] = Field(default_factory=list)
    phenotypes: list[str] | None = None


class Selection(_Strict):
    """Select patients by an observable at a time (e.g. lymphopenic at 48 h)."""

    observable: str
    at: float
    below: float | None = None
    above: float | None = None


class Behaviour(_Strict):
    """One published behaviour and how the model is measured against it."""

    id: str
    behaviour: str
    source: str
    published: str
    role: Role
    metric: Metric
    unit: str
    expected: Expected
    treatment: list[Dose] = Field(default_factory=list)
    control: list[Dose] = Field(default_factory=list)
    phenotypes: list[str] | None = None
    versus: Contrast | None = None
    observable: str | None = None
    window: tuple[float, float] | None = None
    select: Selection | None = None
    miss_reason: str | None = Field(
        None, description="why the model misses it, shown beside a miss (the mechanism at fault)"
    )

    @model_validator(mode="after")
    def _complete(self) -> Behaviour:
        needs = {
            "mortality_difference": ("treatment",),
            "difference_of_differences": ("treatment", "versus"),
            "observable_median": ("treatment", "observable", "window"),
            "observable_fold": ("treatment", "observable", "window"),
            "death_share": ("window",),
        }.get(self.metric, ())
        missing = [k for k in needs if not getattr(self, k)]
        if missing:
            raise ValueError(f"metric {self.metric} needs {missing}")
        return self


def load_catalogue(path: str | Path | None = None) -> list[Behaviour]:
    """Read the behaviour catalogue (default: the packaged ``behaviours.yaml``).

    Examples
    --------
    >>> cat = load_catalogue()
    >>> len(cat) >= 10 and len({b.id for b in cat}) == len(cat)
    True
    """
    if path is None:
        p = Path(str(resources.files("sepsistwin.validation").joinpath("data/behaviours.yaml")))
    else:
        p = Path(path)
    raw = read_yaml(p, ValueError)
    if not isinstance(raw, list):
        raise ValueError(f"{p.name}: expected a list of behaviours")
    out = [
        validate(
            Behaviour,
            entry,
            p.name,
            ValueError,
            prefix=str(entry["id"]) if isinstance(entry, dict) and "id" in entry else f"[{i}]",
        )
        for i, entry in enumerate(raw)
    ]
    ids = [b.id for b in out]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        raise ValueError(f"{p.name}: duplicate behaviour ids {dup}")
    return out


@dataclass
class Verdict:
    """The model's value for one behaviour."""

    behaviour: Behaviour
    value: float
    ci: tuple[float, float]
    n: int
    passed: bool
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        b = self.behaviour
        return {
            "id": b.id,
            "behaviour": b.behaviour,
            "role": b.role,
            "source": b.source,
            "published": b.published,
            "expected": b.expected.text(),
            "unit": b.unit,
            "model": self.value,
            "ci95": list(self.ci),
            "n_patients": self.n,
            "verdict": "pass" if self.passed else "miss",
            "note": self.note,
            "miss_reason": None if self.passed else self.behaviour.miss_reason,
        }


@dataclass
class Cohort:
    """The screened septic-shock cohort and its untreated simulation."""

    pop: VirtualPopulation
    time: NDArray[np.float64]
    phenotype: NDArray[Any]
    weight: NDArray[np.float64]  # P(alive at screening), cohort members only (others 0)
    base: SimulationResult
    cache: dict[str, SimulationResult] = field(default_factory=dict)

    def members(self, phenotypes: Sequence[str] | None) -> NDArray[np.bool_]:
        """Cohort members, optionally of the given phenotypes at screening."""
        m = self.weight > 0
        if phenotypes:
            m &= np.isin(self.phenotype, list(phenotypes))
        return m


def _schedule(doses: Sequence[Dose], pop: VirtualPopulation) -> Schedule:
    sched = Schedule()
    for d in doses:
        sched = sched + therapy_schedule(
            d.therapy,
            d.dose,
            d.at,
            route=d.route,
            every=d.every,
            n=d.n,
            weight_kg=pop.weight_kg,
            over_hours=d.over,
        )
    return sched


def build_cohort(size: int, seed: int) -> Cohort:
    """Sample the ``septic_shock`` preset, simulate it untreated and screen it at 24 h."""
    pop = sample_population(size, "septic_shock", seed=seed)
    t = np.arange(0.0, HORIZON_H + 1.0, 2.0)
    base = _run(pop, t, Schedule())
    s = screen(base, SCREEN_H, seed=seed)
    shock = s["septic_shock"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    i0 = int(np.argmin(np.abs(t - SCREEN_H)))
    alive = np.exp(-np.atleast_2d(base.states["HZ"])[:, i0])
    return Cohort(pop, t, s["phenotype"].to_numpy(dtype=object), alive * shock, base)


def _run(pop: VirtualPopulation, t: NDArray[np.float64], doses: Schedule) -> SimulationResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return pop.simulate(t, doses=doses, model=base_model())


def _arm(c: Cohort, doses: Sequence[Dose]) -> SimulationResult:
    if not doses:
        return c.base
    key = repr([d.model_dump() for d in doses])
    if key not in c.cache:
        c.cache[key] = _run(c.pop, c.time, _schedule(doses, c.pop))
    return c.cache[key]


def _mortality(c: Cohort, r: SimulationResult) -> NDArray[np.float64]:
    return expected_mortality(np.atleast_2d(r.states["HZ"]), c.time)


def _boot(
    stat: Callable[[NDArray[np.int64]], float], n: int, rng: np.random.Generator, reps: int
) -> tuple[float, float]:
    vals = [stat(rng.integers(0, n, n)) for _ in range(reps)]
    lo, hi = np.nanpercentile(vals, [2.5, 97.5])
    return float(lo), float(hi)


def _wdiff(
    c: Cohort, doses: Sequence[Dose], control: Sequence[Dose], phen: Sequence[str] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-patient paired mortality differences (pp) and weights of the selected members."""
    m = c.members(phen)
    d = 100.0 * (_mortality(c, _arm(c, doses)) - _mortality(c, _arm(c, control)))
    return d[m], c.weight[m]


def _wmean(x: NDArray[np.float64], w: NDArray[np.float64]) -> float:
    s = float(np.sum(w))
    return float(np.sum(w * x) / s) if s > 0 else float("nan")


def evaluate(b: Behaviour, c: Cohort, reps: int = 200, seed: int = 0) -> Verdict:
    """Measure behaviour ``b`` on cohort ``c``."""
    rng = np.random.default_rng(seed)
    if b.metric == "mortality_difference":
        d, w = _wdiff(c, b.treatment, b.control, b.phenotypes)
        if d.size == 0:
            return Verdict(b, float("nan"), (np.nan, np.nan), 0, False, "no patient in cohort")
        ci = _boot(lambda i: _wmean(d[i], w[i]), d.size, rng, reps)
        v = _wmean(d, w)
        return Verdict(b, v, ci, int(d.size), b.expected.holds(v))
    if b.metric == "difference_of_differences":
        assert b.versus is not None
        d1, w1 = _wdiff(c, b.treatment, b.control, b.phenotypes)
        d2, w2 = _wdiff(c, b.versus.treatment, b.versus.control, b.versus.phenotypes)
        if d1.size == 0 or d2.size == 0:
            return Verdict(b, float("nan"), (np.nan, np.nan), 0, False, "empty subgroup")
        v = _wmean(d1, w1) - _wmean(d2, w2)
        r2 = np.random.default_rng(seed + 1)
        a = [_wmean(d1[i], w1[i]) for i in (rng.integers(0, d1.size, d1.size) for _ in range(reps))]
        bb = [_wmean(d2[i], w2[i]) for i in (r2.integers(0, d2.size, d2.size) for _ in range(reps))]
        lo, hi = np.nanpercentile(np.array(a) - np.array(bb), [2.5, 97.5])
        note = f"{_wmean(d1, w1):+.1f} pp vs {_wmean(d2, w2):+.1f} pp"
        n = int(d1.size + d2.size)
        return Verdict(b, v, (float(lo), float(hi)), n, b.expected.holds(v), note)
    if b.metric in ("observable_median", "observable_fold"):
        assert b.observable is not None and b.window is not None
        r = _arm(c, b.treatment)
        m = c.members(b.phenotypes)
        if b.select is not None:
            i = int(np.argmin(np.abs(c.time - b.select.at)))
            x = np.atleast_2d(c.base.observables[b.select.observable])[:, i]
            if b.select.below is not None:
                m &= x <= b.select.below
            if b.select.above is not None:
                m &= x >= b.select.above
        y = np.atleast_2d(r.observables[b.observable])
        i0, i1 = (int(np.argmin(np.abs(c.time - h))) for h in b.window)
        vals = y[m, i1] / y[m, i0] if b.metric == "observable_fold" else y[m, i1]
        if vals.size == 0:
            return Verdict(b, float("nan"), (np.nan, np.nan), 0, False, "no patient selected")
        # Measured in the patients alive at the end of the window, as a study measures them.
        alive = np.exp(-np.atleast_2d(r.states["HZ"])[m, i1])
        v = weighted_median(vals, alive)
        ci = _boot(lambda i: weighted_median(vals[i], alive[i]), vals.size, rng, reps)
        return Verdict(b, v, ci, int(vals.size), b.expected.holds(v))
    if b.metric == "tolerance_ratio":
        from sepsistwin.population.calibrated import parameter_set

        v = tolerance_ratio(parameter_set("calibrated"), base_model())
        return Verdict(b, v, (v, v), 1, b.expected.holds(v), "deterministic (one subject)")
    if b.metric == "death_share":
        assert b.window is not None
        hz = np.atleast_2d(c.base.states["HZ"])
        i0, i1 = (int(np.argmin(np.abs(c.time - h))) for h in b.window)
        early = 1.0 - np.exp(-(hz[:, i1] - hz[:, i0]))
        tot = _mortality(c, c.base)
        m = c.members(b.phenotypes)
        e, t_, w = early[m], tot[m], c.weight[m]
        v = float(np.sum(w * e) / np.sum(w * t_))
        ci = _boot(lambda i: float(np.sum(w[i] * e[i]) / np.sum(w[i] * t_[i])), e.size, rng, reps)
        return Verdict(b, v, ci, int(e.size), b.expected.holds(v))
    if b.metric == "secondary_infection_ratio":
        hz = np.atleast_2d(c.base.states["HZ"])
        inc = secondary_infection_incidence(c.base, hz)
        ip, mid = c.members(["immunoparalysis"]), c.members(["intermediate"])

        def ratio(i: NDArray[np.int64] | None = None) -> float:
            a, bm = (ip, mid) if i is None else (ip[i], mid[i])
            x, w = (inc, c.weight) if i is None else (inc[i], c.weight[i])
            den = _wmean(x[bm], w[bm])
            return _wmean(x[a], w[a]) / den if den > 0 else float("inf")

        v = ratio()
        ci = _boot(ratio, inc.size, rng, reps)
        note = (
            f"immunoparalysis {_wmean(inc[ip], c.weight[ip]):.1%}, "
            f"intermediate {_wmean(inc[mid], c.weight[mid]):.1%}"
        )
        return Verdict(b, v, ci, int(ip.sum() + mid.sum()), b.expected.holds(v), note)
    raise ValueError(f"behaviour {b.id}: unknown metric {b.metric}")  # pragma: no cover


@dataclass
class Scorecard:
    """Verdicts of a validation run."""

    verdicts: list[Verdict]
    size: int
    seed: int
    cohort_size: int

    @property
    def passed(self) -> int:
        """Number of behaviours met."""
        return sum(v.passed for v in self.verdicts)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "population_size": self.size,
            "seed": self.seed,
            "septic_shock_cohort": self.cohort_size,
            "passed": self.passed,
            "total": len(self.verdicts),
            "behaviours": [v.as_dict() for v in self.verdicts],
        }


def run_scorecard(
    size: int = 4000,
    seed: int = 11,
    ids: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Scorecard:
    """Evaluate the catalogue on a seeded virtual population.

    Examples
    --------
    >>> card = run_scorecard(size=300, ids=["leentjens2012_tolerance"])  # doctest: +SKIP
    >>> card.verdicts[0].behaviour.id  # doctest: +SKIP
    'leentjens2012_tolerance'
    """
    cat = load_catalogue()
    if ids:
        unknown = sorted(set(ids) - {b.id for b in cat})
        if unknown:
            raise ValueError(f"unknown behaviour ids {unknown}; known: {[b.id for b in cat]}")
        cat = [b for b in cat if b.id in ids]
    c = build_cohort(size, seed)
    out = []
    for k, b in enumerate(cat):
        if progress is not None:
            progress(f"[{k + 1}/{len(cat)}] {b.id}")
        out.append(evaluate(b, c, seed=seed))
    return Scorecard(out, size, seed, int(np.sum(c.weight > 0)))


def markdown(card: Scorecard, command: str = "sepsistwin validate") -> str:
    """The scorecard as the markdown of docs/validation.md."""

    def fmt(x: float) -> str:
        return "n/a" if not np.isfinite(x) else (f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}")

    lines = [
        "# Validation scorecard",
        "",
        f"Written by `{command}` (population {card.size}, seed {card.seed}; "
        f"{card.cohort_size} virtual patients in septic shock at screening). "
        f"**{card.passed} of {len(card.verdicts)} behaviours met.**",
        "",
        "Each row is an entry of `src/sepsistwin/validation/data/behaviours.yaml`: a published "
        "behaviour, the metric measured on paired virtual-cohort simulations (the same "
        "patients with and without the therapy, from the `septic_shock` preset's septic-shock "
        "cohort at screening, 24 h after infection onset), the model value with a 95% "
        "bootstrap interval over patients, and the verdict. Role: `constraint` = structure "
        "the model was built to express; `calibration` = a calibration target "
        "(docs/calibration.md); `held_out` = kept aside, never used to set a parameter. A "
        "miss stays in the table. Mortality differences are treatment minus control in "
        "percentage points (negative = benefit); biomarker medians and folds are taken over "
        "the patients alive at the time of measurement (weighted by the probability of "
        "being alive then), as a study measures them. Research software: decision support, never "
        "a clinical order.",
        "",
        "| behaviour | role | source | published | expected | model (95% CI) | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in card.verdicts:
        b = v.behaviour
        note = f"; {v.note}" if v.note else ""
        verdict = "pass" if v.passed else "**miss**"
        if not v.passed:
            verdict += f": {b.miss_reason}" if b.miss_reason else ": reason not yet analysed"
        lines.append(
            f"| {b.behaviour} (`{b.id}`) | {b.role} | {b.source} | {b.published} | "
            f"{b.expected.text()} {b.unit} | {fmt(v.value)} ({fmt(v.ci[0])} to "
            f"{fmt(v.ci[1])}; n={v.n}{note}) | {verdict} |"
        )
    return "\n".join(lines) + "\n"
