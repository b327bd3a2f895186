"""Arm kinds beyond fixed and phenotype-guided therapies: a policy decides each patient's doses.

A spec arm with a policy block (``twin_guided``, ``random_daily``) is run by an arm kind that a
package above the trial layer provides (:mod:`sepsistwin.control` provides ``twin_guided``,
:mod:`sepsistwin.control.gym` ``random_daily``). The trial package
never imports it: kinds are found by name among the installed entry points of the group
:data:`ENTRY_POINT_GROUP` (or registered with :func:`register_arm_kind`), so the import graph
stays one-directional and a worker process (local or Dask) finds the same kind.

A kind is a class built from the :class:`~sepsistwin.trial.spec.ArmSpec`; its
``therapies(context)`` returns, per enrolled patient of the arm, the therapy entries (doses
from enrollment) the patient received, and optional extra text per patient; the chunk then
simulates and scores them exactly like any other arm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sepsistwin.solve import Schedule
from sepsistwin.trial.simulator import Cohort, TrialSimulator
from sepsistwin.trial.spec import ArmSpec, TherapySpec, TrialSpec

#: Entry-point group of arm kinds.
ENTRY_POINT_GROUP = "sepsistwin.trial_arms"

_KINDS: dict[str, Callable[[ArmSpec], Any]] = {}


@dataclass(frozen=True)
class ArmContext:
    """What an arm kind sees of the patients it decides for (one chunk, one arm).

    Attributes
    ----------
    spec : TrialSpec
    simulator : TrialSimulator
    cohort : Cohort
        The arm's patients, starting from their states at enrollment.
    patient_ids : ndarray
        Their global ids (seeds are derived from them, so a patient gets the same decisions in
        whichever chunk, process or arm replicate it is run).
    enrollment_hours : float
        Enrollment time (hours since onset).
    background : Schedule
        Background doses from enrollment on (per patient).
    history_time : ndarray
        Save times (hours since onset) of the simulation up to enrollment.
    history : dict
        Model observables over ``history_time`` (rows: the arm's patients).
    seed : int
        The trial seed.
    """

    spec: TrialSpec
    simulator: TrialSimulator
    cohort: Cohort
    patient_ids: NDArray[np.int64]
    enrollment_hours: float
    background: Schedule
    history_time: NDArray[np.float64]
    history: dict[str, NDArray[np.float64]]
    seed: int

    def patient_seed(self, i: int, *key: int) -> np.random.SeedSequence:
        """Seed of the ``i``-th patient (by its global id), further split by ``key``."""
        return np.random.SeedSequence(
            self.seed, spawn_key=(7_001, int(self.patient_ids[i]), *map(int, key))
        )


class ArmKind(Protocol):
    """An arm kind: built from the arm spec, decides every patient's therapies."""

    def therapies(self, context: ArmContext) -> tuple[list[list[TherapySpec]], list[str]]:
        """Per patient of ``context``: the therapy entries given (start hours from
        enrollment) and one line of text recording the decisions (JSON)."""
        ...


def register_arm_kind(name: str, factory: Callable[[ArmSpec], Any]) -> None:
    """Register an arm kind under ``name`` (entry points do this for installed packages)."""
    _KINDS[name] = factory


def arm_kind(name: str) -> Callable[[ArmSpec], Any]:
    """The arm kind ``name``: registered, or loaded from its entry point.

    Raises
    ------
    ValueError
        When no installed package provides it.
    """
    if name not in _KINDS:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name == name:
                _KINDS[name] = ep.load()
                break
    if name not in _KINDS:
        raise ValueError(
            f"arm kind {name!r} is not installed (entry point group {ENTRY_POINT_GROUP!r}); "
            "reinstall sepsistwin (pip install -e .) so its entry points are registered"
        )
    return _KINDS[name]


def policy_kind(arm: ArmSpec) -> str | None:
    """The kind of an arm run by a policy (``None`` for fixed and phenotype-guided arms).

    Examples
    --------
    >>> policy_kind(ArmSpec(name="placebo"))
    """
    if arm.twin_guided is not None:
        return "twin_guided"
    return "random_daily" if arm.random_daily is not None else None
