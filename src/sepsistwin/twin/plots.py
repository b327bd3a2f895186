"""Twin figures (PNG, matplotlib, offline): forecast bands with observations and therapy marks,
and the what-if effects."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sepsistwin.twin.twin import Twin
    from sepsistwin.twin.whatif import WhatIf

#: Panels of the forecast figure (those the model observes are drawn).
PANELS = (
    "ferritin",
    "mhla_dr",
    "lymphocytes",
    "il6",
    "lactate",
    "platelets",
    "creatinine",
    "norepinephrine",
)
_LOG = {"ferritin", "mhla_dr", "il6", "il10", "tnf", "crp", "pathogen_load"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_forecast(twin: Twin, path: str | Path) -> Path:
    """Forecast figure: per observable the 50%/90% bands, the median, the fitted and later
    observations, the end of the fitted data and the therapies received; plus daily phenotype
    probabilities and the 28-day death probability."""
    plt = _pyplot()
    f = twin.forecast()
    panels = [p for p in PANELS if p in set(f.bands["variable"])]
    n = len(panels) + 1
    cols = 3
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    days_fit = twin.data.last_hours / 24.0
    obs = twin.data.all_observations
    starts = [float(s.split("@", 1)[1].split(",", 1)[0]) / 24.0 for s in twin.data.received]
    for ax, v in zip(axes.flat, panels, strict=False):
        b = f.bands[f.bands["variable"] == v]
        d = b["hours"].to_numpy() / 24.0
        ax.fill_between(d, b["lo90"], b["hi90"], color="tab:blue", alpha=0.18, label="90%")
        ax.fill_between(d, b["lo50"], b["hi50"], color="tab:blue", alpha=0.35, label="50%")
        ax.plot(d, b["median"], color="tab:blue", lw=1)
        o = obs[obs["variable"] == v]
        ax.plot(o["hours"] / 24.0, o["value"], "k.", ms=4, label="observed")
        ax.axvline(days_fit, color="grey", ls="--", lw=0.8)
        for s in starts:
            ax.axvline(s, color="tab:red", lw=0.8)
        if v in _LOG:
            ax.set_yscale("log")
        ax.set_title(v, fontsize=9)
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
    ax = axes.flat[len(panels)]
    ph = f.phenotype
    ax.stackplot(
        ph["day"],
        ph["MALS"],
        ph["immunoparalysis"],
        ph["intermediate"],
        labels=["MALS", "immunoparalysis", "intermediate"],
        colors=["tab:red", "tab:purple", "tab:grey"],
        alpha=0.7,
    )
    ax.axvline(days_fit, color="grey", ls="--", lw=0.8)
    dd = f.death_28d
    ax.set_title(
        f"phenotype; death by day 28 {dd['mean']:.0%} ({dd['lo90']:.0%}-{dd['hi90']:.0%})",
        fontsize=9,
    )
    ax.legend(fontsize=6, loc="lower right")
    ax.set_xlabel("day", fontsize=8)
    for extra in list(axes.flat)[n:]:
        extra.axis("off")
    fig.suptitle(
        f"Twin of {twin.patient_id}: fitted to day {twin.data.fitted_until_day} (dashed); "
        "received therapies in red",
        fontsize=10,
    )
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


def plot_whatif(whatifs: Sequence[WhatIf], path: str | Path) -> Path:
    """What-if figure: per regimen the posterior change in 28-day death probability (median,
    50% and 90% intervals), with P(benefit) and P(harm) beside it."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(whatifs) + 1.5))
    for i, w in enumerate(whatifs):
        d = 100 * w.delta_mortality
        q = np.quantile(d, [0.05, 0.25, 0.5, 0.75, 0.95])
        ax.plot([q[0], q[4]], [i, i], color="tab:blue", lw=1.5)
        ax.plot([q[1], q[3]], [i, i], color="tab:blue", lw=5, alpha=0.6)
        ax.plot(q[2], i, "ko", ms=4)
        ax.text(
            q[4],
            i,
            f"  P(benefit) {w.p_benefit:.0%}, P(harm) {w.p_harm:.0%}",
            va="center",
            fontsize=7,
        )
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(whatifs)))
    ax.set_yticklabels([f"{w.therapy} ({w.source})" for w in whatifs], fontsize=8)
    ax.set_xlabel("change in 28-day death probability vs standard care (percentage points)")
    ax.set_title("What-if: posterior effect per regimen", fontsize=10)
    fig.tight_layout()
    p = Path(path)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p
