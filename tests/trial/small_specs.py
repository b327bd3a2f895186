"""Small trial specifications for the trial tests (imported as ``small_specs``).

A module of its own, not ``conftest``: several test folders have a ``conftest.py``, and which
one ``import conftest`` finds depends on the order pytest loaded them.
"""

from __future__ import annotations

from typing import Any


def small_spec(**overrides: Any) -> dict[str, Any]:
    """A two-arm trial small enough for a unit test (a few hundred patients)."""
    spec: dict[str, Any] = {
        "name": "small",
        "seed": 5,
        "population": {"size": 300},
        "screening": {"at_hours": 24},
        "arms": [
            {"name": "placebo", "therapies": []},
            {
                "name": "anakinra",
                "therapies": [
                    {"therapy": "anakinra", "dose": "200 mg", "every_hours": 8, "doses": 6}
                ],
            },
        ],
        "follow_up_days": 28,
    }
    spec.update(overrides)
    return spec
