"""Readable output of a :class:`RecommendationSet`: one Rich panel per patient-day."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sepsistwin import DISCLAIMER
from sepsistwin.recommend.engine import DayRecommendation, RecommendationSet

_PHENOTYPE_STYLE = {
    "MALS": "bold red",
    "immunoparalysis": "bold blue",
    "intermediate": "green",
    "indeterminate": "dim",
}


def _status(s: str | None) -> str:
    if s is None:
        return ""
    if s == "RECALLED":
        return "[bold yellow]\\[RECALLED, unverified][/]"
    if s == "VERIFIED":
        return "[green]\\[VERIFIED][/]"
    return f"[cyan]\\[{s}][/]"


def _effect_line(e: dict[str, Any]) -> str:
    return f"{e['trial']}: {e['endpoint']}: {e['description']} {_status(e['status'])}"


def _option_block(o: dict[str, Any], details: bool) -> list[Any]:
    lines: list[Any] = []
    dose = o["dose"]
    lines.append(
        Text.from_markup(
            f"[bold]{o['rank']}. {o['therapy']}[/] ({o['name']}): {dose['text']} "
            f"{_status(dose['status'])} {o['route']} {o['schedule']}  "
            f"evidence: {o['evidence_level_label']}, {o['evidence_strength']['strength']}"
        )
    )
    lines.append(Text.from_markup(f"   why: {o['rationale']['fired_because']}"))
    trials = ", ".join(t["name"] for t in o["trials"])
    lines.append(Text(f"   trials: {trials}"))
    effects = o["effect_reported"] if details else o["effect_reported"][:1]
    for e in effects:
        lines.append(Text.from_markup(f"   effect: {_effect_line(e)}"))
    for c in o["contraindications_found"]:
        lines.append(Text.from_markup(f"   [yellow]caution[/]: {c['description']}"))
    shown = (
        o["warnings"]
        if details
        else [
            w
            for w in o["warnings"]
            if w["kind"]
            in (
                "irae",
                "duration_of_action",
                "caveat",
                "timing",
                "unverified_number",
                "missing_data",
                "combination",
            )
        ]
    )
    for w in shown:
        lines.append(
            Text.from_markup(
                f"   [magenta]warning ({w['kind']})[/]: {w['text']} {_status(w.get('status'))}"
            )
        )
    if not details:
        n_ae = sum(w["kind"] == "adverse_event" for w in o["warnings"])
        if n_ae:
            lines.append(Text(f"   + {n_ae} adverse-event entries (see --json or details)"))
    for e in o.get("endotype_evidence", []):
        lines.append(
            Text.from_markup(
                f"   [cyan]endotype {e['endotype']} ({e['effect']})[/]: {e['text']} "
                f"[{e['source']}] {_status(e.get('status'))}"
            )
        )
    lines.append(
        Text(
            f"   timing: {o['timing_window']['description']}"
            + (f" ({o['timing_window']['check']})" if "check" in o["timing_window"] else "")
        )
    )
    return lines


def render_day(day: DayRecommendation, console: Console, *, details: bool = False) -> None:
    """Print one patient-day as a Rich panel."""
    style = _PHENOTYPE_STYLE.get(day.phenotype, "")
    body: list[Any] = []
    if day.options:
        for o in day.options:
            body.extend(_option_block(o, details))
    else:
        body.append(Text.from_markup(f"[bold]{day.no_immunotherapy_reason}[/]"))
    if day.excluded:
        table = Table(title="excluded", title_justify="left", show_header=True, expand=False)
        table.add_column("therapy")
        table.add_column("reason")
        for e in day.excluded:
            table.add_row(e["therapy"], e["reason"])
        body.append(table)
    if day.measure_next:
        body.append(
            Text(
                "measure next: "
                + "; ".join(f"{m['variable']} ({m['reason']})" for m in day.measure_next)
            )
        )
    for n in day.notes:
        body.append(Text(f"note: {n}"))
    body.append(Text(day.disclaimer, style="dim"))
    title = (
        f"Patient {day.patient_id}, day {day.day}: [{style}]{day.phenotype}[/], "
        f"immune state {day.immune_state}"
    )
    console.print(Panel(Group(*body), title=title, title_align="left"))


def render(
    recommendations: RecommendationSet, console: Console | None = None, *, details: bool = False
) -> None:
    """Print every patient-day of ``recommendations`` (the function ``sepsistwin demo`` calls).

    Examples
    --------
    >>> import pandas as pd
    >>> from rich.console import Console
    >>> from sepsistwin.recommend import recommend
    >>> a = pd.DataFrame({"patient_id": ["P1"], "day": [0], "phenotype": ["indeterminate"],
    ...                   "immune_state": ["indeterminate"]})
    >>> import io
    >>> console = Console(width=100, record=True, file=io.StringIO())
    >>> render(recommend(a), console)
    >>> "measure next: ferritin" in console.export_text()
    True
    """
    console = console or Console()
    for day in recommendations.days:
        render_day(day, console, details=details)
    console.print(f"[dim]{DISCLAIMER}[/]")
