"""Output formats and tables that fit the terminal.

Every printing command takes ``--format table|csv|tsv|json`` (``--json`` stays as the short
form of ``--format json``). Tables are drawn at the terminal's width (``COLUMNS`` when set):
columns are kept in order of importance and the least important are left out, with a line
naming them, rather than cutting words; piped output without ``COLUMNS`` is never narrowed.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sepsistwin.cli._common import jsonable, print_json


class OutputFormat(enum.StrEnum):
    """How a command prints its result."""

    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"


FORMAT_HELP = "Output: a readable table, csv or tsv (one row per record) or json."


def format_option() -> Any:
    """The ``--format`` option shared by the printing commands."""
    return typer.Option("--format", "-f", help=FORMAT_HELP, case_sensitive=False)


def resolve_format(fmt: OutputFormat | None, json_flag: bool = False) -> OutputFormat:
    """``--json`` is ``--format json``; both given and different is an error."""
    from sepsistwin.cli._common import fail

    if json_flag and fmt not in (None, OutputFormat.json):
        fail(f"--json and --format {fmt.value if fmt else ''} disagree; give one of them")
    if json_flag:
        return OutputFormat.json
    return fmt or OutputFormat.table


def print_frame(frame: pd.DataFrame, fmt: OutputFormat) -> None:
    """Print ``frame`` as CSV, TSV or a JSON array of records (list cells joined by '; ' in
    CSV/TSV)."""
    if fmt is OutputFormat.json:
        print_json(frame.to_dict(orient="records"))
        return
    flat = frame.copy()
    for col in flat.columns:
        if flat[col].map(lambda v: isinstance(v, list | tuple)).any():
            flat[col] = flat[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    sep = "," if fmt is OutputFormat.csv else "\t"
    typer.echo(flat.to_csv(sep=sep, index=False, lineterminator="\n"), nl=False)


def print_records(records: list[dict[str, Any]], fmt: OutputFormat) -> None:
    """Print JSON-ready records in ``fmt`` (``table`` is not handled here)."""
    if fmt is OutputFormat.json:
        print_json(records)
    else:
        print_frame(pd.DataFrame([jsonable(r) for r in records]), fmt)


def terminal_width(console: Console) -> int | None:
    """Width to draw tables at: ``COLUMNS`` if set, the terminal's if stdout is one, else
    ``None`` (no limit: piped output keeps every column)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return console.width if console.is_terminal else None


def print_wide(console: Console, renderable: Any, width: int | None) -> None:
    """Print ``renderable`` at ``width``, or at its natural width when ``width`` is None
    (Rich clamps a print's width to the console's, 80 cells for a pipe)."""
    if width is not None:
        console.print(renderable, width=width)
        return
    wide = Console(
        file=console.file,
        width=_UNLIMITED,
        force_terminal=console.is_terminal,
        color_system=console.color_system,  # type: ignore[arg-type]
        highlight=False,
    )
    wide.print(renderable)


#: "No limit" for piped tables: a width no real table reaches.
_UNLIMITED = 10_000


@dataclass(frozen=True)
class Column:
    """A table column: header, importance (0 = always kept; higher = left out first) and
    alignment."""

    header: str
    priority: int = 0
    justify: str = "left"


def _cell_width(cell: str) -> int:
    return max((Text.from_markup(line).cell_len for line in cell.split("\n")), default=0)


def choose_columns(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None
) -> list[int]:
    """Indices of the columns that fit in ``width`` at their natural width (see
    :func:`fit_table`); call it on all rows to give several tables the same columns."""
    natural = _natural(columns, rows)
    keep = list(range(len(columns)))
    if width is not None:
        for i in sorted(keep, key=lambda i: (-columns[i].priority, -i)):
            if _needed(natural, keep) <= width or columns[i].priority == 0:
                break
            keep.remove(i)
    return keep


def _natural(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> list[int]:
    return [
        max(_cell_width(c.header), *(_cell_width(r[i]) for r in rows)) if rows else len(c.header)
        for i, c in enumerate(columns)
    ]


def _needed(natural: list[int], keep: list[int]) -> int:
    # box.SIMPLE_HEAD without outer edge: 1 padding each side, 1 divider between columns.
    return sum(natural[i] for i in keep) + 3 * max(len(keep) - 1, 0)


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int | None,
    *,
    title: str | None = None,
    keep: list[int] | None = None,
) -> tuple[Table, list[str]]:
    """A Rich table of ``rows`` that fits in ``width`` cells without cutting a word.

    Columns are dropped from the highest ``priority`` number down until the rest fit at
    their natural width; priority-0 columns are never dropped (if they alone are too wide,
    their cells wrap). Returns the table and the headers left out.

    Examples
    --------
    >>> t, left_out = fit_table([Column("a"), Column("long b", 1)], [["x", "y" * 90]], 40)
    >>> left_out
    ['long b']
    """
    if keep is None:
        keep = choose_columns(columns, rows, width)
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        expand=False,
    )
    fits = width is None or _needed(_natural(columns, rows), keep) <= width
    for i in keep:
        table.add_column(
            columns[i].header,
            justify=columns[i].justify,  # type: ignore[arg-type]
            no_wrap=fits,
            overflow="fold",
        )
    for r in rows:
        table.add_row(*(r[i] for i in keep))
    left_out = [columns[i].header for i in range(len(columns)) if i not in keep]
    return table, left_out


def print_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    hint: str = "widen the terminal or use --format csv",
) -> list[str]:
    """Draw :func:`fit_table` on ``console``; name the columns left out. Returns them."""
    width = terminal_width(console)
    table, left_out = fit_table(columns, rows, width, title=title)
    print_wide(console, table, width)
    if left_out:
        console.print(
            f"[dim]not shown at {width} columns: {', '.join(left_out)} ({hint})[/]",
            highlight=False,
        )
    return left_out


def stack_columns(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None
) -> list[list[int]]:
    """Groups of column indices, each starting with the key column 0, that fit in ``width``
    side by side: a wide table printed as several narrower ones, nothing left out.

    Examples
    --------
    >>> cols = [Column("arm"), Column("a" * 30), Column("b" * 30), Column("c" * 30)]
    >>> stack_columns(cols, [["x", "1", "2", "3"]], 80)
    [[0, 1, 2], [0, 3]]
    """
    if width is None:
        return [list(range(len(columns)))]
    natural = _natural(columns, rows)
    groups: list[list[int]] = [[0]]
    for i in range(1, len(columns)):
        if len(groups[-1]) > 1 and _needed(natural, [*groups[-1], i]) > width:
            groups.append([0])
        groups[-1].append(i)
    return groups


def print_stacked(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
) -> None:
    """Draw a table at the terminal width by stacking column groups (see
    :func:`stack_columns`) instead of cutting or wrapping cells."""
    width = terminal_width(console)
    for k, keep in enumerate(stack_columns(columns, rows, width)):
        table, _ = fit_table(columns, rows, width, title=title if k == 0 else None, keep=keep)
        print_wide(console, table, width)
