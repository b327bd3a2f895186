"""Virtual screening and outcomes: model outputs -> canonical observations -> clinical assessment.

The model's catalogue observables at the screening time are measured with assay noise
(multiplicative, lognormal CV per variable) and passed unchanged to
:func:`sepsistwin.clinical.assess`, so virtual patients are phenotyped by exactly the rules used
for real ones. Deaths come from the cumulative hazard state ``HZ``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sepsistwin.clinical import assess
from sepsistwin.solve import SimulationResult

#: Variables measured at screening and their assay CV (PROPOSAL; flow-cytometric mHLA-DR is
#: the noisiest of them).
ASSAY_CV: dict[str, float] = {
    "ferritin": 0.08,
    "mhla_dr": 0.15,
    "lymphocytes": 0.05,
    "il6": 0.15,
    "il10": 0.15,
    "tnf": 0.15,
    "crp": 0.05,
    "map": 0.03,
    "norepinephrine": 0.0,
    "lactate": 0.05,
    "platelets": 0.05,
    "bilirubin": 0.05,
    "creatinine": 0.05,
    "gcs": 0.0,
    "pao2": 0.05,
    "fio2": 0.0,
    "mechanical_ventilation": 0.0,
    "pathogen_load": 0.3,
    "temperature": 0.0,
    "heart_rate": 0.03,
    "resp_rate": 0.05,
    "neutrophils": 0.05,
    "wbc": 0.05,
    "infection_suspected": 0.0,
}


def observations(
    result: SimulationResult,
    hours: Sequence[float] | float,
    variables: Sequence[str] | None = None,
    seed: int | None = 0,
    patient_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Long canonical observations ``patient_id, hours, variable, value`` with assay noise.

    Examples
    --------
    >>> from sepsistwin.population import sample_population
    >>> pop = sample_population(2, seed=0)
    >>> r = pop.simulate([0.0, 24.0])  # doctest: +SKIP
    >>> observations(r, 24.0).columns.tolist()  # doctest: +SKIP
    ['patient_id', 'hours', 'variable', 'value']
    """
    hrs = np.atleast_1d(np.asarray(hours, dtype=float))
    names = list(variables or [v for v in ASSAY_CV if v in result.observables])
    missing = [v for v in names if v not in result.observables]
    if missing:
        raise ValueError(
            f"variables {missing} are not observables of model "
            f"{result.model_name!r}; observables: {sorted(result.observables)}"
        )
    idx = [int(np.argmin(np.abs(result.time - h))) for h in hrs]
    for h, i in zip(hrs, idx, strict=True):
        if abs(result.time[i] - h) > 1e-6:
            raise ValueError(f"hours {h} is not a save time of the simulation (t_eval)")
    n = result.n_patients
    ids = np.asarray(patient_ids if patient_ids is not None else [f"v{i:06d}" for i in range(n)])
    rng = np.random.default_rng(seed)
    blocks = []
    for v in names:
        vals = np.atleast_2d(result.observables[v])[:, idx]  # (n, n_h)
        cv = ASSAY_CV.get(v, 0.0)
        if cv > 0:
            vals = vals * np.exp(cv * rng.standard_normal(vals.shape) - 0.5 * cv**2)
        if v == "gcs":
            vals = np.clip(np.round(vals), 3, 15)
        blocks.append(np.asarray(vals, dtype=float).reshape(-1))
    # One frame built from whole columns (variable-major, then patient, then time), not one
    # frame per variable concatenated: the same rows, several times faster for a large cohort.
    per = n * len(hrs)
    obs = pd.DataFrame(
        {
            "patient_id": np.tile(np.repeat(ids, len(hrs)), len(names)),
            "hours": np.tile(hrs, n * len(names)),
            "variable": np.repeat(np.array(names, dtype=object), per),
            "value": np.concatenate(blocks) if blocks else np.empty(0),
        }
    )
    bad = ~np.isfinite(obs["value"].to_numpy())
    if bad.any():
        first = obs.loc[bad].iloc[0]
        raise ValueError(
            f"{int(bad.sum())} observation(s) are not finite (failed integration?); "
            f"first: {first['patient_id']} {first['variable']} at {first['hours']} h"
        )
    return obs


def screen(result: SimulationResult, at_hours: float = 24.0, seed: int | None = 0) -> pd.DataFrame:
    """Phenotype every patient at ``at_hours`` with :func:`sepsistwin.clinical.assess`.

    Returns one row per patient (in patient order) with the assessment of the screening day.
    """
    obs = observations(result, at_hours, seed=seed)
    a = assess(obs)
    day = int(np.floor(at_hours / 24.0))
    a = a[a["day"] == day].set_index("patient_id")
    ids = [f"v{i:06d}" for i in range(result.n_patients)]
    return a.reindex(ids).reset_index()


def cumulative_hazard(result: SimulationResult) -> NDArray[np.float64]:
    """The model's cumulative death hazard ``HZ`` (n, n_t)."""
    if "HZ" not in result.states:
        raise ValueError(f"model {result.model_name!r} has no death hazard state 'HZ'")
    return np.atleast_2d(result.states["HZ"])


def death_times(result: SimulationResult, death_u: NDArray[np.float64]) -> NDArray[np.float64]:
    """First time the cumulative hazard reaches ``-log(U)`` (``inf`` if it never does)."""
    hz = cumulative_hazard(result)
    thresh = -np.log(np.clip(death_u, 1e-300, 1.0))
    out = np.full(hz.shape[0], np.inf)
    crossed = hz >= thresh[:, None]
    any_c = crossed.any(axis=1)
    j = np.argmax(crossed, axis=1)
    t = result.time
    for i in np.flatnonzero(any_c):
        k = j[i]
        if k == 0:
            out[i] = t[0]
            continue
        h0, h1 = hz[i, k - 1], hz[i, k]
        frac = (thresh[i] - h0) / (h1 - h0) if h1 > h0 else 1.0
        out[i] = t[k - 1] + frac * (t[k] - t[k - 1])
    return out


def survival_probability(result: SimulationResult, start: float, end: float) -> NDArray[np.float64]:
    """Probability of surviving from ``start`` to ``end`` hours given alive at ``start``."""
    hz = cumulative_hazard(result)
    i0 = int(np.argmin(np.abs(result.time - start)))
    i1 = int(np.argmin(np.abs(result.time - end)))
    return np.exp(-(hz[:, i1] - hz[:, i0]))
