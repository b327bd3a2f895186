"""``sepsistwin evidence list`` and ``sepsistwin evidence show THERAPY [--json]``."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from sepsistwin import DISCLAIMER
from sepsistwin.cli._common import console, fail
from sepsistwin.evidence import EvidenceBase, Status, Therapy, UnknownTherapyError, load_evidence
from sepsistwin.evidence.schema import Effect, Value

_STATUS_STYLE = {
    Status.VERIFIED: "green",
    Status.RECALLED: "bold yellow",
    Status.NOT_FOUND: "red",
    Status.DERIVED: "cyan",
}


def _status(s: Status) -> str:
    """Status tag; RECALLED is spelled out as unverified so it is never read as verified."""
    label = "RECALLED, unverified" if s is Status.RECALLED else s.value
    return f"[{_STATUS_STYLE[s]}]\\[{label}][/]"


def _value(v: Value) -> str:
    return f"{v.text()} {_status(v.status)} [dim]({v.source})[/]"


def _effect(e: Effect) -> str:
    return f"{e.endpoint}: {e.description} {_status(e.status)} [dim]({e.source})[/]"


def render_list(ev: EvidenceBase, out: Console) -> None:
    """Print the therapy table (id, class, phenotype addressed, evidence level, trials)."""
    table = Table(title="sepsistwin evidence base", title_justify="left")
    table.add_column("id", no_wrap=True)
    for col in ("class", "phenotype addressed", "evidence level", "trials"):
        table.add_column(col, justify="right" if col == "trials" else "left")
    for tid in ev.ids():
        t = ev.therapy(tid)
        level = t.evidence_level.label
        if t.evidence_level_status is not Status.VERIFIED:
            level += f" {_status(t.evidence_level_status)}"
        table.add_row(
            t.id,
            t.therapy_class.value,
            ", ".join(p.value for p in t.phenotype_addressed),
            level,
            str(len(t.trials)),
        )
    out.print(table)
    out.print(f"[dim]{DISCLAIMER}[/]")


def render_therapy(t: Therapy, ev: EvidenceBase, out: Console) -> None:
    """Print one therapy: regimens, timing, contraindications, AEs, pharmacology, trials."""
    head = (
        f"[bold]{t.id}[/] ({', '.join(t.names)})\n"
        f"class: {t.therapy_class.value}; targets: {'; '.join(t.targets)}\n"
        f"mechanism: {t.mechanism}\n"
        f"phenotype addressed: {', '.join(p.value for p in t.phenotype_addressed)}\n"
        f"evidence level: [bold]{t.evidence_level.label}[/] {_status(t.evidence_level_status)} "
        f"[dim]({t.evidence_level_source})[/]\n{t.evidence_level_note}"
    )
    out.print(Panel(head, title=t.id, title_align="left"))
    if t.variants:
        out.print("[bold]Variants[/]")
        for var in t.variants:
            out.print(f"  {var.id}: {', '.join(var.names)}. {var.description}")
    if t.regimens:
        table = Table(title="Routes and doses used", title_justify="left")
        for col in ("regimen", "route", "dose", "schedule", "source"):
            table.add_column(col)
        for r in t.regimens:
            table.add_row(
                r.label,
                r.route.value,
                f"{r.dose.text()} {_status(r.dose.status)}",
                r.schedule_text(),
                f"{r.source} {_status(r.status)}",
            )
        out.print(table)
    out.print("[bold]Timing window[/]")
    if t.timing_window is not None:
        out.print(
            f"  {t.timing_window.description} {_status(t.timing_window.status)} "
            f"[dim]({t.timing_window.source})[/]"
        )
    else:
        out.print(f"  {t.timing_note or 'not collected'}")
    if t.contraindications:
        out.print("[bold]Contraindications and cautions[/]")
        for c in t.contraindications:
            out.print(
                f"  {c.id} ({c.kind}): {c.description} {_status(c.status)} [dim]({c.source})[/]"
            )
    if t.adverse_events:
        out.print("[bold]Adverse events[/]")
        for ae in t.adverse_events:
            rates = "; ".join(f"{gv.group} {_value(gv)}" for gv in ae.rates)
            desc = f" {ae.description}" if ae.description else ""
            out.print(f"  {ae.event}:{desc} {rates} {_status(ae.status)} [dim]({ae.source})[/]")
    if t.pharmacology:
        out.print("[bold]Pharmacology / duration of action[/]")
        for f in t.pharmacology:
            out.print(f"  {f.label}: {f.text} {_status(f.status)} [dim]({f.source})[/]")
    if t.trials:
        out.print("[bold]Trials[/]")
        for tr in t.trials:
            n = f"n={tr.n.value}" if tr.n is not None else "n not applicable"
            cite = ev.cite(tr.citation)
            out.print(
                f"  [bold]{tr.name}[/] ({tr.level.label}; {n}; "
                f"{'sepsis' if tr.in_sepsis else 'not a sepsis population'})\n"
                f"    design: {tr.design}\n    population: {tr.population}\n"
                f"    endpoint: {tr.endpoint}\n    citation: {cite.text}; {cite.label()} "
                f"{_status(cite.status)}"
            )
            for arm in tr.arms:
                arm_n = f" (n={arm.n.value})" if arm.n is not None else ""
                out.print(f"    arm: {arm.name}{arm_n}")
            for e in tr.effects:
                out.print(f"    effect: {_effect(e)}")
    else:
        out.print("[bold]Trials[/]: none (no sepsis trial found in the collected sources)")
    out.print(f"[dim]{DISCLAIMER}[/]")


def register(app: typer.Typer) -> None:
    """Add the ``evidence`` command group to ``app``."""
    group = typer.Typer(
        help="The cited evidence base: therapies, doses, trials, effects (every number with "
        "its source and VERIFIED/RECALLED status).",
        no_args_is_help=True,
    )

    @group.command("list")
    def list_command() -> None:
        """List the therapies: id, class, phenotype addressed, evidence level, trials."""
        render_list(load_evidence(), console)

    @group.command("show")
    def show_command(
        therapy: Annotated[str, typer.Argument(help="Therapy id, e.g. anakinra.")],
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the therapy record as JSON.")
        ] = False,
    ) -> None:
        """Show one therapy with its regimens, trials and sources."""
        ev = load_evidence()
        try:
            t = ev.therapy(therapy)
        except UnknownTherapyError as exc:
            fail(str(exc))
        if json_out:
            payload = {**ev.therapy_dict(t.id), "disclaimer": DISCLAIMER}
            typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        else:
            render_therapy(t, ev, console)

    app.add_typer(group, name="evidence")
