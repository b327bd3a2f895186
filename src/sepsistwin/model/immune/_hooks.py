"""Hook expressions: named points where one module reads what another (or a drug) provides.

A module that *reads* a quantity declares it with :func:`hook` and a neutral default (no drug:
``TNF_block = 0``). A module that *provides* it calls :func:`provide`, which redefines the hook
(or declares it, if the reader comes later). So every module builds on its own with neutral
defaults, and the assembled preset wires drugs to their targets by mechanism only.
"""

from __future__ import annotations

from sepsistwin.model.model import ModelBuilder

PROPOSAL = "PROPOSAL (sepsistwin modelling choice; no published value)"
CALIBRATED = "CALIBRATED (sepsistwin calibrate; population/data/calibrated.yaml)"


def hook(b: ModelBuilder, name: str, default: str, unit: str, description: str) -> None:
    """Declare hook ``name`` with a neutral ``default`` unless a provider already defined it.

    Examples
    --------
    >>> b = ModelBuilder("demo")
    >>> hook(b, "TNF_block", "0", "1", "fraction of TNF neutralised")
    """
    try:
        b.add_expression(name, default, unit, description)
    except ValueError:
        pass  # a provider module was included first: keep its definition


def provide(
    b: ModelBuilder, name: str, expression: str, unit: str = "", description: str = ""
) -> None:
    """Define hook ``name`` as ``expression`` (redefining the neutral default if declared).

    Examples
    --------
    >>> b = ModelBuilder("demo")
    >>> provide(b, "TNF_block", "0.5", "1")
    """
    try:
        b.replace_expression(name, expression)
    except ValueError:
        b.add_expression(name, expression, unit, description)
