"""The variable catalogue: canonical names, codes, units and plausible ranges.

The catalogue lives in ``variables.yaml`` next to this module and is validated with
pydantic when loaded, so a malformed entry fails at import with a message that names
the offending key (``variables.yaml: variables.lactate.plausible_min: ...``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sepsistwin.data.yaml_schema import read_yaml, validate

CATALOGUE_PATH = Path(__file__).with_name("variables.yaml")

#: FHIR code systems the readers recognise.
LOINC_SYSTEM = "http://loinc.org"
RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM_SYSTEM = "http://unitsofmeasure.org"

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_LOINC_RE = re.compile(r"^\d{1,7}-\d$")


class CatalogueError(ValueError):
    """A variable catalogue file is malformed; the message names the file and the key."""


class Variable(BaseModel):
    """One canonical variable of the catalogue.

    Attributes
    ----------
    name : str
        Canonical name used everywhere in sepsistwin (``"lactate"``).
    label : str
        Human label (``"Lactate"``).
    loinc : list of str
        LOINC codes read from FHIR; the first one is written.
    local_code : str or None
        Code in the local FHIR code system for variables without a suitable LOINC code.
    canonical_unit : str
        Unit every value is converted to, as written for humans (``"mmol/L"``, ``"1"``).
    accepted_units : list of str
        Unit spellings listed in error messages (others of the same unit are converted too).
    plausible_min, plausible_max : float
        Generous physiological limits in the canonical unit; values outside are errors.
    kind : {"numeric", "flag"}
        Flags only take 0 or 1.
    volume_variable : str or None
        For a rate (urine output): the variable a row is read as when its unit is a
        volume (``urine_output, 450, mL`` is a ``urine_volume`` event).

    Examples
    --------
    >>> from sepsistwin.data import CATALOGUE
    >>> CATALOGUE["lactate"].canonical_unit
    'mmol/L'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    description: str
    kind: Literal["numeric", "flag"]
    integer: bool = False
    quantity: str
    canonical_unit: str
    ucum: str
    accepted_units: list[str] = Field(min_length=1)
    unit_aliases: dict[str, str] = Field(default_factory=dict)
    plausible_min: float
    plausible_max: float
    loinc: list[str] = Field(default_factory=list)
    loinc_status: Literal["VERIFIED", "RECALLED"] | None = None
    loinc_source: str | None = None
    local_code: str | None = None
    rxnorm: list[str] = Field(default_factory=list)
    rxnorm_status: Literal["VERIFIED", "RECALLED"] | None = None
    rxnorm_source: str | None = None
    molar_mass_g_per_mol: float | None = Field(default=None, gt=0)
    molar_mass_source: str | None = None
    aliases: list[str] = Field(default_factory=list)
    volume_variable: str | None = None

    @model_validator(mode="after")
    def _check_consistency(self) -> Variable:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"name {self.name!r} must be lower_snake_case")
        if self.plausible_min > self.plausible_max:
            raise ValueError(
                f"plausible_min {self.plausible_min} is above plausible_max {self.plausible_max}"
            )
        if self.canonical_unit not in self.accepted_units:
            raise ValueError(
                f"canonical_unit {self.canonical_unit!r} must be listed in accepted_units"
            )
        for code in self.loinc:
            if not _LOINC_RE.match(code):
                raise ValueError(f"loinc code {code!r} is not of the form 1234-5")
        if self.loinc and (self.loinc_status is None or not self.loinc_source):
            raise ValueError("loinc codes need loinc_status and loinc_source")
        if self.rxnorm and (self.rxnorm_status is None or not self.rxnorm_source):
            raise ValueError("rxnorm codes need rxnorm_status and rxnorm_source")
        if self.molar_mass_g_per_mol is not None and not self.molar_mass_source:
            raise ValueError("molar_mass_g_per_mol needs molar_mass_source")
        if not (self.loinc or self.local_code or self.rxnorm):
            raise ValueError("a variable needs a loinc code, a local_code or an rxnorm code")
        if self.kind == "flag" and (self.plausible_min, self.plausible_max) != (0, 1):
            raise ValueError("a flag has plausible_min 0 and plausible_max 1")
        return self

    @cached_property
    def expected_units(self) -> str:
        """The accepted units as a phrase for messages: ``"mmol/L or mg/dL"``."""
        units = [u if u != "1" else "1 (or empty)" for u in self.accepted_units]
        return units[0] if len(units) == 1 else ", ".join(units[:-1]) + " or " + units[-1]

    @property
    def is_vasopressor(self) -> bool:
        """True for drugs given as rates (written to FHIR as MedicationAdministration)."""
        return bool(self.rxnorm)


class _CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local_code_system: str
    local_meta_codes: dict[str, str]
    variables: dict[str, dict[str, Any]]


def load_catalogue(path: str | Path = CATALOGUE_PATH) -> dict[str, Variable]:
    """Load and validate a variable catalogue YAML file.

    Parameters
    ----------
    path : str or Path
        The YAML file (default: the package's ``variables.yaml``).

    Returns
    -------
    dict of str to Variable
        Variables by canonical name, in file order.

    Raises
    ------
    CatalogueError
        If the file is not valid YAML or an entry breaks the schema; the message names
        the file and the key (``variables.yaml: variables.lactate.plausible_min: ...``).

    Examples
    --------
    >>> cat = load_catalogue()
    >>> cat["fio2"].accepted_units
    ['1', '%']
    """
    path = Path(path)
    raw = read_yaml(path, CatalogueError)
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path.name}: expected a mapping with a 'variables' key")
    top = validate(_CatalogueFile, raw, path.name, CatalogueError)
    out: dict[str, Variable] = {}
    for name, entry in top.variables.items():
        if not isinstance(entry, dict):
            raise CatalogueError(f"{path.name}: variables.{name}: expected a mapping")
        out[name] = validate(
            Variable, {"name": name, **entry}, path.name, CatalogueError, prefix=f"variables.{name}"
        )
    _check_unique_codes(path, out)
    for var in out.values():
        target = out.get(var.volume_variable) if var.volume_variable else None
        if var.volume_variable and (target is None or target.quantity != "volume"):
            raise CatalogueError(
                f"{path.name}: variables.{var.name}.volume_variable: "
                f"'{var.volume_variable}' is not a variable of quantity 'volume'"
            )
    return out


def _check_unique_codes(path: Path, variables: Mapping[str, Variable]) -> None:
    seen: dict[str, str] = {}
    for var in variables.values():
        keys = (
            [f"loinc {c}" for c in var.loinc]
            + [f"rxnorm {c}" for c in var.rxnorm]
            + ([f"local_code {var.local_code}"] if var.local_code else [])
            + [f"name {a.lower()}" for a in (var.name, *var.aliases)]
        )
        for key in keys:
            if key in seen and seen[key] != var.name:
                raise CatalogueError(
                    f"{path.name}: variables.{var.name}: {key} is also used by {seen[key]}"
                )
            seen[key] = var.name


def _load_meta(path: Path = CATALOGUE_PATH) -> tuple[str, dict[str, str]]:
    raw = yaml.safe_load(path.read_text())
    return raw["local_code_system"], dict(raw["local_meta_codes"])


#: The package catalogue, by canonical name (read-only).
CATALOGUE: Mapping[str, Variable] = MappingProxyType(load_catalogue())

#: The local FHIR code system for biomarkers and flags without a LOINC code.
LOCAL_CODE_SYSTEM, LOCAL_META_CODES = _load_meta()


def _normalise_name(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


#: Accepted spellings in the ``variable`` column (normalised) -> canonical name.
NAME_LOOKUP: Mapping[str, str] = MappingProxyType(
    {
        _normalise_name(alias): var.name
        for var in CATALOGUE.values()
        for alias in (var.name, *var.aliases)
    }
)
#: (system, code) -> canonical name, for FHIR codings.
CODE_LOOKUP: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        **{(LOINC_SYSTEM, c): v.name for v in CATALOGUE.values() for c in v.loinc},
        **{(RXNORM_SYSTEM, c): v.name for v in CATALOGUE.values() for c in v.rxnorm},
        **{(LOCAL_CODE_SYSTEM, v.local_code): v.name for v in CATALOGUE.values() if v.local_code},
    }
)


def canonical_name(text: str) -> str | None:
    """Return the canonical variable name for a spelling, or None if unknown.

    Examples
    --------
    >>> canonical_name("Noradrenaline")
    'norepinephrine'
    """
    return NAME_LOOKUP.get(_normalise_name(text))


def suggest_name(text: str) -> str | None:
    """Return the closest canonical name to a misspelling (difflib), or None.

    Examples
    --------
    >>> suggest_name("feritin")
    'ferritin'
    """
    key = _normalise_name(text)
    match = difflib.get_close_matches(key, list(NAME_LOOKUP), n=1, cutoff=0.6)
    return NAME_LOOKUP[match[0]] if match else None


def catalogue_markdown(catalogue: Mapping[str, Variable] | None = None) -> str:
    """The catalogue as a Markdown table (the one in docs/data-formats.md).

    Examples
    --------
    >>> catalogue_markdown().splitlines()[0].startswith("| name |")
    True
    """
    catalogue = CATALOGUE if catalogue is None else catalogue

    def codes(v: Variable) -> str:
        parts = [f"LOINC {c}" for c in v.loinc]
        parts += [f"RxNorm {c}" for c in v.rxnorm]
        if v.local_code:
            parts.append(f"local `{v.local_code}`")
        status = v.loinc_status or v.rxnorm_status
        return ", ".join(parts) + (f" ({status})" if status else "")

    def num(x: float) -> str:
        return f"{x:g}"

    lines = [
        "| name | label | kind | canonical unit | accepted units | plausible range | codes |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in catalogue.values():
        kind = v.kind + (", integer" if v.integer else "")
        accepted = ", ".join(f"`{u}`" if u else "(empty)" for u in v.accepted_units)
        lines.append(
            f"| `{v.name}` | {v.label} | {kind} | `{v.canonical_unit}` | {accepted} | "
            f"{num(v.plausible_min)} to {num(v.plausible_max)} | {codes(v)} |"
        )
    return "\n".join(lines)
