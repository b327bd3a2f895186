"""The ``sepsistwin`` command.

Each domain registers its commands from its own module (``cli/assess.py``,
``cli/evidence.py``, ...) via ``register(app)``, so this file only lists them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from sepsistwin import __version__
from sepsistwin.cli._help import apply_help_style

app = typer.Typer(
    name="sepsistwin",
    help=(
        "Immune rebalancing in septic shock: assess, recommend, simulate, trial. "
        "Research decision support, not a clinical order."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sepsistwin {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the sepsistwin version and exit.",
        ),
    ] = False,
) -> None:
    """Immune rebalancing in septic shock. Research decision support, not a clinical order."""


@app.command("version")
def version() -> None:
    """Print the sepsistwin version."""
    typer.echo(__version__)


def _register_all() -> None:
    # One import and one register call per domain module; each defines ``register(app)``.
    from sepsistwin.cli import assess as _assess
    from sepsistwin.cli import calibrate as _calibrate
    from sepsistwin.cli import data as _data
    from sepsistwin.cli import demo as _demo
    from sepsistwin.cli import endotype as _endotype
    from sepsistwin.cli import evidence as _evidence
    from sepsistwin.cli import examples as _examples
    from sepsistwin.cli import optimize as _optimize
    from sepsistwin.cli import recommend as _recommend
    from sepsistwin.cli import serve as _serve
    from sepsistwin.cli import simulate as _simulate
    from sepsistwin.cli import trial as _trial
    from sepsistwin.cli import twin as _twin
    from sepsistwin.cli import validate as _validate

    _demo.register(app)
    _assess.register(app)
    _endotype.register(app)
    _data.register(app)
    _evidence.register(app)
    _recommend.register(app)
    _simulate.register(app)
    _calibrate.register(app)
    _trial.register(app)
    _twin.register(app)
    _optimize.register(app)
    _serve.register(app)
    _validate.register(app)
    _examples.register(app)
    apply_help_style(app)


_register_all()

if __name__ == "__main__":  # pragma: no cover
    app()
