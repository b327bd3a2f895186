"""Rewrite the shipped example files: ``python -m sepsistwin.examples``."""

from pathlib import Path

from sepsistwin.examples.cohort import write_example_cohort

for written in write_example_cohort(Path(__file__).parent / "data"):
    print(written)
