"""Helpers for the data-layer tests: small input files written by the tests themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

HEADER = "patient_id,time,variable,value,unit"


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a long CSV from data lines (the header is added) and return its path."""

    def _write(lines: list[str], name: str = "labs.csv", header: str = HEADER) -> Path:
        path = tmp_path / name
        path.write_text("\n".join([header, *lines]) + "\n")
        return path

    return _write
