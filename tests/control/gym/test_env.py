"""The single-patient environment: Gymnasium's checker, seeding, rewards, observations."""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import sepsistwin.control.gym as sgym
from sepsistwin.control.gym import EnvConfig, ImmuneRebalancingEnv
from sepsistwin.control.gym.observe import VARIABLES


def rollout(env: ImmuneRebalancingEnv, seed: int, actions: list[int]) -> list[object]:
    out: list[object] = []
    obs, _ = env.reset(seed=seed)
    out.append(obs.copy())
    for a in actions:
        obs, r, term, trunc, _ = env.step(a)
        out += [obs.copy(), r, term, trunc]
        if term or trunc:
            break
    return out


def test_importing_registers_the_environments_under_the_sepsistwin_namespace() -> None:
    assert set(sgym.ENV_IDS) <= set(gym.registry)
    assert all(k.startswith("sepsistwin/") for k in sgym.ENV_IDS)
    spec = gym.spec("sepsistwin/ImmuneRebalancing-Sepsis-v0")
    assert spec.kwargs == {"preset": "sepsis"}
    assert spec.vector_entry_point is not None


def test_the_environment_passes_gymnasiums_env_checker(small: EnvConfig) -> None:
    env = gym.make("sepsistwin/ImmuneRebalancing-v0", config=small, disable_env_checker=True)
    check_env(env.unwrapped, skip_render_check=True)
    multi = ImmuneRebalancingEnv(replace(small, action_mode="multi"))
    check_env(multi, skip_render_check=True)


def test_a_seed_reproduces_the_episode_and_another_seed_gives_another_patient(
    small: EnvConfig,
) -> None:
    env = ImmuneRebalancingEnv(small)
    a = rollout(env, 11, [1, 3, 0])
    b = rollout(ImmuneRebalancingEnv(small), 11, [1, 3, 0])
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    c = rollout(env, 12, [1, 3, 0])
    assert not np.array_equal(a[0], c[0])


def test_each_reset_without_a_seed_enrols_the_next_patient(small: EnvConfig) -> None:
    env = ImmuneRebalancingEnv(small)
    _, i0 = env.reset(seed=5)
    _, i1 = env.reset()
    _, i2 = env.reset(options={"patient": 0})
    assert (i0["patient"], i1["patient"], i2["patient"]) == (0, 1, 0)


def test_an_episode_ends_at_the_horizon_with_the_survival_reward_or_earlier_in_death() -> None:
    cfg = EnvConfig(horizon_days=4, block_size=16, survival_reward=1.0, death_reward=-1.0)
    env = ImmuneRebalancingEnv(cfg)
    outcomes = set()
    for seed in range(6):
        env.reset(seed=seed)
        rewards, steps = [], 0
        while True:
            _, r, term, trunc, info = env.step(0)
            rewards.append(r)
            steps += 1
            if term or trunc:
                break
        assert not trunc
        assert all(x == 0.0 for x in rewards[:-1])
        if info["died"]:
            assert rewards[-1] == -1.0 and steps <= 4
        else:
            assert rewards[-1] == 1.0 and steps == 4 and info["day"] == 4.0
        outcomes.add(info["died"])
        with pytest.raises(RuntimeError, match="reset"):
            env.step(0)
    assert False in outcomes


def test_the_expected_death_mode_pays_the_survival_probability_at_the_horizon() -> None:
    cfg = EnvConfig(horizon_days=3, block_size=16, death="expected")
    env = ImmuneRebalancingEnv(cfg)
    env.reset(seed=3)
    for _ in range(3):
        _, r, term, _, info = env.step(0)
    assert term
    assert r == pytest.approx(info["survival_probability"])
    assert 0.0 < r < 1.0


def test_sofa_shaping_changes_the_return_only_by_the_enrolment_sofa() -> None:
    # Potential-based shaping (potential -w*SOFA, 0 at the terminal state): the shaped return
    # is the unshaped one plus w * SOFA at enrolment, whatever happens in between.
    base = EnvConfig(horizon_days=3, block_size=16, expose_state=True)
    plain, shaped = ImmuneRebalancingEnv(base), ImmuneRebalancingEnv(replace(base, sofa_weight=0.1))
    plain.reset(seed=8)
    shaped.reset(seed=8)
    sofa0 = shaped.engine.sofa_true[0]
    assert sofa0 > 0
    ret_plain = ret_shaped = 0.0
    for a in (1, 0, 3):
        _, r1, t1, _, _ = plain.step(a)
        _, r2, t2, _, _ = shaped.step(a)
        ret_plain, ret_shaped = ret_plain + r1, ret_shaped + r2
        assert t1 == t2
        if t1:
            break
    assert ret_shaped == pytest.approx(ret_plain + 0.1 * sofa0)


def test_a_dose_cost_is_charged_per_therapy_dosed() -> None:
    env = ImmuneRebalancingEnv(EnvConfig(horizon_days=3, block_size=16, dose_cost=0.01))
    env.reset(seed=2)
    _, r, _, _, _ = env.step(1)
    assert r == pytest.approx(-0.01)
    _, r, _, _, _ = env.step(0)
    assert r == 0.0


def test_observations_are_measured_values_with_missingness_and_no_hidden_state(
    small: EnvConfig,
) -> None:
    env = ImmuneRebalancingEnv(replace(small, missing={"ferritin": 1.0, "il6": 0.0}))
    lay = env.layout
    obs, info = env.reset(seed=4)
    assert "state" not in info
    assert obs.shape == env.observation_space.shape and env.observation_space.contains(obs)
    assert obs[lay.index("measured_ferritin")] == 0.0 and obs[lay.index("ferritin")] == 0.0
    assert obs[lay.index("measured_il6")] == 1.0 and obs[lay.index("il6")] > 0.0
    assert set(lay.names[: len(VARIABLES)]) == set(VARIABLES)
    assert not {"HZ", "P", "death_probability"} & set(lay.names)


def test_assay_noise_differs_from_the_true_value_and_expose_state_shows_the_truth(
    small: EnvConfig,
) -> None:
    env = ImmuneRebalancingEnv(replace(small, expose_state=True, missing={"lactate": 0.0}))
    obs, info = env.reset(seed=6)
    names = info["observable_names"]
    true_lactate = info["true_observables"][names.index("lactate")]
    measured = obs[env.layout.index("lactate")]
    assert measured != pytest.approx(true_lactate, rel=1e-6)
    assert measured == pytest.approx(true_lactate, rel=0.3)
    assert info["state"].shape == (len(info["state_names"]),)


def test_invalid_actions_and_options_are_refused_with_the_expected_form(small: EnvConfig) -> None:
    env = ImmuneRebalancingEnv(small)
    env.reset(seed=1)
    with pytest.raises(ValueError, match=r"outside Discrete\(11\)"):
        env.step(11)
    with pytest.raises(TypeError, match="unknown environment option"):
        ImmuneRebalancingEnv(small, horizon=3)
    with pytest.raises(ValueError, match="phenotypes"):
        EnvConfig(phenotypes=("sepsis",))
    with pytest.raises(ValueError, match="must divide the horizon"):
        EnvConfig(interval_hours=10.0)


def test_ansi_rendering_describes_the_last_decision(small: EnvConfig) -> None:
    env = ImmuneRebalancingEnv(small, render_mode="ansi")
    env.reset(seed=1)
    env.step(1)
    line = env.render()
    assert line is not None and "anakinra 200 mg" in line and "day 1" in line
