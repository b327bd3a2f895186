"""Baseline policies evaluated on the same held-out patients: 28-day mortality with CIs.

``python -m sepsistwin.control.gym.baselines [--patients N] [--seed S] [--train-seed T]
[--preset P] [--phenotypes MALS,immunoparalysis] [--json]`` prints the table of
docs/control-gym.md. The phenotype-selected courses are chosen on the patients of the training
seed ``T`` and evaluated, with every other policy, on the held-out seed ``S``.

Every policy meets the same patients (enrolled patients ``0..N-1`` of the seed, the patients
``env.reset(seed=S)`` enrols first) with the same death draws, so differences between policies
are paired: the difference to no immunotherapy has a paired confidence interval. Two
mortalities are reported: ``sampled`` counts the deaths of the environment (cumulative hazard
past each patient's own ``-log U``, the episode's reward), ``model`` is one minus the mean of
the model's probability of surviving from enrolment to day 28 (the ``expected`` death mode;
less noisy, same expectation).

Examples
--------
>>> ev = Evaluation("x", np.array([True, False, False, False]), np.array([0.2, 0.9, 0.8, 0.7]),
...                 np.array([0, 3, 0, 1]))
>>> ev.mortality()[0], round(ev.model_mortality()[0], 3)
(0.25, 0.35)
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from gymnasium.utils import seeding
from numpy.typing import NDArray

from sepsistwin.control.gym.actions import ActionCatalogue
from sepsistwin.control.gym.config import EnvConfig
from sepsistwin.control.gym.engine import LaneEngine
from sepsistwin.control.gym.observe import ObservationLayout
from sepsistwin.control.gym.patients import PatientSource
from sepsistwin.control.gym.policies import (
    Course,
    FixedCourse,
    NoTreatment,
    PhenotypeRules,
    ProvideRules,
    RandomPolicy,
    course_name,
    provide_courses,
)

FloatArray = NDArray[np.float64]
Policy = Callable[[NDArray[np.float32]], NDArray[np.int64]]
#: z for two-sided 95% intervals.
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``k / n``.

    Examples
    --------
    >>> [round(x, 3) for x in wilson(40, 100)]
    [0.309, 0.498]
    """
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def mean_ci(x: FloatArray, z: float = Z95) -> tuple[float, float, float]:
    """Mean and normal-approximation interval of a mean."""
    m = float(np.mean(x))
    se = float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else math.nan
    return m, m - z * se, m + z * se


@dataclass
class Evaluation:
    """Outcomes of one policy on the evaluation patients (one entry per patient).

    Attributes
    ----------
    policy : str
    died : ndarray of bool
        Death by day 28 (sampled).
    survival_probability : ndarray
        Model probability of surviving from enrolment to day 28 under the policy (the
        cumulative hazard; 0 for a failed integration is never used: failures are counted apart).
    treated_days : ndarray of int
        Days with at least one dose of immunotherapy.
    labels : ndarray of str, optional
        The group a :class:`~sepsistwin.control.gym.policies.PhenotypeRules` policy put each
        patient in.
    """

    policy: str
    died: NDArray[np.bool_]
    survival_probability: FloatArray
    treated_days: NDArray[np.int64]
    labels: NDArray[np.object_] | None = None

    @property
    def n(self) -> int:
        """Patients."""
        return int(self.died.size)

    def mortality(self) -> tuple[float, float, float]:
        """Sampled 28-day mortality with its Wilson 95% interval."""
        k = int(self.died.sum())
        return (k / self.n, *wilson(k, self.n))

    def model_mortality(self) -> tuple[float, float, float]:
        """Model (expected) 28-day mortality with a 95% interval."""
        m, lo, hi = mean_ci(1.0 - self.survival_probability)
        return m, lo, hi

    def difference(self, other: Evaluation, model: bool = False) -> tuple[float, float, float]:
        """Paired difference in mortality (this minus ``other``) with a 95% interval."""
        if model:
            d = other.survival_probability - self.survival_probability
        else:
            d = self.died.astype(float) - other.died.astype(float)
        return mean_ci(d)


def source_seed(seed: int) -> int:
    """The patient-source seed that ``env.reset(seed=seed)`` uses."""
    rng, _ = seeding.np_random(int(seed))
    return int(rng.integers(0, 2**63 - 1))


def evaluate(
    policy: Policy,
    name: str,
    config: EnvConfig,
    n_patients: int,
    seed: int,
    source: PatientSource | None = None,
    lanes: int = 1024,
) -> Evaluation:
    """Run ``policy`` on enrolled patients ``0..n_patients-1`` of ``seed`` (one episode each).

    ``source``: a patient source of the same seed and configuration to share between policies
    (its enrolled patients are generated once).
    """
    # Every patient is followed to day 28 (the ``expected`` death mode) so that the model's
    # survival probability is known for all; the sampled death is then whether the cumulative
    # hazard passed the patient's threshold by day 28, which is when the ``sample`` mode's
    # episode ends in death (the hazard never decreases and the trajectory up to that day is
    # the same in both modes).
    config = replace(config, death="expected")
    died = np.zeros(n_patients, dtype=bool)
    surv = np.zeros(n_patients)
    treated = np.zeros(n_patients, dtype=np.int64)
    labels = np.full(n_patients, "", dtype=object)
    for c0 in range(0, n_patients, lanes):
        c1 = min(n_patients, c0 + lanes)
        k = c1 - c0
        eng = LaneEngine(config, k)
        eng.seed(source_seed(seed) if source is None else source.seed)
        eng.rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2, c0]))
        if source is not None:
            eng.source = source
        all_lanes = np.arange(k)
        eng.load(all_lanes, np.arange(c0, c1))
        active = np.ones(k, dtype=bool)
        n_lv = len(eng.catalogue.levels)
        while active.any():
            obs = eng.observe(all_lanes)
            act = np.asarray(policy(obs))
            chosen = np.zeros((k, n_lv), dtype=bool)
            for i in np.flatnonzero(active):
                chosen[i, eng.catalogue.level_indices(act[i])] = True
            lanes_on = np.flatnonzero(active)
            r = eng.step(lanes_on, chosen[lanes_on])
            treated[c0 + lanes_on] += chosen[lanes_on].any(axis=1)
            surv[c0 + lanes_on] = r.survival_probability
            active[lanes_on[r.terminated | r.truncated]] = False
        policy_labels = getattr(policy, "labels", None)
        if policy_labels is not None and len(policy_labels) == k:
            labels[c0:c1] = policy_labels
        hz = eng.state[:, eng.state_index["HZ"]]
        died[c0:c1] = hz >= eng.threshold
    return Evaluation(name, died, surv, treated, labels)


def candidate_courses(catalogue: ActionCatalogue) -> list[Course]:
    """Fixed courses of the evidence base's regimens (reference arms and selection candidates).

    PROVIDE's anakinra (7 days) and interferon-gamma (every other day, 15 days); GM-CSF daily
    for 8 days (Meisel 2009); IL-7 every 3 days, 8 doses (IRIS-7 gave 8 doses twice weekly);
    nivolumab 480 mg once (Hotchkiss 2019); anti-TNF every 8 h for 3 days (MONARCS); thymosin
    alpha-1 every 12 h for 7 days (TESTS).
    """
    provide = provide_courses(catalogue)
    out = [c for c in (provide["MALS"], provide["immunoparalysis"]) if c is not None]
    for therapy, regimen, days, every in (
        ("gm_csf", "meisel2009_sc", 8.0, 1.0),
        ("il7", "iris7_im", 22.0, 3.0),
        ("nivolumab", "hotchkiss_480", 1.0, 1.0),
        ("anti_tnf", "afelimomab_monarcs", 3.0, 1.0),
        ("thymosin_alpha1", "tests_sc", 7.0, 1.0),
    ):
        out.append(Course(catalogue.level_index(therapy, regimen), days, every))
    return out


#: The groups of the phenotype-selected policy (``PhenotypeRules(wait=False)``).
GROUPS = ("MALS", "immunoparalysis", "intermediate", "unclassified")


def select_phenotype_courses(
    config: EnvConfig, n_patients: int, seed: int
) -> tuple[dict[str, Course | None], dict[str, dict[str, float]]]:
    """The course (or nothing) with the lowest model mortality per group at enrolment.

    Chosen on enrolled patients ``0..n_patients-1`` of ``seed`` (a training seed). The groups
    are the PROVIDE classes read from what is measured at enrolment, plus ``unclassified``
    (ferritin, or mHLA-DR with a low ferritin, not measured that day):
    :class:`~sepsistwin.control.gym.policies.PhenotypeRules` with ``wait=False``. Each
    candidate of :func:`candidate_courses` (and nothing) is given to every group, and each
    group keeps the candidate whose patients of that group have the highest mean model
    survival (patients are independent, so the mixture policy has those outcomes per group).
    Returns the choice and the mean model mortality per group and candidate.
    """
    from sepsistwin.model import get_model

    cat = ActionCatalogue(config.levels, config.action_mode)
    lay = ObservationLayout(cat.therapies)
    src = PatientSource(config, source_seed(seed), get_model("sepsistwin"))
    options: list[tuple[str, Course | None]] = [("nothing", None)] + [
        (course_name(cat, c), c) for c in candidate_courses(cat)
    ]
    evals: dict[str, Evaluation] = {}
    for name, course in options:
        pol = PhenotypeRules(cat, lay, dict.fromkeys(GROUPS, course), name, wait=False)
        evals[name] = evaluate(pol, name, config, n_patients, seed, source=src)
    labels = evals["nothing"].labels
    assert labels is not None
    chosen: dict[str, Course | None] = {}
    table: dict[str, dict[str, float]] = {}
    for group in GROUPS:
        m = labels == group
        if not m.any():
            chosen[group] = None
            continue
        table[group] = {
            name: float(1.0 - ev.survival_probability[m].mean()) for name, ev in evals.items()
        }
        best = min(table[group], key=lambda k: table[group][k])
        chosen[group] = dict(options)[best]
    return chosen, table


def default_policies(
    config: EnvConfig, selected: dict[str, Course | None] | None = None
) -> list[tuple[str, Callable[[], Policy]]]:
    """The baselines of the table: name and a factory (fresh state per evaluation)."""
    cat = ActionCatalogue(config.levels, config.action_mode)
    lay = ObservationLayout(cat.therapies)
    n_actions = 1 + len(cat.levels)
    out: list[tuple[str, Callable[[], Policy]]] = [
        ("no immunotherapy", lambda: NoTreatment(cat)),
        (f"random (uniform over the {n_actions} actions, daily)", lambda: RandomPolicy(cat, 1)),
        (
            "PROVIDE rules (anakinra for MALS, IFN-gamma for immunoparalysis)",
            lambda: ProvideRules(cat, lay),
        ),
    ]
    if selected is not None:
        desc = "; ".join(
            f"{ph}: {'nothing' if c is None else course_name(cat, c)}" for ph, c in selected.items()
        )
        out.append(
            (
                f"phenotype-selected courses, chosen on training patients ({desc})",
                lambda: PhenotypeRules(cat, lay, selected, "phenotype-selected", wait=False),
            )
        )
    for c in candidate_courses(cat):

        def make(c: Course = c) -> Policy:
            return FixedCourse(cat, lay, c)

        out.append((f"everyone: {course_name(cat, c)}", make))
    return out


def run_baselines(
    config: EnvConfig,
    n_patients: int,
    seed: int,
    policies: Sequence[tuple[str, Callable[[], Policy]]] | None = None,
) -> list[Evaluation]:
    """Evaluate every policy on the same patients."""
    from sepsistwin.model import get_model

    src = PatientSource(config, source_seed(seed), get_model("sepsistwin"))
    return [
        evaluate(factory(), name, config, n_patients, seed, source=src)
        for name, factory in (policies or default_policies(config))
    ]


def table_rows(evals: Sequence[Evaluation]) -> list[dict[str, object]]:
    """One row per policy: mortalities, paired differences to the first policy (the reference)
    and to the best one (lowest model mortality), share of patients treated."""
    ref = evals[0]
    best = min(evals, key=lambda e: e.model_mortality()[0])
    rows: list[dict[str, object]] = []
    for e in evals:
        m, lo, hi = e.mortality()
        mm, mlo, mhi = e.model_mortality()
        d, dlo, dhi = e.difference(ref)
        dm, dmlo, dmhi = e.difference(ref, model=True)
        b, blo, bhi = e.difference(best)
        rows.append(
            {
                "policy": e.policy,
                "patients": e.n,
                "mortality": m,
                "mortality_ci": [lo, hi],
                "model_mortality": mm,
                "model_mortality_ci": [mlo, mhi],
                "difference": d,
                "difference_ci": [dlo, dhi],
                "model_difference": dm,
                "model_difference_ci": [dmlo, dmhi],
                "best": best.policy,
                "difference_to_best": b,
                "difference_to_best_ci": [blo, bhi],
                "treated_fraction": float(np.mean(e.treated_days > 0)),
                "mean_treated_days": float(np.mean(e.treated_days)),
            }
        )
    return rows


def markdown(rows: Sequence[dict[str, object]]) -> str:
    """The rows as the Markdown table of docs/control-gym.md."""

    def pct(x: object) -> str:
        return f"{100 * float(x):.1f}"  # type: ignore[arg-type]

    def ci(x: object) -> str:
        lo, hi = (float(v) for v in x)  # type: ignore[attr-defined]
        return f"{pct(lo)} to {pct(hi)}"

    out = [
        "| policy | 28-day mortality % (95% CI) | model mortality % (95% CI) | "
        "vs no immunotherapy, pp (paired 95% CI) | model, pp (paired 95% CI) | "
        "vs the best policy, pp (paired 95% CI) | treated % |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['policy']} | {pct(r['mortality'])} ({ci(r['mortality_ci'])}) | "
            f"{pct(r['model_mortality'])} ({ci(r['model_mortality_ci'])}) | "
            f"{100 * float(r['difference']):+.1f} ({ci(r['difference_ci'])}) | "  # type: ignore[arg-type]
            f"{100 * float(r['model_difference']):+.1f} ({ci(r['model_difference_ci'])}) | "  # type: ignore[arg-type]
            f"{100 * float(r['difference_to_best']):+.1f} ({ci(r['difference_to_best_ci'])}) | "  # type: ignore[arg-type]
            f"{pct(r['treated_fraction'])} |"
        )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: evaluate the baselines and print the table."""
    ap = argparse.ArgumentParser(
        prog="python -m sepsistwin.control.gym.baselines",
        description="Baseline policies of the immune-rebalancing environment on held-out seeds.",
    )
    ap.add_argument("--patients", type=int, default=2000, help="patients (default 2000)")
    ap.add_argument("--seed", type=int, default=2028, help="held-out seed (default 2028)")
    ap.add_argument("--preset", default="septic_shock", help="septic_shock or sepsis")
    ap.add_argument(
        "--phenotypes", default=None, help="comma-separated tier, e.g. MALS,immunoparalysis"
    )
    ap.add_argument(
        "--train-seed",
        type=int,
        default=2027,
        help="seed of the patients the phenotype-selected courses are chosen on (default 2027)",
    )
    ap.add_argument(
        "--train-patients", type=int, default=None, help="training patients (default --patients)"
    )
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    a = ap.parse_args(argv)
    if a.patients < 2:
        ap.error(f"--patients must be at least 2, got {a.patients}")
    phen = tuple(a.phenotypes.split(",")) if a.phenotypes else None
    try:
        cfg = EnvConfig(preset=a.preset, phenotypes=phen)
    except ValueError as exc:
        ap.error(str(exc))
    if a.train_seed == a.seed:
        ap.error("--train-seed must differ from the held-out --seed")
    t0 = time.perf_counter()
    chosen, per_phenotype = select_phenotype_courses(
        cfg, a.train_patients or a.patients, a.train_seed
    )
    rows = table_rows(run_baselines(cfg, a.patients, a.seed, default_policies(cfg, chosen)))
    if a.json:
        print(json.dumps({"rows": rows, "training_mortality": per_phenotype}, indent=2))
    else:
        print(markdown(rows))
        print("\nModel mortality % on the training patients, per group at enrolment and course:")
        for ph, t in per_phenotype.items():
            print(f"  {ph}: " + "; ".join(f"{k} {100 * v:.1f}" for k, v in t.items()))
        print(
            f"\n{a.patients} patients, preset {cfg.preset}, phenotypes "
            f"{list(phen) if phen else 'all'}, held-out seed {a.seed}, training seed "
            f"{a.train_seed}; {time.perf_counter() - t0:.0f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
