"""Trial analysis: per-arm summaries, comparisons with the first arm, phenotype subgroups.

Kaplan-Meier per arm (lifelines ``KaplanMeierFitter``), log-rank test, Cox hazard ratio with
95% CI, 28-day risk difference with Newcombe's hybrid score CI, Wilson CIs for proportions.
The paired counterfactual mode is summarised apart (``TrialResult.counterfactual``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sepsistwin.store import TrialStore
from sepsistwin.trial.endpoints import TRAJECTORIES
from sepsistwin.trial.stats import compare_survival, newcombe_ci, paired_difference, wilson_ci

#: Kaplan-Meier curves longer than this are kept on a regular grid of this many times.
KM_MAX_POINTS = 2_000
RISK_DIFFERENCE_METHOD = "Newcombe hybrid score (method 10), 95%"
HAZARD_RATIO_METHOD = "Cox proportional hazards (lifelines, Efron ties), arm vs first arm, 95%"
_COLUMNS = (
    "patient_id",
    "arm",
    "phenotype",
    "time_days",
    "died",
    "dead_28d",
    "dead_90d",
    "baseline_sofa",
    "sofa_change_day7",
    "sofa_drop_1p4_day9",
    "alive_sofa_decrease_day7",
    "organ_support_free_days",
    "secondary_infection",
    "hyperinflammation_ae",
)


def _num(x: Any) -> float | None:
    if x is None:
        return None
    f = float(x)
    return None if math.isnan(f) or math.isinf(f) else f


def _ci(pair: tuple[float, float] | list[float] | None) -> list[float] | None:
    if pair is None:
        return None
    lo, hi = _num(pair[0]), _num(pair[1])
    return None if lo is None or hi is None else [lo, hi]


def _share(values: pd.Series) -> tuple[float | None, list[float] | None]:
    v = values.dropna().astype(float)
    if v.empty:
        return None, None
    k, n = int(v.sum()), int(v.size)
    return k / n, _ci(wilson_ci(k, n))


def _arm_summary(name: str, d: pd.DataFrame) -> dict[str, Any]:
    n = len(d)
    out: dict[str, Any] = {"name": name, "n": n}
    for days in (28, 90):
        col = d[f"dead_{days}d"].dropna()
        if col.empty:
            out |= {
                f"deaths_{days}d": None,
                f"mortality_{days}d": None,
                f"mortality_{days}d_ci": None,
            }
            continue
        k = int(col.sum())
        out |= {
            f"deaths_{days}d": k,
            f"mortality_{days}d": k / len(col) if len(col) else None,
            f"mortality_{days}d_ci": _ci(wilson_ci(k, len(col))),
        }
    out["sofa_drop_1p4_day9"], out["sofa_drop_1p4_day9_ci"] = _share(d["sofa_drop_1p4_day9"])
    out["alive_sofa_decrease_day7"], out["alive_sofa_decrease_day7_ci"] = _share(
        d["alive_sofa_decrease_day7"]
    )
    out["baseline_sofa_mean"] = _num(d["baseline_sofa"].mean()) if n else None
    out["sofa_change_day7_mean"] = _num(d["sofa_change_day7"].mean()) if n else None
    out["sofa_change_day7_n"] = int(d["sofa_change_day7"].notna().sum())
    out["organ_support_free_days_mean"] = _num(d["organ_support_free_days"].mean()) if n else None
    out["secondary_infection"], out["secondary_infection_ci"] = _share(d["secondary_infection"])
    out["hyperinflammation_ae"], out["hyperinflammation_ae_ci"] = _share(d["hyperinflammation_ae"])
    out["deaths_follow_up"] = int(d["died"].sum())
    out["phenotypes"] = {
        str(k): int(v) for k, v in d["phenotype"].value_counts().sort_index().items()
    }
    return out


def _comparison(
    arm: str, ref: str, d_arm: pd.DataFrame, d_ref: pd.DataFrame
) -> tuple[dict[str, Any], str | None]:
    sc = compare_survival(
        d_ref["time_days"].to_numpy(float),
        d_ref["died"].to_numpy(bool),
        d_arm["time_days"].to_numpy(float),
        d_arm["died"].to_numpy(bool),
    )
    a, r = d_arm["dead_28d"].dropna(), d_ref["dead_28d"].dropna()
    if len(a) and len(r):
        rd: float | None = float(a.mean() - r.mean())
        rd_ci = _ci(newcombe_ci(int(a.sum()), len(a), int(r.sum()), len(r)))
    else:
        rd, rd_ci = None, None
    out = {
        "arm": arm,
        "versus": ref,
        "hazard_ratio": _num(sc.hazard_ratio),
        "hazard_ratio_ci": _ci(sc.hazard_ratio_ci),
        "p_logrank": _num(sc.p_logrank),
        "risk_difference": _num(rd),
        "risk_difference_ci": rd_ci,
    }
    note = f"{arm} vs {ref}: {sc.note}" if sc.note else None
    return out, note


@dataclass
class TrialResult:
    """The analysed trial (lifelines-style: :meth:`summary`, :meth:`to_dict`; its figures and
    HTML report are renderings of :mod:`sepsistwin.report`: ``km_figure(result)``,
    ``trajectory_figure(result)``, ``write_report(result, path)``).

    Attributes
    ----------
    name, run_id : str
    arms : list of dict
        Per arm: ``name, n, deaths_28d, mortality_28d, mortality_28d_ci, sofa_drop_1p4_day9``,
        90-day mortality, SOFA change, organ-support-free days, secondary infections,
        adverse-event proxy (each share with its Wilson 95% CI).
    comparisons : list of dict
        Every other arm against the first: ``arm, versus, hazard_ratio, hazard_ratio_ci,
        p_logrank, risk_difference, risk_difference_ci`` (28-day mortality).
    subgroups : list of dict
        The same per screening phenotype.
    counterfactual : dict or None
        Paired mode (every enrolled patient in every arm), reported apart.
    screening : dict
        Patients sampled, dead before screening, screened and enrolled, per phenotype.
    km : dict arm -> DataFrame
        Kaplan-Meier estimate (``time_days, survival, lower, upper``).
    trajectories : DataFrame
        ``arm, variable, day, n, q25, median, q75`` of SOFA, lymphocytes and mHLA-DR.
    notes : list of str
        What could not be estimated, and why.
    """

    name: str
    run_id: str
    follow_up_days: int
    arms: list[dict[str, Any]]
    comparisons: list[dict[str, Any]]
    subgroups: list[dict[str, Any]]
    counterfactual: dict[str, Any] | None
    screening: dict[str, Any]
    km: dict[str, pd.DataFrame] = field(repr=False)
    trajectories: pd.DataFrame = field(repr=False)
    notes: list[str] = field(default_factory=list)
    store_path: str = ""
    #: Patients still at risk (alive and followed) per arm at regular days (``arm, day, n``).
    at_risk: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: The trial specification as run (plain data) and the run's metadata (seed, simulator
    #: and calibration fingerprint, version, dates).
    spec: dict[str, Any] = field(default_factory=dict, repr=False)
    run_meta: dict[str, str] = field(default_factory=dict, repr=False)
    #: True when :func:`~sepsistwin.trial.run_trial` found this run complete in its store and
    #: analysed it without running it again.
    loaded_from_store: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: ``{"arms": [...], "comparisons": [...], "subgroups": [...]}`` plus
        ``trial``, ``screening``, ``counterfactual``, ``methods`` and ``notes``."""
        return {
            "trial": {
                "name": self.name,
                "run_id": self.run_id,
                "follow_up_days": self.follow_up_days,
                "store": self.store_path,
            },
            "arms": self.arms,
            "comparisons": self.comparisons,
            "subgroups": self.subgroups,
            "screening": self.screening,
            "numbers_at_risk": {
                str(arm): [{"day": int(r["day"]), "n": int(r["n"])} for _, r in g.iterrows()]
                for arm, g in (self.at_risk.groupby("arm", sort=False) if len(self.at_risk) else [])
            },
            "counterfactual": self.counterfactual,
            "methods": {
                "mortality_ci": "Wilson score, 95%",
                "risk_difference_ci": RISK_DIFFERENCE_METHOD,
                "hazard_ratio": HAZARD_RATIO_METHOD,
                "p_logrank": "log-rank test (lifelines), two-sided",
            },
            "notes": self.notes,
        }

    def summary(self) -> str:
        """A readable summary per arm: n, deaths, 28-day mortality (CI), HR (CI) and log-rank p
        against the first arm, SOFA endpoints; then subgroups and the paired mode."""
        return _format_summary(self)

    def __str__(self) -> str:
        return self.summary()

    def write_summaries(self, store: TrialStore) -> None:
        """Write ``arm_summaries`` and ``comparisons`` tables to ``store``."""
        arms = pd.DataFrame(
            [
                {k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in a.items()}
                for a in self.arms
            ]
        )
        store.write_table("arm_summaries", arms)
        if self.comparisons:
            comps = pd.DataFrame(
                [
                    {k: (json.dumps(v) if isinstance(v, list) else v) for k, v in c.items()}
                    for c in self.comparisons
                ]
            )
            store.write_table("comparisons", comps)


def _km(d: pd.DataFrame) -> pd.DataFrame:
    from lifelines import KaplanMeierFitter

    if d.empty:
        return pd.DataFrame({"time_days": [], "survival": [], "lower": [], "upper": []})
    kmf = KaplanMeierFitter().fit(d["time_days"].to_numpy(float), d["died"].to_numpy(bool))
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_survival_function_
    out = pd.DataFrame(
        {
            "time_days": sf.index.to_numpy(float),
            "survival": sf.to_numpy(),
            "lower": ci.iloc[:, 0].to_numpy(),
            "upper": ci.iloc[:, 1].to_numpy(),
        }
    )
    if len(out) > KM_MAX_POINTS:
        # Large trials have one step per death: keep the step function's values on a grid
        # (exact at each grid time) so figures stay small.
        grid = np.linspace(0.0, float(out["time_days"].iloc[-1]), KM_MAX_POINTS)
        idx = np.searchsorted(out["time_days"].to_numpy(), grid, side="right") - 1
        out = out.iloc[np.clip(idx, 0, None)].reset_index(drop=True)
        out["time_days"] = grid
    return out


def _trajectories(store: TrialStore) -> pd.DataFrame:
    parts = []
    for name in TRAJECTORIES:
        col = f"{name}_traj"
        parts.append(
            store.query(
                f"SELECT arm, '{name}' AS variable, i - 1 AS day, count(v) AS n, "
                "quantile_cont(v, 0.25) AS q25, median(v) AS median, quantile_cont(v, 0.75) AS q75 "
                f"FROM (SELECT arm, unnest({col}) AS v, generate_subscripts({col}, 1) AS i "
                "FROM patients) WHERE v IS NOT NULL AND NOT isnan(v) "
                "GROUP BY arm, i ORDER BY arm, i"
            )
        )
    return pd.concat(parts, ignore_index=True)


def _screening(store: TrialStore, enrolled: int) -> dict[str, Any]:
    led = store.query(
        "SELECT sum(n_sampled) s, sum(n_died_before_screening) d, "
        "sum(n_screened) sc, sum(n_enrolled) e, count(*) c FROM chunks"
    ).iloc[0]
    by = (
        store.query(
            "SELECT phenotype, sum(n_screened) AS n_screened, "
            "sum(n_enrolled) AS n_enrolled FROM screening GROUP BY phenotype "
            "ORDER BY phenotype"
        )
        if store.has_table("screening")
        else pd.DataFrame()
    )
    reasons: dict[str, dict[str, int]] = {}
    if (
        store.has_table("screening")
        and "not_enrolled" in store.query("SELECT * FROM screening LIMIT 0").columns
    ):
        for _, r in store.query("SELECT phenotype, not_enrolled FROM screening").iterrows():
            per = reasons.setdefault(str(r["phenotype"]), {})
            for why, k in json.loads(r["not_enrolled"] or "{}").items():
                per[why] = per.get(why, 0) + int(k)
    return {
        "n_sampled": int(led["s"] or 0),
        "n_died_before_screening": int(led["d"] or 0),
        "n_screened": int(led["sc"] or 0),
        "n_enrolled": int(led["e"] or 0),
        "n_randomised": enrolled,
        "chunks": int(led["c"] or 0),
        "by_phenotype": {
            str(r["phenotype"]): {
                "screened": int(r["n_screened"]),
                "enrolled": int(r["n_enrolled"]),
                "not_enrolled": dict(
                    sorted(reasons.get(str(r["phenotype"]), {}).items(), key=lambda kv: -kv[1])
                ),
            }
            for _, r in by.iterrows()
        },
    }


def _counterfactual(store: TrialStore, arm_names: list[str]) -> dict[str, Any] | None:
    if not store.has_table("counterfactual"):
        return None
    cf = store.table("counterfactual", _COLUMNS, order_by="patient_id, arm")
    arms = [_arm_summary(a, cf[cf["arm"] == a]) for a in arm_names]
    ref = arm_names[0]
    wide = cf.pivot(index="patient_id", columns="arm", values="dead_28d")
    comps = []
    for a in arm_names[1:]:
        if ref in wide and a in wide:
            pair = wide[[a, ref]].dropna()
            comps.append(
                {
                    "arm": a,
                    "versus": ref,
                    **paired_difference(pair[a].to_numpy(float), pair[ref].to_numpy(float)),
                }
            )
    return {
        "description": "paired counterfactual: every enrolled patient simulated in every "
        "arm; not a randomised estimate (28-day mortality; paired Wald CI; "
        "exact McNemar p)",
        "arms": arms,
        "comparisons": comps,
    }


def analyze(store: TrialStore) -> TrialResult:
    """Analyse the trial held in ``store`` (rows read in patient order: the result does not
    depend on the order chunks were committed).

    Examples
    --------
    >>> from sepsistwin.trial import run_trial  # doctest: +SKIP
    >>> analyze(TrialStore("runs/provide-like-....duckdb")).summary()  # doctest: +SKIP
    """
    meta = store.metadata()
    spec = json.loads(meta["spec"])
    arm_names = [a["name"] for a in spec["arms"]]
    notes: list[str] = []
    if store.has_table("patients"):
        d = store.table("patients", _COLUMNS)
    else:
        d = pd.DataFrame({c: pd.Series(dtype=float) for c in _COLUMNS})
        d["arm"] = d["arm"].astype(object)
        d["phenotype"] = d["phenotype"].astype(object)
        notes.append("no patient was enrolled: check the enrollment criteria and the size")
    if int(spec["follow_up_days"]) < 28:
        notes.append(f"follow-up is {spec['follow_up_days']} days: 28-day endpoints not reported")
    if int(spec["follow_up_days"]) < 90:
        notes.append("90-day mortality needs follow_up_days >= 90 (not reported)")
    arms = [_arm_summary(a, d[d["arm"] == a]) for a in arm_names]
    ref = arm_names[0]
    comparisons = []
    for a in arm_names[1:]:
        c, note = _comparison(a, ref, d[d["arm"] == a], d[d["arm"] == ref])
        comparisons.append(c)
        if note:
            notes.append(note)
    subgroups = []
    for ph in sorted(d["phenotype"].dropna().unique().tolist()):
        s = d[d["phenotype"] == ph]
        sub_arms = [
            {
                k: v
                for k, v in _arm_summary(a, s[s["arm"] == a]).items()
                if k
                in (
                    "name",
                    "n",
                    "deaths_28d",
                    "mortality_28d",
                    "mortality_28d_ci",
                    "sofa_drop_1p4_day9",
                )
            }
            for a in arm_names
        ]
        sub_comps = []
        for a in arm_names[1:]:
            c, note = _comparison(a, ref, s[s["arm"] == a], s[s["arm"] == ref])
            sub_comps.append(c)
            if note:
                notes.append(f"subgroup {ph}: {note}")
        subgroups.append({"phenotype": ph, "n": len(s), "arms": sub_arms, "comparisons": sub_comps})
    cf = _counterfactual(store, arm_names)
    for c in cf["comparisons"] if cf else []:
        if c.get("n") and c.get("helped") == 0 and c.get("harmed") == 0:
            rand = next((x for x in comparisons if x["arm"] == c["arm"]), None)
            if rand is not None:
                rand["no_counterfactual_effect"] = True
            notes.append(
                f"arm {c['arm']} changed no enrolled patient's 28-day survival in the paired "
                f"counterfactual (0 helped, 0 harmed of {c['n']}): its randomised differences "
                f"from {ref} (HR, log-rank, risk difference) compare different patients and "
                "are sampling noise, not an effect"
            )
    km = {a: _km(d[d["arm"] == a]) for a in arm_names}
    traj = (
        _trajectories(store)
        if store.has_table("patients")
        else pd.DataFrame(columns=["arm", "variable", "day", "n", "q25", "median", "q75"])
    )
    fu = int(spec["follow_up_days"])
    step = 7 if fu <= 42 else 14
    days = sorted({*range(0, fu + 1, step), fu})
    at_risk = pd.DataFrame(
        [
            {"arm": a, "day": t, "n": int((d.loc[d["arm"] == a, "time_days"] >= t).sum())}
            for a in arm_names
            for t in days
        ]
    )
    return TrialResult(
        name=str(spec["name"]),
        run_id=meta.get("run_id", ""),
        follow_up_days=int(spec["follow_up_days"]),
        arms=arms,
        comparisons=comparisons,
        subgroups=subgroups,
        counterfactual=cf,
        screening=_screening(store, len(d)),
        km=km,
        trajectories=traj,
        notes=notes,
        store_path=store.path,
        at_risk=at_risk,
        spec=spec,
        run_meta={k: v for k, v in meta.items() if k != "spec"},
    )


# --- readable summary ---------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _pct_ci(x: float | None, ci: list[float] | None) -> str:
    if x is None:
        return "-"
    return f"{_pct(x)} ({100 * ci[0]:.1f}-{100 * ci[1]:.1f})" if ci else _pct(x)


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _fmt_hr(c: dict[str, Any] | None) -> str:
    if not c or c.get("hazard_ratio") is None:
        return "-"
    ci = c["hazard_ratio_ci"]
    return (
        f"{c['hazard_ratio']:.2f} ({ci[0]:.2f}-{ci[1]:.2f})" if ci else f"{c['hazard_ratio']:.2f}"
    )


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w)
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    )
    out = [line]
    for r in rows:
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return out


def _rd(c: dict[str, Any] | None) -> str:
    if not c or c.get("risk_difference") is None:
        return "-"
    ci = c["risk_difference_ci"]
    return f"{100 * c['risk_difference']:+.1f}" + (
        f" ({100 * ci[0]:+.1f} to {100 * ci[1]:+.1f})" if ci else ""
    )


@dataclass(frozen=True)
class SummaryTable:
    """One table of a trial's summary: title, column headers and rows of formatted cells.

    :func:`summary_tables` builds them once; the text summary and the HTML report render them.
    """

    title: str
    headers: list[str]
    rows: list[list[str]]
    note: str = ""


def summary_tables(r: TrialResult) -> list[SummaryTable]:
    """The summary of a trial as tables: arms, secondary outcomes, subgroups, paired mode.

    Examples
    --------
    >>> [t.title for t in summary_tables(result)]  # doctest: +SKIP
    ['Arms', 'Secondary outcomes', 'Subgroups by screening phenotype (28-day mortality)']
    """
    ref = r.arms[0]["name"] if r.arms else "-"
    comp = {c["arm"]: c for c in r.comparisons}
    arm_rows = []
    for a in r.arms:
        c = comp.get(a["name"])
        dsofa = a["sofa_change_day7_mean"]
        osfd = a["organ_support_free_days_mean"]
        arm_rows.append(
            [
                a["name"] + (" (no effect)" if c and c.get("no_counterfactual_effect") else ""),
                str(a["n"]),
                "-" if a["deaths_28d"] is None else str(a["deaths_28d"]),
                _pct_ci(a["mortality_28d"], a["mortality_28d_ci"]),
                _fmt_hr(c),
                _fmt_p(c["p_logrank"]) if c else "-",
                _rd(c),
                _pct(a["sofa_drop_1p4_day9"]),
                _pct(a["alive_sofa_decrease_day7"]),
                "-" if dsofa is None else f"{dsofa:+.2f}",
                "-" if osfd is None else f"{osfd:.1f}",
            ]
        )
    no_effect = [c["arm"] for c in r.comparisons if c.get("no_counterfactual_effect")]
    arms_note = (
        f"No effect: {', '.join(no_effect)} changed no patient's 28-day survival in the paired "
        "counterfactual; the randomised HR, log-rank p and RD of "
        + ("that arm" if len(no_effect) == 1 else "those arms")
        + " are noise."
        if no_effect
        else ""
    )
    tables = [
        SummaryTable(
            "Arms",
            [
                "arm",
                "n",
                "deaths 28d",
                "mortality 28d (95% CI)",
                f"HR vs {ref} (95% CI)",
                "log-rank p",
                "RD 28d, % (95% CI)",
                "SOFA -1.4 d9",
                "alive, SOFA down d7",
                "mean dSOFA d7",
                "OSFD",
            ],
            arm_rows,
            note=arms_note,
        ),
        SummaryTable(
            "Secondary outcomes",
            ["arm", "mortality 90d", "secondary infection", "hyperinflammation (AE)"],
            [
                [
                    a["name"],
                    _pct(a["mortality_90d"]),
                    _pct_ci(a["secondary_infection"], a["secondary_infection_ci"]),
                    _pct_ci(a["hyperinflammation_ae"], a["hyperinflammation_ae_ci"]),
                ]
                for a in r.arms
            ],
        ),
    ]
    if r.subgroups:
        rows = []
        for s in r.subgroups:
            sc_comp = {c["arm"]: c for c in s["comparisons"]}
            for a in s["arms"]:
                c = sc_comp.get(a["name"])
                rows.append(
                    [
                        f"{s['phenotype']} / {a['name']}",
                        str(a["n"]),
                        _pct_ci(a["mortality_28d"], a["mortality_28d_ci"]),
                        _fmt_hr(c),
                        _fmt_p(c["p_logrank"]) if c else "-",
                    ]
                )
        tables.append(
            SummaryTable(
                "Subgroups by screening phenotype (28-day mortality)",
                ["phenotype / arm", "n", "mortality 28d (95% CI)", "HR (95% CI)", "log-rank p"],
                rows,
            )
        )
    if r.counterfactual:
        cfc = {c["arm"]: c for c in r.counterfactual["comparisons"]}
        rows = []
        for a in r.counterfactual["arms"]:
            c = cfc.get(a["name"])
            rows.append(
                [
                    a["name"],
                    str(a["n"]),
                    _pct(a["mortality_28d"]),
                    _rd(c),
                    _fmt_p(c["p_mcnemar"]) if c else "-",
                    f"{c['helped']}/{c['harmed']}" if c else "-",
                ]
            )
        tables.append(
            SummaryTable(
                "Paired counterfactual (every enrolled patient in every arm; reported apart "
                "from the randomised estimate)",
                [
                    "arm",
                    "n",
                    "mortality 28d",
                    "paired RD, % (95% CI)",
                    "McNemar p",
                    "helped/harmed",
                ],
                rows,
                note=str(r.counterfactual.get("description", "")),
            )
        )
    return tables


def _format_summary(r: TrialResult) -> str:
    sc = r.screening
    ref = r.arms[0]["name"] if r.arms else "-"
    lines = [
        f"<sepsistwin.trial.TrialResult: {r.name}>",
        f"            run id = {r.run_id}",
        f"        population = {sc['n_sampled']} sampled, {sc['n_died_before_screening']} died "
        f"before screening, {sc['n_screened']} screened, {sc['n_enrolled']} enrolled",
        f"         follow-up = {r.follow_up_days} days after enrollment",
        f"   reference arm   = {ref}",
    ]
    for t in summary_tables(r):
        lines += ["---", f"{t.title[:1].lower()}{t.title[1:]}:", *_table(t.headers, t.rows)]
        if t.note and t.title == "Arms":
            lines.append(f"!! {t.note}")
    lines += [
        "---",
        f"mortality CI: Wilson; RD CI: {RISK_DIFFERENCE_METHOD}; HR: {HAZARD_RATIO_METHOD}",
    ]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines)
