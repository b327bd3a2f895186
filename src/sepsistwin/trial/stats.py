"""Small statistics helpers: Wilson and Newcombe intervals, survival comparisons (lifelines).

Examples
--------
>>> lo, hi = wilson_ci(30, 100)
>>> round(lo, 3), round(hi, 3)
(0.219, 0.396)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))

#: Time resolution of the Cox model's event times (15 minutes), far below the simulator's
#: save-point spacing (hours), so rounding changes no event order that the model resolves.
COX_TIME_RESOLUTION_DAYS = 1.0 / 96.0


def wilson_ci(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k/n`` (NaN, NaN when ``n`` is 0).

    Examples
    --------
    >>> wilson_ci(0, 10)[0]
    0.0
    """
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe_ci(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """95% CI of the risk difference ``k1/n1 - k2/n2``: Newcombe's hybrid score interval
    (method 10 of Newcombe, Stat Med 1998;17:873, doi:10.1002/(SICI)1097-0258(19980430)17:8<873
    ::AID-SIM779>3.0.CO;2-I), built from the two Wilson intervals.

    Examples
    --------
    >>> lo, hi = newcombe_ci(56, 70, 48, 80)
    >>> round(lo, 4), round(hi, 4)
    (0.0524, 0.3339)
    """
    if n1 <= 0 or n2 <= 0:
        return (math.nan, math.nan)
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_ci(k1, n1, z)
    l2, u2 = wilson_ci(k2, n2, z)
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )


@dataclass(frozen=True)
class SurvivalComparison:
    """Cox hazard ratio (with 95% CI) and log-rank p of one arm against a reference arm."""

    hazard_ratio: float | None
    hazard_ratio_ci: tuple[float, float] | None
    p_logrank: float | None
    note: str | None = None


def compare_survival(
    t_ref: NDArray[np.float64],
    e_ref: NDArray[np.bool_],
    t_arm: NDArray[np.float64],
    e_arm: NDArray[np.bool_],
) -> SurvivalComparison:
    """Log-rank test (lifelines ``logrank_test``) and Cox model with the arm as the only
    covariate (lifelines ``CoxPHFitter``, Efron ties, event times to the nearest 15 minutes);
    HR > 1 means more hazard in the arm.

    The HR is not reported (with a note saying why) when a group is empty or has no death.
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError
    from lifelines.statistics import logrank_test

    if len(t_ref) == 0 or len(t_arm) == 0:
        return SurvivalComparison(None, None, None, "a group has no patients")
    lr = logrank_test(t_arm, t_ref, event_observed_A=e_arm, event_observed_B=e_ref)
    p = float(lr.p_value) if np.isfinite(lr.p_value) else None
    if int(np.sum(e_ref)) == 0 or int(np.sum(e_arm)) == 0:
        return SurvivalComparison(None, None, p, "hazard ratio not estimable: no deaths in a group")
    import pandas as pd

    # lifelines' Efron fit loops in Python over distinct times: with continuous death times
    # a million-patient trial takes minutes. Times are rounded to COX_TIME_RESOLUTION_DAYS
    # and identical (time, event, arm) rows fitted once with their count as a frequency
    # weight, which gives the estimates and standard errors of the expanded data.
    t_all = (
        np.round(np.concatenate([t_ref, t_arm]) / COX_TIME_RESOLUTION_DAYS)
        * COX_TIME_RESOLUTION_DAYS
    )
    df = pd.DataFrame(
        {
            "time": t_all,
            "event": np.concatenate([e_ref, e_arm]).astype(int),
            "arm": np.concatenate([np.zeros(len(t_ref)), np.ones(len(t_arm))]),
        }
    )
    df = (
        df.groupby(["time", "event", "arm"], as_index=False)
        .size()
        .rename(columns={"size": "count"})
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter().fit(df, duration_col="time", event_col="event", weights_col="count")
    except ConvergenceError as exc:
        return SurvivalComparison(None, None, p, f"Cox model did not converge: {exc}")
    s = cph.summary.loc["arm"]
    hr = float(s["exp(coef)"])
    lo, hi = float(s["exp(coef) lower 95%"]), float(s["exp(coef) upper 95%"])
    # A group where everyone (or no one) dies early gives a diverging coefficient: report
    # that rather than a meaningless HR of 0 or infinity.
    if not all(math.isfinite(x) and x > 0 for x in (hr, lo, hi)) or hi / lo > 1e6:
        return SurvivalComparison(
            None,
            None,
            p,
            "hazard ratio not estimable: the Cox model "
            "diverges (complete separation of deaths between groups)",
        )
    return SurvivalComparison(hr, (lo, hi), p)


def paired_difference(
    x_arm: NDArray[np.float64], x_ref: NDArray[np.float64]
) -> dict[str, float | int | list[float] | None]:
    """Paired risk difference of 0/1 outcomes (mean difference, Wald 95% CI) and the exact
    McNemar p (binomial test on the discordant pairs).

    Examples
    --------
    >>> d = paired_difference(np.array([1, 0, 0, 0.0]), np.array([1, 1, 1, 0.0]))
    >>> d["risk_difference"], d["harmed"], d["helped"]
    (-0.5, 0, 2)
    """
    diff = np.asarray(x_arm, dtype=float) - np.asarray(x_ref, dtype=float)
    n = diff.size
    harmed, helped = int(np.sum(diff > 0)), int(np.sum(diff < 0))
    if n == 0:
        return {
            "n": 0,
            "risk_difference": None,
            "risk_difference_ci": None,
            "p_mcnemar": None,
            "harmed": 0,
            "helped": 0,
        }
    mean = float(diff.mean())
    se = float(diff.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    ci = [mean - Z95 * se, mean + Z95 * se] if math.isfinite(se) else None
    disc = harmed + helped
    p = float(stats.binomtest(harmed, disc, 0.5).pvalue) if disc else 1.0
    return {
        "n": n,
        "risk_difference": mean,
        "risk_difference_ci": ci,
        "p_mcnemar": p,
        "harmed": harmed,
        "helped": helped,
    }
