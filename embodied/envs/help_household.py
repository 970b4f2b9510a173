"""The helping household: a user avatar with a hidden task and a robot share the MuJoCo scene.

``HouseholdWorld`` runs the symbolic world of ``worldmodels.user_model.household`` in control ticks
and shows it in the household scene: agents walk at walking speed between locations, objects ride
in hands and lie in per-place slots, the bin's lid lifts when it is opened. What the robot
perceives (poses, visible objects) and what the wearable camera sees (its segmentation image)
come from the scene. ``HelpHouseholdEnv`` is the robot's Gymnasium env with a simulated user.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from embodied.backends import backend_class
from embodied.envs.avatar_motion import AvatarMotion
from embodied.envs.user_goals import SimulatedUser
from scenes.description import Body, Geom, Scene
from scenes.library import BIN, GRASPABLES, HOUSEHOLD_SURFACES, household_scene
from worldmodels.user_model.household import (
    AGENTS,
    COMMANDS,
    CONTAINERS,
    OBJECTS,
    PLACE_CENTERS,
    PLACES,
    ROBOT_STAND,
    STAND,
    TASK_NAMES,
    TASKS,
    Action,
    UserTask,
    World,
    duration,
)

SLOT_AXIS = {"kitchen_table": (0.2, 0.0), "coffee_table": (0.18, 0.0), "shelf": (0.0, 0.18),
             "bin": (0.075, 0.0)}  # fmt: skip
HALF_HEIGHT_INDEX = {"sphere": 0, "cylinder": 1, "box": 2}  # the entry of Geom.size
HALF_HEIGHT = {name: geom.size[HALF_HEIGHT_INDEX[geom.shape]] for name, _, _, geom in GRASPABLES}
LID_THICKNESS = 0.02
(BIN_X, BIN_Y, _), (BIN_HX, BIN_HY, BIN_HZ) = BIN
LID_CLOSED = (BIN_X, BIN_Y, 2 * BIN_HZ + LID_THICKNESS / 2)  # on the bin's rim
LID_OPEN = (BIN_X, BIN_Y - 0.6, LID_THICKNESS / 2)  # on the floor beside it
BASE_JOINTS = ("robot_x", "robot_y", "robot_yaw")
REACH_SHARE = 0.5  # of an action's ticks the user's arm takes to reach out (then it stays)
# a held object rides in the user's hand: while holding, the hand stays where the robot's
# recognizer counts an object as held (``USER_HAND``: within 0.45 m, 0.9-1.1 m high)
HOLD_RADIUS, HOLD_HEIGHTS = 0.32, (0.98, 1.05)  # of the hand: what it holds rides 6 cm beyond
TEXT_CHARSET = "".join(chr(c) for c in range(32, 127))


def help_household_scene() -> Scene:
    """The household scene with a lid on the bin (objects inside are hidden until it is opened);
    the wearable looks down at what its wearer handles (45° instead of the walking 19°)."""
    base = household_scene()
    cameras = tuple(
        dataclasses.replace(c, forward=(1.0, 0.0, -1.0)) if c.name == "wearable" else c
        for c in base.cameras
    )
    half = (BIN_HX + 0.01, BIN_HY + 0.01, LID_THICKNESS / 2)
    lid_geom = Geom("box", half, rgba=(0.25, 0.25, 0.3, 1.0), collide=False)
    lid = Body("bin_lid", pos=LID_CLOSED, mocap=True, geoms=(lid_geom,))
    return dataclasses.replace(
        base, name="help_household", bodies=(*base.bodies, lid), cameras=cameras
    ).validate()


def slot_position(obj: str, place: str) -> np.ndarray:
    """Where ``obj`` lies at ``place``: its own slot along the furniture, on the surface."""
    (cx, cy, z), (ax, ay) = HOUSEHOLD_SURFACES[place], SLOT_AXIS[place]
    k = OBJECTS.index(obj) - 2
    return np.array([cx + k * ax, cy + k * ay, z + HALF_HEIGHT[obj] + 0.005])


@dataclasses.dataclass
class Activity:
    """An action an agent is carrying out: it takes ``ticks`` ticks, ``done`` so far."""

    action: Action
    ticks: int
    start: np.ndarray
    end: np.ndarray
    done: int = 0


def random_episode(rng: np.random.Generator, goal: str | None = None) -> tuple[World, UserTask]:
    """A task and a world where none of its objects is at its target yet (some in the bin)."""
    chosen = TASKS[int(rng.integers(len(TASKS)))] if goal is None else TASKS[TASK_NAMES.index(goal)]
    while True:
        where = tuple(PLACES[int(rng.integers(len(PLACES)))] for _ in OBJECTS)
        if all(where[OBJECTS.index(o)] != chosen.target for o in chosen.objects):
            return World(where, ("hub", "hub")), chosen


class HouseholdWorld:
    """The symbolic household (``state``, a ``World``) in ticks of ``dt`` seconds, mirrored into
    the MuJoCo household scene."""

    def __init__(self, backend: str = "mujoco", dt: float = 0.1) -> None:
        if dt <= 0:
            raise ValueError(f"dt={dt} must be > 0")
        self.sim = backend_class(backend)(help_household_scene())
        self.dt = dt
        self.state = World(tuple(PLACES[0] for _ in OBJECTS), ("hub", "hub"))
        self.pose = {a: np.zeros(3) for a in AGENTS}  # x, y, yaw
        self.activity: dict[str, Activity | None] = {a: None for a in AGENTS}
        self.labels = self.sim.body_labels()
        self.failed: dict[str, int] = {a: 0 for a in AGENTS}
        self.user_motion = AvatarMotion(self.sim, "user")

    def reset(self, world: World) -> None:
        self.sim.reset()
        self.user_motion.reset()
        self.state = world
        for agent in AGENTS:
            self.pose[agent] = np.array([*self._stand(agent, world.location(agent)), 0.0])
            self.activity[agent] = None
            self.failed[agent] = 0
        self.sync()

    @staticmethod
    def _stand(agent: str, location: str) -> tuple[float, float]:
        return (STAND if agent == "user" else ROBOT_STAND)[location]

    def idle(self, agent: str) -> bool:
        return self.activity[agent] is None

    def start(self, agent: str, action: Action) -> bool:
        """Begin ``action`` (an illegal one becomes a short wait); False if it was illegal."""
        legal = tuple(action) in self.state.legal_actions(agent)
        action = tuple(action) if legal else ("wait",)
        self.failed[agent] += not legal
        here = self.state.location(agent)
        start = self.pose[agent].copy()
        end = start.copy()
        if action[0] == "walk":
            end[:2] = self._stand(agent, action[1])
            end[2] = math.atan2(end[1] - start[1], end[0] - start[0])
        ticks = max(1, round(duration(action, here) / self.dt))
        self.activity[agent] = Activity(action, ticks, start, end)
        return legal

    def tick(self) -> list[tuple[str, Action]]:
        """Advance every activity by one tick; return the (agent, action) pairs completed
        (a put as ``("put", object)``)."""
        finished = []
        for agent in AGENTS:
            act = self.activity[agent]
            if act is None:
                continue
            act.done += 1
            frac = act.done / act.ticks
            self.pose[agent][:2] = act.start[:2] + frac * (act.end[:2] - act.start[:2])
            self.pose[agent][2] = act.end[2]
            if act.done >= act.ticks:
                self.activity[agent] = None
                if act.action in self.state.legal_actions(agent):  # the other may have been faster
                    held = self.state.held_by(agent)
                    self.state = self.state.apply(agent, act.action)
                    if act.action[0] == "walk" and act.action[1] in PLACE_CENTERS:
                        self._face(agent, act.action[1])
                    finished.append(
                        (agent, ("put", held) if act.action[0] == "put" else act.action)
                    )
                else:
                    self.failed[agent] += 1
        self.sync()
        return finished

    def _face(self, agent: str, place: str) -> None:
        cx, cy = PLACE_CENTERS[place]
        x, y, _ = self.pose[agent]
        self.pose[agent][2] = math.atan2(cy - y, cx - x)

    # ----- the scene ----------------------------------------------------------------------------
    def hand(self, agent: str) -> np.ndarray:
        """Where an object held by ``agent`` rides: in the hand the user picked it with; above
        the robot's base."""
        if agent == "user":
            return self.user_motion.grip()
        x, y, _ = self.pose[agent]
        return np.array([x, y, 0.45])

    def reach_target(self, agent: str) -> tuple[np.ndarray | None, float]:
        """The point ``agent``'s arm goes to during its current action (the object it picks,
        the slot it puts to, the lid it opens; None otherwise) and how far out it is (0-1)."""
        act = self.activity[agent]
        if act is None or act.action[0] not in ("pick", "put", "open"):
            return None, 0.0
        here, held = self.state.location(agent), self.state.held_by(agent)
        if act.action[0] == "pick":
            target = self.sim.body_position(act.action[1])
        elif act.action[0] == "put" and held is not None and here in PLACES:
            target = slot_position(held, here)
        else:
            target = np.array(LID_CLOSED)
        if held is not None:  # the hand holds on to its object: it only gestures
            target = self._within_hold(agent, target)
        return target, min(1.0, act.done / (REACH_SHARE * act.ticks))

    def _within_hold(self, agent: str, target: np.ndarray) -> np.ndarray:
        x, y, _ = self.pose[agent]
        offset = target[:2] - (x, y)
        scale = min(1.0, HOLD_RADIUS / max(float(np.linalg.norm(offset)), 1e-9))
        return np.array([x + scale * offset[0], y + scale * offset[1],
                         np.clip(target[2], *HOLD_HEIGHTS)])  # fmt: skip

    def sync(self) -> None:
        """Move the avatar (walking with a gait, reaching with its arm), the robot base, the
        objects and the lid to the symbolic state."""
        x, y, yaw = self.pose["user"]
        reach, weight = self.reach_target("user")
        carrying = self.state.held_by("user") is not None
        self.user_motion.pose((x, y), yaw, reach, weight, carrying)
        self.sim.set_joint_positions(BASE_JOINTS, self.pose["robot"])
        for obj, where in zip(OBJECTS, self.state.where, strict=True):
            pos = self.hand(where) if where in AGENTS else slot_position(obj, where)
            self.sim.set_body_pose(obj, pos)
        lid = LID_OPEN if "bin" in self.state.open else LID_CLOSED
        self.sim.set_body_pose("bin_lid", np.array(lid))

    def robot_sees(self) -> np.ndarray:
        """Which objects the robot perceives: all but those inside a closed container."""
        return np.array(
            [not (w in CONTAINERS and w not in self.state.open) for w in self.state.where]
        )

    def wearable_sees(self, width: int = 64, height: int = 48) -> np.ndarray:
        """Which objects appear in the wearable camera's segmentation image."""
        seg = self.sim.render("wearable", width, height, ["segmentation"])["segmentation"]
        labels = set(np.unique(seg).tolist())
        return np.array([self.labels[o] in labels for o in OBJECTS])

    def render(self, width: int, height: int) -> np.ndarray:
        return self.sim.render("overview", width, height, ["rgb"])["rgb"]

    def close(self) -> None:
        self.sim.close()


def percept_space() -> dict[str, gym.Space]:
    """What the robot observes each tick."""
    box = lambda *shape: gym.spaces.Box(-np.inf, np.inf, shape, np.float32)  # noqa: E731
    return {
        "user": box(3),
        "robot": box(3),
        "objects": box(len(OBJECTS), 3),
        "visible": gym.spaces.MultiBinary(len(OBJECTS)),
        "lid_open": gym.spaces.MultiBinary(1),
        "idle": gym.spaces.MultiBinary(1),
    }


def percept(world: HouseholdWorld) -> dict[str, Any]:
    """The robot's percept: poses, positions of the objects it sees (zeros elsewhere), lid."""
    visible = world.robot_sees()
    objects = np.array([world.sim.body_position(o) for o in OBJECTS], np.float32)
    objects[~visible] = 0.0
    return {
        "user": world.pose["user"].astype(np.float32),
        "robot": world.pose["robot"].astype(np.float32),
        "objects": objects,
        "visible": visible.astype(np.int8),
        "lid_open": np.array(["bin" in world.state.open], np.int8),
        "idle": np.array([world.idle("robot")], np.int8),
    }


class HelpHouseholdEnv(gym.Env[dict[str, Any], np.int64]):
    """The robot's env: it acts with symbolic commands while a simulated user does its task.

    Action: an index into ``COMMANDS`` (taken when the robot is idle; ignored while it is busy).
    Observation: :func:`percept` plus ``user_sees`` (objects in the wearable's view, refreshed
    when the user arrives somewhere) and ``text`` (the user's last answer). Reward −0.01 per tick,
    +1 on success (every object of the user's task at its target). The robot talks through
    :meth:`ask` (the user answers; it pauses for ``ask_seconds``); when it puts an object down
    it says so and the user hears it. ``goal`` fixes the user's task (None: random).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        rationality: float = 2.0,
        noise: float = 0.05,
        answer_error: float = 0.0,
        change_mind_prob: float = 0.0,
        goal: str | None = None,
        wearable: bool = True,
        ask_seconds: float = 3.0,
        backend: str = "mujoco",
        dt: float = 0.1,
        max_episode_steps: int = 900,
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
    ) -> None:
        if goal is not None and goal not in TASK_NAMES:
            raise ValueError(f"goal={goal!r}; valid: None, {', '.join(TASK_NAMES)}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'rgb_array'")
        self.user = SimulatedUser(rationality, noise, answer_error, change_mind_prob)
        self.world = HouseholdWorld(backend, dt)
        self.goal, self.wearable, self.ask_seconds = goal, wearable, ask_seconds
        self.max_episode_steps = max_episode_steps
        self.render_mode, self.width, self.height = render_mode, width, height
        self.action_space = gym.spaces.Discrete(len(COMMANDS))
        self.observation_space = gym.spaces.Dict(
            {**percept_space(), "user_sees": gym.spaces.MultiBinary(len(OBJECTS)),
             "text": gym.spaces.Text(256, min_length=0, charset=TEXT_CHARSET)}
        )  # fmt: skip
        self.metadata = {**self.metadata, "render_fps": round(1.0 / dt)}
        self.task: UserTask = TASKS[0]
        self._text, self._user_sees = "", np.zeros(len(OBJECTS), np.int8)
        self._elapsed, self._user_pause = 0, 0
        self.transcript: list[tuple[int, str, str]] = []  # (tick, speaker, text)

    def _observe(self) -> dict[str, Any]:
        return {**percept(self.world), "user_sees": self._user_sees.copy(), "text": self._text}

    def _user_looks(self) -> None:
        self.user.look(self.world.state)
        if self.wearable:
            self._user_sees = self.world.wearable_sees().astype(np.int8)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        world, self.task = random_episode(self.np_random, self.goal)
        self.world.reset(world)
        self.user.reset(self.task, world)
        self._text, self._elapsed, self._user_pause = "", 0, 0
        self._user_sees = np.zeros(len(OBJECTS), np.int8)
        self.transcript = []
        self._user_looks()
        return self._observe(), self._info()

    def ask(self, question: str) -> str:
        """Say ``question`` to the user; return its answer (the user stops to answer)."""
        answer = self.user.answer(question, self.np_random)
        self._user_pause += round(self.ask_seconds / self.world.dt)
        self.transcript += [(self._elapsed, "robot", question), (self._elapsed, "user", answer)]
        self._text = answer[:256]
        return answer

    def step(self, action: Any) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        index = int(np.asarray(action).reshape(()))
        if not 0 <= index < len(COMMANDS):
            raise ValueError(f"action {index} out of range; valid: 0..{len(COMMANDS) - 1}")
        if self.world.idle("robot"):
            self.world.start("robot", COMMANDS[index])
        if self._user_pause > 0:
            self._user_pause -= 1
        elif self.world.idle("user"):
            self.world.start("user", self.user.decide(self.world.state, self.np_random))
        for agent, done in self.world.tick():
            if agent == "user":
                self._user_looks()
            if agent == "robot" and done[0] == "put":
                place = self.world.state.location("robot")
                obj = done[1]
                message = f"I put the {obj} on the {place.replace('_', ' ')}."
                self.transcript.append((self._elapsed, "robot", message))
                self.user.hear(obj, place)
        self._elapsed += 1
        success = self.world.state.satisfied(self.task)
        truncated = self._elapsed >= self.max_episode_steps and not success
        return self._observe(), (1.0 if success else 0.0) - 0.01, success, truncated, self._info()

    def _info(self) -> dict[str, Any]:
        return {
            "success": self.world.state.satisfied(self.task),
            "is_success": self.world.state.satisfied(self.task),
            "task": self.task.name,
            "user_failed_actions": self.world.failed["user"],
            "robot_failed_actions": self.world.failed["robot"],
        }

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return self.world.render(self.width, self.height)

    def close(self) -> None:
        self.world.close()
