"""One configuration object for every clinical threshold, with defaults and sources.

The defaults live in ``thresholds.yaml`` beside this file (each number with its
source and status); :func:`load_config` overlays a user's YAML file on them.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sepsistwin.data.yaml_schema import read_yaml, validate

Status = Literal["VERIFIED", "RECALLED", "PROPOSAL", "DERIVED"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sourced(_Strict):
    source: str
    status: Status


def _descending(name: str, values: list[float]) -> None:
    if any(b >= a for a, b in pairwise(values)):
        raise ValueError(f"{name} must be strictly decreasing, got {values}")


def _ascending(name: str, values: list[float]) -> None:
    if any(b <= a for a, b in pairwise(values)):
        raise ValueError(f"{name} must be strictly increasing, got {values}")


class SofaThresholds(_Sourced):
    """Sepsis-3 SOFA table cut-offs (canonical units)."""

    respiration_pf_mmhg: list[float] = Field(min_length=4, max_length=4)
    coagulation_platelets_1e9_per_l: list[float] = Field(min_length=4, max_length=4)
    liver_bilirubin_mg_dl: list[float] = Field(min_length=4, max_length=4)
    cardiovascular_map_mmhg: float
    dopamine_ug_kg_min: list[float] = Field(min_length=2, max_length=2)
    epi_norepi_ug_kg_min: float
    cns_gcs: list[float] = Field(min_length=4, max_length=4)
    renal_creatinine_mg_dl: list[float] = Field(min_length=4, max_length=4)
    renal_urine_ml_day: list[float] = Field(min_length=2, max_length=2)
    renal_urine_covered_hours: list[float] = Field(default=[22.0, 30.0], min_length=2, max_length=2)
    fio2_lookback_hours: float = Field(gt=0)

    @model_validator(mode="after")
    def _monotone(self) -> SofaThresholds:
        _descending("respiration_pf_mmhg", self.respiration_pf_mmhg)
        _descending("coagulation_platelets_1e9_per_l", self.coagulation_platelets_1e9_per_l)
        _ascending("liver_bilirubin_mg_dl", self.liver_bilirubin_mg_dl)
        _ascending("dopamine_ug_kg_min", self.dopamine_ug_kg_min)
        _descending("cns_gcs", self.cns_gcs)
        _ascending("renal_creatinine_mg_dl", self.renal_creatinine_mg_dl)
        _descending("renal_urine_ml_day", self.renal_urine_ml_day)
        _ascending("renal_urine_covered_hours", self.renal_urine_covered_hours)
        return self


class Sofa2Thresholds(_Sourced):
    """SOFA-2 cut-offs (canonical units; SpO2/FiO2 with SpO2 in %, FiO2 a fraction)."""

    respiration_pf_mmhg: list[float] = Field(min_length=4, max_length=4)
    respiration_sf: list[float] = Field(min_length=4, max_length=4)
    sf_spo2_below_percent: float = Field(gt=0, le=100)
    hemostasis_platelets_1e9_per_l: list[float] = Field(min_length=4, max_length=4)
    liver_bilirubin_mg_dl: list[float] = Field(min_length=4, max_length=4)
    cardiovascular_map_mmhg: float
    norepi_epi_sum_ug_kg_min: list[float] = Field(min_length=2, max_length=2)
    dopamine_only_ug_kg_min: list[float] = Field(min_length=2, max_length=2)
    brain_gcs: list[float] = Field(min_length=4, max_length=4)
    kidney_creatinine_mg_dl: list[float] = Field(min_length=3, max_length=3)
    kidney_urine_ml_kg_h: list[float] = Field(min_length=2, max_length=2)

    @model_validator(mode="after")
    def _monotone(self) -> Sofa2Thresholds:
        _descending("respiration_pf_mmhg", self.respiration_pf_mmhg)
        _descending("respiration_sf", self.respiration_sf)
        _descending("hemostasis_platelets_1e9_per_l", self.hemostasis_platelets_1e9_per_l)
        _ascending("liver_bilirubin_mg_dl", self.liver_bilirubin_mg_dl)
        _ascending("norepi_epi_sum_ug_kg_min", self.norepi_epi_sum_ug_kg_min)
        _ascending("dopamine_only_ug_kg_min", self.dopamine_only_ug_kg_min)
        _descending("brain_gcs", self.brain_gcs)
        _ascending("kidney_creatinine_mg_dl", self.kidney_creatinine_mg_dl)
        _descending("kidney_urine_ml_kg_h", self.kidney_urine_ml_kg_h)
        return self


class Sepsis3Thresholds(_Sourced):
    """Sepsis-3: SOFA rise over baseline with suspected infection in a window of days."""

    sofa_rise: int = Field(ge=1)
    suspicion_days_before: int = Field(ge=0)
    suspicion_days_after: int = Field(ge=0)


class SepticShockThresholds(_Sourced):
    """Septic shock: a vasopressor running and lactate above the cut-off the same day."""

    lactate_mmol_l: float = Field(gt=0)
    vasopressors: list[str] = Field(min_length=1)


class QsofaThresholds(_Sourced):
    resp_rate_per_min: float
    gcs: float
    sbp_mmhg: float


class SirsThresholds(_Sourced):
    temperature_high_c: float
    temperature_low_c: float
    heart_rate_per_min: float
    resp_rate_per_min: float
    wbc_high_1e9_per_l: float
    wbc_low_1e9_per_l: float


class PhenotypeThresholds(_Sourced):
    """PROVIDE / ImmunoSep classification cut-offs."""

    mals_ferritin_ng_ml: float = Field(gt=0)
    immunoparalysis_mhla_dr_ab_c: float = Field(gt=0)


class Threshold(_Sourced):
    """One sourced threshold value."""

    value: float


class ImmuneStateThresholds(_Strict):
    """Signals of hyperinflammation and of immunosuppression (CARS)."""

    il6_high_pg_ml: Threshold
    ferritin_high_ng_ml: Threshold
    il10_tnf_ratio_low: Threshold
    tnf_raised_pg_ml: Threshold
    mhla_dr_low_ab_c: Threshold
    lymphocytes_low_1e9_l: Threshold
    il10_high_pg_ml: Threshold
    il10_tnf_ratio_high: Threshold


class ClinicalConfig(_Strict):
    """Every threshold the clinical rules use, each with its source.

    Examples
    --------
    >>> cfg = default_config()
    >>> cfg.phenotype.mals_ferritin_ng_ml
    4420.0
    """

    sofa: SofaThresholds
    sofa2: Sofa2Thresholds
    sepsis3: Sepsis3Thresholds
    septic_shock: SepticShockThresholds
    qsofa: QsofaThresholds
    sirs: SirsThresholds
    phenotype: PhenotypeThresholds
    immune_state: ImmuneStateThresholds
    worst: dict[str, Literal["min", "max"]]


class ConfigError(ValueError):
    """A threshold file that does not match the configuration schema."""


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            out[key] = _merge(base[key], value)
        else:
            out[key] = value
    return out


def _validate(raw: Mapping[str, Any], origin: str) -> ClinicalConfig:
    return validate(ClinicalConfig, raw, origin, ConfigError)


@functools.cache
def _parsed_defaults() -> dict[str, Any]:
    # Parsing the YAML takes milliseconds (pure-Python loader) and the trial's hot path asks
    # for the defaults several times per chunk: parse once per process.
    text = resources.files("sepsistwin.clinical").joinpath("thresholds.yaml").read_text()
    return dict(yaml.safe_load(text))


def _default_raw() -> dict[str, Any]:
    # A deep copy: callers (load_config's overlay) may modify what they get.
    return copy.deepcopy(_parsed_defaults())


def default_config() -> ClinicalConfig:
    """Return the default thresholds (``thresholds.yaml``) as a :class:`ClinicalConfig`."""
    return _validate(_default_raw(), "sepsistwin/clinical/thresholds.yaml")


def load_config(path: str | Path) -> ClinicalConfig:
    """Overlay the thresholds in a YAML file on the defaults.

    Only the keys given change; a key that does not exist, or a value of the wrong
    type, raises :class:`ConfigError` naming the file and the key.

    Examples
    --------
    >>> # thresholds.yaml containing "phenotype: {mals_ferritin_ng_ml: 5000}"
    >>> # load_config("thresholds.yaml").phenotype.mals_ferritin_ng_ml -> 5000.0
    """
    path = Path(path)
    override = read_yaml(path, ConfigError) or {}
    if not isinstance(override, Mapping):
        raise ConfigError(f"{path}: expected a mapping of sections, got {type(override).__name__}")
    return _validate(_merge(_default_raw(), override), path.name)
