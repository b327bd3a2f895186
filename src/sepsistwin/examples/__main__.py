"""Regenerate the example cohort files into a folder: ``python -m sepsistwin.examples DIR``.

The shipped copies live in ``src/sepsistwin/examples/data`` (pass that folder in a source
checkout to refresh them); ``sepsistwin examples copy DIR`` copies the shipped files instead.
"""

import sys
from pathlib import Path

from sepsistwin.examples.cohort import write_example_cohort

if len(sys.argv) != 2:
    sys.exit(
        "usage: python -m sepsistwin.examples DIR  (writes cohort.csv, onsets.csv, "
        "cohort_fhir.json into DIR)"
    )
for written in write_example_cohort(Path(sys.argv[1])):
    print(written)
