"""The household robot's gripper: grasps form through physical contact of the closed jaws only,
carry the object with the hand and let it fall when the jaws open; both backends."""

import dataclasses

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from embodied.backends import make_backend
from embodied.envs.floor_paths import FloorGrid
from embodied.envs.household import arm_pose
from embodied.envs.scene_env import SceneEnv
from scenes.library import household_scene

BACKENDS = ["mujoco", "pybullet"]
SEED = 7  # the block on the shelf


def _to_close_phase(env: SceneEnv) -> None:
    """Run the expert until its open jaws are around the object, about to close."""
    task = env.task
    for _ in range(400):
        if task.phases[task.phase] == "close":
            return
        env.step(task.scripted_action())
    raise AssertionError("the expert never reached its object")


def _hold(env: SceneEnv, shoulder_elbow: tuple[float, float], grip: float, steps: int) -> None:
    for _ in range(steps):
        env.step(np.array([0.0, 0.0, 0.0, *shoulder_elbow, grip], np.float32))


@pytest.mark.parametrize("backend", BACKENDS)
def test_closed_jaws_on_the_object_lift_it_and_open_jaws_drop_it(backend):
    env = SceneEnv("household", backend=backend)
    env.reset(seed=SEED)
    task = env.task
    _to_close_phase(env)
    target = task.target
    hand_z = env.sim.body_position("robot_hand")[2]
    resting = env.sim.body_position(target)[2]
    _hold(env, arm_pose(hand_z), 1.0, 15)  # close on it
    assert task.grasp.held == target
    _hold(env, arm_pose(hand_z + 0.15), 1.0, 40)  # lift
    lifted = env.sim.body_position(target)[2]
    assert lifted > resting + 0.1
    _hold(env, arm_pose(hand_z + 0.15), -1.0, 40)  # open: it falls back onto the board
    assert task.grasp.held is None
    assert env.sim.body_position(target)[2] < lifted - 0.1
    env.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_open_jaws_around_the_object_do_not_lift_it(backend):
    env = SceneEnv("household", backend=backend)
    env.reset(seed=SEED)
    _to_close_phase(env)
    target = env.task.target
    hand_z = env.sim.body_position("robot_hand")[2]
    resting = env.sim.body_position(target)[2]
    _hold(env, arm_pose(hand_z + 0.15), -1.0, 40)
    assert env.task.grasp.held is None
    assert abs(env.sim.body_position(target)[2] - resting) < 0.01
    env.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_closed_gripper_away_from_objects_grasps_nothing(backend):
    env = SceneEnv("household", backend=backend)
    env.reset(seed=SEED)
    _hold(env, (0.0, 0.0), 1.0, 30)
    assert env.task.grasp.held is None
    assert env.sim.joint_positions(["robot_gripper"])[0] > 0.15  # the jaws did close
    env.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_expert_picks_and_places(backend):
    env = SceneEnv("household", backend=backend)
    _, info = env.reset(seed=SEED)
    assert env.task.instruction.startswith("Take the orange block on the shelf and put it")
    for _ in range(env.max_episode_steps):
        _, _, terminated, truncated, info = env.step(env.task.scripted_action())
        if terminated or truncated:
            break
    assert terminated and info["is_success"] and info["held"] is None
    env.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_household_passes_check_env(backend):
    env = SceneEnv("household", backend=backend)
    assert env.action_space.shape == (6,)  # base x, y, yaw; shoulder, elbow; gripper
    check_env(env, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_attach_refuses_what_is_not_a_gripper_or_a_free_body(backend):
    sim = make_backend(backend, household_scene())
    sim.reset()
    with pytest.raises(ValueError, match="not a gripper; valid: robot_hand"):
        sim.attach("mug", "robot_forearm")
    with pytest.raises(ValueError, match="not a free body; valid: mug, apple"):
        sim.attach("shelf", "robot_hand")
    sim.close()


def test_a_gripper_must_name_bodies_of_the_scene():
    scene = household_scene()
    robot = dataclasses.replace(scene.embodiment("robot"), fingers=("robot_thumb",))
    broken = dataclasses.replace(scene, embodiments=(robot, *scene.embodiments[1:]))
    with pytest.raises(ValueError, match="gripper body is 'robot_thumb'"):
        broken.validate()


def test_floor_paths_go_around_obstacles():
    grid = FloorGrid((-2.0, -2.0, 2.0, 2.0), [(-0.5, -1.5, 0.5, 1.5)], radius=0.3)
    path = grid.path(np.array([-1.5, 0.0]), np.array([1.5, 0.0]))
    points = np.array(path)
    assert np.allclose(points[-1], [1.5, 0.0])
    inside = (np.abs(points[:, 0]) < 0.8) & (np.abs(points[:, 1]) < 1.8)
    assert not inside.any()  # it went round the end of the wall, keeping the base's radius
