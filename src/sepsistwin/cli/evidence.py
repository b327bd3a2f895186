"""``sepsistwin evidence list`` and ``sepsistwin evidence show THERAPY [--json]``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from sepsistwin import DISCLAIMER
from sepsistwin.cli._common import console, fail
from sepsistwin.cli._output import (
    Column,
    OutputFormat,
    format_option,
    print_records,
    print_table,
    resolve_format,
    terminal_width,
)
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


def list_records(ev: EvidenceBase) -> list[dict[str, Any]]:
    """One record per therapy: id, class, phenotypes addressed, evidence level (with its
    status), number of trials."""
    recs = []
    for tid in ev.ids():
        t = ev.therapy(tid)
        recs.append(
            {
                "id": t.id,
                "class": t.therapy_class.value,
                "phenotype_addressed": [p.value for p in t.phenotype_addressed],
                "evidence_level": t.evidence_level.label,
                "evidence_level_status": t.evidence_level_status.value,
                "trials": len(t.trials),
            }
        )
    return recs


def render_list(ev: EvidenceBase, out: Console) -> None:
    """Print the therapy table (id, class, phenotype addressed, evidence level, trials),
    fitted to the terminal width (long cells wrap; nothing is cut)."""
    rows = []
    for tid in ev.ids():
        t = ev.therapy(tid)
        level = t.evidence_level.label
        if t.evidence_level_status is not Status.VERIFIED:
            level += f"\n{_status(t.evidence_level_status)}"
        rows.append(
            [
                t.id,
                t.therapy_class.value,
                ",\n".join(p.value for p in t.phenotype_addressed),
                level,
                str(len(t.trials)),
            ]
        )
    columns = [
        Column("id"),
        Column("class", 2),
        Column("phenotype addressed", 1),
        Column("evidence level"),
        Column("trials", 3, "right"),
    ]
    print_table(console=out, columns=columns, rows=rows, title="sepsistwin evidence base")
    out.print(f"[dim]{DISCLAIMER}[/]", soft_wrap=terminal_width(out) is None)


def _flat(value: Any) -> Any:
    """A Value record as text ('200 mg', '5-10 mg/kg'); other values unchanged."""
    if isinstance(value, dict) and "value" in value and "unit" in value:
        upper = f"-{value['upper']:g}" if value.get("upper") is not None else ""
        return f"{value['value']:g}{upper} {value['unit']}".strip()
    return value


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
    def list_command(fmt: Annotated[OutputFormat | None, format_option()] = None) -> None:
        """List the therapies: id, class, phenotype addressed, evidence level, trials."""
        form = resolve_format(fmt)
        ev = load_evidence()
        if form is OutputFormat.table:
            render_list(ev, console)
        else:
            print_records(list_records(ev), form)

    @group.command("show")
    def show_command(
        therapy: Annotated[str, typer.Argument(help="Therapy id, e.g. anakinra.")],
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the therapy record as JSON.")
        ] = False,
        fmt: Annotated[
            OutputFormat | None,
            typer.Option(
                "--format",
                "-f",
                help="table (readable) or json (the full record); csv/tsv: its regimens.",
                case_sensitive=False,
            ),
        ] = None,
    ) -> None:
        """Show one therapy with its regimens, trials and sources."""
        form = resolve_format(fmt, json_out)
        ev = load_evidence()
        try:
            t = ev.therapy(therapy)
        except UnknownTherapyError as exc:
            fail(str(exc))
        if form is OutputFormat.json:
            payload = {**ev.therapy_dict(t.id), "disclaimer": DISCLAIMER}
            typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        elif form is not OutputFormat.table:
            print_records(
                [
                    {"therapy": t.id, **{k: _flat(v) for k, v in r.items()}}
                    for r in ev.therapy_dict(t.id).get("regimens", [])
                ],
                form,
            )
        else:
            render_therapy(t, ev, console)

    app.add_typer(group, name="evidence")
