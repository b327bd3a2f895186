"""Self-contained HTML report of a trial: summary tables, Kaplan-Meier curves, trajectories."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import plotly.io as pio

from sepsistwin import DISCLAIMER
from sepsistwin.report.figures import km_figure, trajectory_figure
from sepsistwin.trial.analysis import SummaryTable, summary_tables

if TYPE_CHECKING:
    from sepsistwin.trial.analysis import TrialResult

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #666; font-size: 0.9em; }
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(table: SummaryTable) -> str:
    note = f"<p class='note'>{html.escape(table.note)}</p>" if table.note else ""
    return f"<h2>{html.escape(table.title)}</h2>{note}" + _table(table.headers, table.rows)


def render_report(result: TrialResult) -> str:
    """The report as one HTML document (Plotly's JavaScript embedded: works offline).

    Examples
    --------
    >>> "<html" in render_report(result)  # doctest: +SKIP
    True
    """
    sc = result.screening
    tables = summary_tables(result)
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>sepsistwin trial {html.escape(result.name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>In-silico trial: {html.escape(result.name)}</h1>",
        f"<p>Run {html.escape(result.run_id)}. {sc['n_sampled']} virtual patients sampled, "
        f"{sc['n_died_before_screening']} died before screening, {sc['n_screened']} screened, "
        f"{sc['n_enrolled']} enrolled; follow-up {result.follow_up_days} days.</p>",
        *(_section(t) for t in tables[:2]),
        "<h2>Kaplan-Meier</h2>",
        pio.to_html(km_figure(result), include_plotlyjs=True, full_html=False, div_id="km-curves"),
        "<h2>Biomarker trajectories</h2>",
        pio.to_html(
            trajectory_figure(result),
            include_plotlyjs=False,
            full_html=False,
            div_id="trajectories",
        ),
    ]
    parts += [_section(t) for t in tables[2:]]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    if notes:
        parts.append(f"<h2>Notes</h2><ul class='note'>{notes}</ul>")
    parts.append(f"<p class='note'>{html.escape(DISCLAIMER)}</p></body></html>")
    return "\n".join(parts)


def write_report(result: TrialResult, path: str | Path) -> Path:
    """Write :func:`render_report` to ``path`` (folders created); return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(result), encoding="utf-8")
    return out
