"""The vector environment: one batched step for all lanes, paired patients, autoreset."""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from sepsistwin.control.gym import EnvConfig, ImmuneRebalancingEnv, ImmuneRebalancingVectorEnv


def test_make_vec_builds_the_batched_environment_from_the_vector_entry_point(
    small: EnvConfig,
) -> None:
    envs = gym.make_vec("sepsistwin/ImmuneRebalancing-v0", num_envs=3, config=small)
    assert isinstance(envs, ImmuneRebalancingVectorEnv)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, envs.layout.size)
    assert envs.observation_space.contains(obs)
    assert envs.single_action_space == gym.spaces.Discrete(11)


def test_lane_i_enrols_the_patients_the_single_environment_enrols_i_th(
    small: EnvConfig,
) -> None:
    cfg = replace(small, expose_state=True)
    envs = ImmuneRebalancingVectorEnv(3, cfg)
    _, infos = envs.reset(seed=42)
    single = ImmuneRebalancingEnv(cfg)
    _, i0 = single.reset(seed=42)
    _, i1 = single.reset()
    np.testing.assert_array_equal(infos["state"][0], i0["state"])
    np.testing.assert_array_equal(infos["state"][1], i1["state"])
    assert infos["patient"].tolist() == [0, 1, 2]


def test_the_same_seed_and_actions_reproduce_the_batch(small: EnvConfig) -> None:
    def run() -> list[np.ndarray]:
        envs = ImmuneRebalancingVectorEnv(4, small)
        out = [envs.reset(seed=3)[0]]
        for a in ([0, 1, 2, 3], [4, 5, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]):
            obs, r, term, trunc, _ = envs.step(np.array(a))
            out += [obs, r, term, trunc]
        return out

    for x, y in zip(run(), run(), strict=True):
        np.testing.assert_array_equal(x, y)


def test_a_finished_lane_enrols_its_next_patient_on_the_next_step(small: EnvConfig) -> None:
    cfg = replace(small, horizon_days=2)
    envs = ImmuneRebalancingVectorEnv(2, cfg)
    envs.reset(seed=1)
    zeros = np.zeros(2, dtype=np.int64)
    done = np.zeros(2, dtype=bool)
    for _ in range(2):
        _, _, term, trunc, _ = envs.step(zeros)
        done |= term | trunc
    assert done.all()  # the horizon ends every episode
    obs, reward, term, trunc, infos = envs.step(zeros)
    assert reward.tolist() == [0.0, 0.0] and not term.any() and not trunc.any()
    assert obs[:, envs.layout.day].tolist() == [0.0, 0.0]
    assert infos["patient"].tolist() == [2, 3]


def test_multi_discrete_actions_give_combinations_in_one_interval(small: EnvConfig) -> None:
    envs = ImmuneRebalancingVectorEnv(2, replace(small, action_mode="multi"))
    envs.reset(seed=0)
    a = np.zeros((2, len(envs.catalogue.therapies)), dtype=np.int64)
    a[0, 0] = 1  # anakinra PROVIDE
    a[0, 1] = 1  # interferon-gamma
    obs, *_ = envs.step(a)
    lay = envs.layout
    assert obs[0, lay.index("dosed_anakinra")] == 1.0
    assert obs[0, lay.index("dosed_interferon_gamma")] == 1.0
    assert obs[1, lay.dosed].sum() == 0.0
    with pytest.raises(ValueError, match="per therapy"):
        envs.step(np.full((2, len(envs.catalogue.therapies)), 9))


def test_a_patient_pool_cycles_over_the_first_enrolled_patients(small: EnvConfig) -> None:
    envs = ImmuneRebalancingVectorEnv(2, replace(small, horizon_days=1, patient_pool=3))
    _, infos = envs.reset(seed=5)
    seen = [infos["patient"].tolist()]
    for _ in range(4):
        envs.step(np.zeros(2, dtype=np.int64))
        seen.append(envs.engine.patient.tolist())
    assert {p for row in seen for p in row} == {0, 1, 2}
