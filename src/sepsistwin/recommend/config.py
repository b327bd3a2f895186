"""Rule configuration of the recommendation engine (``rules.yaml``), validated on load.

Every threshold has a value, unit, comparison, source (a citation key of the evidence base) and
status. Loading cross-checks the rules against the evidence base: therapy ids, regimens, trials,
evidence levels, pharmacology labels and citation keys must all exist.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sepsistwin.data.yaml_schema import read_yaml, validate
from sepsistwin.evidence import EvidenceBase, EvidenceLevel, Status, load_evidence

RULES_PATH = Path(__file__).parent / "rules.yaml"


class RulesError(ValueError):
    """``rules.yaml`` (or an override file) does not match the schema or the evidence base."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Threshold(_Strict):
    """A rule threshold with its source."""

    value: float
    unit: str
    comparison: Literal[">", ">=", "<", "<="]
    source: str
    status: Status
    note: str | None = None

    def holds(self, x: float | None) -> bool:
        """Whether ``x`` meets the threshold (``False`` for a missing value).

        Examples
        --------
        >>> Threshold(value=1.5, unit="x10^9/L", comparison="<", source="immunosep",
        ...           status="VERIFIED").holds(1.49)
        True
        """
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        if self.comparison == ">":
            return x > self.value
        if self.comparison == ">=":
            return x >= self.value
        if self.comparison == "<":
            return x < self.value
        return x <= self.value

    def text(self) -> str:
        """e.g. ``> 4,420 ng/mL``."""
        v = f"{int(self.value):,}" if float(self.value).is_integer() else f"{self.value:g}"
        return f"{self.comparison} {v} {self.unit}"


class Rule(_Strict):
    """One therapy path: when it fires (engine code, by id) and what it proposes (data)."""

    id: str
    therapy: str
    regimen: str
    priority: int = Field(ge=1)
    trials: list[str] = Field(min_length=1)
    evidence_level: EvidenceLevel
    strength: Literal["moderate", "low", "very_low"]
    strength_reason: str
    description: str
    thresholds: list[str] = Field(default_factory=list)
    pharmacology_warnings: list[str] = Field(default_factory=list)
    timing_check: str | None = None


class ContraindicationCheck(_Strict):
    """A check of the patient's data against a threshold for some therapies."""

    id: str
    variable: str
    threshold: str
    applies_to: list[str] = Field(min_length=1)
    effect: Literal["exclude", "caution"]
    description: str


class MeasureNext(_Strict):
    """Why a missing variable should be measured."""

    reason: str
    source: str


class EndotypeFinding(_Strict):
    """A number behind an endotype rule, with its status."""

    text: str
    value: float
    ci: list[float] | None = None
    denominator: int | None = None
    status: Status
    note: str | None = None


class EndotypeEvidence(_Strict):
    """A transcriptomic endotype read as evidence (``sepsistwin.omics`` columns)."""

    id: str
    column: str
    endotype: str
    effect: Literal["supports", "caution"]
    applies_to: list[str] = Field(default_factory=list)
    source: str
    status: Status
    description: str
    findings: list[EndotypeFinding] = Field(default_factory=list)


class RuleSet(_Strict):
    """The whole configuration."""

    thresholds: dict[str, Threshold]
    rules: list[Rule]
    contraindications: list[ContraindicationCheck] = Field(default_factory=list)
    measure_next: dict[str, MeasureNext] = Field(default_factory=dict)
    endotype_evidence: list[EndotypeEvidence] = Field(default_factory=list)

    def threshold(self, name: str) -> Threshold:
        """The threshold called ``name``."""
        try:
            return self.thresholds[name]
        except KeyError:
            raise RulesError(
                f"unknown threshold {name!r}; expected one of {sorted(self.thresholds)}"
            ) from None


def load_rules(path: Path | str | None = None, *, evidence: EvidenceBase | None = None) -> RuleSet:
    """Load and validate the rules, cross-checked against the evidence base.

    Parameters
    ----------
    path
        A rules YAML file; the packaged ``rules.yaml`` when omitted.
    evidence
        The evidence base to check against (the packaged one when omitted).

    Raises
    ------
    RulesError
        Naming the file and key, e.g. ``rules.yaml: rules[0].regimen: ...``.

    Examples
    --------
    >>> rs = load_rules()
    >>> rs.threshold("neutrophils_min").text()
    '< 1.5 x10^9/L'
    """
    from sepsistwin.recommend.engine import RULE_CONDITIONS  # the ids the engine implements

    p = Path(path) if path is not None else RULES_PATH
    rs = validate(RuleSet, read_yaml(p, RulesError), p.name, RulesError)
    ev = evidence or load_evidence()
    _cross_check(rs, ev, p.name, set(RULE_CONDITIONS))
    return rs


def _cross_check(rs: RuleSet, ev: EvidenceBase, fname: str, implemented: set[str]) -> None:
    def err(where: str, msg: str) -> RulesError:
        return RulesError(f"{fname}: {where}: {msg}")

    for name, th in rs.thresholds.items():
        if th.source not in ev.citations:
            raise err(f"thresholds.{name}.source", f"unknown citation key {th.source!r}")
    seen: set[str] = set()
    for i, rule in enumerate(rs.rules):
        where = f"rules[{i}]"
        if rule.id in seen:
            raise err(f"{where}.id", f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        if rule.id not in implemented:
            raise err(
                f"{where}.id",
                f"no engine condition for {rule.id!r}; expected one of {sorted(implemented)}",
            )
        if rule.therapy not in ev.therapies:
            raise err(f"{where}.therapy", f"unknown therapy {rule.therapy!r}")
        therapy = ev.therapy(rule.therapy)
        if rule.regimen not in {r.id for r in therapy.regimens}:
            raise err(f"{where}.regimen", f"{rule.therapy} has no regimen {rule.regimen!r}")
        levels = set()
        for tid in rule.trials:
            if tid not in therapy.trial_ids():
                raise err(f"{where}.trials", f"{rule.therapy} has no trial {tid!r}")
            levels.add(therapy.trial(tid).level)
        if rule.evidence_level not in levels:
            raise err(
                f"{where}.evidence_level",
                f"{rule.evidence_level.value!r} is not the level "
                f"of any listed trial ({sorted(x.value for x in levels)})",
            )
        for name in [*rule.thresholds, *([rule.timing_check] if rule.timing_check else [])]:
            if name not in rs.thresholds:
                raise err(f"{where}.thresholds", f"unknown threshold {name!r}")
        labels = {f.label for f in therapy.pharmacology}
        for label in rule.pharmacology_warnings:
            if label not in labels:
                raise err(
                    f"{where}.pharmacology_warnings",
                    f"{rule.therapy} has no pharmacology fact {label!r}",
                )
    for i, c in enumerate(rs.contraindications):
        if c.threshold not in rs.thresholds:
            raise err(f"contraindications[{i}].threshold", f"unknown threshold {c.threshold!r}")
        for tid in c.applies_to:
            if tid not in ev.therapies:
                raise err(f"contraindications[{i}].applies_to", f"unknown therapy {tid!r}")
    for var, m in rs.measure_next.items():
        if m.source not in ev.citations:
            raise err(f"measure_next.{var}.source", f"unknown citation key {m.source!r}")
    for i, e in enumerate(rs.endotype_evidence):
        if e.source not in ev.citations:
            raise err(f"endotype_evidence[{i}].source", f"unknown citation key {e.source!r}")
        for tid in e.applies_to:
            if tid not in ev.therapies:
                raise err(f"endotype_evidence[{i}].applies_to", f"unknown therapy {tid!r}")
