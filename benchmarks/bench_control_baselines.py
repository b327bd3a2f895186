"""Benchmark: model-predictive (twin-guided) immunotherapy against the simple baselines, paired.

The ``twin-guided`` example (standard care, PROVIDE rule-guided, twin-guided closed loop) with
the fixed courses of the Gymnasium baseline table added as arms (everyone: anakinra,
interferon-gamma, GM-CSF, nivolumab, anti-TNF), the phenotype-selected courses chosen on the
environment's training seed (MALS: anakinra; immunoparalysis: GM-CSF) and the environment's
random policy (a uniform action every day for 28 days, arm kind ``random_daily``), run in the paired
counterfactual mode: every enrolled patient (MALS or immunoparalysis at 24 h, in Sepsis-3) is
simulated in every arm, so differences are paired. Seed 2028, the held-out seed of the
Gymnasium baseline table; the closed loop uses the example's settings.

The trial store is kept in ``benchmarks/results/control_baselines.duckdb`` so a killed run
resumes (``--fresh`` starts over). Writes section ``control-baselines`` of docs/benchmarks.md
and prints the table for docs/control.md.

Usage: python benchmarks/bench_control_baselines.py [--patients N] [--workers W] [--fresh]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine_description, today, write_section
from sepsistwin.trial import load_spec, run_trial

STORE = Path(__file__).resolve().parent / "results" / "control_baselines.duckdb"
SEED = 2028

#: Fixed courses of the Gymnasium baseline table (docs/control-gym.md), from enrollment.
COURSES: dict[str, dict[str, Any]] = {
    "anakinra_all": {
        "therapy": "anakinra",
        "dose": "200 mg",
        "route": "iv",
        "every_hours": 8,
        "doses": 21,
    },
    "interferon_gamma_all": {
        "therapy": "interferon_gamma",
        "dose": "100 ug",
        "route": "sc",
        "every_hours": 48,
        "doses": 8,
    },
    "gm_csf_all": {
        "therapy": "gm_csf",
        "dose": "4 ug/kg",
        "route": "sc",
        "every_hours": 24,
        "doses": 8,
    },
    "nivolumab_all": {"therapy": "nivolumab", "dose": "480 mg", "route": "iv"},
    "anti_tnf_all": {
        "therapy": "anti_tnf",
        "dose": "1 mg/kg",
        "route": "iv",
        "every_hours": 8,
        "doses": 9,
    },
}


def spec(patients: int) -> dict[str, Any]:
    """The twin-guided example with the baseline arms added (paired mode, held-out seed)."""
    s = load_spec("twin-guided").canonical()
    s["name"] = "control-baselines"
    s["description"] = (
        "Twin-guided closed loop vs rule-guided, phenotype-selected and fixed courses"
    )
    s["seed"] = SEED
    s["population"]["size"] = patients
    s["arms"].append(
        {
            "name": "phenotype_selected",
            "allocation": 1,
            "guided": {
                "MALS": [COURSES["anakinra_all"]],
                "immunoparalysis": [COURSES["gm_csf_all"]],
            },
        }
    )
    for name, course in COURSES.items():
        s["arms"].append({"name": name, "allocation": 1, "therapies": [course]})
    # The environment's random policy: a uniform action of its catalogue every day.
    s["arms"].append({"name": "random_daily", "allocation": 1, "random_daily": {"days": 28}})
    s["counterfactual"] = True
    return s


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def table(cf: dict[str, Any]) -> list[str]:
    """Markdown rows: mortality with its Wilson interval, paired difference to standard care."""
    comps = {c["arm"]: c for c in cf["comparisons"]}
    out = [
        "| arm | patients | 28-day mortality % (95% CI) | vs standard care, pp (paired 95% CI) "
        "| McNemar p | hyperinflammation AE % |",
        "|---|---|---|---|---|---|",
    ]
    for a in cf["arms"]:
        lo, hi = a["mortality_28d_ci"] or (None, None)
        c = comps.get(a["name"])
        if c is None or c["risk_difference"] is None:
            diff, p = "reference", ""
        else:
            dlo, dhi = c["risk_difference_ci"]
            diff = f"{100 * c['risk_difference']:+.1f} ({100 * dlo:+.1f} to {100 * dhi:+.1f})"
            p = f"{c['p_mcnemar']:.3f}"
        out.append(
            f"| {a['name']} | {a['n']} | {pct(a['mortality_28d'])} ({pct(lo)} to {pct(hi)}) | "
            f"{diff} | {p} | {pct(a['hyperinflammation_ae'])} |"
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=240, help="sampled patients")
    ap.add_argument("--workers", type=int, default=2, help="local worker processes")
    ap.add_argument("--fresh", action="store_true", help="discard an earlier store")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()
    if args.fresh and STORE.exists():
        STORE.unlink()
    STORE.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    res = run_trial(
        spec(args.patients),
        store=STORE,
        resume=STORE.exists(),
        workers=args.workers,
        chunk_size=max(1, args.patients // 24),
        progress=True,
    )
    wall = time.perf_counter() - t0
    cf = res.counterfactual
    if cf is None:
        raise SystemExit("no patient was enrolled: raise --patients")
    enrolled = cf["arms"][0]["n"]
    text = "\n".join(
        [
            "## Twin-guided control against the baselines "
            "(`benchmarks/bench_control_baselines.py`)",
            "",
            f"{today()}, {machine_description()}.",
            "",
            f"{args.patients} sampled patients of the held-out seed {SEED}, {enrolled} enrolled "
            "(MALS or immunoparalysis at 24 h, Sepsis-3), each simulated in every arm (paired "
            f"counterfactual mode); {args.workers} local worker processes, {wall / 60:.0f} min "
            "(a resumed run counts only its own part). 28-day mortality is the sampled death; "
            "differences are paired (Wald interval, exact McNemar test).",
            "",
            *table(cf),
        ]
    )
    print(text)
    if not args.no_write:
        write_section("control-baselines", text)


if __name__ == "__main__":
    main()
