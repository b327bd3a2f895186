"""docs/calibration.md: each target beside the model's value, and a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sepsistwin.population.calibrate import (
    DAY4_H,
    PHENOTYPES,
    SCREEN_H,
    CalibrationResult,
)
from sepsistwin.population.targets import TARGETS


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def markdown(cal: CalibrationResult, figure: str | None) -> str:
    """The calibration report as markdown."""
    meta = cal.calibration.meta
    lines = [
        "# Calibration of the sepsistwin model",
        "",
        f"Written by `{meta.get('command', 'sepsistwin calibrate')}` on {meta.get('date')} "
        f"(population size {meta.get('size')}, seed {meta.get('seed')}). The calibrated values "
        "are stored in `src/sepsistwin/population/data/calibrated.yaml`; the `sepsistwin` preset "
        "and `sample_population` read them. Method: `src/sepsistwin/population/calibrate.py` "
        "(stages: endotoxin peaks; phenotype mix by bisection of the host-gain medians; death "
        "hazard by least squares; IL-7 gain by bisection). Mortalities are expected 28-day "
        "death probabilities from screening (24 h), weighted by being alive at screening; "
        "survivor/non-survivor summaries are weighted by those probabilities.",
        "",
        "| target | source | target value | tolerance | model | within |",
        "|---|---|---|---|---|---|",
    ]
    for name, t in TARGETS.items():
        v = cal.values.get(name)
        if v is None:
            continue
        if name == "hla_recovery_survivors":
            ok = v > 1.0
            tol = "> 1"
        else:
            ok = t.within(v)
            tol = f"± {_fmt(t.tolerance)}"
        lines.append(f"| {t.description} | {t.source} | {_fmt(t.value)} {t.unit} | {tol} | "
                     f"{_fmt(v)} | {'yes' if ok else '**no**'} |")
    extra = {k: v for k, v in cal.values.items() if k not in TARGETS}
    if extra:
        lines += ["", "Reported, not targets:", ""]
        lines += [f"- {k}: {_fmt(v)}" for k, v in sorted(extra.items())]
    lines += ["", "Calibrated values:", "", "| name | value |", "|---|---|"]
    lines += [f"| `{k}` | {v:.5g} |" for k, v in cal.calibration.model.items()]
    lines += [f"| population `{k}` median | {v['center']:.5g} (sd log {v['spread']:.3g}) |"
              for k, v in cal.calibration.population.items()]
    if figure:
        lines += ["", f"![calibration]({figure})"]
    lines += ["", "Published trial results (PROVIDE arms, nivolumab mHLA-DR, anti-TNF mortality by "
              "dose, ...) are validation outcomes, not calibration inputs."]
    return "\n".join(lines) + "\n"


def plot(cal: CalibrationResult, path: Path) -> None:
    """Figure: phenotype fractions and mortalities vs targets; ALC and mHLA-DR by outcome."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    x = np.arange(len(PHENOTYPES))
    v = cal.values
    ax[0].bar(x - 0.2, [TARGETS[f"fraction_{p}"].value for p in PHENOTYPES], 0.4,
              label="PROVIDE", color="0.6")
    ax[0].bar(x + 0.2, [v[f"fraction_{p}"] for p in PHENOTYPES], 0.4, label="model")
    ax[0].set_xticks(x, PHENOTYPES)
    ax[0].set_title("phenotype at screening")
    ax[0].legend()
    ax[1].bar(x - 0.2, [TARGETS[f"mortality_{p}"].value for p in PHENOTYPES], 0.4,
              label="PROVIDE", color="0.6")
    ax[1].bar(x + 0.2, [v[f"mortality_{p}"] for p in PHENOTYPES], 0.4, label="model")
    ax[1].set_xticks(x, PHENOTYPES)
    ax[1].set_title("28-day mortality")
    r, st = cal.result, cal.stats
    t = r.time / 24.0
    sel = t <= 7
    surv = st.alive_at_screening * (1 - st.mortality)
    dead = st.alive_at_screening * st.mortality
    alc = np.atleast_2d(r.observables["lymphocytes"])
    ax[2].plot(t[sel], surv @ alc[:, sel] / surv.sum(), label="ALC survivors")
    ax[2].plot(t[sel], dead @ alc[:, sel] / dead.sum(), label="ALC non-survivors")
    ax[2].axvline(DAY4_H / 24, color="0.7", ls=":")
    ax[2].axvline(SCREEN_H / 24, color="0.7", ls="--")
    ax[2].set_xlabel("day")
    ax[2].set_ylabel("10^9/L")
    ax2 = ax[2].twinx()
    hla = np.atleast_2d(r.observables["mhla_dr"])
    ax2.plot(t[sel], surv @ hla[:, sel] / surv.sum(), "C2--", label="mHLA-DR survivors")
    ax2.plot(t[sel], dead @ hla[:, sel] / dead.sum(), "C3--", label="mHLA-DR non-survivors")
    ax2.set_ylabel("AB/C")
    ax[2].legend(loc="upper left", fontsize=7)
    ax2.legend(loc="upper right", fontsize=7)
    ax[2].set_title("weighted means by outcome")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(cal: CalibrationResult, out: Path | str) -> dict[str, Any]:
    """Write the markdown report and its PNG figure beside it; return the paths."""
    out = Path(out)
    fig = out.with_name("calibration.png")
    plot(cal, fig)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(cal, fig.name))
    return {"report": str(out), "figure": str(fig)}
