"""Small helpers shared by CLI commands: JSON output, errors, consoles."""

from __future__ import annotations

import json
import os
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions

from sepsistwin.api import frame_records, jsonable

__all__ = [
    "check_out_path",
    "check_output_path",
    "console",
    "err_console",
    "fail",
    "frame_records",
    "jsonable",
    "print_json",
    "waiting",
]


class _Console(Console):
    """A Rich console whose width follows ``COLUMNS`` at every print.

    Rich reads ``COLUMNS`` once, when the console is made; these consoles are made when the
    CLI is imported, and a process may run several commands (tests, scripts, the web app's
    jobs) with different settings.
    """

    @property
    def size(self) -> ConsoleDimensions:
        dims = super().size
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return ConsoleDimensions(int(columns), dims.height)
        return dims

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


# Width follows the terminal, or COLUMNS when set; tables are fitted by ``cli._output``.
console: Console = _Console()
err_console: Console = _Console(stderr=True)


def waiting(message: str) -> AbstractContextManager[object]:
    """A spinner with ``message`` on stderr while a block runs, when stderr is a terminal
    (nothing otherwise: logs and pipes get no control characters)."""
    if err_console.is_terminal:
        return err_console.status(message, spinner="dots")
    return nullcontext()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code`` (2 = bad input)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


#: Help of every ``--encoding`` option.
ENCODING_HELP = "Text encoding of CSV, JSON and onset files (default utf-8), e.g. latin-1, cp1252."


def check_out_path(path: Path | None, option: str = "--out") -> None:
    """Fail with one line unless ``path`` can be written: its folder exists and is a folder.

    Checked before any work, so a long run does not end in a traceback when it writes.
    """
    if path is None:
        return
    parent = path.expanduser().resolve().parent
    if not parent.exists():
        fail(f"{option} {path}: the folder {parent} does not exist; create it first")
    if not parent.is_dir():
        fail(f"{option} {path}: {parent} is not a folder")
    if path.is_dir():
        fail(f"{option} {path}: is a folder; give a file name")
    if not os.access(parent, os.W_OK):
        fail(f"{option} {path}: the folder {parent} is not writable")


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (no Rich markup, so it pipes cleanly)."""
    typer.echo(json.dumps(jsonable(payload), indent=2))


def check_output_path(option: str, path: Path, suffixes: tuple[str, ...]) -> None:
    """Refuse an output file whose extension is not one of ``suffixes`` (the file type
    follows the extension) or whose folder does not exist, before any work is done."""
    if path.suffix.lower() == ".pdf" and ".pdf" not in suffixes:
        fail(
            f"{option} {path}: PDF is not written (drawing the figures needs a browser); "
            f"write {' or '.join(suffixes)} and print it to PDF from a browser"
        )
    if path.suffix.lower() not in suffixes:
        fail(
            f"{option} {path}: the file type follows the extension; {path.suffix or 'none'!r} "
            f"is not written; expected {' or '.join(suffixes)}"
        )
    check_out_path(path, option)
