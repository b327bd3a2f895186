"""The observation model: assay error, model discrepancy and censoring per catalogue variable.

Read from ``observation.yaml`` (or a user file of the same schema) through the shared YAML
reader, so a broken file names the file, key path and value. Only variables that are both in
the variable catalogue and observables of the model are usable; the model's unit is converted
to the catalogue's canonical unit (the unit timelines are stored in).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.special import log_ndtr

from sepsistwin.data.catalogue import CATALOGUE
from sepsistwin.data.units import convert
from sepsistwin.data.yaml_schema import read_yaml, validate

FloatArray = NDArray[np.float64]

OBSERVATION_PATH = Path(__file__).with_name("observation.yaml")


class ObservationError(ValueError):
    """A broken observation-model file."""


class VariableError(BaseModel):
    """The error model of one variable (see ``observation.yaml`` for the fields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    error: Literal["lognormal", "normal"]
    cv: float | None = Field(default=None, ge=0, le=5)
    sd: float | None = Field(default=None, ge=0)
    model_cv: float = Field(default=0.0, ge=0, le=10)
    model_sd: float = Field(default=0.0, ge=0)
    lower_limit: float | None = None
    upper_limit: float | None = None
    use: bool = True
    source: str
    status: Literal["VERIFIED", "RECALLED", "PROPOSAL"]

    @model_validator(mode="after")
    def _complete(self) -> VariableError:
        if self.error == "lognormal" and self.cv is None:
            raise ValueError("cv: a lognormal error needs the assay CV")
        if self.error == "normal" and self.sd is None:
            raise ValueError("sd: a normal error needs the assay SD (canonical unit)")
        if (
            self.lower_limit is not None
            and self.upper_limit is not None
            and self.lower_limit >= self.upper_limit
        ):
            raise ValueError(
                f"lower_limit {self.lower_limit} must be below upper_limit {self.upper_limit}"
            )
        return self

    @property
    def sigma(self) -> float:
        """Total SD: log scale (lognormal) or canonical unit (normal), assay and model."""
        if self.error == "lognormal":
            return float(np.sqrt(np.log1p((self.cv or 0.0) ** 2) + np.log1p(self.model_cv**2)))
        return float(np.hypot(self.sd or 0.0, self.model_sd))

    @property
    def assay_sigma(self) -> float:
        """Assay-only SD on the same scale (noise of simulated measurements)."""
        if self.error == "lognormal":
            return float(np.sqrt(np.log1p((self.cv or 0.0) ** 2)))
        return float(self.sd or 0.0)


class _ObservationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variables: dict[str, VariableError]


@dataclass(frozen=True)
class ObservationModel:
    """Error models of the variables usable with a given model.

    Attributes
    ----------
    variables : dict
        Variable name -> :class:`VariableError`, only variables the model observes.
    to_canonical : dict
        Variable -> (offset, factor): canonical value = offset + factor * model value.
    """

    variables: dict[str, VariableError]
    to_canonical: dict[str, tuple[float, float]]

    @property
    def fitted(self) -> list[str]:
        """Variables the fit uses."""
        return [k for k, v in self.variables.items() if v.use]

    def model_values(self, name: str, values: FloatArray) -> FloatArray:
        """Model observable ``name`` in the catalogue's canonical unit."""
        off, fac = self.to_canonical[name]
        return off + fac * np.asarray(values, dtype=float)

    def loglik(self, name: str, predicted: FloatArray, measured: FloatArray) -> FloatArray:
        """Log-likelihood of ``measured`` (broadcast against ``predicted``), censoring included.

        ``predicted`` in the canonical unit; non-finite predictions give ``-inf``.

        Examples
        --------
        >>> om = observation_model()
        >>> bool(om.loglik("lactate", np.array([2.0]), np.array([2.0]))[0] >
        ...      om.loglik("lactate", np.array([4.0]), np.array([2.0]))[0])
        True
        """
        e = self.variables[name]
        s = e.sigma
        pred = np.asarray(predicted, dtype=float)
        meas = np.broadcast_to(np.asarray(measured, dtype=float), pred.shape)
        if e.error == "lognormal":
            mu = np.log(np.maximum(pred, 1e-12))

            def tr(x: FloatArray | float) -> FloatArray:
                return np.log(np.maximum(np.asarray(x, dtype=float), 1e-12))
        else:
            mu = pred

            def tr(x: FloatArray | float) -> FloatArray:
                return np.asarray(x, dtype=float)

        z = (tr(meas) - mu) / s
        out = -0.5 * z**2 - np.log(s) - 0.5 * np.log(2 * np.pi)
        if e.error == "lognormal":
            out = out - tr(meas)  # density of the measured value, not of its log
        if e.lower_limit is not None:
            below = meas <= e.lower_limit
            if np.any(below):
                zl = (tr(e.lower_limit) - mu) / s
                out = np.where(below, log_ndtr(zl), out)
        if e.upper_limit is not None:
            above = meas >= e.upper_limit
            if np.any(above):
                zu = (mu - tr(e.upper_limit)) / s
                out = np.where(above, log_ndtr(zu), out)
        return np.where(np.isfinite(pred), out, -np.inf)

    def measure(
        self,
        name: str,
        predicted: FloatArray,
        rng: np.random.Generator,
        *,
        discrepancy: bool = True,
    ) -> FloatArray:
        """Simulated measurements of ``predicted`` (canonical unit), censored at the limits.

        With ``discrepancy`` the model discrepancy is drawn too (posterior predictive of a real
        patient's value); without it, assay noise only (virtual patients observed by an ICU).
        """
        e = self.variables[name]
        s = e.sigma if discrepancy else e.assay_sigma
        pred = np.asarray(predicted, dtype=float)
        if e.error == "lognormal":
            out = pred * np.exp(s * rng.standard_normal(pred.shape))
        else:
            out = pred + s * rng.standard_normal(pred.shape)
        if e.lower_limit is not None:
            out = np.maximum(out, e.lower_limit)
        if e.upper_limit is not None:
            out = np.minimum(out, e.upper_limit)
        return out


def observation_model(
    model: Any = "sepsistwin", path: str | Path | None = None
) -> ObservationModel:
    """The observation model for ``model`` (default file: the package's ``observation.yaml``).

    Examples
    --------
    >>> om = observation_model()
    >>> "ferritin" in om.fitted and om.variables["ferritin"].error
    'lognormal'
    """
    from sepsistwin.model import get_model

    m = get_model(model) if isinstance(model, str) else model
    p = Path(path) if path is not None else OBSERVATION_PATH
    raw = read_yaml(p, ObservationError)
    parsed = validate(_ObservationFile, raw, p.name, ObservationError)
    units = {o.name: o.unit for o in m.observables}
    variables: dict[str, VariableError] = {}
    conv: dict[str, tuple[float, float]] = {}
    for name, err in parsed.variables.items():
        if name not in CATALOGUE:
            raise ObservationError(
                f"{p.name}: variables.{name}: not a variable of the catalogue "
                "(src/sepsistwin/data/variables.yaml)"
            )
        if name not in units:
            continue  # the model has no observable for it: never fitted, never forecast
        conv[name] = _conversion(name, units[name])
        variables[name] = err
    return ObservationModel(variables, conv)


def _conversion(variable: str, unit: str) -> tuple[float, float]:
    canonical = CATALOGUE[variable].canonical_unit
    if unit.strip() == canonical.strip():
        return 0.0, 1.0
    try:
        a = float(convert(np.array([0.0]), unit, variable)[0])
        b = float(convert(np.array([1.0]), unit, variable)[0])
    except ValueError as exc:
        raise ObservationError(
            f"model observable {variable!r} in {unit!r} cannot be converted to the catalogue "
            f"unit {canonical!r}: {exc}"
        ) from None
    return a, b - a


def error_table(om: ObservationModel) -> list[Mapping[str, Any]]:
    """The observation model as rows (for docs and ``--json``)."""
    return [
        {
            "variable": k,
            "unit": CATALOGUE[k].canonical_unit,
            "error": v.error,
            "assay": v.cv if v.error == "lognormal" else v.sd,
            "model": v.model_cv if v.error == "lognormal" else v.model_sd,
            "lower_limit": v.lower_limit,
            "upper_limit": v.upper_limit,
            "fitted": v.use,
            "status": v.status,
        }
        for k, v in om.variables.items()
    ]
