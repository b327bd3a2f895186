"""Help pages that read like a Unix tool's: ``--flag`` without a type tag, ``INPUT`` for an
argument, values as ``INT``/``PATH``, and docstrings reflowed to the terminal width.

Typer renders a type tag for every parameter (``--json <bool>``, even ``--help <bool>``) and
braces around required arguments (``{input}``); :class:`HelpCommand` and :class:`HelpGroup`
set click-style metavars before the help is drawn. :func:`apply_help_style` gives every
command and sub-app of a Typer app these classes, so a new sub-app needs no change here.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

#: Metavar per Typer type label (``<int>`` -> ``INT``).
_METAVARS = {"int": "INT", "float": "FLOAT", "str": "TEXT", "path": "PATH", "file": "FILE"}
_PARAGRAPH = re.compile(r"\n\s*\n")


def reflow(text: str | None) -> str | None:
    """Join the lines of each paragraph of a docstring (paragraphs stay apart).

    Examples
    --------
    >>> reflow("Assess a timeline:\\n    SOFA, shock.\\n\\n    Example: x")
    'Assess a timeline: SOFA, shock.\\n\\nExample: x'
    """
    if text is None:
        return None
    import inspect

    paragraphs = _PARAGRAPH.split(inspect.cleandoc(text))
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _metavar(param: Any, ctx: Any) -> str | None:
    if isinstance(param, TyperArgument):
        return (param.name or "arg").upper()
    if isinstance(param, TyperOption):
        if param.is_flag or param.count:
            return ""
        label = param.display_type(ctx).strip("<>")
        if "|" in label:  # a choice: list the values
            return "[" + label + "]"
        label = label.removesuffix(" range")  # the range itself is printed beside it
        return _METAVARS.get(label.lower(), label.upper())
    return None


def _implicit_negative(param: TyperOption) -> bool:
    """A ``--no-x`` Typer adds to every ``bool`` option ``--x`` that defaults to off."""
    return (
        param.is_bool_flag
        and param.default is False
        and len(param.opts) == 1
        and param.secondary_opts == [f"--no-{param.opts[0].removeprefix('--')}"]
    )


def _tidy(command: Any, ctx: Any) -> None:
    # Runs when the help is drawn, after the command line was parsed: what changes here
    # changes the help page only.
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            # The name column already shows the argument; no type tag beside it.
            param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
        if isinstance(param, TyperOption) and _implicit_negative(param):
            # '--lenient' reads better than '--lenient / --no-lenient [default: no-lenient]'
            # for a switch that is off unless given.
            param.secondary_opts = []
            param.show_default = False
        if param.metavar is None:
            mv = _metavar(param, ctx)
            if mv is not None:
                param.metavar = mv


def _usage_pieces(command: Any, ctx: Any) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if isinstance(param, TyperArgument):
            name = param.metavar or (param.name or "arg").upper()
            if param.nargs != 1:
                name += "..."
            pieces.append(name if param.required else f"[{name}]")
    return pieces


class HelpCommand(TyperCommand):
    """A Typer command whose help shows click-style metavars and reflowed text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["help"] = reflow(kwargs.get("help"))
        super().__init__(*args, **kwargs)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _tidy(self, ctx)
        super().format_help(ctx, formatter)


class HelpGroup(TyperGroup):
    """A Typer group whose help shows click-style metavars and reflowed text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["help"] = reflow(kwargs.get("help"))
        super().__init__(*args, **kwargs)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*_usage_pieces(self, ctx), self.subcommand_metavar or "COMMAND [ARGS]..."]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _tidy(self, ctx)
        super().format_help(ctx, formatter)


def apply_help_style(app: typer.Typer) -> None:
    """Give every command and sub-app of ``app`` (recursively) the help classes above."""
    # Typer fills in its own base classes where none was given; a command or sub-app that
    # asked for a class of its own keeps it.
    if not isinstance(app.info.cls, type) or app.info.cls is TyperGroup:
        app.info.cls = HelpGroup
    for info in app.registered_commands:
        if info.cls is None or info.cls is TyperCommand:
            info.cls = HelpCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            apply_help_style(group.typer_instance)
        if not isinstance(group.cls, type) or group.cls is TyperGroup:
            group.cls = HelpGroup
