"""Gymnasium environments for immune rebalancing in septic shock (importing registers them).

Registered ids (``gymnasium.make(id)``; ``gymnasium.make_vec(id, num_envs=N)`` gives the
batched :class:`ImmuneRebalancingVectorEnv`):

- ``sepsistwin/ImmuneRebalancing-v0``: septic-shock population, every phenotype;
- ``sepsistwin/ImmuneRebalancing-Sepsis-v0``: the ``sepsis`` preset (enrolled on Sepsis-3,
  lower mortality);
- ``sepsistwin/ImmuneRebalancing-Phenotyped-v0``: septic shock screened MALS or
  immunoparalysis (the PROVIDE classes with the highest mortality).

Every option of :class:`EnvConfig` is a keyword of ``make``/``make_vec``. docs/control-gym.md
describes observations, actions, rewards and the baselines. A research simulator: never a
dosing order for a patient.

Examples
--------
>>> import gymnasium as gym
>>> "sepsistwin/ImmuneRebalancing-v0" in gym.registry
True
"""

from __future__ import annotations

import gymnasium as gym

from sepsistwin.control.gym.actions import DEFAULT_LEVELS, ActionCatalogue, DoseLevel
from sepsistwin.control.gym.config import EnvConfig
from sepsistwin.control.gym.env import ImmuneRebalancingEnv
from sepsistwin.control.gym.observe import VARIABLES, ObservationLayout
from sepsistwin.control.gym.vector import ImmuneRebalancingVectorEnv

ENV_IDS: dict[str, dict[str, object]] = {
    "sepsistwin/ImmuneRebalancing-v0": {},
    "sepsistwin/ImmuneRebalancing-Sepsis-v0": {"preset": "sepsis"},
    "sepsistwin/ImmuneRebalancing-Phenotyped-v0": {"phenotypes": ("MALS", "immunoparalysis")},
}


def register_environments() -> None:
    """Register :data:`ENV_IDS` with Gymnasium (idempotent)."""
    for env_id, kwargs in ENV_IDS.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point="sepsistwin.control.gym.env:ImmuneRebalancingEnv",
            vector_entry_point="sepsistwin.control.gym.vector:ImmuneRebalancingVectorEnv",
            kwargs=dict(kwargs),
        )


register_environments()

__all__ = [
    "DEFAULT_LEVELS",
    "ENV_IDS",
    "VARIABLES",
    "ActionCatalogue",
    "DoseLevel",
    "EnvConfig",
    "ImmuneRebalancingEnv",
    "ImmuneRebalancingVectorEnv",
    "ObservationLayout",
    "register_environments",
]
