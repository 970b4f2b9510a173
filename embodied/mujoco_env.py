"""Base class of the MuJoCo environments: one MJCF scene, Gymnasium's API, offscreen rendering."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
import mujoco
import numpy as np

import embodied._gl  # noqa: F401  (before any rendering)


class MujocoEnv(gym.Env[dict[str, np.ndarray], np.ndarray]):
    """A Gymnasium env over an MJCF model; subclasses define reset, observation and reward.

    ``camera``: a camera of the model (name or id; -1 is MuJoCo's default free camera), or
    the settings (e.g. ``{"distance": 2.04}``) of a free camera that, unless they say otherwise,
    looks at the geoms' median from the model's extent: Gymnasium's ``default_camera_config``.

    The task hooks ``proprio_from_physics`` and ``outcome_from_physics`` are vectorised over
    leading batch dimensions, so one task definition serves the real step, batched data
    collection and planning with the simulator (``mujoco.rollout``).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(
        self,
        xml_path: str | Path,
        frame_skip: int,
        max_episode_steps: int,
        render_mode: str | None = None,
        width: int = 320,
        height: int = 240,
        camera: str | int | Mapping[str, float] = "fixed",
    ) -> None:
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'rgb_array'")
        if frame_skip < 1 or max_episode_steps < 1:
            raise ValueError(
                f"frame_skip and max_episode_steps must be >= 1, "
                f"got {frame_skip} and {max_episode_steps}"
            )
        self.model = mujoco.MjModel.from_xml_path(str(xml_path))
        self.data = mujoco.MjData(self.model)
        self.frame_skip = frame_skip
        self.max_episode_steps = max_episode_steps
        self.render_mode = render_mode
        self.width, self.height, self.camera = width, height, camera
        self._renderers: dict[tuple[int, int], mujoco.Renderer] = {}
        self._view: str | int | mujoco.MjvCamera = camera
        if isinstance(camera, Mapping):  # Gymnasium's free camera: on the geoms' median
            self._view = mujoco.MjvCamera()
            mujoco.mj_forward(self.model, self.data)
            self._view.lookat[:] = np.median(self.data.geom_xpos, axis=0)
            self._view.distance = self.model.stat.extent
            for key, value in camera.items():
                if not hasattr(self._view, key):
                    raise ValueError(f"camera setting {key!r} is not one of MjvCamera's fields")
                setattr(self._view, key, value)
        self._elapsed = 0
        low, high = self.model.actuator_ctrlrange.T.astype(np.float32)
        self.action_space = gym.spaces.Box(low=low, high=high, dtype=np.float32)
        self.metadata = {**self.metadata, "render_fps": round(1.0 / self.control_dt)}

    # ----- task hooks (vectorised over leading batch dimensions) -------------------------------
    def _reset_physics(self, rng: np.random.Generator) -> None:
        """Set ``self.data``'s qpos/qvel for a new episode."""
        raise NotImplementedError

    def proprio_from_physics(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """Proprioceptive observation (float32) of states ``(..., nq)``/``(..., nv)``."""
        raise NotImplementedError

    def outcome_from_physics(
        self, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(reward, terminated) of states ``(..., nq)``/``(..., nv)`` under ctrl ``(..., nu)``.

        Returns arrays of the batch shape (0-d for a single state).
        """
        raise NotImplementedError

    def _observation(self) -> dict[str, np.ndarray]:
        return {"proprio": self.proprio_from_physics(self.data.qpos, self.data.qvel)}

    # ----- Gymnasium API ----------------------------------------------------------------------
    @property
    def control_dt(self) -> float:
        return float(self.model.opt.timestep) * self.frame_skip

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        mujoco.mj_resetData(self.model, self.data)
        self._reset_physics(self.np_random)
        mujoco.mj_forward(self.model, self.data)
        self._elapsed = 0
        return self._observation(), {}

    def step(
        self, action: np.ndarray
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        # Kept lean on purpose (env steps/s is benchmarked): MuJoCo clamps ctrl to the actuators'
        # ctrlrange itself, and ctrl is checked for NaN/inf once, after it is set.
        data = self.data
        try:
            data.ctrl[:] = action
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"action {action!r} does not fit the action space {self.action_space}"
            ) from exc
        if not np.isfinite(data.ctrl).all():
            raise ValueError(f"action {action!r} has non-finite entries")
        mujoco.mj_step(self.model, data, nstep=self.frame_skip)
        self._elapsed += 1
        reward, terminated = self.outcome_from_physics(data.qpos, data.qvel, data.ctrl)
        truncated = self._elapsed >= self.max_episode_steps
        return self._observation(), float(reward), bool(terminated), truncated, {}

    def render(self) -> np.ndarray | None:
        if self.render_mode != "rgb_array":
            return None
        return self.camera_image(self.width, self.height)

    def camera_image(self, width: int, height: int) -> np.ndarray:
        """The current state seen from the env's camera, ``[height, width, 3]`` uint8."""
        renderer = self._renderers.get((width, height))
        if renderer is None:
            renderer = mujoco.Renderer(self.model, height=height, width=width)
            self._renderers[width, height] = renderer
        renderer.update_scene(self.data, camera=self._view)
        return renderer.render()

    def close(self) -> None:
        for renderer in self._renderers.values():
            renderer.close()
        self._renderers.clear()

    # ----- simulator state, for planning with the simulator itself ----------------------------
    STATE_SPEC = mujoco.mjtState.mjSTATE_FULLPHYSICS

    def physics_state(self) -> np.ndarray:
        """The full physics state of the current step (time, qpos, qvel, act, ...)."""
        state = np.empty(mujoco.mj_stateSize(self.model, self.STATE_SPEC))
        mujoco.mj_getState(self.model, self.data, state, self.STATE_SPEC)
        return state

    def split_state(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(qpos, qvel) views of full-physics states of shape ``(..., nstate)``."""
        nq, nv = self.model.nq, self.model.nv
        return states[..., 1 : 1 + nq], states[..., 1 + nq : 1 + nq + nv]
