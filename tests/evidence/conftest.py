"""Fixtures for evidence-base tests: a writable copy of the packaged data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sepsistwin.evidence import DATA_DIR


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the packaged data folder that a test may corrupt."""
    dest = tmp_path / "data"
    shutil.copytree(DATA_DIR, dest)
    return dest
