"""Schema of the evidence base: one pydantic model per kind of fact.

Every literature number is a :class:`Value` (or a number inside an :class:`Effect`) that
carries its ``status`` (VERIFIED / RECALLED / NOT_FOUND / DERIVED, :class:`Status`) and its
``source``: a key of ``data/citations.yaml``. Inside a trial or a regimen, ``source`` may be left
out and is filled in from the enclosing trial's citation or regimen's source by the loader.

All models forbid unknown keys, so a typo in a data file is an error naming the key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Status(StrEnum):
    """How a number was checked (the legend of every number of the evidence base)."""

    VERIFIED = "VERIFIED"
    RECALLED = "RECALLED"
    NOT_FOUND = "NOT_FOUND"
    DERIVED = "DERIVED"


class EvidenceLevel(StrEnum):
    """Level of evidence, lowest first (the order is used for ranking)."""

    NO_SEPSIS_TRIAL = "no_sepsis_trial"
    IN_SILICO = "in_silico"
    PRECLINICAL = "preclinical"
    CASE_SERIES = "case_series"
    PHASE_1 = "phase_1"
    PHASE_2 = "phase_2"
    PHASE_3 = "phase_3"
    META_ANALYSIS = "meta_analysis"

    @property
    def rank(self) -> int:
        """Position in the ordering (0 = lowest)."""
        return list(EvidenceLevel).index(self)

    @property
    def label(self) -> str:
        """Human-readable label, e.g. ``phase 2`` or ``no sepsis trial found``."""
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    EvidenceLevel.NO_SEPSIS_TRIAL: "no sepsis trial found",
    EvidenceLevel.IN_SILICO: "in silico",
    EvidenceLevel.PRECLINICAL: "preclinical",
    EvidenceLevel.CASE_SERIES: "case series",
    EvidenceLevel.PHASE_1: "phase 1",
    EvidenceLevel.PHASE_2: "phase 2",
    EvidenceLevel.PHASE_3: "phase 3",
    EvidenceLevel.META_ANALYSIS: "meta-analysis",
}


class Route(StrEnum):
    """Administration route."""

    IV = "IV"
    SC = "SC"
    IM = "IM"
    ORAL = "oral"
    ENTERAL = "enteral"
    RECTAL = "rectal"
    EX_VIVO = "ex_vivo"
    NOT_APPLICABLE = "not_applicable"


class TherapyClass(StrEnum):
    """Broad class; the recommendation engine's safety rules act on it."""

    ANTI_INFLAMMATORY = "anti_inflammatory"
    IMMUNOSTIMULANT = "immunostimulant"
    IMMUNOMODULATOR = "immunomodulator"
    MICROBIOME = "microbiome"
    GENE_EDITING = "gene_editing"
    DELIVERY_MODIFIER = "delivery_modifier"
    ANTIBIOTIC = "antibiotic"


class PhenotypeTarget(StrEnum):
    """What a therapy is meant to correct."""

    MALS = "MALS"
    IMMUNOPARALYSIS = "immunoparalysis"
    HYPERINFLAMMATORY = "hyperinflammatory"
    IMMUNOSUPPRESSED = "immunosuppressed"
    LYMPHOPENIA = "lymphopenia"
    MONOCYTE_DEACTIVATION = "monocyte_deactivation"
    DYSBIOSIS = "dysbiosis"
    INFECTION = "infection"
    NONE = "none"


class EffectMeasure(StrEnum):
    """Kind of effect estimate."""

    HR = "HR"
    RR = "RR"
    OR = "OR"
    RISK_DIFFERENCE = "risk_difference"
    PROPORTIONS = "proportions"
    MEAN_DIFFERENCE = "mean_difference"
    FOLD_CHANGE = "fold_change"
    QUALITATIVE = "qualitative"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Citation(_Strict):
    """A source. ``doi``, ``pmid``, ``pmcid`` or ``registry`` identify it; where none was
    collected, ``identifier_note`` says so (an identifier is never invented)."""

    text: str = Field(min_length=3)
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    registry: list[str] = Field(default_factory=list)
    status: Status
    identifier_note: str | None = None

    @field_validator("doi")
    @classmethod
    def _doi_form(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("10."):
            raise ValueError(f"expected a DOI starting with '10.', got {v!r}")
        return v

    @field_validator("pmid")
    @classmethod
    def _pmid_form(cls, v: str | None) -> str | None:
        if v is not None and not v.isdigit():
            raise ValueError(f"expected a PubMed id of digits, got {v!r}")
        return v

    @model_validator(mode="after")
    def _identified(self) -> Citation:
        if not (self.doi or self.pmid or self.pmcid or self.registry or self.identifier_note):
            raise ValueError(
                "expected at least one of doi, pmid, pmcid, registry, or an identifier_note "
                "saying why none was collected"
            )
        return self

    def label(self) -> str:
        """Short identifier string, e.g. ``doi:10.1/x; PMID 123``."""
        parts = []
        if self.doi:
            parts.append(f"doi:{self.doi}")
        if self.pmid:
            parts.append(f"PMID {self.pmid}")
        if self.pmcid:
            parts.append(self.pmcid)
        parts.extend(self.registry)
        return "; ".join(parts) if parts else "no identifier collected"


class Value(_Strict):
    """A number with unit, status and source. ``upper`` makes it a range."""

    value: float
    upper: float | None = None
    unit: str
    status: Status
    source: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _range_order(self) -> Value:
        if self.upper is not None and self.upper < self.value:
            raise ValueError(f"upper ({self.upper}) is below value ({self.value})")
        return self

    def text(self) -> str:
        """Compact rendering, e.g. ``200 mg`` or ``0.15-1.5 mg/kg``."""
        num = _fmt(self.value) if self.upper is None else f"{_fmt(self.value)}-{_fmt(self.upper)}"
        return f"{num} {self.unit}".strip()


class GroupValue(Value):
    """A :class:`Value` for one group (arm, dose level, subgroup)."""

    group: str


class Count(_Strict):
    """A count (n) with its status and source."""

    value: int = Field(ge=0)
    status: Status
    source: str | None = None
    note: str | None = None


class Arm(_Strict):
    """A trial arm."""

    name: str
    n: Count | None = None
    regimen: str | None = None


class Effect(_Strict):
    """An effect as reported. ``treatment``/``control`` are the per-arm values (e.g. 42.9 vs
    10.0 %), ``estimate`` the contrast (HR, RR, ...) with its ``ci`` (two numbers)."""

    endpoint: str
    measure: EffectMeasure
    description: str
    treatment: float | None = None
    control: float | None = None
    unit: str | None = None
    estimate: float | None = None
    ci: list[float] | None = None
    ci_level: float = 0.95
    p_value: float | None = None
    status: Status
    source: str | None = None
    note: str | None = None

    @field_validator("ci", mode="before")
    @classmethod
    def _ci_pair(cls, v: Any) -> Any:
        if v is None:
            return v
        if (
            not isinstance(v, list | tuple)
            or len(v) != 2
            or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
        ):
            raise ValueError(f"expected two numbers [low, high], got {v!r}")
        if v[0] > v[1]:
            raise ValueError(f"expected low <= high, got {v!r}")
        return v

    @model_validator(mode="after")
    def _numbers_match_measure(self) -> Effect:
        numbers = [self.treatment, self.control, self.estimate, self.ci, self.p_value]
        if self.measure is EffectMeasure.QUALITATIVE:
            if any(n is not None for n in numbers):
                raise ValueError("a qualitative effect carries no numbers; use another measure")
        elif all(n is None for n in numbers):
            raise ValueError(f"measure {self.measure.value!r} needs at least one number")
        if (self.treatment is not None or self.control is not None) and not self.unit:
            raise ValueError("treatment/control values need a unit")
        return self


class Trial(_Strict):
    """A trial or study (clinical, preclinical, in silico or meta-analysis)."""

    id: str
    name: str
    level: EvidenceLevel
    design: str
    population: str
    in_sepsis: bool
    n: Count | None = None
    arms: list[Arm] = Field(default_factory=list)
    endpoint: str
    effects: list[Effect] = Field(default_factory=list)
    citation: str
    status: Status
    variant: str | None = None
    note: str | None = None


class Regimen(_Strict):
    """A route and dose used in a trial (or proposed by a model)."""

    id: str
    label: str
    route: Route
    dose: Value
    frequency: str
    interval_h: Value | None = None
    duration: Value | None = None
    loading: str | None = None
    source: str
    status: Status
    variant: str | None = None
    trial: str | None = None
    note: str | None = None

    def schedule_text(self) -> str:
        """e.g. ``every 8 h for 7 d``."""
        text = self.frequency
        if self.duration is not None:
            text += f" for {self.duration.text()}"
        return text


class TimingWindow(_Strict):
    """When to start, as the trials did."""

    description: str
    start_after_onset: Value | None = None
    start_before: Value | None = None
    source: str
    status: Status


class Contraindication(_Strict):
    """A contraindication or a trial exclusion criterion."""

    id: str
    description: str
    kind: str = Field(pattern=r"^(trial_exclusion|label|mechanistic|caveat)$")
    source: str
    status: Status


class AdverseEvent(_Strict):
    """An adverse event with its rates (per group) where reported."""

    event: str
    rates: list[GroupValue] = Field(default_factory=list)
    description: str | None = None
    source: str
    status: Status


class Fact(_Strict):
    """A pharmacological fact (half-life, receptor occupancy, duration of action)."""

    label: str
    text: str
    values: list[GroupValue] = Field(default_factory=list)
    source: str
    status: Status


class Variant(_Strict):
    """A product within a therapy id (e.g. infliximab within ``anti_tnf``)."""

    id: str
    names: list[str]
    description: str


class Therapy(_Strict):
    """One therapy id: what it is, how it was given, what the trials found."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    names: list[str] = Field(min_length=1)
    therapy_class: TherapyClass
    targets: list[str] = Field(min_length=1)
    mechanism: str
    phenotype_addressed: list[PhenotypeTarget] = Field(min_length=1)
    evidence_level: EvidenceLevel
    evidence_level_source: str
    evidence_level_status: Status
    evidence_level_note: str
    variants: list[Variant] = Field(default_factory=list)
    regimens: list[Regimen] = Field(default_factory=list)
    timing_window: TimingWindow | None = None
    timing_note: str | None = None
    contraindications: list[Contraindication] = Field(default_factory=list)
    adverse_events: list[AdverseEvent] = Field(default_factory=list)
    pharmacology: list[Fact] = Field(default_factory=list)
    trials: list[Trial] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Therapy:
        variant_ids = {v.id for v in self.variants}
        trial_ids = [t.id for t in self.trials]
        if len(set(trial_ids)) != len(trial_ids):
            raise ValueError(f"trial ids must be unique, got {trial_ids}")
        regimen_ids = [r.id for r in self.regimens]
        if len(set(regimen_ids)) != len(regimen_ids):
            raise ValueError(f"regimen ids must be unique, got {regimen_ids}")
        for i, r in enumerate(self.regimens):
            if r.variant is not None and r.variant not in variant_ids:
                raise ValueError(
                    f"regimens[{i}].variant: {r.variant!r} is not a declared variant "
                    f"(expected one of {sorted(variant_ids)})"
                )
            if r.trial is not None and r.trial not in trial_ids:
                raise ValueError(
                    f"regimens[{i}].trial: {r.trial!r} is not a trial of this therapy "
                    f"(expected one of {trial_ids})"
                )
        for i, t in enumerate(self.trials):
            if t.variant is not None and t.variant not in variant_ids:
                raise ValueError(
                    f"trials[{i}].variant: {t.variant!r} is not a declared variant "
                    f"(expected one of {sorted(variant_ids)})"
                )
        # A VERIFIED evidence level must be backed by a listed trial of that level.
        levels = {t.level for t in self.trials}
        if (
            self.evidence_level is not EvidenceLevel.NO_SEPSIS_TRIAL
            and self.evidence_level not in levels
            and self.evidence_level_status is Status.VERIFIED
        ):
            raise ValueError(
                f"evidence_level: {self.evidence_level.value!r} is VERIFIED but no listed "
                f"trial has that level (trial levels: {sorted(x.value for x in levels)})"
            )
        return self

    def trial(self, trial_id: str) -> Trial:
        """The trial with this id (``KeyError`` naming the valid ids otherwise)."""
        for t in self.trials:
            if t.id == trial_id:
                return t
        raise KeyError(f"{self.id}: no trial {trial_id!r}; expected one of {self.trial_ids()}")

    def regimen(self, regimen_id: str) -> Regimen:
        """The regimen with this id (``KeyError`` naming the valid ids otherwise)."""
        for r in self.regimens:
            if r.id == regimen_id:
                return r
        ids = [r.id for r in self.regimens]
        raise KeyError(f"{self.id}: no regimen {regimen_id!r}; expected one of {ids}")

    def trial_ids(self) -> list[str]:
        """Ids of this therapy's trials, in file order."""
        return [t.id for t in self.trials]


def _fmt(x: float) -> str:
    """Format a number without spurious decimals (4420.0 -> 4,420; 0.15 -> 0.15)."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.6g}"
