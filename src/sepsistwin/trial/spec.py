"""Trial specification: a YAML file validated against a schema, errors naming the line and key.

The keys of the issue's example are the contract (``name, seed, population, screening,
enrollment, background, arms, follow_up_days``); ``randomization`` (stratification and block
size) and ``counterfactual`` (paired mode) are optional additions. See docs/trials.md.

Examples
--------
>>> spec = parse_spec('''
... name: tiny
... seed: 1
... population: {size: 100}
... screening: {at_hours: 24}
... arms:
...   - {name: placebo, therapies: []}
...   - {name: anakinra, therapies: [{therapy: anakinra, dose: 200 mg, route: iv}]}
... ''')
>>> spec.arms[1].therapies[0].dose.value, spec.follow_up_days
(200.0, 28)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sepsistwin.clinical import PHENOTYPES
from sepsistwin.clinical.windows import rule_window_problem
from sepsistwin.data.errors import InputError
from sepsistwin.data.yaml_schema import load_yaml_text, read_yaml_text, validation_messages
from sepsistwin.dosing import (
    MAX_REPEATS,
    MG_PER_MASS_UNIT,
    Amount,
    drug_rate,
    parse_amount,
    parse_concentration,
)
from sepsistwin.evidence import THERAPY_IDS
from sepsistwin.trial.rules import Rule, parse_rule

#: Routes accepted in a therapy entry (lower-case spelling -> the evidence base's spelling).
ROUTES: dict[str, str] = {
    "iv": "IV",
    "sc": "SC",
    "im": "IM",
    "oral": "oral",
    "po": "oral",
    "enteral": "enteral",
    "rectal": "rectal",
    "ex_vivo": "ex_vivo",
}

#: Variables a stratification may use (columns of the screening assessment).
STRATIFY_BY = ("phenotype", "immune_state", "septic_shock")


class TrialSpecError(InputError):
    """A trial specification is invalid; ``errors`` lists one message per problem.

    Each message reads ``FILE: line L: key.path: what is wrong; what was expected``. An
    :class:`~sepsistwin.data.InputError` (so a ``ValueError``), like every input problem.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        source = self.errors[0].split(":", 1)[0] if self.errors else None
        super().__init__("invalid trial specification:\n  " + "\n  ".join(self.errors), file=source)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dose(_Strict):
    """An amount with its unit, read from text such as ``"200 mg"`` or ``"4 ug/kg"``.

    The text follows the dose grammar of :mod:`sepsistwin.dosing`. A rate (``"2 mg/kg/h"``,
    ``"0.1 ug/kg/min"``, ``"10 mL/h"``) is held per hour (``per_hour``; per-minute rates x 60),
    and ``text`` is what the model is given.

    Examples
    --------
    >>> Dose.from_text("0.1 ug/kg/min").text
    '6 ug/kg/h'
    """

    value: float
    unit: str
    text: str
    per_hour: bool = False

    @classmethod
    def from_text(cls, text: Any) -> Dose:
        """Read ``"<number> <unit>"`` (:func:`sepsistwin.dosing.parse_amount`).

        Examples
        --------
        >>> Dose.from_text("1 g").mg, Dose.from_text("100 µg").unit
        (1000.0, 'ug')
        """
        return cls.from_amount(parse_amount(text))

    @classmethod
    def from_amount(cls, amount: Amount) -> Dose:
        """The spec's record of a parsed amount (rates in their canonical per-hour text)."""
        if amount.is_rate:
            return cls(
                value=amount.value, unit=amount.unit_text, text=amount.canonical, per_hour=True
            )
        return cls(value=amount.value, unit=amount.unit_text, text=amount.text)

    @property
    def mg(self) -> float | None:
        """The amount in mg for plain mass units (g, mg, ug, ng), else None."""
        f = MG_PER_MASS_UNIT.get(self.unit)
        return None if f is None else self.value * f


class TherapySpec(_Strict):
    """One therapy entry: what, how much, by which route, when and how often.

    ``start_hours`` counts from enrollment for arm therapies and from time zero (sepsis onset)
    for background therapies. ``doses`` administrations are given ``every_hours`` apart; with
    ``infusion_hours`` each administration is a constant-rate infusion of that length.

    ``dose`` may be a rate (``"2 mg/kg/h"``, ``"0.1 ug/kg/min"``): it then runs for
    ``infusion_hours`` (required). ``"10 mL/h"`` needs ``concentration`` (``"4 mg/mL"``) and
    becomes a rate of the drug (40 mg/h).
    """

    therapy: str
    dose: Dose
    route: str = "iv"
    start_hours: float = Field(0.0, ge=0)
    every_hours: float | None = Field(None, gt=0)
    doses: int = Field(1, ge=1, le=MAX_REPEATS)
    infusion_hours: float | None = Field(None, gt=0)
    concentration: str | None = None

    @field_validator("therapy")
    @classmethod
    def _known_therapy(cls, v: str) -> str:
        if v not in THERAPY_IDS:
            raise ValueError(
                f"{v!r} is not a therapy id of the evidence base; expected one of "
                f"{', '.join(THERAPY_IDS)}"
            )
        return v

    @field_validator("dose", mode="before")
    @classmethod
    def _parse_dose(cls, v: Any) -> Any:
        return v if isinstance(v, Dose | dict) else Dose.from_text(v)

    @field_validator("route", mode="before")
    @classmethod
    def _route(cls, v: Any) -> str:
        key = str(v).strip().lower()
        if key not in ROUTES:
            raise ValueError(f"route {v!r} not understood; expected one of {', '.join(ROUTES)}")
        return ROUTES[key]

    @model_validator(mode="after")
    def _rate(self) -> TherapySpec:
        d = self.dose
        if d.unit == "mL/h":
            if self.concentration is None:
                raise ValueError(
                    f"dose '{d.text}' is a volume rate: give concentration (e.g. '4 mg/mL') "
                    "so it becomes a rate of the drug"
                )
            drug = drug_rate(
                parse_amount(d.text), parse_concentration(self.concentration, "concentration")
            )
            object.__setattr__(self, "dose", Dose.from_amount(drug))
        elif self.concentration is not None:
            raise ValueError(
                f"concentration is only used with a volume rate (mL/h); dose is '{d.text}'"
            )
        if self.dose.per_hour and self.infusion_hours is None:
            raise ValueError(
                f"dose '{self.dose.text}' is a rate: give infusion_hours (how long each "
                "infusion runs), e.g. infusion_hours: 72"
            )
        return self

    @model_validator(mode="after")
    def _repeat(self) -> TherapySpec:
        if self.doses > 1 and self.every_hours is None:
            raise ValueError(
                f"doses: {self.doses} administrations need every_hours (the interval between them)"
            )
        if (
            self.infusion_hours is not None
            and self.every_hours is not None
            and self.doses > 1
            and self.infusion_hours > self.every_hours
        ):
            raise ValueError(
                f"infusion_hours {self.infusion_hours} is longer than every_hours "
                f"{self.every_hours}: repeated infusions would overlap"
            )
        return self

    def administration_hours(self, origin: float = 0.0) -> list[float]:
        """Start times of every administration, in hours from ``origin``.

        Examples
        --------
        >>> TherapySpec(therapy="il7", dose="10 ug/kg", every_hours=24, doses=3
        ...             ).administration_hours(48.0)
        [48.0, 72.0, 96.0]
        """
        every = self.every_hours or 0.0
        return [origin + self.start_hours + k * every for k in range(self.doses)]


class PopulationSpec(_Strict):
    """Virtual population: how many patients and from which preset."""

    size: int = Field(..., ge=1, le=100_000_000)
    preset: str = "septic_shock"


class ScreeningSpec(_Strict):
    """When (hours from sepsis onset) every virtual patient is assessed for enrollment."""

    at_hours: float = Field(..., gt=0, le=24 * 30)


class EnrollmentSpec(_Strict):
    """Who is enrolled: phenotypes at screening and rules over assessed variables (all must hold).

    An empty ``phenotypes`` list enrolls every phenotype.
    """

    phenotypes: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("phenotypes")
    @classmethod
    def _phenotypes(cls, v: list[str]) -> list[str]:
        for p in v:
            if p not in PHENOTYPES:
                raise ValueError(
                    f"phenotype {p!r} unknown; expected one of {', '.join(PHENOTYPES)}"
                )
        if len(set(v)) != len(v):
            raise ValueError(f"phenotypes listed twice: {v}")
        return v

    @field_validator("rules", mode="before")
    @classmethod
    def _rules(cls, v: Any) -> Any:
        if not isinstance(v, list):
            raise ValueError(
                f"rules must be a list of texts such as 'lymphocytes <= 1.1', got {v!r}"
            )
        return [r if isinstance(r, Rule) else parse_rule(r) for r in v]


class RandomizationSpec(_Strict):
    """Randomisation: simple (default) or permuted blocks within strata.

    With ``stratify_by`` the patients of each stratum (within a chunk, so chunks stay
    independent) are allocated in permuted blocks of ``block_size`` (default: the sum of the
    allocations); allocations must then be whole numbers.
    """

    stratify_by: list[Literal["phenotype", "immune_state", "septic_shock"]] = Field(
        default_factory=list
    )
    block_size: int | None = Field(None, ge=1)


class TwinGuidedSpec(_Strict):
    """A twin-guided arm: every patient's doses are chosen by a closed loop on its twin.

    Each decision day (from the day of enrollment, ``decision_days`` days) the patient is
    observed as an ICU does (assay noise, missing values), its twin is fitted (then updated)
    with ``walkers`` MCMC walkers for ``burn`` + ``steps`` steps, the regimen is optimised
    over a ``horizon_days`` horizon with ``draws`` posterior draws, ``popsize`` candidates per
    therapy and ``generations`` CMA-ES generations, and the doses of the next 24 h are given
    (sepsistwin.control, docs/control.md). Convergence thresholds ``ess_min`` and ``rhat_max``
    apply to each fit; a day whose fit misses them gives no immunotherapy. With
    ``complete_last_plan`` (default) the last decision's plan is given to its end (a course is
    not cut off when the loop stops re-planning); without, nothing is given after the last
    decision day's 24 h.
    """

    decision_days: int = Field(3, ge=1, le=28)
    horizon_days: int = Field(7, ge=1, le=28)
    walkers: int = Field(24, ge=8, le=256)
    burn: int = Field(40, ge=1, le=2000)
    steps: int = Field(40, ge=10, le=5000)
    init_draws: int = Field(256, ge=16, le=8192)
    ess_min: float = Field(5.0, gt=0)
    rhat_max: float = Field(5.0, gt=1)
    draws: int = Field(24, ge=4, le=400)
    report_draws: int = Field(100, ge=4, le=400)
    popsize: int = Field(6, ge=2, le=64)
    generations: int = Field(6, ge=1, le=200)
    harm_cap: float = Field(0.10, ge=0, le=1)
    complete_last_plan: bool = True


class RandomDailySpec(_Strict):
    """A random-policy arm: each day from enrollment, for ``days`` days, one action drawn
    uniformly from the installed arm kind's action catalogue (``sepsistwin.control.gym``: the
    Gymnasium environment's actions, "nothing" included), its doses given over that day. A
    reference policy for learned and model-predictive ones (docs/control.md)."""

    days: int = Field(28, ge=1, le=90)


class ArmSpec(_Strict):
    """A trial arm: its allocation weight, fixed therapies and phenotype-guided therapies,
    or a twin-guided closed loop (``twin_guided``) or a random daily policy (``random_daily``),
    each exclusive of the others.

    A patient whose phenotype has no ``guided`` entry gets only ``therapies``.
    """

    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.+\- ]+$")
    allocation: float = Field(1.0, gt=0)
    therapies: list[TherapySpec] = Field(default_factory=list)
    guided: dict[str, list[TherapySpec]] = Field(default_factory=dict)
    twin_guided: TwinGuidedSpec | None = None
    random_daily: RandomDailySpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ArmSpec:
        for kind in ("twin_guided", "random_daily"):
            others = [
                k
                for k in ("therapies", "guided", "twin_guided", "random_daily")
                if k != kind and getattr(self, k)
            ]
            if getattr(self, kind) is not None and others:
                raise ValueError(
                    f"arm {self.name!r}: a {kind} arm chooses its own doses; remove its "
                    f"{' and '.join(others)} entries"
                )
        return self

    @field_validator("guided")
    @classmethod
    def _guided_keys(cls, v: dict[str, list[TherapySpec]]) -> dict[str, list[TherapySpec]]:
        for k in v:
            if k not in PHENOTYPES:
                raise ValueError(
                    f"guided: {k!r} is not a phenotype; expected one of {', '.join(PHENOTYPES)}"
                )
        return v

    def therapies_for(self, phenotype: str) -> list[TherapySpec]:
        """The therapies a patient of ``phenotype`` receives in this arm."""
        return [*self.therapies, *self.guided.get(phenotype, [])]


class TrialSpec(_Strict):
    """A validated trial specification (see :func:`load_spec`)."""

    name: str = Field(..., min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    seed: int = Field(..., ge=0, lt=2**63)
    population: PopulationSpec
    screening: ScreeningSpec
    enrollment: EnrollmentSpec = Field(default_factory=lambda: EnrollmentSpec())
    background: list[TherapySpec] = Field(default_factory=list)
    arms: list[ArmSpec] = Field(..., min_length=1)
    randomization: RandomizationSpec = Field(
        default_factory=lambda: RandomizationSpec(stratify_by=[], block_size=None)
    )
    follow_up_days: int = Field(28, ge=1, le=365)
    counterfactual: bool = False

    @model_validator(mode="after")
    def _cross_checks(self) -> TrialSpec:
        names = [a.name for a in self.arms]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"arms: names must be unique; repeated: {dup}")
        # The assessment window rule (sepsistwin.clinical.windows): screening may be at any
        # hour; only a rule over several days needs that many days with observations.
        for i, rule in enumerate(self.enrollment.rules):
            problem = rule_window_problem(rule.text, rule.for_days, self.screening.at_hours)
            if problem is not None:
                raise ValueError(f"enrollment.rules[{i}]: {problem}")
        if self.randomization.stratify_by:
            for a in self.arms:
                if a.allocation != int(a.allocation):
                    raise ValueError(
                        f"arms: stratified (block) randomisation needs whole-number "
                        f"allocations; arm {a.name!r} has {a.allocation:g}"
                    )
            total = int(sum(a.allocation for a in self.arms))
            bs = self.randomization.block_size
            if bs is not None and bs % total:
                raise ValueError(
                    f"randomization.block_size {bs} must be a multiple of the sum "
                    f"of the allocations ({total})"
                )
        return self

    @property
    def arm_names(self) -> list[str]:
        """Arm names in spec order (the first is the reference of every comparison)."""
        return [a.name for a in self.arms]

    def with_size(self, size: int | None) -> TrialSpec:
        """A copy with ``population.size`` replaced (``None`` keeps it)."""
        if size is None:
            return self
        if isinstance(size, bool) or int(size) != size or size < 1:
            raise TrialSpecError([f"size: expected a positive integer, got {size!r}"])
        pop = self.population.model_copy(update={"size": int(size)})
        return self.model_copy(update={"population": pop})

    def canonical(self) -> dict[str, Any]:
        """A JSON-ready dict that identifies the trial (rules as their text)."""
        return json.loads(self.model_dump_json())

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`canonical` (hex), part of a run's identity."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# --- YAML with line numbers -----------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _node_lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            out[(*path, key)] = k.start_mark.line + 1
            _node_lines(v, (*path, key), out)
            out[(*path, key)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _node_lines(v, (*path, i), out)


def _line_of(loc: Sequence[str | int], lines: Mapping[Path_, int]) -> int | None:
    p: Path_ = tuple(loc)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get(())


def parse_spec(text: str, source: str = "<spec>") -> TrialSpec:
    """Validate YAML text as a :class:`TrialSpec`; :class:`TrialSpecError` names line and key.

    Examples
    --------
    >>> try:
    ...     parse_spec("name: x\\nseed: 1\\npopulation: {size: -5}\\nscreening: {at_hours: 24}\\n"
    ...                "arms: [{name: a}]")
    ... except TrialSpecError as e:
    ...     print(e.errors[0])
    <spec>: line 3: population.size: Input should be greater than or equal to 1 (got -5)
    """
    data, node = load_yaml_text(text, source, _one_line_spec_error, line_first=True)
    if not isinstance(data, dict):
        raise TrialSpecError(
            [
                f"{source}: expected a mapping of keys (name, seed, population, "
                f"screening, arms, ...), got {type(data).__name__}"
            ]
        )
    lines: dict[Path_, int] = {}
    if node is not None:
        _node_lines(node, (), lines)
    try:
        return TrialSpec.model_validate(data)
    except ValidationError as e:
        raise TrialSpecError(
            validation_messages(
                e,
                source,
                line_of=lambda loc: _line_of(
                    [p for p in loc if not (isinstance(p, str) and p.startswith("function-"))],
                    lines,
                ),
                unknown_key_hint="check its spelling (see docs/trials.md for the keys)",
            )
        ) from None


def _one_line_spec_error(message: str) -> TrialSpecError:
    return TrialSpecError([message])


def load_spec(spec: str | Path | Mapping[str, Any] | TrialSpec) -> TrialSpec:
    """Load a trial specification from a YAML file, an example name, a mapping or a spec.

    A string that is not an existing file but names a shipped example (see
    :func:`sepsistwin.trial.examples.list_examples`) loads that example.

    Examples
    --------
    >>> load_spec("provide-like").arms[1].name
    'guided'
    """
    if isinstance(spec, TrialSpec):
        return spec
    if isinstance(spec, Mapping):
        return parse_spec(yaml.safe_dump(dict(spec), sort_keys=False), "<mapping>")
    path = Path(spec)
    if not path.exists():
        from sepsistwin.trial.examples import example_spec_path, list_examples

        if str(spec) in list_examples():
            path = example_spec_path(str(spec))
        else:
            raise FileNotFoundError(
                f"trial spec {str(spec)!r}: no such file and not an example "
                f"trial; examples: {', '.join(list_examples())}"
            )
    return parse_spec(read_yaml_text(path, _one_line_spec_error), str(path))
