"""The stored calibration: model parameter defaults and population hyperparameters (YAML).

``sepsistwin calibrate`` writes ``population/data/calibrated.yaml`` with the date and the command
that produced it; the ``sepsistwin`` preset applies its ``model`` section to its defaults and
:func:`sepsistwin.population.sample_population` reads its ``population`` section.
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
