"""Settings of the immune-rebalancing environments: population, observation, reward, actions.

Examples
--------
>>> c = EnvConfig(phenotypes=("MALS",), sofa_weight=0.01)
>>> c.preset, c.horizon_days, c.death
('septic_shock', 28, 'sample')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sepsistwin.control.gym.actions import ACTION_MODES, DEFAULT_LEVELS, DoseLevel

#: Phenotypes of the clinical rules a tier can select (PROVIDE classes).
PHENOTYPES = ("MALS", "immunoparalysis", "intermediate")
DEATH_MODES = ("sample", "expected")


@dataclass(frozen=True)
class EnvConfig:
    """What an episode is: who is enrolled, what is seen, what is rewarded.

    Parameters
    ----------
    preset : {"septic_shock", "sepsis"}
        Population preset of :func:`sepsistwin.population.sample_population`.
    phenotypes : sequence of str or None
        Difficulty tier by the phenotype screened at enrolment (``MALS``, ``immunoparalysis``,
        ``intermediate``); ``None`` enrols every phenotype.
    min_sofa : int
        Severity tier: enrol only patients with at least this SOFA at screening.
    enrol_hours : float
        Screening and enrolment time, hours after infection onset (the first decision).
    horizon_days : int
        Days from enrolment to the terminal outcome (28-day survival).
    interval_hours : float
        Decision interval (default daily).
    death : {"sample", "expected"}
        ``sample``: each patient dies when the model's cumulative hazard passes its own
        ``-log(U)`` (``U`` drawn with the patient), the episode ends that interval with
        ``death_reward``; ``expected``: no early termination, the terminal reward is the
        model's probability of surviving from enrolment to the horizon (between
        ``death_reward`` and ``survival_reward``).
    survival_reward, death_reward : float
        Terminal rewards.
    sofa_weight : float
        Potential-based shaping by the model's SOFA (0: none); see docs/control-gym.md.
    dose_cost : float
        Subtracted per therapy dosed in an interval (0: none).
    missing : mapping of variable -> probability, optional
        Overrides of the probability that a variable is not measured at a decision.
    expose_state : bool
        Put the full model state and the true observables in ``info`` (debugging only).
    action_mode : {"discrete", "multi"}
        See :mod:`sepsistwin.control.gym.actions`.
    levels : sequence of DoseLevel
        The dose levels of the action catalogue.
    block_size : int
        Candidate patients sampled and screened per block.
    patient_pool : int or None
        ``None``: every episode enrols a new patient. ``N``: episodes cycle over the first ``N``
        enrolled patients of the seed (a fixed training cohort; each keeps its parameters and
        its death draw, the observation noise is new), which skips sampling and screening.
    """

    preset: str = "septic_shock"
    phenotypes: Sequence[str] | None = None
    min_sofa: int = 0
    enrol_hours: float = 24.0
    horizon_days: int = 28
    interval_hours: float = 24.0
    death: str = "sample"
    survival_reward: float = 1.0
    death_reward: float = 0.0
    sofa_weight: float = 0.0
    dose_cost: float = 0.0
    missing: Mapping[str, float] = field(default_factory=dict)
    expose_state: bool = False
    action_mode: str = "discrete"
    levels: Sequence[DoseLevel] = DEFAULT_LEVELS
    block_size: int = 1024
    patient_pool: int | None = None

    def __post_init__(self) -> None:
        from sepsistwin.population.sampler import canonical_preset

        canonical_preset(self.preset)  # raises naming the presets
        if self.phenotypes is not None:
            bad = [p for p in self.phenotypes if p not in PHENOTYPES]
            if bad or not self.phenotypes:
                raise ValueError(
                    f"phenotypes: {list(self.phenotypes)} is not a non-empty subset of "
                    f"{list(PHENOTYPES)}"
                )
        if self.death not in DEATH_MODES:
            raise ValueError(f"death must be one of {DEATH_MODES}, got {self.death!r}")
        if self.action_mode not in ACTION_MODES:
            raise ValueError(f"action_mode must be one of {ACTION_MODES}, got {self.action_mode!r}")
        if not (self.interval_hours > 0 and 24.0 * self.horizon_days >= self.interval_hours):
            raise ValueError(
                f"interval_hours must be > 0 and at most the horizon ({self.horizon_days} days), "
                f"got {self.interval_hours!r}"
            )
        steps = 24.0 * self.horizon_days / self.interval_hours
        if abs(steps - round(steps)) > 1e-9:
            raise ValueError(
                f"interval_hours {self.interval_hours} must divide the horizon "
                f"({self.horizon_days} days = {24 * self.horizon_days} h)"
            )
        if not self.enrol_hours > 0:
            raise ValueError(f"enrol_hours must be > 0 hours, got {self.enrol_hours!r}")
        if isinstance(self.horizon_days, bool) or self.horizon_days < 1:
            raise ValueError(f"horizon_days must be a positive integer, got {self.horizon_days!r}")
        for k, p in self.missing.items():
            if not 0.0 <= float(p) <= 1.0:
                raise ValueError(f"missing[{k!r}] must be a probability in [0, 1], got {p!r}")
        if self.patient_pool is not None and (
            isinstance(self.patient_pool, bool) or self.patient_pool < 1
        ):
            raise ValueError(f"patient_pool must be None or >= 1, got {self.patient_pool!r}")
        if self.block_size < 1:
            raise ValueError(f"block_size must be >= 1, got {self.block_size!r}")

    @property
    def n_steps(self) -> int:
        """Decisions per episode."""
        return round(24.0 * self.horizon_days / self.interval_hours)
