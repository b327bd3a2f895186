"""``sepsistwin/ImmuneRebalancing-v0``: one virtual septic-shock patient per episode.

Research simulator, not decision support for a real patient: the model, the population and
the observation model are the ones documented in docs/model.md, docs/population.md and
docs/twin.md, with their PROPOSAL numbers.

Examples
--------
>>> import gymnasium as gym
>>> import sepsistwin.control.gym
>>> env = gym.make("sepsistwin/ImmuneRebalancing-v0")  # doctest: +SKIP
>>> obs, info = env.reset(seed=0)  # doctest: +SKIP
>>> obs, reward, terminated, truncated, info = env.step(0)  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import gymnasium as gym
import numpy as np
from numpy.typing import NDArray

from sepsistwin.control.gym.config import EnvConfig
from sepsistwin.control.gym.engine import LaneEngine


def make_config(config: EnvConfig | None = None, **kwargs: Any) -> EnvConfig:
    """An :class:`EnvConfig` from ``config`` with ``kwargs`` (its field names) replaced."""
    names = {f.name for f in fields(EnvConfig)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise TypeError(f"unknown environment option(s) {unknown}; options: {sorted(names)}")
    if config is None:
        return EnvConfig(**kwargs)
    from dataclasses import replace

    return replace(config, **kwargs)


class ImmuneRebalancingEnv(gym.Env[NDArray[np.float32], Any]):
    """Dose immunotherapy day by day to one virtual septic-shock patient; reward 28-day survival.

    Parameters
    ----------
    config : EnvConfig, optional
        Settings; keyword arguments (the fields of :class:`EnvConfig`) override them.
    render_mode : {"ansi"} or None
        ``"ansi"``: :meth:`render` returns one line per decision.

    Notes
    -----
    Observation: a float32 vector (layout ``self.layout.names``; docs/control-gym.md). Action:
    ``Discrete`` or ``MultiDiscrete`` over the dose levels (``self.catalogue``). Each reset
    enrols the next patient of the seeded population; ``reset(seed=s)`` restarts the sequence.
    """

    metadata: dict[str, Any] = {"render_modes": ["ansi"], "render_fps": 1}  # noqa: RUF012

    def __init__(
        self, config: EnvConfig | None = None, render_mode: str | None = None, **kwargs: Any
    ) -> None:
        self.config = make_config(config, **kwargs)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be 'ansi' or None, got {render_mode!r}")
        self.render_mode = render_mode
        self.engine = LaneEngine(self.config, 1)
        self.catalogue = self.engine.catalogue
        self.layout = self.engine.layout
        self.action_space = self.catalogue.space
        self.observation_space = self.layout.space(self.config.horizon_days)  # type: ignore[assignment]
        self._lane = np.array([0])
        self._episodes = 0
        self._seeded = False
        self._last_line = ""
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[NDArray[np.float32], dict[str, Any]]:
        """Enrol the next patient (the first of a new sequence when ``seed`` is given).

        ``options={"patient": k}`` enrols patient number ``k`` of the current sequence.
        """
        super().reset(seed=seed)
        if seed is not None or not self._seeded:
            self.engine.seed(int(self.np_random.integers(0, 2**63 - 1)))
            self._episodes = 0
            self._seeded = True
        k = self._episodes
        if options and "patient" in options:
            k = int(options["patient"])
        pool = self.config.patient_pool
        self.engine.load(self._lane, np.array([k if pool is None else k % pool]))
        self._episodes = k + 1
        self._done = False
        obs = self.engine.observe(self._lane)[0]
        self._last_line = f"day 0: patient {k} ({self.engine.phenotype[0]}) enrolled"
        return obs, self._info()

    def _info(self) -> dict[str, Any]:
        e = self.engine
        info: dict[str, Any] = {
            "patient": int(e.patient[0]),
            "phenotype": str(e.phenotype[0]),
            "day": float(e.day[0] * self.config.interval_hours / 24.0),
        }
        if self.config.expose_state:
            dbg = e.debug_info(self._lane)
            dbg["state"] = dbg["state"][0]
            dbg["true_observables"] = dbg["true_observables"][0]
            info.update(dbg)
        return info

    def step(self, action: Any) -> tuple[NDArray[np.float32], float, bool, bool, dict[str, Any]]:
        """Give the action's doses and advance one decision interval."""
        if self._done:
            raise RuntimeError("the episode is over: call reset() first")
        levels = self.catalogue.level_indices(action)
        chosen = np.zeros((1, len(self.catalogue.levels)), dtype=bool)
        chosen[0, levels] = True
        r = self.engine.step(self._lane, chosen)
        obs = self.engine.observe(self._lane)[0]
        terminated, truncated = bool(r.terminated[0]), bool(r.truncated[0])
        self._done = terminated or truncated
        info = self._info()
        info["survival_probability"] = float(r.survival_probability[0])
        info["died"] = bool(r.died[0])
        if truncated:
            info["integration_failed"] = True
        self._last_line = (
            f"day {info['day']:g}: {self.catalogue.describe(action)}; "
            f"P(survive since enrolment) {info['survival_probability']:.3f}"
            + ("; died" if info["died"] else "")
        )
        return obs, float(r.reward[0]), terminated, truncated, info

    def render(self) -> str | None:
        """The last decision as a line of text (``render_mode="ansi"``)."""
        if self.render_mode == "ansi":
            return self._last_line
        return None
