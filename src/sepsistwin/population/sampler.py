"""Virtual septic-shock patients: parameter distributions and a seeded sampler.

Each patient is a draw of host and infection parameters of the ``sepsistwin`` model, an
antibiotic start time (standard care), a body weight and a uniform number ``death_u`` that turns
the model's cumulative death hazard into a death time. Distributions are lognormal (or normal,
clipped to plausible ranges) with sources or CALIBRATED status; the host macrophage-activation
and IL-10 gains are negatively correlated (MALS has a lower IL-10/TNF ratio, Kyriazopoulou 2017
doi 10.1186/s12916-017-0930-5, VERIFIED direction; size PROPOSAL); the damage susceptibility and
IL-10 gain positively (host frailty, :data:`RHO_KND_IL10`), and the damage susceptibility also
rises with the macrophage-activation gain (:data:`RHO_KND_MALS`; both weights CALIBRATED).

Examples
--------
>>> pop = sample_population(5, seed=1)
>>> pop.n, sorted(pop.params)[:2]
(5, ['L_hom', 'a_il7'])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sepsistwin.model.pharmacology import standard_care
from sepsistwin.population.calibrated import load_calibrated_parameters
from sepsistwin.solve import Schedule, SimulationResult, simulate_batch

PROPOSAL = "PROPOSAL"
CALIBRATED = "CALIBRATED"


@dataclass(frozen=True)
class Dist:
    """A distribution of one patient quantity: lognormal (``median``, ``sd_log``) or normal.

    ``target`` is a model parameter, ``init:<state>`` an initial state, or one of the patient
    fields ``abx_start``.
    """

    target: str
    kind: str  # "lognormal" | "normal"
    center: float  # median (lognormal) or mean (normal)
    spread: float  # sd of log (lognormal) or sd (normal)
    lower: float
    upper: float
    unit: str
    source: str


#: Base distributions of the septic-shock preset (before the stored calibration is applied).
SEPTIC_SHOCK: tuple[Dist, ...] = (
    Dist(
        "init:P",
        "lognormal",
        0.8,
        0.6,
        0.1,
        10.0,
        "1e6 CFU/mL",
        "PROPOSAL: median within the Pulse severity map 0-1.5",
    ),
    Dist(
        "init:PF",
        "lognormal",
        1.0,
        0.6,
        0.1,
        5.0,
        "1e6 CFU/mL",
        "PROPOSAL: focus load of the order of the accessible load",
    ),
    Dist(
        "k_pg",
        "lognormal",
        0.35,
        0.25,
        0.15,
        0.7,
        "1/h",
        "Reynolds 2006 scenarios 0.3-0.6 (VERIFIED); spread PROPOSAL",
    ),
    Dist(
        "mic",
        "lognormal",
        0.5,
        0.8,
        0.02,
        8.0,
        "mg/L",
        "MIC 0.016-2 mg/L across Gram-negatives (RECALLED)",
    ),
    Dist("abx_start", "lognormal", 6.0, 0.5, 1.0, 24.0, "h", PROPOSAL),
    Dist("g_mals", "lognormal", 2.0, 0.8, 0.05, 30.0, "1", CALIBRATED),
    Dist("g_il10", "lognormal", 1.0, 0.5, 0.05, 20.0, "1", PROPOSAL),
    # Host susceptibility to damage-driven inflammation (age, comorbidity): whether organ
    # failure becomes self-sustaining (the Reynolds "aseptic death" attractor) or resolves.
    Dist(
        "k_nd",
        "lognormal",
        0.02,
        0.5,
        0.0005,
        0.08,
        "1/(D-unit*h)",
        "Reynolds 2006 value 0.02 (VERIFIED) as start; median CALIBRATED; spread PROPOSAL",
    ),
    Dist(
        "hla0",
        "normal",
        22000.0,
        5000.0,
        10000.0,
        45000.0,
        "AB/C",
        "healthy 15,000-40,000 AB/C (RECALLED)",
    ),
    # How fast an ICU-acquired organism grows in the tissues varies between patients
    # (organism, inoculum, device, site): incidence is then graded by host defence instead of
    # all-or-none at one mHLA-DR threshold. Median CALIBRATED to the ICU-acquired infection
    # incidence (docs/calibration.md); spread PROPOSAL.
    Dist("k_pg2", "lognormal", 0.14, 0.5, 0.02, 0.6, "1/h", f"{PROPOSAL}; median CALIBRATED"),
    Dist("L_hom", "lognormal", 2.0, 0.25, 1.0, 4.0, "1e9/L", "normal ALC 1-4 (general)"),
    Dist("fer0", "lognormal", 100.0, 0.5, 15.0, 600.0, "ng/mL", "ferritin 30-300 (RECALLED)"),
    Dist("body_weight", "normal", 78.0, 15.0, 45.0, 150.0, "kg", PROPOSAL),
)

#: Correlation of the log host gains (g_mals, g_il10).
RHO_MALS_IL10 = -0.3

#: Default correlation of log damage susceptibility ``k_nd`` with log IL-10 gain ``g_il10``
#: (used when the calibration stores none). Host frailty (age, comorbidity) raises both whether
#: organ failure becomes self-sustaining and the compensatory anti-inflammatory response: early
#: immunoparalysis was twice as frequent in elderly septic patients (32% vs 16%), who died more
#: often (39% vs 27%) (Pei 2020 Infect Drug Resist 13:2053 doi 10.2147/IDR.S246513, VERIFIED
#: abstract; direction). Its size is CALIBRATED (population ``k_nd`` ``rho_g_il10``) to the gap
#: between the immunoparalysis and intermediate mortalities of PROVIDE.
RHO_KND_IL10 = 0.0

#: Default partial weight of log macrophage-activation gain ``g_mals`` in log ``k_nd`` (used
#: when the calibration stores none). Without it MALS hosts (low IL-10 gain, ``RHO_MALS_IL10``)
#: would be the least frail; the calibration sets it to PROVIDE's MALS excess mortality (79%
#: vs 67% in immunoparalysis): hosts prone to macrophage activation are also prone to
#: self-sustaining organ failure (PROPOSAL, CALIBRATED).
RHO_KND_MALS = 0.0


def frailty_correlation(hyper: Mapping[str, Mapping[str, float]] | None = None) -> float:
    """Correlation of log ``k_nd`` with log ``g_il10`` (stored calibration unless ``hyper``).

    Examples
    --------
    >>> -1.0 < frailty_correlation() < 1.0
    True
    """
    rho_k, rho_m = frailty_weights(hyper)
    return rho_k + rho_m * RHO_MALS_IL10


def frailty_weights(hyper: Mapping[str, Mapping[str, float]] | None = None) -> tuple[float, float]:
    """Weights of the normal scores of log ``g_il10`` and log ``g_mals`` in log ``k_nd``.

    Examples
    --------
    >>> frailty_weights({"k_nd": {"rho_g_il10": 0.5}})
    (0.5, 0.0)
    """
    cal = dict(load_calibrated_parameters().population) if hyper is None else dict(hyper)
    k = cal.get("k_nd", {})
    return float(k.get("rho_g_il10", RHO_KND_IL10)), float(k.get("rho_g_mals", RHO_KND_MALS))


PRESETS: dict[str, dict[str, float]] = {
    # Patients screened for septic shock (PROVIDE-like; the calibrated population).
    "septic_shock": {},
    # Sepsis at large: a lighter infection burden and fewer hosts whose organ failure becomes
    # self-sustaining (PROPOSAL multipliers of the calibrated medians, not fitted; its
    # mortality is reported as a validation check).
    "sepsis": {"init:P": 0.7, "init:PF": 0.7, "k_nd": 0.7},
}
#: Former name of the ``sepsis`` preset, still accepted.
PRESET_ALIASES: dict[str, str] = {"general": "sepsis"}

#: The clinical criterion a patient of each preset meets at enrolment (the screening
#: assessment's column): a ``septic_shock`` trial enrols patients in Sepsis-3 septic shock
#: (Singer 2016 JAMA 315:801 doi 10.1001/jama.2016.0287), a ``sepsis`` trial patients meeting
#: Sepsis-3. Applied by the calibration's screened cohort and by the trial engine.
PRESET_ENROLMENT: dict[str, str] = {"septic_shock": "septic_shock", "sepsis": "sepsis3"}


def canonical_preset(preset: str) -> str:
    """The preset name with aliases resolved (``general`` -> ``sepsis``).

    Examples
    --------
    >>> canonical_preset("general")
    'sepsis'
    """
    name = PRESET_ALIASES.get(preset, preset)
    if name not in PRESETS:
        raise ValueError(
            f"unknown population preset {preset!r}; presets: {sorted([*PRESETS, *PRESET_ALIASES])}"
        )
    return name


@dataclass(frozen=True)
class VirtualPopulation:
    """A sampled cohort: per-patient parameters, initial states and care timings.

    Attributes
    ----------
    params, init : dict of name -> ndarray (n,)
        For :func:`sepsistwin.solve.simulate_batch`.
    abx_start : ndarray (n,)
        Antibiotic start (hours after infection onset).
    death_u : ndarray (n,)
        Uniform draws: death when the cumulative hazard exceeds ``-log(death_u)``.
    """

    params: dict[str, NDArray[np.float64]]
    init: dict[str, NDArray[np.float64]]
    abx_start: NDArray[np.float64]
    death_u: NDArray[np.float64]
    preset: str
    seed: int | None
    hyper: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of patients."""
        return int(self.death_u.size)

    @property
    def weight_kg(self) -> NDArray[np.float64]:
        """Body weights (kg)."""
        return self.params["body_weight"]

    def standard_care(self, days: float = 7.0) -> Schedule:
        """Meropenem 1 g q8h from each patient's antibiotic start."""
        return standard_care(self.abx_start, days=days, weight_kg=self.weight_kg)

    def subset(self, index: ArrayLike) -> VirtualPopulation:
        """The patients at ``index`` (a boolean mask or integer indices)."""
        idx = np.asarray(index)
        return VirtualPopulation(
            {k: v[idx] for k, v in self.params.items()},
            {k: v[idx] for k, v in self.init.items()},
            self.abx_start[idx],
            self.death_u[idx],
            self.preset,
            self.seed,
            self.hyper,
        )

    def simulate(
        self,
        t_eval: ArrayLike,
        doses: Schedule | None = None,
        model: Any = "sepsistwin",
        overrides: Mapping[str, float] | None = None,
    ) -> SimulationResult:
        """Simulate the cohort under standard care plus ``doses``."""
        sched = self.standard_care() + (doses or Schedule())
        params = {**self.params, **{k: np.full(self.n, v) for k, v in (overrides or {}).items()}}
        return simulate_batch(model, params, self.init, t_eval, doses=sched, rtol=1e-5, atol=1e-8)


def distributions(
    preset: str = "septic_shock", hyper: Mapping[str, Mapping[str, float]] | None = None
) -> list[Dist]:
    """The distributions of ``preset`` with stored (or given) calibrated hyperparameters.

    Examples
    --------
    >>> [d.target for d in distributions()][:2]
    ['init:P', 'init:PF']
    """
    preset = canonical_preset(preset)
    cal = dict(load_calibrated_parameters().population) if hyper is None else dict(hyper)
    out = []
    for d in SEPTIC_SHOCK:
        h = cal.get(d.target, {})
        center = float(h.get("center", d.center)) * PRESETS[preset].get(d.target, 1.0)
        out.append(
            Dist(
                d.target,
                d.kind,
                center,
                float(h.get("spread", d.spread)),
                d.lower,
                d.upper,
                d.unit,
                d.source,
            )
        )
    return out


def sample_population(
    n: int,
    preset: str = "septic_shock",
    seed: int | None = 0,
    hyper: Mapping[str, Mapping[str, float]] | None = None,
    parameters: Mapping[str, float] | None = None,
) -> VirtualPopulation:
    """Draw ``n`` virtual patients (reproducible for a given ``seed``).

    Parameters
    ----------
    n : int
        Number of patients.
    preset : {"septic_shock", "sepsis"}
        ``septic_shock``: the cohort screened for septic shock that the calibration targets;
        ``sepsis``: sepsis at large (lighter infection burden, less damage susceptibility;
        ``general`` is its former name). A preset's patients meet its enrolment criterion
        (:data:`PRESET_ENROLMENT`) only after screening: the draw is the prior.
    seed : int or None
        Seed of the random generator.
    hyper : mapping, optional
        Hyperparameters ``{target: {"center": .., "spread": ..}}`` (default: stored calibration).
    parameters : mapping, optional
        Model parameter values shared by every patient (default: the stored calibration's
        model parameter set); they travel in ``params`` so any simulation of the population
        uses them.

    Examples
    --------
    >>> a, b = sample_population(3, seed=7), sample_population(3, seed=7)
    >>> bool(np.array_equal(a.init["P"], b.init["P"]))
    True
    """
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    rng = np.random.default_rng(seed)
    preset = canonical_preset(preset)
    dists = distributions(preset, hyper)
    z = rng.standard_normal((n, len(dists)))
    names = [d.target for d in dists]
    i_m, i_10, i_k = names.index("g_mals"), names.index("g_il10"), names.index("k_nd")
    z[:, i_10] = RHO_MALS_IL10 * z[:, i_m] + np.sqrt(1 - RHO_MALS_IL10**2) * z[:, i_10]
    rho_k, rho_m = frailty_weights(hyper)
    var = rho_k**2 + rho_m**2 + 2 * rho_k * rho_m * RHO_MALS_IL10
    if var > 1.0:
        raise ValueError(
            f"frailty weights rho_g_il10={rho_k}, rho_g_mals={rho_m} exceed unit variance"
        )
    z[:, i_k] = rho_k * z[:, i_10] + rho_m * z[:, i_m] + np.sqrt(1 - var) * z[:, i_k]
    params: dict[str, NDArray[np.float64]] = {}
    init: dict[str, NDArray[np.float64]] = {}
    abx = np.zeros(n)
    for j, d in enumerate(dists):
        if d.kind == "lognormal":
            v = d.center * np.exp(d.spread * z[:, j])
        else:
            v = d.center + d.spread * z[:, j]
        v = np.clip(v, d.lower, d.upper)
        if d.target.startswith("init:"):
            init[d.target[5:]] = v
        elif d.target == "abx_start":
            abx = v
        else:
            params[d.target] = v
    shared = load_calibrated_parameters().model if parameters is None else parameters
    for name, value in shared.items():
        params.setdefault(name, np.full(n, float(value)))
    # The HLA-DR and lymphocyte states start at the patient's healthy set points.
    init["HLA"] = params["hla0"]
    init["T"] = params["L_hom"]
    init["FER"] = params["fer0"]
    death_u = rng.uniform(size=n)
    hyp = {d.target: {"center": d.center, "spread": d.spread} for d in dists}
    hyp["k_nd"]["rho_g_il10"] = rho_k
    hyp["k_nd"]["rho_g_mals"] = rho_m
    return VirtualPopulation(dict(sorted(params.items())), init, abx, death_u, preset, seed, hyp)
