"""Shared fixtures: the test-only Reynolds simulator and small trial specs."""

from __future__ import annotations

from typing import Any

import pytest
from reynolds_sim import ReynoldsTrialSimulator


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


@pytest.fixture(scope="session")
def simulator() -> ReynoldsTrialSimulator:
    return ReynoldsTrialSimulator()
