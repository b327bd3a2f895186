"""docs/calibration.md: each target beside the model's value, and a figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sepsistwin.population.calibrate import (
    ALC_BOUNDS,
    DAY4_H,
    HAZARD_BOUNDS,
    PHENOTYPES,
    PROVIDE_MORTALITY,
    RHO_BOUNDS,
    RHO_MALS_BOUNDS,
    SCREEN_H,
    CalibrationResult,
)
from sepsistwin.population.targets import TARGETS
from sepsistwin.population.validation import IFN_HOURS, PAYEN_2019, PAYEN_2019_SOURCE

#: Plain-language names of the reported (non-target) values.
REPORTED = {
    "screened_fraction": "fraction of sampled patients in septic shock at screening",
    "sepsis_preset_mortality": "28-day mortality, `sepsis` preset (Sepsis-3 at screening)",
    "sepsis_preset_screened_fraction": "`sepsis` preset: fraction meeting Sepsis-3 at screening",
    **{
        f"mortality_{p}": f"28-day mortality, {p} (PROVIDE: {v:.1%})"
        for p, v in PROVIDE_MORTALITY.items()
    },
    "healthy_death_probability": "28-day death probability of a healthy subject (no infection)",
    "endotoxin_death_probability": "28-day death probability after 2 ng/kg endotoxin",
    **{
        f"secondary_infection_{p}": f"ICU-acquired infection (>= 1e5 CFU/mL) by day 28, {p}"
        for p in ("MALS", "immunoparalysis", "intermediate")
    },
}


NO_REASON = "**no reason recorded: check the calibration**"

#: Why a calibrated value may end on its search bound (the report states it beside the value).
BOUND_REASONS = {
    "death_gamma": (
        "the lower bound 2 keeps the hazard vanishing without organ failure; the early-death "
        "share (Daviaud 2015) asks for a flatter hazard than that, so the fit rests on it and "
        "meets the share through the averaging time of persistent organ failure (tau_ofp) "
        "fitted beside it"
    ),
    "k_apo": (
        "no source sets a floor on storm-driven (IL-6) apoptosis; the counts at screening and "
        "day 4 are met by the stress redistribution and damage-driven apoptosis without it"
    ),
    "k_apo_d": (
        "the stress redistribution out of the blood follows organ failure, which persists in "
        "non-survivors: it carries both the onset nadir and the day-4 gap between survivors and "
        "non-survivors, so damage-driven apoptosis rests at its floor (0.001 /h, a half-life of "
        "four weeks; storm-driven apoptosis stays)"
    ),
    "rho_g_il10": (
        "with monocyte reprogramming and competence following mHLA-DR, immunoparalysis is "
        "already deadlier than the intermediate phenotype without frailty correlation: none is "
        "needed (the ratio target is met at 0)"
    ),
    "rho_g_mals": (
        "0.5 is the largest weight that keeps the log k_nd variance positive with the IL-10 "
        "weight; the MALS excess mortality is met at it"
    ),
}


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def interferon_gamma_lines(values: dict[str, float]) -> list[str]:
    """Validation table: IFN-gamma in the screened immunoparalysed vs Payen 2019."""
    if not values.get("ifn_gamma_patients"):
        return []
    v = {h: values[f"ifn_gamma_treated_mhla_dr_{h}h"] for h in IFN_HOURS}
    c = {h: values[f"ifn_gamma_control_mhla_dr_{h}h"] for h in IFN_HOURS}
    i = {h: values[f"ifn_gamma_treated_il10_{h}h"] for h in IFN_HOURS}
    ic = {h: values[f"ifn_gamma_control_il10_{h}h"] for h in IFN_HOURS}
    hours = " / ".join(f"{h} h" for h in IFN_HOURS)
    p = PAYEN_2019
    return [
        "",
        (
            f"Interferon-gamma, validation (not calibrated): the "
            f"{int(values['ifn_gamma_patients'])} screened immunoparalysed virtual patients "
            "given IFN-gamma-1b 100 ug SC daily x 3 from screening (Doecke 1997, Takeyama "
            "2004) or nothing; medians at the first dose and after it "
            f"({hours}). The clinical column is before -> after IFN-gamma in {PAYEN_2019_SOURCE}. "
            "In the model IFN-gamma primes monocytes against IL-10 signalling "
            "(`src/sepsistwin/model/immune/hla_dr.py`) and does not act on IL-10 production, "
            "so plasma IL-10 does not follow the fall seen by Payen."
        ),
        "",
        f"| median | IFN-gamma ({hours}) | untreated ({hours}) | Payen 2019 before -> after |",
        "|---|---|---|---|",
        f"| mHLA-DR (AB/C) | {' / '.join(_fmt(v[h]) for h in IFN_HOURS)} | "
        f"{' / '.join(_fmt(c[h]) for h in IFN_HOURS)} | "
        f"{_fmt(p['mhla_dr_before'])} -> {_fmt(p['mhla_dr_after'])} |",
        f"| IL-10 (pg/mL) | {' / '.join(_fmt(i[h]) for h in IFN_HOURS)} | "
        f"{' / '.join(_fmt(ic[h]) for h in IFN_HOURS)} | "
        f"{_fmt(p['il10_before'])} -> {_fmt(p['il10_after'])} |",
    ]


def markdown(cal: CalibrationResult, figure: str | None) -> str:
    """The calibration report as markdown."""
    meta = cal.calibration.meta
    lines = [
        "# Calibration of the sepsistwin model",
        "",
        f"Written by `{meta.get('command', 'sepsistwin calibrate')}` on {meta.get('date')} "
        f"(population size {meta.get('size')}, seed {meta.get('seed')}). The calibrated values "
        "are stored in `src/sepsistwin/population/data/calibrated.yaml`: its `model` section is "
        "a parameter set applied when simulating (the model's own defaults do not change), its "
        "`population` section the hyperparameters `sample_population` reads. Method: "
        "`src/sepsistwin/population/calibrate.py` (stages: endotoxin peaks; endotoxin "
        "tolerance by bisection of the reprogramming rate `k_tol_in`; phenotype mix by "
        "bisection of the host-gain medians; the median growth rate of the ICU-acquired "
        "organism `k_pg2` by bisection on the ICU-acquired infection incidence; tissue IL-6 "
        "`k6D` by bisection on the share above 1,000 pg/mL; severity by bisection of the "
        "damage-susceptibility median `k_nd`, of its "
        "correlation with the IL-10 gain and of the weight of the macrophage-activation gain in "
        "it (PROVIDE's mortality ratios between phenotypes), and the death hazard constants "
        "and the averaging time of persistent organ failure by least squares (overall "
        "mortality, early-death share, mortality ratios); the apoptosis rates and the stress "
        "redistribution of lymphocytes out of the blood by least squares on the ALC at "
        "screening and day 4; stages 2-4 repeated; IL-7 gain by bisection). The screened "
        "cohort is the virtual patients alive and in Sepsis-3 septic "
        "shock at screening (24 h) as scored by the clinical code. PROVIDE's screened cohort "
        "died at ~60% (79/67/42% by phenotype), more than septic shock at large (37-45%, "
        "Daviaud 2015): the calibration takes the ratios between phenotypes from PROVIDE and "
        "the level from Daviaud, so the absolute class mortalities are reported, not targets. "
        "Mortalities are expected 28-day death probabilities from screening, weighted by being "
        "alive at screening; survivor/non-survivor summaries are weighted by those "
        "probabilities. The death hazard is ~0 without organ failure (see `docs/model.md`).",
        "",
        "| target | source | target value | tolerance | model | within |",
        "|---|---|---|---|---|---|",
    ]
    for name, t in TARGETS.items():
        v = cal.values.get(name)
        if v is None:
            continue
        ok = t.within(v)
        tol = t.criterion
        lines.append(
            f"| {t.description} | {t.source} | {_fmt(t.value)} {t.unit} | {tol} | "
            f"{_fmt(v)} | {'yes' if ok else '**no**'} |"
        )
    extra = {
        k: v for k, v in cal.values.items() if k not in TARGETS and not k.startswith("ifn_gamma_")
    }
    if extra:
        lines += ["", "Reported, not targets:", ""]
        lines += [f"- {REPORTED.get(k, k)}: {_fmt(v)}" for k, v in sorted(extra.items())]
    gen = cal.values.get("sepsis_preset_mortality")
    if gen is not None:
        ss = cal.values["mortality_overall"]
        lines += [
            "",
            (
                f"The `sepsis` population preset (a lighter infection burden and less damage "
                f"susceptibility) has a 28-day mortality of {gen:.0%} in its Sepsis-3 cohort at "
                f"screening, against {ss:.0%} for the septic-shock cohort of the `septic_shock` "
                "preset. Sepsis-3 sepsis has an in-hospital mortality above 10% and septic shock "
                "above 40% (Singer 2016 JAMA doi 10.1001/jama.2016.0287): a validation check, "
                "not a calibration target; the preset's multipliers are PROPOSAL."
            ),
        ]
    si = {
        p: cal.values.get(f"secondary_infection_{p}")
        for p in ("immunoparalysis", "intermediate", "MALS")
    }
    if all(v is not None for v in si.values()):
        lines += [
            "",
            (
                f"Secondary (ICU-acquired) infection by phenotype: {si['immunoparalysis']:.1%} of "
                f"the immunoparalysed, {si['intermediate']:.1%} of the intermediate and "
                f"{si['MALS']:.1%} of the MALS screened patients pass 1e5 CFU/mL while alive by "
                "day 28. Low mHLA-DR predicts ICU-acquired infection (Landelle 2010 doi "
                "10.1007/s00134-010-1962-x, aHR 2.5; < 8,000 AB/C at day 5-7, Ann Intensive Care "
                "2022 doi 10.1186/s13613-022-01010-y, VERIFIED): the immunoparalysed must acquire "
                "it more often than the intermediate (a direction, not tuned: the calibration "
                "sets only the overall incidence, through the median growth rate of the "
                "ICU-acquired organism)."
            ),
        ]
    lines += interferon_gamma_lines(cal.values)
    lines += ["", "Calibrated values:", "", "| name | value |", "|---|---|"]
    lines += [f"| `{k}` | {v:.5g} |" for k, v in cal.calibration.model.items()]
    lines += [
        f"| population `{k}` median | {v['center']:.5g} (sd log {v['spread']:.3g}) |"
        for k, v in cal.calibration.population.items()
    ]
    lines += [
        f"| population weight of log `g_il10` in log `{k}` (frailty) | {v['rho_g_il10']:.3g} |"
        for k, v in cal.calibration.population.items()
        if "rho_g_il10" in v
    ]
    lines += [
        f"| population weight of log `g_mals` in log `{k}` (MALS frailty) | {v['rho_g_mals']:.3g} |"
        for k, v in cal.calibration.population.items()
        if "rho_g_mals" in v
    ]
    at_bound = [
        f"`{k}` = {v:.4g} (search range {lo:g}-{hi:g}): {BOUND_REASONS.get(k, NO_REASON)}"
        for k, (lo, hi) in {**HAZARD_BOUNDS, **ALC_BOUNDS}.items()
        if (v := cal.calibration.model.get(k)) is not None
        and min(abs(v - lo), abs(v - hi)) <= 1e-6 * max(abs(lo), abs(hi), 1.0)
    ]
    knd = cal.calibration.population.get("k_nd", {})
    at_bound += [
        f"`k_nd` `{k}` = {v:.4g} (search range {lo:g}-{hi:g}): {BOUND_REASONS.get(k, NO_REASON)}"
        for k, (lo, hi) in {"rho_g_il10": RHO_BOUNDS, "rho_g_mals": RHO_MALS_BOUNDS}.items()
        if (v := knd.get(k)) is not None and min(abs(v - lo), abs(v - hi)) <= 1e-6
    ]
    if at_bound:
        lines += ["", "Values at a search bound, each with its reason:", ""]
        lines += [f"- {x}" for x in at_bound]
    if figure:
        lines += ["", f"![calibration]({figure})"]
    lines += [
        "",
        "Published trial results (PROVIDE arms, nivolumab mHLA-DR, anti-TNF mortality by "
        "dose, ...) are validation outcomes, not calibration inputs.",
    ]
    return "\n".join(lines) + "\n"


def plot(cal: CalibrationResult, path: Path) -> None:
    """Figure: phenotype fractions and mortalities vs targets; ALC and mHLA-DR by outcome."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    x = np.arange(len(PHENOTYPES))
    v = cal.values
    ax[0].bar(
        x - 0.2,
        [TARGETS[f"fraction_{p}"].value for p in PHENOTYPES],
        0.4,
        label="PROVIDE",
        color="0.6",
    )
    ax[0].bar(x + 0.2, [v[f"fraction_{p}"] for p in PHENOTYPES], 0.4, label="model")
    ax[0].set_xticks(x, PHENOTYPES)
    ax[0].set_title("phenotype at screening")
    ax[0].legend()
    ax[1].bar(
        x - 0.2,
        [PROVIDE_MORTALITY[p] for p in PHENOTYPES],
        0.4,
        label="PROVIDE",
        color="0.6",
    )
    ax[1].bar(x + 0.2, [v[f"mortality_{p}"] for p in PHENOTYPES], 0.4, label="model")
    ax[1].set_xticks(x, PHENOTYPES)
    ax[1].set_title("28-day mortality")
    r, st = cal.result, cal.stats
    t = r.time / 24.0
    sel = t <= 7
    surv = st.weight * (1 - st.mortality)
    dead = st.weight * st.mortality
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
