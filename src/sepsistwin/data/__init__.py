"""Input data: the variable catalogue, unit conversion, readers and validation.

Everything that turns input files into clean canonical observations lives here; every
entry point (CLI, API, web upload) goes through the same validation layer.

Examples
--------
>>> from sepsistwin.data import CATALOGUE
>>> CATALOGUE["mhla_dr"].canonical_unit
'AB/C'
"""

from sepsistwin.data.catalogue import (
    CATALOGUE,
    LOCAL_CODE_SYSTEM,
    CatalogueError,
    Variable,
    load_catalogue,
)
from sepsistwin.data.errors import InputError
from sepsistwin.data.fhir import to_fhir_bundle
from sepsistwin.data.onsets import read_onsets
from sepsistwin.data.readers import read_timeline
from sepsistwin.data.tabular import observations_from_frame
from sepsistwin.data.timeline import Timeline
from sepsistwin.data.units import conversion_for, convert

__all__ = [
    "CATALOGUE",
    "LOCAL_CODE_SYSTEM",
    "CatalogueError",
    "InputError",
    "Timeline",
    "Variable",
    "conversion_for",
    "convert",
    "load_catalogue",
    "observations_from_frame",
    "read_onsets",
    "read_timeline",
    "to_fhir_bundle",
]
