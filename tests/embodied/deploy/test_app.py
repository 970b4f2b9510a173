"""The deploy config, robot profiles and agents built against a robot's spaces."""

from __future__ import annotations

import numpy as np
import pytest
from hydra.errors import ConfigCompositionException, InstantiationException
from omegaconf import OmegaConf

from embodied.deploy.app import build_agent, robot_env
from embodied.deploy.bridges import open_transport
from embodied.deploy.config import RosbridgeConfig
from tests.hydra_compose import compose_config


def test_default_deploy_config_drives_the_reach_arm_over_ros1():
    cfg = compose_config("deploy")
    assert cfg.bridge == "ros1" and cfg.robot.env == "reach" and cfg.robot.rate_hz == 50.0
    assert cfg.robot.observations.proprio.type == "sensor_msgs/JointState"
    assert cfg.agent._target_.endswith("KinematicReachAgent")
    env = robot_env(cfg.robot)
    assert env.observation_space["proprio"].shape == (6,) and env.action_space.shape == (3,)


@pytest.mark.parametrize(
    "override, key",
    [("robot.rate_hzz=5", "rate_hzz"), ("robot.stale_after_s=soon", "stale_after_s"),
     ("robot.command.topc=/x", "topc"), ("dry_run=maybe", "dry_run")],
)  # fmt: skip
def test_bad_overrides_name_the_key(override, key):
    with pytest.raises(ConfigCompositionException) as info:
        compose_config("deploy", [override])
    text = str(info.value) + str(info.value.__cause__)
    assert key in text


def test_unknown_bridge_lists_the_valid_ones():
    with pytest.raises(ValueError, match="ros1, rosbridge"):
        open_transport("ros3", "node", RosbridgeConfig())


def test_agents_that_need_a_simulator_fail_clearly_against_a_robot():
    cfg = compose_config("deploy", ["agent=scripted"])
    with pytest.raises(InstantiationException, match="scripted"):
        build_agent(cfg, robot_env(cfg.robot))
    cfg = compose_config("deploy", ["checkpoint=/tmp/wm"])
    with pytest.raises(ValueError, match="agent=wm_mpc"):
        build_agent(cfg, robot_env(cfg.robot))


@pytest.mark.usefixtures("one_torch_thread")
def test_wm_mpc_agent_from_a_checkpoint_plans_without_learning(wm_checkpoint):
    small = ["num_samples=32", "num_elites=4", "num_policy_samples=4", "iterations=2"]
    overrides = [
        "agent=wm_mpc",
        f"checkpoint={wm_checkpoint}",
        *(f"agent.planner.{s}" for s in small),
    ]
    cfg = compose_config("deploy", overrides)
    OmegaConf.set_struct(cfg, False)
    cfg.agent.save_to = None  # its default is the hydra run folder
    agent = build_agent(cfg, robot_env(cfg.robot))
    assert agent.learn is False and agent.trainer is None
    agent.reset()
    action = agent.act({"proprio": np.zeros(6, np.float32), "goal": np.zeros(3, np.float32)})
    assert action.shape == (3,) and np.all(np.abs(action) <= 1.6)


def test_navigate_profile_reads_odometry_and_sends_twists():
    from embodied.deploy.app import make_twin
    from embodied.deploy.messages import CommandCodec, encode_observation, observation_decoder

    robot = compose_config("deploy", ["robot=navigate"]).robot
    env = make_twin(robot)
    observation, _ = env.reset(seed=0)
    spec = robot.observations.proprio
    msg = encode_observation(spec.type, observation["proprio"], 0.0)
    decoded = observation_decoder(spec, (6,))(msg)
    np.testing.assert_allclose(decoded, observation["proprio"], atol=1e-5)
    codec = CommandCodec(robot.command.type, 3, robot.command.twist_axes)
    twist = codec.encode(np.array([0.5, -0.5, 0.1]))
    assert twist["linear"]["y"] == -0.5 and twist["angular"]["z"] == 0.1
    env.close()
