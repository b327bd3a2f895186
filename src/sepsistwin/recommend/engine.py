"""Phenotype-matched immunotherapy options per patient-day, from the assessment.

The engine reads the assessment (one row per patient-day, see :func:`sepsistwin.clinical.assess`)
and, for each day, fires the rules of ``rules.yaml`` (conditions here, numbers there), removes
options that a safety rule or a contraindication in the patient's data excludes, and ranks what is
left. Every number in the output carries its ``source`` and ``status``.

Safety rules (from the issue and ImmunoSep): never an immunostimulant in MALS or active
hyperinflammation (or while MALS cannot be ruled out), never an anti-inflammatory in
immunoparalysis or an immunosuppressed state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sepsistwin import DISCLAIMER
from sepsistwin.evidence import EvidenceBase, Status, Therapy, TherapyClass, load_evidence
from sepsistwin.evidence.schema import Value
from sepsistwin.recommend.config import Rule, RuleSet, Threshold

#: Phenotype and immune-state vocabularies of the assessment.
PHENOTYPES = ("MALS", "immunoparalysis", "intermediate", "indeterminate")
IMMUNE_STATES = ("hyperinflammatory", "immunosuppressed", "mixed", "balanced", "indeterminate")
REQUIRED_COLUMNS = ("patient_id", "day", "phenotype", "immune_state")

#: Canonical units of the assessment variables the rules read (sepsistwin.data catalogue).
VARIABLE_UNITS = {
    "ferritin": "ng/mL",
    "mhla_dr": "AB/C",
    "lymphocytes": "x10^9/L",
    "neutrophils": "x10^9/L",
    "il6": "pg/mL",
    "pathogen_load": "CFU/mL",
}
PATIENT_SOURCE = "patient data (assessment: the day's worst value)"
PATIENT_STATUS = "MEASURED"


# --------------------------------------------------------------------------------------------
# Result objects


@dataclass
class DayRecommendation:
    """Options for one patient-day.

    ``options`` are ranked dicts (keys: therapy, rank, name, therapy_class, dose, schedule, route,
    regimen, rationale, evidence_level, evidence_level_label, evidence_strength, trials,
    effect_reported, warnings, contraindications_found, timing_window, status_of_numbers).
    """

    patient_id: str
    day: int
    phenotype: str
    immune_state: str
    options: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    no_immunotherapy_reason: str | None
    measure_next: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    disclaimer: str = DISCLAIMER

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``--json`` contract)."""
        return {
            "patient_id": self.patient_id,
            "day": self.day,
            "phenotype": self.phenotype,
            "immune_state": self.immune_state,
            "options": self.options,
            "excluded": self.excluded,
            "no_immunotherapy_reason": self.no_immunotherapy_reason,
            "measure_next": self.measure_next,
            "notes": self.notes,
            "disclaimer": self.disclaimer,
        }


@dataclass
class RecommendationSet:
    """Recommendations for every patient-day of an assessment.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"patient_id": ["P1"], "day": [0], "phenotype": ["MALS"],
    ...                   "immune_state": ["hyperinflammatory"], "ferritin": [6000.0],
    ...                   "neutrophils": [8.0]})
    >>> rs = recommend(a)
    >>> rs.get("P1", 0).options[0]["therapy"]
    'anakinra'
    """

    days: list[DayRecommendation]
    disclaimer: str = DISCLAIMER

    def __len__(self) -> int:
        return len(self.days)

    def __iter__(self) -> Iterator[DayRecommendation]:
        return iter(self.days)

    def patients(self) -> list[str]:
        """Patient ids in input order."""
        return list(dict.fromkeys(d.patient_id for d in self.days))

    def get(self, patient_id: str, day: int) -> DayRecommendation:
        """The recommendation for one patient-day (``KeyError`` naming what exists)."""
        for d in self.days:
            if d.patient_id == patient_id and d.day == day:
                return d
        raise KeyError(f"no patient-day ({patient_id!r}, {day}); patients: {self.patients()}")

    def filter(self, *, patient: str | None = None, day: int | None = None) -> RecommendationSet:
        """Subset by patient and/or day (``KeyError`` naming the valid values if none match)."""
        days = self.days
        if patient is not None:
            days = [d for d in days if d.patient_id == patient]
            if not days:
                raise KeyError(f"unknown patient {patient!r}; expected one of {self.patients()}")
        if day is not None:
            valid = sorted({d.day for d in days})
            days = [d for d in days if d.day == day]
            if not days:
                raise KeyError(
                    f"no day {day}"
                    + (f" for patient {patient!r}" if patient else "")
                    + f"; expected one of {valid}"
                )
        return RecommendationSet(days=days)

    def to_records(self) -> list[dict[str, Any]]:
        """JSON-ready list of per-patient-day dicts, each with its ``disclaimer``."""
        return [d.to_dict() for d in self.days]


# --------------------------------------------------------------------------------------------
# Per-day context


@dataclass
class _Ctx:
    row: Mapping[str, Any]
    by_day: Mapping[int, Mapping[str, Any]]
    first_sepsis3_day: int | None
    rules: RuleSet
    ev: EvidenceBase

    @property
    def day(self) -> int:
        return int(self.row["day"])

    @property
    def phenotype(self) -> str:
        return str(self.row["phenotype"])

    @property
    def immune_state(self) -> str:
        return str(self.row["immune_state"])

    def value(self, variable: str, day: int | None = None) -> float:
        row = self.row if day is None else self.by_day.get(day)
        if row is None:
            return math.nan
        v = row.get(variable, math.nan)
        try:
            f = float(v)
        except (TypeError, ValueError):
            return math.nan
        return f

    def measured(self, variable: str, day: int | None = None) -> dict[str, Any]:
        d = self.day if day is None else day
        return {
            "variable": variable,
            "value": _clean(self.value(variable, d)),
            "unit": VARIABLE_UNITS.get(variable, ""),
            "day": d,
            "source": PATIENT_SOURCE,
            "status": PATIENT_STATUS,
        }

    def run(self, variable: str, th: Threshold, days: int) -> list[dict[str, Any]] | None:
        """The values of the last ``days`` consecutive days if all meet ``th``, else None."""
        out = []
        for d in range(self.day - days + 1, self.day + 1):
            if d not in self.by_day or not th.holds(self.value(variable, d)):
                return None
            out.append(self.measured(variable, d))
        return out

    @property
    def hyperinflamed(self) -> bool:
        return self.phenotype == "MALS" or self.immune_state == "hyperinflammatory"

    @property
    def immunosuppressed(self) -> bool:
        return self.phenotype == "immunoparalysis" or self.immune_state == "immunosuppressed"


def _threshold_dict(name: str, th: Threshold, ev: EvidenceBase) -> dict[str, Any]:
    return {
        "name": name,
        "value": th.value,
        "unit": th.unit,
        "comparison": th.comparison,
        "text": th.text(),
        "source": th.source,
        "citation": ev.cite(th.source).label(),
        "status": th.status.value,
        "note": th.note,
    }


def _rationale(ctx: _Ctx, rule: Rule, values: list[dict[str, Any]], text: str) -> dict[str, Any]:
    return {
        "rule": rule.id,
        "description": rule.description,
        "fired_because": text,
        "values": values,
        "thresholds": [_threshold_dict(n, ctx.rules.threshold(n), ctx.ev) for n in rule.thresholds],
    }


# --------------------------------------------------------------------------------------------
# Rule conditions (by rule id); each returns the rationale when the rule fires, else None.


def _mals_anakinra(ctx: _Ctx, rule: Rule) -> dict[str, Any] | None:
    if ctx.phenotype != "MALS":
        return None
    th = ctx.rules.threshold("mals_ferritin")
    return _rationale(
        ctx,
        rule,
        [ctx.measured("ferritin")],
        f"phenotype MALS (assessment): ferritin {_num(ctx.value('ferritin'))} {th.text()}",
    )


def _immunoparalysis_ifn(ctx: _Ctx, rule: Rule) -> dict[str, Any] | None:
    if ctx.phenotype != "immunoparalysis":
        return None
    return _rationale(
        ctx,
        rule,
        [ctx.measured("ferritin"), ctx.measured("mhla_dr")],
        f"phenotype immunoparalysis (assessment): ferritin {_num(ctx.value('ferritin'))} ng/mL, "
        f"mHLA-DR {_num(ctx.value('mhla_dr'))} AB/C",
    )


def _mhla_dr_gm_csf(ctx: _Ctx, rule: Rule) -> dict[str, Any] | None:
    th = ctx.rules.threshold("gm_csf_mhla_dr")
    n = int(ctx.rules.threshold("gm_csf_consecutive_days").value)
    run = ctx.run("mhla_dr", th, n)
    if run is None:
        return None
    vals = ", ".join(f"day {v['day']}: {_num(v['value'])}" for v in run)
    return _rationale(ctx, rule, run, f"mHLA-DR {th.text()} on {n} consecutive days ({vals})")


def _lymphopenia(threshold_name: str) -> Callable[[_Ctx, Rule], dict[str, Any] | None]:
    def condition(ctx: _Ctx, rule: Rule) -> dict[str, Any] | None:
        th = ctx.rules.threshold(threshold_name)
        n = int(ctx.rules.threshold("lymphopenia_persistence_days").value)
        run = ctx.run("lymphocytes", th, n)
        if run is None:
            return None
        vals = ", ".join(f"day {v['day']}: {_num(v['value'])}" for v in run)
        return _rationale(
            ctx,
            rule,
            run,
            f"persistent lymphopenia: ALC {th.text()} on {n} "
            f"consecutive days ({vals}); threshold from {th.source}",
        )

    return condition


def _hyperinflammation_anti_tnf(ctx: _Ctx, rule: Rule) -> dict[str, Any] | None:
    th = ctx.rules.threshold("anti_tnf_il6")
    hyper = ctx.hyperinflamed or ctx.immune_state == "mixed"
    if not hyper or not th.holds(ctx.value("il6")):
        return None
    return _rationale(
        ctx,
        rule,
        [ctx.measured("il6"), ctx.measured("ferritin")],
        f"hyperinflammation (phenotype {ctx.phenotype}, immune state {ctx.immune_state}) with "
        f"IL-6 {_num(ctx.value('il6'))} {th.text()}",
    )


#: Rule id -> condition. ``rules.yaml`` may only name rules implemented here.
RULE_CONDITIONS: dict[str, Callable[[_Ctx, Rule], dict[str, Any] | None]] = {
    "mals_anakinra": _mals_anakinra,
    "immunoparalysis_interferon_gamma": _immunoparalysis_ifn,
    "mhla_dr_gm_csf": _mhla_dr_gm_csf,
    "lymphopenia_il7": _lymphopenia("il7_alc"),
    "lymphopenia_nivolumab": _lymphopenia("nivolumab_alc"),
    "hyperinflammation_anti_tnf": _hyperinflammation_anti_tnf,
}


# --------------------------------------------------------------------------------------------
# Safety: class exclusions and contraindications


def _class_exclusion(therapy: Therapy, ctx: _Ctx) -> tuple[str, str] | None:
    """(rule id, reason) when the therapy's class is excluded today."""
    mals = ctx.rules.threshold("mals_ferritin")
    if therapy.therapy_class is TherapyClass.IMMUNOSTIMULANT:
        if ctx.phenotype == "MALS":
            return (
                "no_immunostimulant_in_mals",
                f"MALS (ferritin {_num(ctx.value('ferritin'))} {mals.text()}): no "
                "immunostimulant in MALS (ImmunoSep: MALS takes precedence)",
            )
        if ctx.immune_state == "hyperinflammatory":
            return (
                "no_immunostimulant_in_hyperinflammation",
                "active hyperinflammation (immune state hyperinflammatory): no immunostimulant",
            )
        if math.isnan(ctx.value("ferritin")):
            return (
                "mals_not_excluded",
                "ferritin not measured: MALS cannot be ruled out, so no immunostimulant",
            )
    if therapy.therapy_class is TherapyClass.ANTI_INFLAMMATORY:
        if ctx.phenotype == "immunoparalysis":
            return (
                "no_anti_inflammatory_in_immunoparalysis",
                "immunoparalysis: no anti-inflammatory therapy",
            )
        if ctx.immune_state == "immunosuppressed":
            return (
                "no_anti_inflammatory_in_immunosuppression",
                "immune state immunosuppressed: no anti-inflammatory therapy",
            )
    return None


def _check_contraindications(
    rule: Rule, ctx: _Ctx
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(found-as-caution, found-as-exclusion, missing-data warnings) for this rule's therapy."""
    cautions: list[dict[str, Any]] = []
    exclusions: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for c in ctx.rules.contraindications:
        if rule.therapy not in c.applies_to:
            continue
        th = ctx.rules.threshold(c.threshold)
        value = ctx.value(c.variable)
        entry = {
            "id": c.id,
            "description": c.description,
            "effect": c.effect,
            "value": ctx.measured(c.variable),
            "threshold": _threshold_dict(c.threshold, th, ctx.ev),
        }
        if math.isnan(value):
            missing.append(
                {
                    "kind": "missing_data",
                    "variable": c.variable,
                    "text": f"{c.variable} not measured on day {ctx.day}: cannot check '{c.id}' "
                    f"({c.variable} {th.text()}); {c.description}",
                    "source": th.source,
                    "status": th.status.value,
                }
            )
        elif th.holds(value):
            (exclusions if c.effect == "exclude" else cautions).append(entry)
    # The mixed immune state is a caution for both directions of therapy.
    therapy = ctx.ev.therapy(rule.therapy)
    if ctx.immune_state == "mixed" and therapy.therapy_class in (
        TherapyClass.IMMUNOSTIMULANT,
        TherapyClass.ANTI_INFLAMMATORY,
    ):
        other = (
            "hyperinflammatory"
            if therapy.therapy_class is TherapyClass.IMMUNOSTIMULANT
            else "immunosuppression"
        )
        cautions.append(
            {
                "id": "mixed_immune_state",
                "description": f"immune state mixed: a concurrent {other} signal is present "
                "(see the assessment's reasons)",
                "effect": "caution",
            }
        )
    return cautions, exclusions, missing


# --------------------------------------------------------------------------------------------
# Option building


def _value_dict(v: Value, ev: EvidenceBase) -> dict[str, Any]:
    src = v.source or ""
    return {
        "value": v.value,
        "upper": v.upper,
        "unit": v.unit,
        "text": v.text(),
        "status": v.status.value,
        "source": src,
        "citation": ev.cite(src).label() if src in ev.citations else None,
        "note": v.note,
    }


def _trials(rule: Rule, therapy: Therapy, ev: EvidenceBase) -> list[dict[str, Any]]:
    out = []
    for tid in rule.trials:
        t = therapy.trial(tid)
        cite = ev.cite(t.citation)
        out.append(
            {
                "id": t.id,
                "name": t.name,
                "level": t.level.value,
                "design": t.design,
                "population": t.population,
                "n": None
                if t.n is None
                else {
                    "value": t.n.value,
                    "status": t.n.status.value,
                    "source": t.n.source,
                    "note": t.n.note,
                },
                "source": t.citation,
                "citation": f"{cite.text}; {cite.label()}",
                "doi": cite.doi,
                "pmid": cite.pmid,
                "status": t.status.value,
            }
        )
    return out


def _effects(rule: Rule, therapy: Therapy, ev: EvidenceBase) -> list[dict[str, Any]]:
    out = []
    for tid in rule.trials:
        t = therapy.trial(tid)
        for e in t.effects:
            src = e.source or t.citation
            out.append(
                {
                    "trial": t.id,
                    "endpoint": e.endpoint,
                    "measure": e.measure.value,
                    "description": e.description,
                    "treatment": e.treatment,
                    "control": e.control,
                    "unit": e.unit,
                    "estimate": e.estimate,
                    "ci": e.ci,
                    "p_value": e.p_value,
                    "status": e.status.value,
                    "source": src,
                    "citation": ev.cite(src).label(),
                    "note": e.note,
                }
            )
    return out


def _warnings(rule: Rule, therapy: Therapy, ev: EvidenceBase) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for ae in therapy.adverse_events:
        text = ae.event.lower()
        kind = (
            "irae" if ("immune-mediated" in text or "immune-related" in text) else ("adverse_event")
        )
        rates = ", ".join(f"{gv.group} {gv.text()}" for gv in ae.rates)
        out.append(
            {
                "kind": kind,
                "text": ae.event
                + (f": {ae.description}" if ae.description else "")
                + (f" ({rates})" if rates else ""),
                "values": [{**_value_dict(gv, ev), "group": gv.group} for gv in ae.rates],
                "source": ae.source,
                "status": ae.status.value,
            }
        )
    for c in therapy.contraindications:
        if c.kind == "caveat":
            out.append(
                {
                    "kind": "caveat",
                    "text": c.description,
                    "values": [],
                    "source": c.source,
                    "status": c.status.value,
                }
            )
    for fact in therapy.pharmacology:
        if fact.label in rule.pharmacology_warnings:
            out.append(
                {
                    "kind": "duration_of_action",
                    "text": f"{fact.label}: {fact.text}",
                    "values": [{**_value_dict(gv, ev), "group": gv.group} for gv in fact.values],
                    "source": fact.source,
                    "status": fact.status.value,
                }
            )
    return out


def _timing(rule: Rule, therapy: Therapy, ctx: _Ctx) -> dict[str, Any]:
    tw = therapy.timing_window
    timing: dict[str, Any] = {
        "description": tw.description if tw else (therapy.timing_note or "not collected"),
        "source": tw.source if tw else None,
        "status": tw.status.value if tw else None,
    }
    if rule.timing_check is None:
        return timing
    th = ctx.rules.threshold(rule.timing_check)
    timing["threshold"] = _threshold_dict(rule.timing_check, th, ctx.ev)
    timing["first_sepsis3_day"] = ctx.first_sepsis3_day
    if ctx.first_sepsis3_day is None:
        timing["within_window"] = None
        timing["check"] = "Sepsis-3 not met in the assessed days: the window cannot be checked"
    else:
        # Day resolution: the elapsed time is read as whole days x 24 h (approximation).
        elapsed_h = (ctx.day - ctx.first_sepsis3_day) * 24
        timing["elapsed_since_sepsis3"] = {
            "value": elapsed_h,
            "unit": "h (day resolution)",
            "source": PATIENT_SOURCE,
            "status": PATIENT_STATUS,
        }
        timing["within_window"] = th.holds(elapsed_h)
        timing["check"] = (
            f"about {elapsed_h} h since the first Sepsis-3 day "
            f"(day {ctx.first_sepsis3_day}); window {th.text()}"
        )
    return timing


def _status_of_numbers(obj: Any, path: str = "") -> dict[str, str]:
    """Path -> status of every sourced number in an option."""
    out: dict[str, str] = {}
    if isinstance(obj, dict):
        if "status" in obj and any(
            isinstance(obj.get(k), int | float | list) and not isinstance(obj.get(k), bool)
            for k in _NUMERIC_KEYS
        ):
            out[path or "."] = str(obj["status"])
        for k, v in obj.items():
            out.update(_status_of_numbers(v, f"{path}.{k}" if path else k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.update(_status_of_numbers(v, f"{path}[{i}]"))
    return out


_NUMERIC_KEYS = ("value", "upper", "estimate", "treatment", "control", "p_value", "ci")


def _build_option(
    rule: Rule,
    rationale: dict[str, Any],
    therapy: Therapy,
    cautions: list[dict[str, Any]],
    extra_warnings: list[dict[str, Any]],
    ctx: _Ctx,
) -> dict[str, Any]:
    ev = ctx.ev
    regimen = therapy.regimen(rule.regimen)
    warnings = _warnings(rule, therapy, ev) + extra_warnings
    for name in ("dose", "interval_h", "duration"):
        v = getattr(regimen, name)
        if v is not None and v.status is not Status.VERIFIED:
            warnings.append(
                {
                    "kind": "unverified_number",
                    "text": f"{name} {v.text()} is {v.status.value}: "
                    "not checked against the source",
                    "source": v.source,
                    "status": v.status.value,
                }
            )
    timing = _timing(rule, therapy, ctx)
    if timing.get("within_window") is False:
        warnings.append(
            {
                "kind": "timing",
                "text": f"outside the trial start window: {timing['check']}",
                "source": timing["threshold"]["source"],
                "status": timing["threshold"]["status"],
            }
        )
    option = {
        "therapy": therapy.id,
        "rank": 0,
        "name": therapy.names[0],
        "therapy_class": therapy.therapy_class.value,
        "dose": _value_dict(regimen.dose, ev),
        "schedule": regimen.schedule_text(),
        "duration": None if regimen.duration is None else _value_dict(regimen.duration, ev),
        "route": regimen.route.value,
        "regimen": {
            "id": regimen.id,
            "label": regimen.label,
            "source": regimen.source,
            "status": regimen.status.value,
            "note": regimen.note,
        },
        "rationale": rationale,
        "evidence_level": rule.evidence_level.value,
        "evidence_level_label": rule.evidence_level.label,
        "evidence_strength": {"strength": rule.strength, "reason": rule.strength_reason},
        "trials": _trials(rule, therapy, ev),
        "effect_reported": _effects(rule, therapy, ev),
        "warnings": warnings,
        "contraindications_found": cautions,
        "timing_window": timing,
        "priority": rule.priority,
    }
    numbers = _status_of_numbers(option)
    option["status_of_numbers"] = {
        "all_verified": all(s in ("VERIFIED", PATIENT_STATUS) for s in numbers.values()),
        "not_verified": sorted(
            p for p, s in numbers.items() if s not in ("VERIFIED", PATIENT_STATUS)
        ),
        "counts": {s: list(numbers.values()).count(s) for s in sorted(set(numbers.values()))},
    }
    return option


# --------------------------------------------------------------------------------------------
# Day and set


def _measure_next(ctx: _Ctx, missing_warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    wanted: list[str] = []
    if math.isnan(ctx.value("ferritin")):
        wanted.append("ferritin")
    if math.isnan(ctx.value("mhla_dr")):
        wanted.append("mhla_dr")
    if math.isnan(ctx.value("lymphocytes")):
        wanted.append("lymphocytes")
    if (ctx.hyperinflamed or ctx.immune_state == "mixed") and math.isnan(ctx.value("il6")):
        wanted.append("il6")
    for w in missing_warnings:
        var = w["variable"]
        if var not in wanted:
            wanted.append(var)
    out = []
    for var in wanted:
        m = ctx.rules.measure_next.get(var)
        out.append(
            {
                "variable": var,
                "reason": m.reason if m else "needed by a rule",
                "source": m.source if m else None,
            }
        )
    return out


def _no_reason(ctx: _Ctx, fired: list[str], excluded: list[dict[str, Any]]) -> str:
    if excluded:
        parts = [f"{e['therapy']} excluded ({e['reason']})" for e in excluded]
        return "No immunotherapy indicated: every candidate was excluded: " + "; ".join(parts)
    if ctx.phenotype == "indeterminate":
        return (
            "No immunotherapy indicated yet: the phenotype is indeterminate (missing data); "
            "measure what is listed under measure_next"
        )
    if ctx.phenotype == "intermediate":
        mals = ctx.rules.threshold("mals_ferritin")
        ip = ctx.rules.threshold("immunoparalysis_mhla_dr")
        return (
            f"No immunotherapy indicated: intermediate phenotype (ferritin "
            f"{_num(ctx.value('ferritin'))} ng/mL, not {mals.text()}; mHLA-DR "
            f"{_num(ctx.value('mhla_dr'))} AB/C, not {ip.text()}): neither MALS nor "
            "immunoparalysis, which PROVIDE and ImmunoSep left untreated, and no other rule "
            "(GM-CSF, persistent lymphopenia, IL-6 anti-TNF) fired"
        )
    return f"No immunotherapy indicated: no rule fired for phenotype {ctx.phenotype}"


def _endotype_evidence(ctx: _Ctx, options: list[dict[str, Any]]) -> list[str]:
    """Attach endotype findings to matching options; return the day notes for cautions."""
    notes: list[str] = []
    for e in ctx.rules.endotype_evidence:
        if ctx.row.get(e.column) != e.endotype:
            continue
        entry = {
            "id": e.id,
            "endotype": e.endotype,
            "column": e.column,
            "effect": e.effect,
            "text": " ".join(e.description.split()),
            "source": e.source,
            "status": e.status.value,
            "findings": [f.model_dump(exclude_none=True) for f in e.findings],
        }
        for option in options:
            if option["therapy"] in e.applies_to:
                option.setdefault("endotype_evidence", []).append(entry)
        if e.effect == "caution":
            statuses = [f.status.value for f in e.findings]
            counts = ", ".join(f"{statuses.count(x)} {x}" for x in sorted(set(statuses)))
            numbers = f"; numbers: {counts}" if counts else ""
            notes.append(f"{e.endotype}: {entry['text']} [{e.source}{numbers}]")
    return notes


def _recommend_day(ctx: _Ctx) -> DayRecommendation:
    fired: list[tuple[Rule, dict[str, Any]]] = []
    for rule in ctx.rules.rules:
        rationale = RULE_CONDITIONS[rule.id](ctx, rule)
        if rationale is not None:
            fired.append((rule, rationale))
    options: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    missing_all: list[dict[str, Any]] = []
    for rule, rationale in fired:
        therapy = ctx.ev.therapy(rule.therapy)
        cls = _class_exclusion(therapy, ctx)
        if cls is not None:
            excluded.append(
                {
                    "therapy": therapy.id,
                    "rule": rule.id,
                    "by": cls[0],
                    "reason": cls[1],
                    "rationale": rationale,
                }
            )
            continue
        cautions, exclusions, missing = _check_contraindications(rule, ctx)
        missing_all.extend(missing)
        if exclusions:
            reason = "; ".join(
                f"{e['id']}: {e['value']['variable']} {_num(e['value']['value'])} "
                f"{e['threshold']['text']} ({e['threshold']['source']})"
                for e in exclusions
            )
            excluded.append(
                {
                    "therapy": therapy.id,
                    "rule": rule.id,
                    "by": "contraindication",
                    "reason": reason,
                    "contraindications": exclusions,
                    "rationale": rationale,
                }
            )
            continue
        options.append(_build_option(rule, rationale, therapy, cautions, missing, ctx))
    options.sort(key=lambda o: (o["priority"], -_level_rank(o["evidence_level"]), o["therapy"]))
    anti_inflammatory = [o for o in options if o["therapy_class"] == "anti_inflammatory"]
    for i, o in enumerate(options, start=1):
        o["rank"] = i
        if o["therapy_class"] == "anti_inflammatory" and len(anti_inflammatory) > 1:
            others = [a["therapy"] for a in anti_inflammatory if a is not o]
            o["warnings"].append(
                {
                    "kind": "combination",
                    "text": "an alternative to "
                    f"{', '.join(others)}: the combination was not studied",
                    "source": None,
                    "status": None,
                }
            )
    notes = []
    if ctx.phenotype == "MALS" and any(e["by"] == "no_immunostimulant_in_mals" for e in excluded):
        notes.append("MALS takes precedence over immunosuppression signals (ImmunoSep)")
    notes.extend(_endotype_evidence(ctx, options))
    return DayRecommendation(
        patient_id=str(ctx.row["patient_id"]),
        day=ctx.day,
        phenotype=ctx.phenotype,
        immune_state=ctx.immune_state,
        options=options,
        excluded=excluded,
        no_immunotherapy_reason=None
        if options
        else _no_reason(ctx, [r.id for r, _ in fired], excluded),
        measure_next=_measure_next(ctx, missing_all),
        notes=notes,
    )


def recommend(
    assessment: pd.DataFrame,
    *,
    rules: RuleSet | None = None,
    evidence: EvidenceBase | None = None,
) -> RecommendationSet:
    """Ranked, phenotype-matched immunotherapy options for every patient-day.

    Parameters
    ----------
    assessment
        The output of :func:`sepsistwin.assess` (or any frame with ``patient_id, day,
        phenotype, immune_state`` and the variable columns the rules read: ferritin, mhla_dr,
        lymphocytes, neutrophils, il6, pathogen_load; optional ``sepsis3`` for the timing
        window). A variable column that is absent counts as not measured.
    rules
        Rule configuration (:func:`sepsistwin.recommend.load_rules`); packaged rules if None.
    evidence
        Evidence base; the packaged one if None.

    Returns
    -------
    RecommendationSet
        One :class:`DayRecommendation` per input row, in input order by patient then day.

    Raises
    ------
    ValueError
        A required column is missing, a phenotype/immune state is not in the vocabulary, a day
        is not an integer, or a patient-day appears twice.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"patient_id": ["P1"], "day": [0], "phenotype": ["intermediate"],
    ...                   "immune_state": ["balanced"], "ferritin": [900.0],
    ...                   "mhla_dr": [12000.0]})
    >>> recommend(a).get("P1", 0).no_immunotherapy_reason.startswith("No immunotherapy")
    True
    """
    from sepsistwin.recommend.config import load_rules

    ev = evidence or load_evidence()
    rs = rules or load_rules(evidence=ev)
    frame = _validate(assessment)
    days: list[DayRecommendation] = []
    for _pid, group in frame.groupby("patient_id", sort=False):
        records = group.sort_values("day").to_dict("records")
        by_day = {int(r["day"]): r for r in records}
        first = None
        if "sepsis3" in group.columns:
            s3 = [int(r["day"]) for r in records if _truthy(r.get("sepsis3"))]
            first = min(s3) if s3 else None
        for r in records:
            days.append(_recommend_day(_Ctx(r, by_day, first, rs, ev)))
    return RecommendationSet(days=days)


def _validate(assessment: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(assessment, pd.DataFrame):
        kind = type(assessment).__name__
        raise ValueError(f"assessment: expected a pandas DataFrame, got {kind}")
    missing = [c for c in REQUIRED_COLUMNS if c not in assessment.columns]
    if missing:
        raise ValueError(
            f"assessment: missing column(s) {missing}; expected at least "
            f"{list(REQUIRED_COLUMNS)} (the output of sepsistwin.assess)"
        )
    frame = assessment.reset_index(drop=True)
    for col, vocab in (("phenotype", PHENOTYPES), ("immune_state", IMMUNE_STATES)):
        bad = ~frame[col].isin(vocab)
        if bad.any():
            i = int(bad.idxmax())
            raise ValueError(
                f"assessment: row {i}: {col} {_show(frame.at[i, col])} is not one of {list(vocab)}"
            )
    days = pd.to_numeric(frame["day"], errors="coerce")
    bad_day = days.isna() | (days != days.round())
    if bad_day.any():
        i = int(bad_day.idxmax())
        raise ValueError(f"assessment: row {i}: day {_show(frame.at[i, 'day'])} is not an integer")
    frame["day"] = days.astype(int)
    dup = frame.duplicated(["patient_id", "day"])
    if dup.any():
        i = int(dup.idxmax())
        raise ValueError(
            f"assessment: row {i}: patient {_show(frame.at[i, 'patient_id'])} day "
            f"{frame.at[i, 'day']} appears more than once"
        )
    for var in VARIABLE_UNITS:
        if var in frame.columns:
            vals = pd.to_numeric(frame[var], errors="coerce")
            bad = vals.isna() & frame[var].notna()
            if bad.any():
                i = int(bad.idxmax())
                raise ValueError(
                    f"assessment: row {i}: {var} {_show(frame.at[i, var])} is not a "
                    f"number (expected {VARIABLE_UNITS[var]})"
                )
            frame[var] = vals
    return frame


def _show(v: Any) -> str:
    """repr of a cell value without numpy's type wrapper (np.float64(0.5) -> 0.5)."""
    return repr(v.item() if hasattr(v, "item") else v)


def _truthy(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    return bool(v)


def _clean(x: float) -> float | None:
    return None if math.isnan(x) else x


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not measured"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:g}"


def _level_rank(level: str) -> int:
    from sepsistwin.evidence import EvidenceLevel

    return EvidenceLevel(level).rank
