"""High-level Python API: the functions behind the CLI commands, and the forms the CLI and the
dashboard share (JSON conversion of results, ``NAME=VALUE`` assignments).

Each function validates its input once (through :mod:`sepsistwin.data`) and then
calls the domain packages, which trust their inputs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from sepsistwin.clinical import ClinicalConfig, load_config
from sepsistwin.clinical import assess as _assess_observations
from sepsistwin.data import Timeline, observations_from_frame, read_timeline

if TYPE_CHECKING:
    from sepsistwin.omics import EndotypeResult


def load_timeline(
    source: str | Path | pd.DataFrame,
    *,
    onset: str | Path | None = None,
    lenient: bool = False,
    encoding: str = "utf-8",
) -> Timeline:
    """Read and validate a patient timeline from a file (CSV, Parquet, FHIR) or a long DataFrame.

    Examples
    --------
    >>> from sepsistwin.examples import example_path
    >>> tl = load_timeline(example_path("cohort.csv"), onset=example_path("onsets.csv"))
    >>> tl.observations.columns.tolist()[:4]
    ['patient_id', 'hours', 'variable', 'value']
    """
    if isinstance(source, pd.DataFrame):
        if onset is not None:
            raise ValueError("onset: give time zero inside the DataFrame's times, or pass a file")
        return observations_from_frame(source, lenient=lenient)
    return read_timeline(source, onset=onset, lenient=lenient, encoding=encoding)


def assess(
    source: str | Path | pd.DataFrame,
    *,
    onset: str | Path | None = None,
    lenient: bool = False,
    config: ClinicalConfig | str | Path | None = None,
    baseline_sofa: Mapping[str, int] | None = None,
    score: Literal["sofa", "sofa2"] = "sofa",
    sepsis3_score: Literal["sofa", "sofa2"] = "sofa",
    endotypes: EndotypeResult | pd.DataFrame | str | Path | None = None,
    encoding: str = "utf-8",
) -> pd.DataFrame:
    """Assess a patient timeline day by day: SOFA, Sepsis-3, septic shock, immune phenotype.

    Parameters
    ----------
    source
        Path to a long CSV/Parquet file (``patient_id, time, variable, value, unit``),
        a FHIR R4 Bundle (``.json``) or NDJSON file, or a long DataFrame with those columns.
    onset
        Optional file of per-patient time zero (``patient_id, onset[, baseline_sofa]``).
    lenient
        Drop (and report) invalid rows instead of raising :class:`sepsistwin.data.InputError`.
        The dropped rows are in ``result.attrs["rejected"]`` (a list of records with
        ``file, row, patient_id, field, value, message``) and a warning is issued.
        Input left out on purpose in either mode (FHIR resources of other types, onsets of
        patients without data) is in ``result.attrs["skipped"]`` (``file, row,
        patient_id, reason``).
    config
        Thresholds (:class:`ClinicalConfig` or a YAML file overlaying the defaults).
    baseline_sofa
        Pre-infection SOFA per patient; overrides the onset file's ``baseline_sofa``.
    score
        ``"sofa2"`` adds SOFA-2 (JAMA 2025) beside SOFA: columns ``sofa2`` and
        ``sofa2_respiration`` ... ``sofa2_kidney``.
    sepsis3_score
        The score Sepsis-3 uses: ``"sofa"`` (default) or ``"sofa2"``.
    endotypes
        Transcriptomic endotype calls (:func:`sepsistwin.endotype` scored with a sample sheet,
        its ``calls`` table, or that table saved by ``sepsistwin endotype --out``): adds the
        endotype columns (``srs, srsq, sweeney, mars`` ...) on the days a sample exists.
    encoding
        Text encoding of CSV, JSON and onset files (default UTF-8), e.g. ``"latin-1"``.

    Returns
    -------
    pandas.DataFrame
        One row per patient and day; see :func:`sepsistwin.clinical.assess`.

    Examples
    --------
    >>> from sepsistwin.examples import example_path
    >>> res = assess(example_path("cohort.csv"), onset=example_path("onsets.csv"))
    >>> res.loc[res["patient_id"] == "ICU-001", "phenotype"].iloc[0]
    'MALS'
    """
    timeline = load_timeline(source, onset=onset, lenient=lenient, encoding=encoding)
    cfg = load_config(config) if isinstance(config, str | Path) else config
    baseline = {**timeline.baseline_sofa, **dict(baseline_sofa or {})}
    if score not in ("sofa", "sofa2") or sepsis3_score not in ("sofa", "sofa2"):
        bad = score if score not in ("sofa", "sofa2") else sepsis3_score
        raise ValueError(f"score '{bad}' is not known; expected 'sofa' or 'sofa2'")
    result = _assess_observations(
        timeline.observations,
        baseline_sofa=baseline,
        config=cfg,
        sofa2=score == "sofa2",
        sepsis3_score=sepsis3_score,
    )
    if endotypes is not None:
        from sepsistwin.omics import add_endotypes

        if isinstance(endotypes, str | Path):
            p = Path(endotypes)
            calls = pd.read_parquet(p) if p.suffix.lower() == ".parquet" else pd.read_csv(p)
            result = add_endotypes(result, calls)
        else:
            result = add_endotypes(result, endotypes)
    # Plain records (not a DataFrame) so the attrs survive copies and Parquet export.
    result.attrs["rejected"] = timeline.rejected.to_dict(orient="records")
    result.attrs["skipped"] = timeline.skipped.to_dict(orient="records")
    if len(timeline.rejected):
        warnings.warn(
            f"{len(timeline.rejected)} invalid row(s) dropped (lenient mode); "
            "see result.attrs['rejected']",
            stacklevel=2,
        )
    return result


def jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON types (NaN -> null).

    The JSON form of every result the CLI prints with ``--json`` and the web API returns.

    Examples
    --------
    >>> jsonable({"x": np.float64("nan"), "n": np.int64(3)})
    {'x': None, 'n': 3}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if value is pd.NA or value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts (:func:`jsonable`).

    Examples
    --------
    >>> frame_records(pd.DataFrame({"a": [1.5, float("nan")]}))
    [{'a': 1.5}, {'a': None}]
    """
    return [jsonable(rec) for rec in frame.to_dict(orient="records")]


def parse_assignments(items: list[str] | None, kind: str) -> dict[str, float]:
    """Parse ``NAME=VALUE`` strings; ``ValueError`` naming the bad item.

    Examples
    --------
    >>> parse_assignments(["k_pg=0.6"], "--param")
    {'k_pg': 0.6}
    """
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{kind} {item!r}: expected NAME=VALUE")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{kind} {item!r}: value {value!r} is not a number") from None
    return out
