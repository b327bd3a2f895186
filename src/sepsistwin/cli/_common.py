"""Small helpers shared by CLI commands: JSON output, errors, consoles."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from sepsistwin.api import frame_records, jsonable

__all__ = ["console", "err_console", "fail", "frame_records", "jsonable", "print_json"]

# Piped output (files, CI logs) gets a fixed generous width so tables are not squeezed
# into 80 columns; a terminal uses its own width.
_PIPE_WIDTH = 130
console = Console() if sys.stdout.isatty() else Console(width=_PIPE_WIDTH)
err_console = (
    Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=_PIPE_WIDTH)
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error to stderr and exit with ``code`` (2 = bad input)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (no Rich markup, so it pipes cleanly)."""
    typer.echo(json.dumps(jsonable(payload), indent=2))
