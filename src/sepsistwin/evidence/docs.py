"""Generate ``docs/evidence-base.md`` from the data files (``python -m sepsistwin.evidence.docs``).

The document is a by-product of the data: a test checks the committed copy is up to date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sepsistwin import DISCLAIMER
from sepsistwin.evidence.loader import EvidenceBase, load_evidence
from sepsistwin.evidence.schema import Effect, Status, Therapy


def _st(s: Status) -> str:
    return "RECALLED (unverified)" if s is Status.RECALLED else s.value


def _effect(e: Effect) -> str:
    return f"{e.endpoint}: {e.description} [{_st(e.status)}; {e.source}]"


def _therapy_md(t: Therapy, ev: EvidenceBase) -> list[str]:
    out = [f"## `{t.id}`: {', '.join(t.names)}", ""]
    out.append(f"- **Class:** {t.therapy_class.value}; **targets:** {'; '.join(t.targets)}")
    out.append(f"- **Mechanism:** {t.mechanism}")
    out.append(f"- **Phenotype addressed:** {', '.join(p.value for p in t.phenotype_addressed)}")
    out.append(
        f"- **Evidence level:** {t.evidence_level.label} "
        f"[{_st(t.evidence_level_status)}; {t.evidence_level_source}]. "
        f"{t.evidence_level_note}"
    )
    for v in t.variants:
        out.append(f"- **Variant `{v.id}`** ({', '.join(v.names)}): {v.description}")
    if t.timing_window is not None:
        out.append(
            f"- **Timing window:** {t.timing_window.description} "
            f"[{_st(t.timing_window.status)}; {t.timing_window.source}]"
        )
    elif t.timing_note:
        out.append(f"- **Timing:** {t.timing_note}")
    out.append("")
    if t.regimens:
        out += ["| Regimen | Route | Dose | Schedule | Status; source |", "|---|---|---|---|---|"]
        for r in t.regimens:
            out.append(
                f"| {r.label} | {r.route.value} | {r.dose.text()} "
                f"({_st(r.dose.status)}) | {r.schedule_text()} | "
                f"{_st(r.status)}; {r.source} |"
            )
        out.append("")
    if t.contraindications:
        out.append("**Contraindications and cautions**")
        out.append("")
        for c in t.contraindications:
            out.append(f"- `{c.id}` ({c.kind}): {c.description} [{_st(c.status)}; {c.source}]")
        out.append("")
    if t.adverse_events:
        out.append("**Adverse events**")
        out.append("")
        for ae in t.adverse_events:
            rates = "; ".join(f"{gv.group}: {gv.text()} ({_st(gv.status)})" for gv in ae.rates)
            desc = f" {ae.description}" if ae.description else ""
            out.append(
                f"- {ae.event}.{desc}"
                + (f" Rates: {rates}." if rates else "")
                + f" [{_st(ae.status)}; {ae.source}]"
            )
        out.append("")
    if t.pharmacology:
        out.append("**Pharmacology and duration of action**")
        out.append("")
        for f in t.pharmacology:
            out.append(f"- {f.label}: {f.text} [{_st(f.status)}; {f.source}]")
        out.append("")
    out.append("**Trials**")
    out.append("")
    if not t.trials:
        out.append("- None: no sepsis trial was found in the collected sources.")
    for tr in t.trials:
        n = f"n={tr.n.value:,}" if tr.n is not None else "n not applicable"
        cite = ev.cite(tr.citation)
        out.append(
            f"- **{tr.name}** ({tr.level.label}; {n}; "
            f"{'sepsis' if tr.in_sepsis else 'not a sepsis population'}). "
            f"{tr.design}. Population: {tr.population}. Endpoint: {tr.endpoint}. "
            f"Citation: {cite.text}; {cite.label()} [{_st(tr.status)}]"
        )
        for e in tr.effects:
            out.append(f"  - {_effect(e)}")
    out.append("")
    return out


def evidence_markdown(ev: EvidenceBase | None = None) -> str:
    """The whole evidence base as Markdown.

    Examples
    --------
    >>> evidence_markdown().startswith("# Evidence base")
    True
    """
    ev = ev or load_evidence()
    lines = [
        "# Evidence base",
        "",
        "Generated from `src/sepsistwin/evidence/data/` by `python -m sepsistwin.evidence.docs "
        "docs/evidence-base.md`; do not edit by hand.",
        "",
        "Every number carries its status: VERIFIED (read in the named source), RECALLED (not "
        "checked; shown as unverified everywhere), NOT_FOUND, or DERIVED (computed from "
        "verified inputs). Each fact names its primary source (`evidence/data/citations.yaml`).",
        "",
        f"*{DISCLAIMER}*",
        "",
        "| Therapy | Class | Phenotype addressed | Evidence level | Trials |",
        "|---|---|---|---|---|",
    ]
    for tid in ev.ids():
        t = ev.therapy(tid)
        lines.append(
            f"| `{t.id}` | {t.therapy_class.value} | "
            f"{', '.join(p.value for p in t.phenotype_addressed)} | "
            f"{t.evidence_level.label} ({_st(t.evidence_level_status)}) | "
            f"{len(t.trials)} |"
        )
    lines.append("")
    for tid in ev.ids():
        lines += _therapy_md(ev.therapy(tid), ev)
    lines += ["## Citations", ""]
    for key in sorted(ev.citations):
        c = ev.citations[key]
        note = f" ({c.identifier_note})" if c.identifier_note else ""
        lines.append(f"- `{key}`: {c.text}; {c.label()}{note} [{_st(c.status)}]")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/evidence-base.md")
    target.write_text(evidence_markdown(), encoding="utf-8")
    print(f"wrote {target}")
