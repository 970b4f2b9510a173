"""Scene envs: determinism, backend parity, multimodal observations, measures, bad input."""

import importlib.util

import numpy as np
import pytest

import embodied
from embodied.backends import make_backend
from embodied.sensors import MODALITIES
from scenes.description import Geom, Scene, load_scene, save_scene
from scenes.library import SCENES, scene

TASKS = ["reach", "navigate", "household"]
SCENE_ENVS = [f"{task}{suffix}" for task in TASKS for suffix in ("", "-pybullet")]
ALL = list(MODALITIES)


def _rollout(env, seed: int, steps: int = 8):
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    for _ in range(steps):
        obs, reward, *_ = env.step(env.action_space.sample())
        trace.append((obs, reward))
    return trace


def _equal(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, tuple | list):
        return all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(a, b)


@pytest.mark.parametrize("env_id", SCENE_ENVS)
def test_same_seed_same_trajectory(env_id):
    env = embodied.make(env_id)
    first, again, other = _rollout(env, 5), _rollout(env, 5), _rollout(env, 6)
    env.close()
    assert _equal(first, again)
    assert not _equal(first, other)


@pytest.mark.parametrize("task", TASKS)
def test_mujoco_and_pybullet_variants_expose_the_same_spaces(task):
    envs = [embodied.make(env_id, modalities=ALL) for env_id in (task, f"{task}-pybullet")]
    assert envs[0].observation_space == envs[1].observation_space
    assert envs[0].action_space == envs[1].action_space
    assert set(envs[0].observation_space.spaces) == set(ALL)
    for env in envs:
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        env.close()


@pytest.mark.parametrize("backend", ["mujoco", "pybullet"])
def test_images_are_real_pictures_that_change_with_the_scene(backend):
    env = embodied.make(f"navigate-{backend}".replace("-mujoco", ""), modalities=ALL,
                        image_width=48, image_height=32, render_mode="rgb_array")  # fmt: skip
    obs, _ = env.reset(seed=0)
    assert obs["rgb"].shape == (32, 48, 3) and obs["rgb"].std() > 5
    assert obs["depth"].min() > 0.0 and obs["depth"].max() <= 20.0 and obs["depth"].std() > 0.05
    assert len(np.unique(obs["segmentation"])) >= 2  # floor/walls and some body
    before = env.render()
    env.unwrapped.sim.set_joint_positions(env.unwrapped.task.robot.joints, [1.5, 1.5, 3.0])
    moved = env.step(np.zeros(3, np.float32))[0]
    assert np.abs(moved["rgb"].astype(int) - obs["rgb"]).mean() > 2  # the robot's view changed
    assert np.abs(env.render().astype(int) - before).mean() > 0.2  # the overview shows it moved
    env.close()


def test_segmentation_labels_agree_across_backends():
    counts = []
    for backend in ("mujoco", "pybullet"):
        sim = make_backend(backend, scene("household"))
        sim.reset()
        labels = sim.render("overview", 160, 120, ["segmentation"])["segmentation"]
        assert labels.dtype == np.int32
        counts.append(np.bincount(labels.ravel(), minlength=16))
        sim.close()
    names = scene("household").body_names()
    for body in ("kitchen_table", "coffee_table", "shelf", "robot", "user"):
        mujoco_px, pybullet_px = counts[0][names.index(body) + 1], counts[1][names.index(body) + 1]
        assert mujoco_px > 20 and abs(mujoco_px - pybullet_px) < 0.2 * mujoco_px, body


def test_household_has_robot_avatar_and_wearable_and_a_walking_user():
    env = embodied.make("household", modalities=["proprio", "rgb", "text"], camera="wearable")
    kinds = {e.kind for e in env.unwrapped.sim.scene.embodiments}
    assert kinds == {"robot", "avatar", "wearable"}
    obs, info = env.reset(seed=1)
    assert obs["text"].startswith("Take the ") and info["target"] in obs["text"]
    assert info["place"].split("_")[-1] in obs["text"]  # table, shelf or bin
    start = info["user_position"].copy()
    for _ in range(5):
        moved, _, _, _, info = env.step(np.zeros(6, np.float32))
    assert np.linalg.norm(info["user_position"] - start) > 0.1
    assert np.abs(moved["rgb"].astype(int) - obs["rgb"]).mean() > 1  # the head camera moved
    env.close()


@pytest.mark.parametrize("env_id", ["navigate", "navigate-pybullet"])
def test_measures_success_terminates_with_a_bonus(env_id):
    env = embodied.make(env_id)
    _, info = env.reset(seed=2)
    assert info["path_length"] == 0.0 and not info["is_success"] and info["distance_to_goal"] > 1
    task = env.unwrapped.task
    goal = task.goal_position()
    env.unwrapped.sim.set_joint_positions(task.robot.joints, [goal[0], goal[1], 0.0])
    _, reward, terminated, _, info = env.step(np.zeros(3, np.float32))
    assert terminated and info["is_success"] and info["success"] == 1.0
    assert info["distance_to_goal"] < 0.3 and reward > 2.0 and info["path_length"] > 1.0
    env.close()


def test_reach_reward_is_minus_the_distance():
    env = embodied.make("reach", modalities=["goal"])
    obs, _ = env.reset(seed=0)
    obs, reward, *_ = env.step(np.zeros(3, np.float32))
    assert reward == pytest.approx(-np.linalg.norm(obs["goal"]), abs=1e-5)


def test_reach_camera_sees_goal_and_fingertip_anywhere_in_the_workspace():
    """Learning from 64×64 pixels needs both in view: every goal, the fingertip at the goal
    configurations (the forearm may cover it from above) and stretched out at any yaw."""
    env = embodied.make("reach", modalities=["rgb"])
    sim, task = env.unwrapped.sim, env.unwrapped.task
    names = sim.scene.body_names()
    goal_label, tip_label = names.index("goal") + 1, names.index("arm_fingertip") + 1
    camera = sim.scene.embodiment("arm").camera

    def pixels_of(label: int) -> int:
        return int((sim.render(camera, 64, 64, ["segmentation"])["segmentation"] == label).sum())

    tips = []
    for seed in range(20):
        env.reset(seed=seed)
        assert pixels_of(goal_label) >= 4, seed
        sim.set_body_pose("goal", np.array([0.0, 0.0, -1.0]))  # under the floor: it hides the tip
        sim.set_joint_positions(task.robot.joints, task.scripted_action())
        tips.append(pixels_of(tip_label))
    assert np.mean(np.array(tips) >= 2) >= 0.9, tips
    for yaw in np.linspace(-1.6, 1.6, 9):  # the yaw servo's range
        sim.set_joint_positions(task.robot.joints, [yaw, 0.0, 0.0])  # horizontal, fully out
        assert pixels_of(tip_label) >= 2, yaw
    env.close()


# ----- bad input ------------------------------------------------------------------------------
def test_unknown_env_modality_backend_and_camera_list_what_is_valid():
    with pytest.raises(KeyError, match="navigate-pybullet"):
        embodied.make("navigate-bulett")
    with pytest.raises(ValueError, match="valid: proprio, goal, rgb, depth, segmentation, text"):
        embodied.make("reach", modalities=["proprio", "thermal"])
    with pytest.raises(ValueError, match="valid: mujoco, pybullet, habitat"):
        embodied.make("reach", backend="gazebo")
    with pytest.raises(KeyError, match="overview, robot_camera, wearable"):
        embodied.make("household", modalities=["rgb"], camera="ceiling")


def _write(tmp_path, text: str):
    path = tmp_path / "scene.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, valid",
    [
        ("name: s\nbodies: []\ncolour: red\n", "valid: name, bodies, actuators"),
        ("name: s\nbodies: [{name: b, geoms: [{shape: cone, size: [1]}]}]\n",
         "valid: box, sphere, capsule, cylinder, plane"),
        ("name: s\nbodies: [{name: b, geoms: [{shape: box, size: [1]}]}]\n",
         "valid: 3 positive"),
        ("name: s\nbodies: [{name: b, joints: [{name: j}]}]\nactuators: [{name: a, joint: k}]\n",
         "valid: j"),
        ("name: s\nbodies: [{name: b, [\n", "not valid yaml"),
    ],
)  # fmt: skip
def test_invalid_scene_file_names_the_fault_and_what_is_valid(tmp_path, text, valid):
    with pytest.raises(ValueError, match=valid):
        load_scene(_write(tmp_path, text))


def test_scene_files_round_trip_and_compile_on_both_backends(tmp_path):
    for name in SCENES:
        path = tmp_path / f"{name}.json"
        save_scene(scene(name), path)
        assert load_scene(path) == scene(name)
    small = Scene("ball", bodies=(), world_geoms=(Geom("sphere", (0.1,)),))
    save_scene(small, tmp_path / "ball.yaml")
    for backend in ("mujoco", "pybullet"):
        make_backend(backend, load_scene(tmp_path / "ball.yaml")).close()
    with pytest.raises(ValueError, match=r"valid: \.yaml, \.yml, \.json"):
        load_scene(tmp_path / "ball.xml")
    with pytest.raises(KeyError, match="valid: reach, navigate, household"):
        scene("garage")


HAS_HABITAT = importlib.util.find_spec("habitat_sim") is not None


@pytest.mark.skipif(HAS_HABITAT, reason="habitat-sim is installed")
def test_habitat_backend_says_why_it_is_missing_and_how_to_get_it():
    with pytest.raises(ImportError, match=r"glibc >= 2\.38.*conda install habitat-sim"):
        embodied.make("navigate", backend="habitat")


@pytest.mark.skipif(not HAS_HABITAT, reason="habitat-sim is not installed (no wheel here)")
def test_habitat_backend_runs_navigate():
    env = embodied.make("navigate", backend="habitat", modalities=["proprio", "goal", "rgb"])
    obs, _ = env.reset(seed=0)
    assert obs["rgb"].shape == (64, 64, 3) and obs["rgb"].std() > 5
    obs, *_ = env.step(np.ones(3, np.float32))
    assert env.observation_space.contains(obs)
    env.close()
