"""The two-agent helping household as a PettingZoo Parallel env: the user's avatar and the robot.

Both agents give symbolic commands (``COMMANDS``: walk, open, pick, put, wait), taken when the
agent is idle, carried out over ticks in the MuJoCo household scene. Each observes a flat vector:
its own pose, the other's pose, the positions of the objects it sees (zeros for the rest), which
objects it sees, the lid, whether it is idle, and — the user only — its task (one-hot; the robot
gets zeros). Both share the reward: −0.01 per tick, +1 when the task is done.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from pettingzoo import ParallelEnv

from embodied.envs.help_household import HouseholdWorld, percept, random_episode
from worldmodels.user_model.household import AGENTS, COMMANDS, OBJECTS, TASK_NAMES, TASKS, UserTask

OBS_SIZE = 3 + 3 + 3 * len(OBJECTS) + len(OBJECTS) + 1 + 1 + len(TASKS)


class MultiAgentHouseholdEnv(ParallelEnv):
    """The user and the robot in one scene (PettingZoo Parallel API)."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "multi_agent_household_v0",
        "render_modes": ["rgb_array"],
        "render_fps": 10,
    }
    possible_agents: ClassVar[list[str]] = list(AGENTS)

    def __init__(
        self,
        goal: str | None = None,
        max_steps: int = 900,
        dt: float = 0.1,
        render_mode: str | None = None,
        backend: str = "mujoco",
    ) -> None:
        if goal is not None and goal not in TASK_NAMES:
            raise ValueError(f"goal={goal!r}; valid: None, {', '.join(TASK_NAMES)}")
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'rgb_array'")
        self.goal, self.max_steps, self.render_mode = goal, max_steps, render_mode
        self.world = HouseholdWorld(backend, dt)
        self.agents: list[str] = []
        self.task: UserTask = TASKS[0]
        self._elapsed = 0
        self._rng = np.random.default_rng()

    @functools.cache  # noqa: B019  (PettingZoo's recommended pattern)
    def observation_space(self, agent: str) -> gym.Space:
        return gym.spaces.Box(-np.inf, np.inf, (OBS_SIZE,), np.float32)

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> gym.Space:
        return gym.spaces.Discrete(len(COMMANDS))

    def _observe(self, agent: str) -> np.ndarray:
        p = percept(self.world)
        other = "robot" if agent == "user" else "user"
        task = np.zeros(len(TASKS), np.float32)
        if agent == "user":
            task[TASK_NAMES.index(self.task.name)] = 1.0
        return np.concatenate([
            p[agent], p[other], p["objects"].reshape(-1), p["visible"], p["lid_open"],
            [float(self.world.idle(agent))], task,
        ]).astype(np.float32)  # fmt: skip

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        world, self.task = random_episode(self._rng, self.goal)
        self.world.reset(world)
        self.agents = list(self.possible_agents)
        self._elapsed = 0
        return {a: self._observe(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        for agent, action in actions.items():
            if agent not in self.agents:
                raise ValueError(f"agent {agent!r} is not active; active: {self.agents}")
            index = int(np.asarray(action).reshape(()))
            if not 0 <= index < len(COMMANDS):
                raise ValueError(f"action {index} of {agent} out of range 0..{len(COMMANDS) - 1}")
            if self.world.idle(agent):
                self.world.start(agent, COMMANDS[index])
        self.world.tick()
        self._elapsed += 1
        done = self.world.state.satisfied(self.task)
        truncated = self._elapsed >= self.max_steps and not done
        agents = self.agents
        observations = {a: self._observe(a) for a in agents}
        rewards = {a: (1.0 if done else 0.0) - 0.01 for a in agents}
        terminations = {a: done for a in agents}
        truncations = {a: truncated for a in agents}
        infos = {a: {"task_done": done, "failed_actions": self.world.failed[a]} for a in agents}
        if done or truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return self.world.render(320, 240)

    def close(self) -> None:
        self.world.close()
