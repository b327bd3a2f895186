"""The stored calibration: a model parameter set and population hyperparameters (YAML).

``sepsistwin calibrate`` writes ``population/data/calibrated.yaml`` with the date and the command
that produced it. The model itself is equations and default parameters only: the ``model``
section is a parameter set applied when simulating (:func:`parameter_set`; every
:func:`sepsistwin.population.sample_population` patient carries it, and ``sepsistwin simulate
--parameters calibrated`` applies it to one patient), and the ``population`` section holds the
hyperparameters the sampler reads. Rerunning the calibration changes these data, never
``get_model("sepsistwin")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CALIBRATED_PATH = Path(__file__).with_name("data") / "calibrated.yaml"


@dataclass(frozen=True)
class Calibration:
    """Calibrated values: ``model`` parameter defaults and ``population`` hyperparameters."""

    model: dict[str, float] = field(default_factory=dict)
    population: dict[str, dict[str, float]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def load_calibrated_parameters(path: Path | str | None = None) -> Calibration:
    """Read the calibration file (an empty :class:`Calibration` if it does not exist).

    Examples
    --------
    >>> isinstance(load_calibrated_parameters().model, dict)
    True
    """
    p = Path(path) if path is not None else CALIBRATED_PATH
    if not p.exists():
        return Calibration()
    data = yaml.safe_load(p.read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a mapping with 'model' and 'population' sections")
    model = {str(k): float(v) for k, v in (data.get("model") or {}).items()}
    population = {
        str(k): {str(a): float(b) for a, b in (v or {}).items()}
        for k, v in (data.get("population") or {}).items()
    }
    meta = {k: v for k, v in data.items() if k not in ("model", "population")}
    return Calibration(model, population, meta)


def parameter_set(
    name: str | Path = "calibrated", model_parameters: tuple[str, ...] | None = None
) -> dict[str, float]:
    """A named parameter set to apply when simulating.

    ``"calibrated"`` is the stored calibration's ``model`` section, ``"defaults"`` the empty set
    (the model's own defaults); any other value is read as the path of a calibration YAML file.
    With ``model_parameters``, a name the model does not have is an error.

    Examples
    --------
    >>> parameter_set("defaults")
    {}
    >>> "death_log_h3" in parameter_set("calibrated")
    True
    """
    if str(name) == "defaults":
        values: dict[str, float] = {}
    elif str(name) == "calibrated":
        values = dict(load_calibrated_parameters().model)
    else:
        p = Path(name)
        if not p.exists():
            raise ValueError(
                f"parameter set {str(name)!r}: expected 'calibrated', 'defaults' or the path of "
                "a calibration YAML file"
            )
        values = dict(load_calibrated_parameters(p).model)
    if model_parameters is not None:
        unknown = sorted(set(values) - set(model_parameters))
        if unknown:
            raise ValueError(f"parameter set {str(name)!r}: the model has no parameters {unknown}")
    return values


def write_calibration(cal: Calibration, path: Path | str | None = None) -> Path:
    """Write ``cal`` as YAML (model, population, meta) and return the path."""
    p = Path(path) if path is not None else CALIBRATED_PATH
    p.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        **cal.meta,
        "model": {k: float(v) for k, v in cal.model.items()},
        "population": {k: {a: float(b) for a, b in v.items()} for k, v in cal.population.items()},
    }
    p.write_text(yaml.safe_dump(doc, sort_keys=False))
    return p
