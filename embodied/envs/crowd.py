"""Crowd: a mobile base crosses a hall while a crowd of avatars moves as a learned mean-field
population model (``worldmodels.meanfield``) says.

Each avatar is one particle of a :class:`~worldmodels.meanfield.population.PopulationSDE`
(default: the meeting game's known dynamics; ``population_model`` loads a learned one). The
particle's value maps linearly onto the hall's x axis, its lane (random per episode) onto y,
and every control step advances the particles by ``population_dt`` of model time.
The avatars are humanoids walking with a gait (``embodied.envs.avatar_motion``), facing the
way they move along their lane; their limbs are not observed.
Observation: ``proprio`` (the base's joints) and ``crowd`` (every avatar's x, y); reward:
progress to the goal − 0.01 per step − 0.1 per avatar closer than 0.5 m, + 2.5 on reaching
the goal (within 0.3 m).
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch

from embodied.backends.mujoco_backend import MujocoBackend
from embodied.envs.avatar_motion import AvatarMotion
from scenes.description import Body, Camera
from scenes.embodiments import avatar, mobile_base
from scenes.library import compose, goal_marker, room
from worldmodels.meanfield.games import MeetingGame
from worldmodels.meanfield.population import PopulationSDE, load_population_model

HALF = (3.0, 2.0)
SUCCESS_RADIUS = 0.3
PERSONAL_SPACE = 0.5
TURN_STEP = 0.02  # metres: an avatar moving less than this per step keeps its heading


def crowd_scene(num_avatars: int) -> Any:
    """A 6 m × 4 m hall with a mobile base, ``num_avatars`` avatars and a goal disc."""
    people = [avatar(f"person{i}", pos=(0.0, 0.0, 0.0)) for i in range(num_avatars)]
    top = Camera("overview", pos=(0.0, -4.5, 6.0), forward=(0.0, 0.6, -1.0))
    marker: Body = goal_marker(radius=0.25, shape="cylinder")
    return compose("crowd", [mobile_base(), *people], [marker], room(*HALF, 0.6), [top])


class CrowdEnv(gym.Env[dict[str, np.ndarray], np.ndarray]):
    """Cross the hall from left to right through a crowd driven by a population model."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        num_avatars: int = 8,
        population_model: str | None = None,
        population_dt: float = 0.1,
        position_scale: float = 1.5,
        frame_skip: int = 20,
        max_episode_steps: int = 200,
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
    ) -> None:
        if num_avatars < 1 or population_dt <= 0 or frame_skip < 1 or max_episode_steps < 1:
            raise ValueError(
                "num_avatars, frame_skip and max_episode_steps must be >= 1 and population_dt "
                f"> 0, got {num_avatars}, {frame_skip}, {max_episode_steps}, {population_dt}"
            )
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'rgb_array'")
        self.population = (
            PopulationSDE(MeetingGame(), neural=False)
            if population_model is None
            else load_population_model(population_model)
        )
        self.center = float(getattr(self.population.game, "scheduled", 0.0))
        self.num_avatars, self.population_dt = num_avatars, population_dt
        self.position_scale, self.frame_skip = position_scale, frame_skip
        self.max_episode_steps, self.render_mode = max_episode_steps, render_mode
        self.width, self.height = width, height
        self.sim = MujocoBackend(crowd_scene(num_avatars))
        self.robot = self.sim.scene.embodiment("robot")
        self.lanes = np.zeros(num_avatars)
        self.action_space = gym.spaces.Box(self.sim.ctrl_low, self.sim.ctrl_high, dtype=np.float32)
        joints = len(self.robot.joints)
        self.observation_space = gym.spaces.Dict({
            "proprio": gym.spaces.Box(-np.inf, np.inf, (2 * joints,), np.float32),
            "crowd": gym.spaces.Box(-np.inf, np.inf, (2 * num_avatars,), np.float32),
        })  # fmt: skip
        self.particles = torch.zeros(num_avatars)
        self.motions = [AvatarMotion(self.sim, f"person{i}") for i in range(num_avatars)]
        self._headings = np.zeros(num_avatars)
        self._last_x: np.ndarray | None = None
        self.goal = np.array([HALF[0] - 0.5, 0.0])
        self._generator = torch.Generator()
        self._elapsed, self._distance = 0, 0.0

    # ----- crowd -------------------------------------------------------------------------------
    def avatar_positions(self) -> np.ndarray:
        """``[num_avatars, 2]`` floor positions of the avatars."""
        x = (self.particles.double().numpy() - self.center) * self.position_scale
        x = np.clip(x, -HALF[0] + 0.3, HALF[0] - 0.3)
        return np.stack([x, self.lanes], -1)

    def _place_avatars(self) -> None:
        """Each avatar walks (with a gait) to its particle's place, facing along its lane the
        way it last moved."""
        positions = self.avatar_positions()
        if self._last_x is not None:
            dx = positions[:, 0] - self._last_x
            moving = np.abs(dx) > TURN_STEP
            self._headings[moving] = np.where(dx[moving] > 0.0, 0.0, np.pi)
        self._last_x = positions[:, 0].copy()
        for motion, xy, heading in zip(self.motions, positions, self._headings, strict=True):
            motion.pose(xy, float(heading))

    def _observation(self) -> dict[str, np.ndarray]:
        joints = self.robot.joints
        proprio = np.concatenate(
            [self.sim.joint_positions(joints), self.sim.joint_velocities(joints)]
        )
        return {"proprio": proprio.astype(np.float32),
                "crowd": self.avatar_positions().ravel().astype(np.float32)}  # fmt: skip

    def _robot_xy(self) -> np.ndarray:
        return self.sim.body_position("robot")[:2]

    # ----- Gymnasium API ----------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        self._generator.manual_seed(int(self.np_random.integers(2**31)))
        self.sim.reset()
        start = [-HALF[0] + 0.5, float(self.np_random.uniform(-1.0, 1.0)), 0.0]
        self.sim.set_joint_positions(self.robot.joints, np.array(start))
        self.goal = np.array([HALF[0] - 0.5, float(self.np_random.uniform(-1.0, 1.0))])
        self.sim.set_body_pose("goal", np.array([*self.goal, 0.005]))
        self.lanes = self.np_random.uniform(-HALF[1] + 0.3, HALF[1] - 0.3, self.num_avatars)
        spread = torch.randn(self.num_avatars, generator=self._generator, dtype=torch.float64)
        self.particles = (self.center + 0.5 * spread).float()
        for motion in self.motions:
            motion.reset()
        self._headings[:], self._last_x = 0.0, None
        self._place_avatars()
        self._elapsed = 0
        self._distance = float(np.linalg.norm(self.goal - self._robot_xy()))
        return self._observation(), {"distance_to_goal": self._distance}

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        action = np.asarray(action, dtype=np.float64).reshape(self.action_space.shape)
        if not np.all(np.isfinite(action)):
            raise ValueError(f"action {action} has non-finite entries")
        with torch.no_grad():
            self.particles = self.population.simulate(
                self.particles, [0.0, self.population_dt], self._generator
            )[-1]
        self._place_avatars()
        self.sim.step(np.clip(action, self.action_space.low, self.action_space.high),
                      self.frame_skip)  # fmt: skip
        self._elapsed += 1
        robot = self._robot_xy()
        distance = float(np.linalg.norm(self.goal - robot))
        near = int((np.linalg.norm(self.avatar_positions() - robot, axis=1) < PERSONAL_SPACE).sum())
        success = distance < SUCCESS_RADIUS
        reward = self._distance - distance - 0.01 - 0.1 * near + 2.5 * success
        self._distance = distance
        info = {"distance_to_goal": distance, "avatars_near": near, "is_success": success}
        truncated = self._elapsed >= self.max_episode_steps
        return self._observation(), float(reward), bool(success), truncated, info

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return self.sim.render("overview", self.width, self.height, ["rgb"])["rgb"]

    def close(self) -> None:
        self.sim.close()
