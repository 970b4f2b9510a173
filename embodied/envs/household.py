"""Household pick-and-place: the mobile manipulator picks up the object named in a text
instruction, carries it and puts it down at the named place, through its gripper, while the
user's avatar walks around (a scripted simulated user) wearing an egocentric camera."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from embodied.backends.base import Backend
from embodied.envs.avatar_motion import AvatarMotion
from embodied.envs.floor_paths import FloorGrid
from embodied.envs.grasp import Grasp
from embodied.envs.scene_task import SceneTask
from embodied.envs.simulated_user import ScriptedUser
from embodied.measures import DistanceToGoal, Measurements, PathLength, Progress, Success
from scenes.description import Geom, Scene
from scenes.embodiments import ARM_LENGTHS, JAW_OFFSET, JAW_REACH, SHOULDER_HEIGHT
from scenes.library import (
    BIN,
    COFFEE_TABLE,
    GRASPABLES,
    HOUSEHOLD_HALF,
    HOUSEHOLD_SURFACES,
    KITCHEN_TABLE,
    SHELF_POS,
    household_scene,
)

USER_HUB = (0.0, 0.0)
USER_SPOTS = ((0.0, -1.6), (0.0, 1.7), (-2.2, 0.3), (2.0, -0.1))
ROBOT_START = np.array([-1.8, -0.2])
BASE_HEIGHT = 0.12  # of the base's frame above the floor
SHOULDER_Z = BASE_HEIGHT + SHOULDER_HEIGHT
ORIGIN = {"mug": "kitchen_table", "apple": "kitchen_table", "book": "coffee_table",
          "can": "shelf", "block": "shelf"}  # fmt: skip
PLACES = tuple(HOUSEHOLD_SURFACES)
PLACE_NAMES = {"kitchen_table": "the kitchen table", "coffee_table": "the coffee table",
               "shelf": "the top of the shelf", "bin": "the bin"}  # fmt: skip
# the robot faces this world direction (yaw) when reaching into each place
APPROACH_YAW = {"kitchen_table": math.pi / 2, "coffee_table": math.pi, "shelf": 0.0,
                "bin": math.pi}  # fmt: skip
TRANSIT_HEIGHT = 1.0  # of the hand, before the expert has a goal
FOLDED = (-1.5, 2.6)  # shoulder up, forearm folded down in front: the arm while driving
ARM_RATE = 0.1  # radians per step of the expert's arm commands
BIN_DROP_HEIGHT = 0.6  # hand height when letting go above the bin
PLACE_CLEARANCE = 0.03  # the held object's bottom above the surface when let go
PLACE_TOLERANCE = (0.15, 0.08)  # horizontal and vertical distance of a placed object's centre


def half_height(geom: Geom) -> float:
    return geom.size[{"box": 2, "sphere": 0, "cylinder": 1, "capsule": 1}[geom.shape]]


def half_width(geom: Geom) -> float:
    """Half the object's width between the jaws (boxes are approached along their x)."""
    return geom.size[1] if geom.shape == "box" else geom.size[0]


GRASP_ABOVE_CENTRE = 0.01  # the jaws close this much above the object's centre
BASE_CLEARANCE = 0.3  # radius of the base plus a margin, for paths


def _rect(centre: tuple[float, ...], half: tuple[float, ...]) -> tuple[float, ...]:
    return (centre[0] - half[0], centre[1] - half[1], centre[0] + half[0], centre[1] + half[1])


FLOOR = FloorGrid(
    _rect((0.0, 0.0), HOUSEHOLD_HALF),
    [_rect(KITCHEN_TABLE[0], KITCHEN_TABLE[1]), _rect(COFFEE_TABLE[0], COFFEE_TABLE[1]),
     _rect(SHELF_POS, (0.2, 0.52)), _rect(BIN[0], BIN[1])],
    BASE_CLEARANCE,
)  # fmt: skip
"""The household's floor for the expert's paths: furniture footprints are obstacles."""

MAX_REACH = sum(ARM_LENGTHS) + JAW_REACH  # of the jaws' centre in front of the mast
GEOMS = {name: geom for name, _, _, geom in GRASPABLES}
DESCRIPTIONS = {name: description for name, description, _, _ in GRASPABLES}


class Placed(Success):
    """1 when the object rests within ``PLACE_TOLERANCE`` of the place and is let go."""

    def update(self, task: HouseholdTask, measures: Measurements) -> None:
        offset = task.goal_position() - task.agent_position()
        self.value = float(
            task.grasp.held is None
            and np.linalg.norm(offset[:2]) <= PLACE_TOLERANCE[0]
            and abs(offset[2]) <= PLACE_TOLERANCE[1]
        )


def instruction(target: str, place: str) -> str:
    """The user's instruction to put the object ``target`` at ``place`` (names as in
    ``GRASPABLES`` and ``PLACES``)."""
    where = "in the bin" if place == "bin" else f"on {PLACE_NAMES[place]}"
    return f"Take {DESCRIPTIONS[target]} and put it {where}."


def arm_pose(hand_height: float) -> tuple[float, float]:
    """Shoulder and elbow angles that hold the hand level at ``hand_height`` above the floor."""
    sine = np.clip((SHOULDER_Z - hand_height) / ARM_LENGTHS[0], -0.99, 0.99)
    shoulder = float(np.arcsin(sine))
    return shoulder, -shoulder


class HouseholdTask(SceneTask):
    """Pick the named object up, carry it to the named place and let go of it there.

    Actions: base velocities (x, y, yaw), shoulder and elbow targets, gripper force (+1 closes,
    −1 opens). Reward: the object's progress towards the place − 0.01 per step + 2.5 on
    success (the object let go of within 15 cm of the place's middle, on its surface).
    ``info["held"]`` names what the gripper holds; ``info["user_position"]`` is where the avatar
    is; the avatar walks with a gait (kinematic joints, not observed) and the ``wearable``
    camera sees from its head.
    """

    embodiment = "robot"
    success_radius = PLACE_TOLERANCE[0]
    distance_dims = 3
    max_episode_steps = 700
    phases: ClassVar[tuple[str, ...]] = (
        "approach", "lower", "advance", "close", "lift", "retreat",  # pick
        "approach", "lower", "advance", "open", "retreat", "done",  # place
    )  # fmt: skip

    def __init__(self, sim: Backend, control_dt: float) -> None:
        super().__init__(sim, control_dt)
        self.measurements = Measurements(
            [DistanceToGoal(self.distance_dims), Progress(), Placed(self.success_radius),
             PathLength()]
        )  # fmt: skip
        self.user = ScriptedUser(USER_HUB, USER_SPOTS)
        self.user_motion = AvatarMotion(sim, "user")
        self.grasp = Grasp(sim, self.robot)
        self.gripper_index = [a.joint for a in sim.actuators].index(f"{self.robot.name}_gripper")
        self.target, self.place = GRASPABLES[0][0], PLACES[0]
        self.place_point = np.zeros(3)
        self.phase, self._phase_steps = 0, 0
        self._goal = np.zeros(2)
        self._path: list[np.ndarray] = []
        self._height_bias = 0.0

    @staticmethod
    def build_scene() -> Scene:
        return household_scene()

    def reset(self, rng: np.random.Generator) -> None:
        for name, _, pos, _ in GRASPABLES:
            jitter = rng.uniform(-0.02, 0.02, 2)
            self.sim.set_body_pose(name, np.array([pos[0] + jitter[0], pos[1] + jitter[1], pos[2]]))
        target = rng.integers(len(GRASPABLES))
        self.target = GRASPABLES[target][0]
        places = [p for p in PLACES if p != ORIGIN[self.target]]
        self.place = places[rng.integers(len(places))]
        surface = np.array(HOUSEHOLD_SURFACES[self.place])
        jitter = rng.uniform(-0.05, 0.05, 2) if self.place != "bin" else np.zeros(2)
        self.place_point = surface + np.array([*jitter, half_height(GEOMS[self.target])])
        start = ROBOT_START + rng.uniform(-0.3, 0.3, 2)
        joints = self.robot.joints
        self.sim.set_joint_positions(joints, [*start, rng.uniform(-np.pi, np.pi), 0.0, 0.0, 0.0])
        self.grasp.reset()
        self.phase, self._phase_steps = 0, 0
        self._height_bias = self._hold_offset = 0.0
        self._stand = np.zeros(2)
        self._height = TRANSIT_HEIGHT
        self._arm = (0.0, 0.0)
        self.user.reset(rng)
        self.user_motion.reset()
        self._move_user(self.user.position, self.user.yaw)
        self.instruction = instruction(self.target, self.place)

    def _move_user(self, position: np.ndarray, yaw: float) -> None:
        self.user_motion.pose(position, yaw)  # walking with a gait, facing where it goes

    def before_step(self, rng: np.random.Generator) -> None:
        self._move_user(*self.user.act(self.control_dt, rng))

    def after_step(self, action: np.ndarray) -> None:
        self.grasp.update(float(action[self.gripper_index]))

    def agent_position(self) -> np.ndarray:
        """The object to be moved is what must reach the goal."""
        return self.sim.body_position(self.target)

    def goal_position(self) -> np.ndarray:
        return self.place_point

    def reward(self) -> float:
        m = self.measurements
        return m["progress"] - 0.01 + 2.5 * m["success"]

    def info(self) -> dict[str, Any]:
        return {**super().info(), "target": self.target, "place": self.place,
                "held": self.grasp.held, "user_position": self.user.position}  # fmt: skip

    # ----- the scripted expert ----------------------------------------------------------------
    def scripted_action(self) -> np.ndarray:
        """Pick and place by a state machine over ``phases``: with the arm folded, follow a
        floor path to where the open jaws reach the object from in front of it, unfold the
        arm to the object's height, move the jaws around it, close, lift, back off; the same
        to the place with the object, open, back off."""
        picking = self.phase < 6
        name = self.phases[self.phase]
        yaw_target = APPROACH_YAW[ORIGIN[self.target] if picking else self.place]
        heading = np.array([math.cos(yaw_target), math.sin(yaw_target)])
        lateral = np.array([-heading[1], heading[0]])  # the hand's +y: towards the fixed jaw
        base = self.sim.body_position(self.robot.body)[:2]
        hand = self.sim.body_position(f"{self.robot.name}_hand")
        obj = self.sim.body_position(self.target)
        # the object sits near the fixed jaw, so that closing pushes it little
        squeeze = JAW_OFFSET - 0.02 - half_width(GEOMS[self.target])
        jaws = hand[:2] + JAW_REACH * heading + squeeze * lateral
        if picking:
            point, goal, height = jaws, obj[:2], obj[2] + GRASP_ABOVE_CENTRE
        else:
            point, goal = obj[:2], self.place_point[:2]
            height = self.place_point[2] + self._hold_offset + PLACE_CLEARANCE
            if self.place == "bin":
                height = BIN_DROP_HEIGHT
        if name in ("approach", "lower", "advance"):
            self._goal, self._height = goal, height  # latched: a held object moves
        height = self._height
        before = self._goal - (0.35 if picking else 0.6) * heading  # object clear of the edge
        if name == "approach" and self._phase_steps == 0:  # the base's spot for ``before``
            # back so far that the arm unfolding to any height keeps the jaws out of furniture
            self._stand = before - MAX_REACH * heading - squeeze * lateral
            self._height_bias = 0.0
        stand = self._stand
        holding = (picking and name in ("close", "lift", "retreat")) or (
            not picking and name in ("approach", "lower", "advance"))  # fmt: skip
        grip = 1.0 if holding else -1.0
        arm: tuple[float, float] = arm_pose(height)
        turn = self._turn(yaw_target)
        velocity = np.zeros(2)
        done = False
        if name == "approach":
            arm = FOLDED
            if self._phase_steps == 0:
                self._path = FLOOR.path(base, stand)
            while len(self._path) > 1 and np.linalg.norm(self._path[0] - base) < 0.25:
                self._path.pop(0)
            velocity = self._drive(base, self._path[0], turn)
            done = len(self._path) == 1 and np.linalg.norm(base - stand) < 0.04
            done = done and abs(turn) < 0.05
        elif name == "lower":
            velocity = self._drive(base, stand, turn)
            settled = np.abs(np.subtract(self._arm, arm_pose(height))).max() < 0.15
            done = abs(hand[2] - height) < 0.015 and settled
            done = done or self._phase_steps > 60
        elif name == "advance":
            velocity = self._drive(point, self._goal, turn)
            done = np.linalg.norm(point - self._goal) < 0.012 or self._phase_steps > 80
        elif name in ("close", "open"):
            velocity = self._drive(point, self._goal, turn) if name == "close" else velocity
            done = self._phase_steps > 8
            if name == "close":
                if self._phase_steps > 25 and self.grasp.held != self.target:
                    self.phase, self._phase_steps = 0, 0  # missed: open and try again
                    return self._action(np.zeros(2), turn, self._arm, -1.0)
                done = done and self.grasp.held == self.target
                self._hold_offset = hand[2] - obj[2]  # with the hand level
        elif name == "lift":
            arm = arm_pose(height + 0.06)
            done = hand[2] > height + 0.04 or self._phase_steps > 30
        elif name == "retreat":
            arm = arm_pose(height + 0.06 * picking)
            velocity = self._drive(point, before, turn)
            done = np.linalg.norm(point - before) < 0.05 or self._phase_steps > 60
        elif name == "done":
            arm = FOLDED
        if arm != FOLDED:  # integral correction of the hand's height: the servos sag
            target_height = SHOULDER_Z - ARM_LENGTHS[0] * math.sin(arm[0])
            settled = np.abs(np.subtract(self._arm, arm)).max() < 0.15  # not while swinging
            error = (target_height - hand[2]) if settled else 0.0
            self._height_bias = float(np.clip(self._height_bias + 0.3 * error, -0.1, 0.1))
            arm = arm_pose(target_height + self._height_bias)
        self._phase_steps += 1
        if done:
            self.phase, self._phase_steps = min(self.phase + 1, len(self.phases) - 1), 0
        # the arm swings at most ARM_RATE per step: an unfolding arm does not whip past its goal
        delta = np.subtract(arm, self._arm)  # both joints together: a straight joint path
        step = delta * min(1.0, ARM_RATE / max(float(np.abs(delta).max()), 1e-9))
        self._arm = (self._arm[0] + float(step[0]), self._arm[1] + float(step[1]))
        return self._action(velocity, turn, self._arm, grip)

    def _turn(self, yaw_target: float) -> float:
        yaw = float(self.sim.joint_positions([f"{self.robot.name}_yaw"])[0])
        return math.remainder(yaw_target - yaw, 2 * math.pi)

    @staticmethod
    def _drive(point: np.ndarray, target: np.ndarray, turn: float) -> np.ndarray:
        """Base velocity bringing ``point`` to ``target``; slow while still turning."""
        velocity = np.clip(3.0 * (target - point), -1.0, 1.0)
        return velocity * (0.3 if abs(turn) > 0.3 else 1.0)

    @staticmethod
    def _action(velocity: np.ndarray, turn: float, arm: tuple[float, float],
                grip: float) -> np.ndarray:  # fmt: skip
        return np.array([*velocity, np.clip(3.0 * turn, -1.5, 1.5), *arm, grip])
