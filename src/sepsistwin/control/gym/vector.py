"""The vectorised environment: every lane stepped by one batched solver call per interval.

``gymnasium.make_vec("sepsistwin/ImmuneRebalancing-v0", num_envs=N)`` gives
:class:`ImmuneRebalancingVectorEnv` (the registered ``vector_entry_point``), as does the
constructor directly. Autoreset is Gymnasium's default ``NEXT_STEP`` mode: the step after a
lane's episode ends enrols its next patient (the action is ignored, reward 0).

Lane ``i`` enrols patients ``i, i + N, i + 2N, ...`` of the seeded sequence, so the patients
each lane sees do not depend on the policy (its first episodes are patients ``0..N-1``):
policies run on the same seed are compared on the same patients (paired).

Examples
--------
>>> import gymnasium as gym
>>> import sepsistwin.control.gym
>>> envs = gym.make_vec("sepsistwin/ImmuneRebalancing-v0", num_envs=4)  # doctest: +SKIP
>>> obs, info = envs.reset(seed=0)  # doctest: +SKIP
>>> obs.shape  # doctest: +SKIP
(4, 57)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import NDArray

from sepsistwin.control.gym.config import EnvConfig
from sepsistwin.control.gym.engine import LaneEngine
from sepsistwin.control.gym.env import make_config

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class ImmuneRebalancingVectorEnv(VectorEnv[NDArray[np.float32], Any, NDArray[Any]]):
    """``num_envs`` virtual patients stepped together (one solver call per interval).

    Parameters
    ----------
    num_envs : int
        Number of lanes.
    config : EnvConfig, optional
        Settings; keyword arguments (the fields of :class:`EnvConfig`) override them.
    release_patients : bool
        Forget enrolled patients no lane needs any more (flat memory in long training runs).

    Notes
    -----
    ``infos`` holds, per lane (with Gymnasium's ``_name`` masks): ``patient``, ``day``,
    ``survival_probability`` (model probability of surviving since enrolment: for evaluation,
    not an observation), ``died``; with ``expose_state`` also ``state`` and
    ``true_observables``.
    """

    metadata: dict[str, Any] = {  # noqa: RUF012 (Gymnasium's class attribute)
        "autoreset_mode": AutoresetMode.NEXT_STEP,
        "render_modes": [],
    }

    def __init__(
        self,
        num_envs: int = 16,
        config: EnvConfig | None = None,
        release_patients: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("render_mode", None)
        self.config = make_config(config, **kwargs)
        self.engine = LaneEngine(self.config, num_envs)
        self.num_envs = self.engine.n
        self.catalogue = self.engine.catalogue
        self.layout = self.engine.layout
        self.single_action_space = self.catalogue.space
        self.single_observation_space = self.layout.space(self.config.horizon_days)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.release_patients = release_patients
        self._lanes = np.arange(self.num_envs)
        self._episodes = np.zeros(self.num_envs, dtype=np.int64)
        self._needs_reset = np.zeros(self.num_envs, dtype=bool)
        self._seeded = False

    def _enrol(self, lanes: NDArray[np.int64]) -> None:
        index = self._episodes[lanes] * self.num_envs + lanes
        pool = self.config.patient_pool
        self.engine.load(lanes, index if pool is None else index % pool)
        self._episodes[lanes] += 1
        if self.release_patients and pool is None and self.engine.source is not None:
            self.engine.source.release_below(int(self._episodes.min() - 1) * self.num_envs)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float32], dict[str, Any]]:
        """Enrol a new patient in every lane (from a new sequence when ``seed`` is given)."""
        super().reset(seed=seed)
        if seed is not None or not self._seeded:
            self.engine.seed(int(self.np_random.integers(0, 2**63 - 1)))
            self._episodes[:] = 0
            self._seeded = True
        self._enrol(self._lanes)
        self._needs_reset[:] = False
        obs = self.engine.observe(self._lanes)
        return obs, self._infos(np.ones(self.num_envs, dtype=bool))

    def _chosen(self, actions: Any) -> NDArray[np.bool_]:
        cat = self.catalogue
        a = np.asarray(actions, dtype=np.int64)
        n_lv = len(cat.levels)
        chosen = np.zeros((self.num_envs, n_lv), dtype=bool)
        if cat.mode == "discrete":
            a = a.reshape(self.num_envs)
            if np.any((a < 0) | (a > n_lv)):
                raise ValueError(f"actions must be in 0..{n_lv}, got {a.tolist()}")
            lanes = np.flatnonzero(a > 0)
            chosen[lanes, a[lanes] - 1] = True
            return chosen
        a = a.reshape(self.num_envs, len(cat.therapies))
        nvec = cat.nvec
        if np.any((a < 0) | (a >= nvec[None, :])):
            raise ValueError(f"actions must be in 0..nvec-1 per therapy ({nvec.tolist()})")
        for j, t in enumerate(cat.therapies):
            ix = [i for i, lv in enumerate(cat.levels) if lv.therapy == t]
            lanes = np.flatnonzero(a[:, j] > 0)
            chosen[lanes, np.asarray(ix)[a[lanes, j] - 1]] = True
        return chosen

    def step(
        self, actions: Any
    ) -> tuple[NDArray[np.float32], FloatArray, BoolArray, BoolArray, dict[str, Any]]:
        """Advance every lane one interval (lanes whose episode ended enrol their next patient)."""
        chosen = self._chosen(actions)
        n = self.num_envs
        reward = np.zeros(n)
        terminated = np.zeros(n, dtype=bool)
        truncated = np.zeros(n, dtype=bool)
        died = np.zeros(n, dtype=bool)
        surv = np.ones(n)
        resetting = np.flatnonzero(self._needs_reset)
        stepping = np.flatnonzero(~self._needs_reset)
        if resetting.size:
            self._enrol(resetting)
        if stepping.size:
            r = self.engine.step(stepping, chosen[stepping])
            reward[stepping] = r.reward
            terminated[stepping] = r.terminated
            truncated[stepping] = r.truncated
            died[stepping] = r.died
            surv[stepping] = r.survival_probability
        obs = self.engine.observe(self._lanes)
        self._needs_reset = terminated | truncated
        mask = np.zeros(n, dtype=bool)
        mask[stepping] = True
        infos = self._infos(np.ones(n, dtype=bool))
        infos["survival_probability"] = surv
        infos["_survival_probability"] = mask
        infos["died"] = died
        infos["_died"] = mask
        return obs, reward, terminated, truncated, infos

    def _infos(self, mask: NDArray[np.bool_]) -> dict[str, Any]:
        e = self.engine
        infos: dict[str, Any] = {
            "patient": e.patient.copy(),
            "_patient": mask.copy(),
            "day": e.day * (self.config.interval_hours / 24.0),
            "_day": mask.copy(),
        }
        if self.config.expose_state:
            dbg = e.debug_info(self._lanes)
            infos["state"] = dbg["state"]
            infos["_state"] = mask.copy()
            infos["true_observables"] = dbg["true_observables"]
            infos["_true_observables"] = mask.copy()
        return infos
