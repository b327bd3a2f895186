"""Example data shipped with the package: a small synthetic ICU cohort (and later, trials)."""

from sepsistwin.examples.cohort import (
    COHORT_PATIENTS,
    example_cohort,
    example_path,
    write_example_cohort,
)

__all__ = ["COHORT_PATIENTS", "example_cohort", "example_path", "write_example_cohort"]
