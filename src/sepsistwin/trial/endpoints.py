"""Per-patient trial endpoints from simulated outcomes (definitions in docs/trials.md).

Time counts from enrollment (randomisation). Day d is the d-th 24 h after enrollment.

- ``time_days``, ``died``: time to death, censored at the end of follow-up.
- ``dead_28d``, ``dead_90d``: death within 28 / 90 days (missing when follow-up is shorter).
- ``sofa_change_day7``: SOFA on day 7 minus baseline SOFA (missing if dead by day 7).
- ``sofa_drop_1p4_day9``: alive on day 9 with SOFA at least 1.4 below baseline (the ImmunoSep
  primary endpoint, PMID 41359996, applied per patient; death counts as failure).
- ``alive_sofa_decrease_day7``: alive after day 7 with SOFA below baseline (the PROVIDE key
  result, PMID 36384100).
- ``organ_support_free_days``: days 1..28 alive without organ support; 0 if dead by day 28.
- ``secondary_infection``: a secondary infection during follow-up.
- ``hyperinflammation_ae``: the adverse-event proxy "hyperinflammation after treatment": a
  day with hyperinflammation in a patient who was not hyperinflammatory at enrollment.

Examples
--------
>>> import numpy as np
>>> from sepsistwin.trial.simulator import Outcomes
>>> days = 28
>>> daily = {k: np.zeros((1, days)) for k in ("sofa", "organ_support", "lymphocytes",
...                                            "mhla_dr", "hyperinflammation")}
>>> out = Outcomes(np.array([np.inf]), daily, np.array([False]))
>>> e = compute_endpoints(out, enrollment_hours=24.0, follow_up_days=days,
...                       baseline={"sofa": np.array([6.0]), "lymphocytes": np.array([0.8]),
...                                 "mhla_dr": np.array([4000.0])},
...                       baseline_hyperinflammation=np.array([False]))
>>> bool(e["sofa_drop_1p4_day9"][0]), int(e["organ_support_free_days"][0])
(True, 28)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from sepsistwin.trial.simulator import Outcomes

#: Daily series kept per patient (baseline first, then days 1..follow-up).
TRAJECTORIES = ("sofa", "lymphocytes", "mhla_dr")

#: ImmunoSep primary endpoint (SOFA decrease >= 1.4 points by day 9): Giamarellos-Bourboulis et
#: al. JAMA 2025, doi:10.1001/jama.2025.24175, PMID 41359996 (VERIFIED).
#: "Alive after day 7 with a SOFA decrease": PROVIDE, PMID 36384100 (VERIFIED).
SOFA_DROP_POINTS = 1.4
SOFA_DROP_DAY = 9
SOFA_DECREASE_DAY = 7
OSFD_HORIZON_DAYS = 28


def compute_endpoints(
    outcomes: Outcomes,
    *,
    enrollment_hours: float,
    follow_up_days: int,
    baseline: Mapping[str, NDArray[np.float64]],
    baseline_hyperinflammation: NDArray[np.bool_],
) -> dict[str, NDArray[np.generic]]:
    """Endpoint columns (one value per patient) and trajectories (lists of floats per patient).

    Parameters
    ----------
    outcomes
        Death times and daily outcomes for days 1..follow_up_days.
    enrollment_hours
        Hours from onset to enrollment (the screening time).
    follow_up_days
        Days of follow-up after enrollment.
    baseline
        Screening values of ``sofa``, ``lymphocytes`` and ``mhla_dr`` (the day-0 point of
        each trajectory and the reference of SOFA changes).
    baseline_hyperinflammation
        Whether each patient was hyperinflammatory at enrollment.

    Returns
    -------
    dict of name -> array
        The columns described in the module docstring; float columns use NaN for missing
        (the store writes NULL); ``*_traj`` are object arrays of float lists.
    """
    n_days = int(follow_up_days)
    days = outcomes.daily
    for k, v in days.items():
        if v.shape[1] < n_days:
            raise ValueError(
                f"outcomes.daily[{k!r}] covers {v.shape[1]} days; follow-up needs {n_days}"
            )
    t_days = (np.asarray(outcomes.death_hours, dtype=float) - enrollment_hours) / 24.0
    died = t_days <= n_days
    time_days = np.minimum(t_days, float(n_days))
    n = t_days.size

    def dead_by(d: int) -> NDArray[np.float64]:
        if n_days < d:
            return np.full(n, np.nan)
        return (t_days <= d).astype(float)

    def alive_on(d: int) -> NDArray[np.bool_]:
        return np.asarray(t_days > d, dtype=bool)

    def day_value(name: str, d: int) -> NDArray[np.float64]:
        if n_days < d:
            return np.full(n, np.nan)
        v = np.asarray(days[name][:, d - 1], dtype=float)
        return np.where(alive_on(d), v, np.nan)

    base_sofa = np.asarray(baseline["sofa"], dtype=float)
    sofa7 = day_value("sofa", SOFA_DECREASE_DAY)
    sofa9 = day_value("sofa", SOFA_DROP_DAY)
    with np.errstate(invalid="ignore"):
        drop9 = np.where(
            n_days >= SOFA_DROP_DAY,
            (alive_on(SOFA_DROP_DAY) & (base_sofa - sofa9 >= SOFA_DROP_POINTS)),
            np.nan,
        )
        dec7 = np.where(
            n_days >= SOFA_DECREASE_DAY, alive_on(SOFA_DECREASE_DAY) & (sofa7 < base_sofa), np.nan
        )

    horizon = min(OSFD_HORIZON_DAYS, n_days)
    support = np.asarray(days["organ_support"][:, :horizon], dtype=float)
    free = np.sum(support == 0, axis=1).astype(float)  # NaN after death is never "free"
    osfd = np.where(t_days <= horizon, 0.0, free)
    if n_days < OSFD_HORIZON_DAYS:
        osfd = np.full(n, np.nan)

    hyper = np.asarray(days["hyperinflammation"][:, :n_days], dtype=float)
    ae = ~np.asarray(baseline_hyperinflammation, dtype=bool) & np.any(hyper > 0, axis=1)

    out: dict[str, NDArray[np.generic]] = {
        "time_days": time_days,
        "died": died,
        "dead_28d": dead_by(28),
        "dead_90d": dead_by(90),
        "sofa_day7": sofa7,
        "sofa_day9": sofa9,
        "sofa_change_day7": sofa7 - base_sofa,
        "sofa_drop_1p4_day9": drop9,
        "alive_sofa_decrease_day7": dec7,
        "organ_support_free_days": osfd,
        "secondary_infection": np.asarray(outcomes.secondary_infection, dtype=bool),
        "hyperinflammation_ae": ae,
    }
    for name in TRAJECTORIES:
        series = np.empty((n, n_days + 1), dtype=np.float32)
        series[:, 0] = np.asarray(baseline[name], dtype=float)
        series[:, 1:] = np.asarray(days[name][:, :n_days], dtype=float)
        # After death a trajectory stops: NaN, stored as NULL, never a fake value.
        dead_after = np.arange(1, n_days + 1)[None, :] >= t_days[:, None]
        series[:, 1:][dead_after] = np.nan
        out[f"{name}_traj"] = series
    return out
