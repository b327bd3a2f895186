"""Small environment settings for the gym tests (short horizons, small screening blocks)."""

from __future__ import annotations

import pytest

from sepsistwin.control.gym import EnvConfig


@pytest.fixture
def small() -> EnvConfig:
    """Three-day episodes, 16 candidates per screening block."""
    return EnvConfig(horizon_days=3, block_size=16)
