"""Shared fixtures: the test-only Reynolds simulator."""

from __future__ import annotations

import pytest
from reynolds_sim import ReynoldsTrialSimulator


@pytest.fixture(scope="session")
def simulator() -> ReynoldsTrialSimulator:
    return ReynoldsTrialSimulator()
