"""The user avatar: an articulated humanoid on both backends that walks with a gait, reaches with
an arm, and carries the wearable camera on its head."""

from __future__ import annotations

import math

import numpy as np
import pytest

import embodied
from embodied.backends import backend_class
from embodied.envs.avatar_motion import STRIDE, AvatarMotion, arm_points, reach_angles
from embodied.envs.crowd import CrowdEnv
from embodied.envs.help_household import HelpHouseholdEnv, HouseholdWorld
from scenes.description import Camera, Geom
from scenes.embodiments import avatar, mobile_base
from scenes.humanoid import humanoid_joints
from scenes.library import compose, household_scene
from worldmodels.user_model.household import OBJECTS, World, command_index
from worldmodels.user_model.recognizer import USER_HAND

BACKENDS = ("mujoco", "pybullet")
LIMBS = ("head", "left_thigh", "left_shin", "right_thigh", "right_shin", "left_upper_arm",
         "left_forearm", "left_hand", "right_upper_arm", "right_forearm", "right_hand")  # fmt: skip


def _angle(u: np.ndarray, v: np.ndarray) -> float:
    cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    return math.degrees(math.acos(np.clip(cos, -1.0, 1.0)))


def _facing(sim, name: str = "user") -> float:
    """The avatar's heading read off its hips (left minus right hip is its left)."""
    left = sim.body_position(f"{name}_left_thigh") - sim.body_position(f"{name}_right_thigh")
    return math.atan2(-left[0], left[1])


@pytest.fixture(params=BACKENDS)
def sim(request):
    sim = backend_class(request.param)(household_scene())
    sim.reset()
    yield sim
    sim.close()


def test_the_avatars_limbs_are_the_scenes_kinematic_bodies():
    scene = household_scene()
    kinematic = set(scene.kinematic_bodies())
    assert {f"user_{limb}" for limb in LIMBS} == kinematic
    assert not kinematic & {"robot", "robot_hand", "mug", "user"}


def test_both_backends_build_the_avatar_with_its_joints_and_hold_them_where_set(sim):
    joints = humanoid_joints("user")
    assert sim.scene.embodiment("user").joints == joints
    assert {"user_neck", "user_left_hip", "user_right_knee", "user_left_elbow"} <= set(joints)
    sim.set_body_pose("user", np.array([0.5, -1.0, 0.0]), 0.3)
    angles = np.linspace(0.1, 0.6, len(joints))
    sim.set_joint_positions(joints, angles)
    sim.step(np.zeros(len(sim.actuators)), 40)  # kinematic: gravity does not pull them down
    assert sim.joint_positions(joints) == pytest.approx(angles, abs=1e-3)
    heights = {limb: sim.body_position(f"user_{limb}")[2] for limb in LIMBS}
    assert heights["head"] > heights["left_thigh"] > heights["left_shin"] > 0.0
    assert 1.6 < sim.body_position("user_head")[2] + 0.1 + 0.11 < 1.8  # a 1.7 m person


def test_the_legs_swing_with_the_gait_and_return_after_a_stride(sim):
    motion = AvatarMotion(sim)
    legs = [humanoid_joints("user").index(f"user_{j}") for j in
            ("left_hip", "left_knee", "right_hip", "right_knee")]  # fmt: skip
    step = STRIDE / 20
    poses = np.array([motion.pose((-2.0 + k * step, -1.5), 0.0)[legs] for k in range(60)])
    walking = poses[10:]  # after the gait has faded in
    assert np.ptp(walking[:, 0]) > 0.5 and np.ptp(walking[:, 1]) > 0.5  # hips and knees swing
    assert walking[20:] == pytest.approx(walking[:-20], abs=1e-9)  # one cycle per stride
    assert walking[10] == pytest.approx(walking[0][[2, 3, 0, 1]], abs=1e-9)  # legs alternate
    assert sim.joint_positions(motion.joints) == pytest.approx(motion.angles)
    for _ in range(4):  # standing still: the legs come to rest
        rest = motion.pose((-2.0 + 59 * step, -1.5), 0.0)[legs]
    assert rest == pytest.approx(np.zeros(4), abs=1e-9)


def test_the_avatar_faces_where_it_walks_in_the_household_env():
    env = embodied.make("household", modalities=["proprio"])
    env.reset(seed=3)
    sim = env.unwrapped.sim
    joints = humanoid_joints("user")
    before, angles = env.unwrapped.task.user.position.copy(), []
    for _ in range(12):
        env.step(env.action_space.sample() * 0.0)
        angles.append(sim.joint_positions(joints).copy())
    moved = env.unwrapped.task.user.position - before
    assert np.linalg.norm(moved) > 0.2
    assert abs(math.remainder(_facing(sim) - math.atan2(moved[1], moved[0]), 2 * math.pi)) < 0.05
    assert np.ptp(np.array(angles), axis=0).max() > 0.3  # its limbs move as it walks
    env.close()


@pytest.mark.parametrize(
    "target", [(0.3, -0.12, 1.0), (0.45, -0.3, 1.2), (0.3, -0.05, 1.0), (0.35, -0.3, 1.05)]
)
def test_reach_angles_put_the_hand_on_a_target_within_reach(target):
    assert arm_points("right", *reach_angles("right", target))[2] == pytest.approx(target, abs=1e-6)
    mirrored = (target[0], -target[1], target[2])
    assert arm_points("left", *reach_angles("left", mirrored))[2] == pytest.approx(mirrored)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_arm_points_at_the_object_the_user_picks(backend):
    world = HouseholdWorld(backend)
    where = tuple("kitchen_table" if o in ("mug", "can") else "shelf" for o in OBJECTS)
    world.reset(World(where, ("kitchen_table", "hub")))
    world._face("user", "kitchen_table")
    world.sync()
    for obj, side in (("mug", "left"), ("can", "right")):  # the hand on the object's side
        assert world.start("user", ("pick", obj))
        shoulder = world.sim.joint_positions([f"user_{side}_shoulder_pitch"])[0]
        angles = []
        while not world.idle("user"):
            elbow = world.sim.body_position(f"user_{side}_forearm")
            forearm = world.sim.body_position(f"user_{side}_hand") - elbow
            angles.append(_angle(forearm, world.sim.body_position(obj) - elbow))
            world.tick()
        assert max(angles[5:]) < 5.0 and angles[0] > 20.0  # it points there over a few ticks
        assert world.sim.joint_positions([f"user_{side}_shoulder_pitch"])[0] != shoulder
        assert world.hand("user") == pytest.approx(world.sim.body_position(obj))  # held
        hand = world.sim.body_position(f"user_{side}_hand")
        assert 0.05 < np.linalg.norm(hand - world.hand("user")) < 0.07  # in the palm
        world.state = world.state.apply("user", ("put",))  # hands free for the next one
    world.close()


def test_a_held_object_stays_where_the_recognizer_counts_it_as_held():
    env = HelpHouseholdEnv(goal="recycle")
    env.reset(seed=1)
    world, reach, low, high = env.world, *USER_HAND
    held_ticks = 0
    for _ in range(300):
        held = world.state.held_by("user")
        if held is not None:
            held_ticks += 1
            pos, user = world.sim.body_position(held), world.pose["user"]
            assert np.hypot(*(pos[:2] - user[:2])) < reach and low <= pos[2] <= high
        _, _, done, _, _ = env.step(command_index(("wait",)))
        if done:
            break
    assert held_ticks > 10
    env.close()


def test_the_head_camera_moves_and_turns_with_the_head(sim):
    assert sim.camera("wearable").body == "user_head"
    motion = AvatarMotion(sim)
    motion.pose((0.0, -1.5), 0.0)
    pos, axes = sim.camera_pose("wearable")
    head = sim.body_position("user_head")
    motion.pose((1.0, -1.0), math.pi / 2)
    pos2, axes2 = sim.camera_pose("wearable")
    head2 = sim.body_position("user_head")
    turn = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert pos2 - head2 == pytest.approx(turn @ (pos - head), abs=1e-6)
    assert axes2 == pytest.approx(turn @ axes, abs=1e-6)
    pitch = -axes2[2, 2]  # z of the forward direction
    sim.set_joint_positions(["user_neck"], [0.5])  # the head tilts down: so does the camera
    pos3, axes3 = sim.camera_pose("wearable")
    assert -axes3[2, 2] < pitch - 0.3 and pos3[2] < pos2[2]


def test_the_head_camera_sees_what_the_avatar_walks_to(sim):
    motion = AvatarMotion(sim)
    label = sim.body_labels()["kitchen_table"]
    target = np.array([1.2, 0.8])  # the kitchen table
    start = np.array([-1.5, -1.5])
    heading = math.atan2(*(target - start)[::-1])
    seen = []
    for k in range(6):
        motion.pose(start + 0.08 * k * (target - start) / np.linalg.norm(target - start), heading)
        table = sim.render("wearable", 64, 48, ["segmentation"])["segmentation"][..., 0] == label
        seen.append((int(table.sum()), float(np.nonzero(table)[1].mean()) if table.any() else 0))
    assert min(n for n, _ in seen) > 15  # in view all along the walk, ahead (middle columns)
    assert all(16 < column < 48 for _, column in seen)
    motion.pose(start, heading + math.pi)  # facing away: out of view
    assert not (sim.render("wearable", 64, 48, ["segmentation"])["segmentation"] == label).any()


def test_the_avatar_moves_the_same_under_the_same_seed():
    runs = []
    for _ in range(2):
        env = HelpHouseholdEnv()
        env.reset(seed=7)
        for _ in range(40):
            env.step(0)
        runs.append(env.world.sim.joint_positions(humanoid_joints("user")).copy())
        env.close()
    assert runs[0] == pytest.approx(runs[1], abs=0.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_solid_avatar_blocks_the_robot_through_an_invisible_proxy(backend):
    camera = Camera("side", pos=(1.0, -3.0, 1.0), forward=(0.0, 1.0, -0.1))
    floor = Geom("plane", (5.0, 5.0))
    images, reached = [], []
    for solid in (True, False):
        scene = compose("t", [mobile_base(), avatar("person", (1.2, 0.0, 0.0), solid)], [],
                        [floor], [camera])  # fmt: skip
        sim = backend_class(backend)(scene)
        sim.reset()
        images.append(sim.render("side", 64, 48, ["rgb", "segmentation"]))
        ctrl = np.zeros(len(sim.actuators))
        ctrl[0] = 1.0  # the base drives along +x into the avatar
        for _ in range(60):
            sim.step(ctrl, 10)
        reached.append(sim.body_position("robot")[0])
        sim.close()
    assert reached[0] < 1.2 - 0.18 - 0.2 + 0.03 < 1.5 < reached[1]  # blocked / passes through
    for modality in ("rgb", "segmentation"):  # the proxy is not drawn
        assert np.array_equal(images[0][modality], images[1][modality])


def test_the_crowds_avatars_walk_facing_the_way_they_move():
    env = CrowdEnv(num_avatars=3)
    env.reset(seed=0)
    joints = humanoid_joints("person0")
    before, angles = env.avatar_positions().copy(), []
    for _ in range(20):
        env.step(np.zeros(3, np.float32))
        angles.append(env.sim.joint_positions(joints).copy())
    assert np.ptp(np.array(angles), axis=0).max() > 0.3
    for i in range(len(env.motions)):
        heading = _facing(env.sim, f"person{i}")
        assert abs(math.remainder(heading - env._headings[i], 2 * math.pi)) < 1e-6
    assert not np.array_equal(before, env.avatar_positions())
    env.close()
