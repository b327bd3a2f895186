"""Validation: the model against published behaviours it was not fitted to (one at a time).

``load_catalogue`` reads the behaviour entries (``data/behaviours.yaml``), ``run_scorecard``
measures each on paired virtual-cohort simulations and ``markdown`` renders docs/validation.md
(``sepsistwin validate``).
"""

from sepsistwin.validation.scorecard import (
    Behaviour,
    Scorecard,
    Verdict,
    evaluate,
    load_catalogue,
    markdown,
    run_scorecard,
)

__all__ = [
    "Behaviour",
    "Scorecard",
    "Verdict",
    "evaluate",
    "load_catalogue",
    "markdown",
    "run_scorecard",
]
