"""Power helper: run the trial at several sizes, each several times with other seeds.

Power at a size is the share of replicate trials whose log-rank test against the first arm
has p < alpha (and whose hazard ratio points the same way as the pooled estimate, so a
"significant" trial in the wrong direction is not counted as a success).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sepsistwin.trial.simulator import TrialSimulator
from sepsistwin.trial.spec import TrialSpec, load_spec


def replicate_seed(seed: int, size: int, replicate: int) -> int:
    """Seed of replicate ``replicate`` at ``size`` (independent streams, reproducible).

    Examples
    --------
    >>> replicate_seed(7, 100, 0) == replicate_seed(7, 100, 0) != replicate_seed(7, 100, 1)
    True
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(int(size), int(replicate)))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def power_curve(
    spec: str | Path | Mapping[str, Any] | TrialSpec,
    sizes: Sequence[int],
    *,
    replicates: int = 20,
    alpha: float = 0.05,
    simulator: TrialSimulator | None = None,
    chunk_size: int | None = None,
    workers: int | None = 1,
) -> pd.DataFrame:
    """Estimated power of every comparison (arm vs first arm) at each population size.

    Parameters
    ----------
    spec
        The trial (its ``population.size`` is replaced by each size).
    sizes
        Population sizes (sampled patients, before screening) to try.
    replicates
        Trials per size, each with its own seed (:func:`replicate_seed`).
    alpha
        Two-sided significance level of the log-rank test.
    simulator, chunk_size, workers
        As in :func:`sepsistwin.trial.run_trial`; replicate stores are in memory.

    Returns
    -------
    pandas.DataFrame
        One row per size and comparison: ``size, arm, versus, replicates, enrolled_mean,
        power, power_ci_low, power_ci_high`` (Wilson), ``hazard_ratio_median,
        risk_difference_mean``.

    Examples
    --------
    >>> power_curve("provide-like", [200, 400], replicates=5)  # doctest: +SKIP
    """
    from sepsistwin.trial.runner import run_trial
    from sepsistwin.trial.stats import wilson_ci

    base = load_spec(spec)
    if not sizes:
        raise ValueError("sizes: give at least one population size")
    if isinstance(replicates, bool) or int(replicates) != replicates or replicates < 1:
        raise ValueError(f"replicates must be a positive integer, got {replicates!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    rows: list[dict[str, Any]] = []
    for size in sizes:
        per: dict[str, list[dict[str, Any]]] = {}
        enrolled = []
        for r in range(int(replicates)):
            sp = base.with_size(int(size)).model_copy(
                update={"seed": replicate_seed(base.seed, int(size), r)}
            )
            res = run_trial(
                sp, simulator=simulator, store=":memory:", chunk_size=chunk_size, workers=workers
            )
            enrolled.append(res.screening["n_enrolled"])
            for c in res.comparisons:
                per.setdefault(c["arm"], []).append(c)
        for arm, comps in per.items():
            hrs = np.array([c["hazard_ratio"] for c in comps if c["hazard_ratio"] is not None])
            direction = np.sign(np.log(np.median(hrs))) if hrs.size else 0.0
            hits = 0
            for c in comps:
                p, hr = c["p_logrank"], c["hazard_ratio"]
                if (
                    p is not None
                    and p < alpha
                    and (hr is None or direction == 0 or np.sign(np.log(hr)) == direction)
                ):
                    hits += 1
            lo, hi = wilson_ci(hits, len(comps))
            rds = [c["risk_difference"] for c in comps if c["risk_difference"] is not None]
            rows.append(
                {
                    "size": int(size),
                    "arm": arm,
                    "versus": comps[0]["versus"],
                    "replicates": len(comps),
                    "enrolled_mean": float(np.mean(enrolled)),
                    "power": hits / len(comps),
                    "power_ci_low": lo,
                    "power_ci_high": hi,
                    "hazard_ratio_median": float(np.median(hrs)) if hrs.size else None,
                    "risk_difference_mean": float(np.mean(rds)) if rds else None,
                }
            )
    return pd.DataFrame(rows)
