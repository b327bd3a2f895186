"""Generate ``docs/recommendation-rules.md`` from ``rules.yaml`` and the evidence base
(``python -m sepsistwin.recommend.docs``). A test checks the committed copy is up to date."""

from __future__ import annotations

import sys
from pathlib import Path

from sepsistwin import DISCLAIMER
from sepsistwin.evidence import EvidenceBase, load_evidence
from sepsistwin.recommend.config import RuleSet, load_rules

_SAFETY = [
    (
        "no_immunostimulant_in_mals",
        "Phenotype MALS: every immunostimulant is excluded (ImmunoSep: "
        "MALS takes precedence over immunoparalysis).",
    ),
    (
        "no_immunostimulant_in_hyperinflammation",
        "Immune state hyperinflammatory: every immunostimulant is excluded.",
    ),
    (
        "mals_not_excluded",
        "Ferritin not measured on the day: MALS cannot be ruled out, so every "
        "immunostimulant is excluded and ferritin is listed under measure_next.",
    ),
    (
        "no_anti_inflammatory_in_immunoparalysis",
        "Phenotype immunoparalysis: every anti-inflammatory is excluded.",
    ),
    (
        "no_anti_inflammatory_in_immunosuppression",
        "Immune state immunosuppressed: every anti-inflammatory is excluded.",
    ),
    (
        "mixed_immune_state",
        "Immune state mixed: candidates stay, with a caution naming the "
        "concurrent opposite signal.",
    ),
]


def rules_markdown(rules: RuleSet | None = None, ev: EvidenceBase | None = None) -> str:
    """The recommendation rules, thresholds and sources as Markdown.

    Examples
    --------
    >>> "neutrophils_min" in rules_markdown()
    True
    """
    ev = ev or load_evidence()
    rs = rules or load_rules(evidence=ev)
    lines = [
        "# Recommendation rules",
        "",
        "Generated from `src/sepsistwin/recommend/rules.yaml` and the evidence base by "
        "`python -m sepsistwin.recommend.docs docs/recommendation-rules.md`; do not edit by hand.",
        "",
        f"*{DISCLAIMER}*",
        "",
        "`sepsistwin recommend INPUT` runs the assessment (`sepsistwin.assess`) and, for each "
        "patient-day, fires the rules below on the phenotype, the immune state and the day's "
        "worst values (earlier days are read for the consecutive-day rules). Candidates that a "
        "safety rule or a contraindication in the patient's data excludes are listed under "
        "`excluded` with the reason; the rest are ranked by rule priority, then evidence level. "
        "With no option left, `no_immunotherapy_reason` says why; missing inputs are listed "
        "under `measure_next`.",
        "",
        "## Thresholds",
        "",
        "| Name | Threshold | Status | Source | Note |",
        "|---|---|---|---|---|",
    ]
    for name, th in rs.thresholds.items():
        status = "RECALLED (unverified)" if th.status.value == "RECALLED" else th.status.value
        lines.append(
            f"| `{name}` | {th.text()} | {status} | {th.source}: "
            f"{ev.cite(th.source).label()} | {th.note or ''} |"
        )
    lines += ["", "## Rules (in priority order)", ""]
    for rule in sorted(rs.rules, key=lambda r: r.priority):
        therapy = ev.therapy(rule.therapy)
        reg = therapy.regimen(rule.regimen)
        trials = ", ".join(therapy.trial(t).name for t in rule.trials)
        lines += [
            f"### `{rule.id}` (priority {rule.priority})",
            "",
            f"- **When:** {rule.description}",
            f"- **Proposes:** `{rule.therapy}` {reg.dose.text()} ({reg.dose.status.value}) "
            f"{reg.route.value}, {reg.schedule_text()} ({reg.label}; {reg.source})",
            f"- **Thresholds:** {', '.join(f'`{t}`' for t in rule.thresholds) or 'none'}"
            + (f"; timing check `{rule.timing_check}`" if rule.timing_check else ""),
            f"- **Evidence:** {rule.evidence_level.label}, strength {rule.strength}: "
            f"{rule.strength_reason}",
            f"- **Trials:** {trials}",
        ]
        if rule.pharmacology_warnings:
            lines.append(
                "- **Duration-of-action warnings:** " + "; ".join(rule.pharmacology_warnings)
            )
        lines.append("")
    lines += ["## Safety rules (engine)", ""]
    for rid, text in _SAFETY:
        lines.append(f"- `{rid}`: {text}")
    lines += ["", "## Contraindication checks on the patient's data", ""]
    for c in rs.contraindications:
        th = rs.threshold(c.threshold)
        lines.append(
            f"- `{c.id}` ({c.effect}; applies to {', '.join(c.applies_to)}): "
            f"{c.variable} {th.text()} [{th.status.value}; {th.source}]. "
            f"{c.description} A missing value is a warning and a measure_next entry."
        )
    lines += [
        "",
        "## Transcriptomic endotypes as evidence",
        "",
        "Read from the assessment's endotype columns (`sepsistwin.omics.add_endotypes`, "
        "`recommend --endotypes`) on the days a sample exists; see docs/endotypes.md. "
        "`supports` entries are attached to the named options under `endotype_evidence`; "
        "`caution` entries become day notes. Neither adds nor removes an option.",
        "",
    ]
    for e in rs.endotype_evidence:
        applies = ", ".join(e.applies_to) or "the patient-day"
        lines.append(
            f"- `{e.id}` ({e.effect}; `{e.column}` = {e.endotype}; applies to {applies}) "
            f"[{e.status.value}; {e.source}: {ev.cite(e.source).label()}]: "
            + " ".join(e.description.split())
        )
        for f in e.findings:
            ci = f" ({f.ci[0]:g}-{f.ci[1]:g})" if f.ci else ""
            lines.append(
                f"  - {f.text}: {f.value:g}{ci} [{f.status.value}]"
                + (f"; {f.note}" if f.note else "")
            )
    lines += ["", "## Therapies no rule proposes", ""]
    proposed = {r.therapy for r in rs.rules}
    for tid in ev.ids():
        if tid not in proposed:
            t = ev.therapy(tid)
            lines.append(f"- `{tid}` ({t.evidence_level.label}): {t.evidence_level_note}")
    lines += ["", "## What to measure next", ""]
    for var, m in rs.measure_next.items():
        lines.append(f"- `{var}`: {m.reason} ({m.source})")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/recommendation-rules.md")
    target.write_text(rules_markdown(), encoding="utf-8")
    print(f"wrote {target}")
