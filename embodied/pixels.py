"""Pixel observations: an env's camera image as its only observation, and frame stacking.

A single frame shows where things are but not how fast they move, so learning from pixels
stacks the last few frames along the channel axis (TD-MPC2 and DrQ stack 3).
"""

from __future__ import annotations

from collections import deque
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np


class PixelObservation(gym.Wrapper):
    """Observations ``{"rgb": uint8[H, W, 3·frames]}`` (oldest frame first) plus, when the images
    come from the env's own ``rgb`` observation, its other keys unchanged.

    With ``size`` set, the frames are ``size``×``size`` images of the env's camera
    (``camera_image``, as the MuJoCo envs have) and they replace the whole observation; without
    it, they are the env's ``rgb`` observation. After a reset the first frame fills the stack.
    """

    def __init__(self, env: gym.Env, frames: int = 1, size: int | None = None) -> None:
        super().__init__(env)
        if frames < 1:
            raise ValueError(f"frames must be >= 1, got {frames}")
        spaces = dict(env.observation_space.spaces)
        if size is not None:
            if size < 8:
                raise ValueError(f"pixel size must be >= 8, got {size}")
            if not hasattr(env.unwrapped, "camera_image"):
                raise ValueError(
                    f"{type(env.unwrapped).__name__} has no camera_image to observe pixels "
                    "from; use an env with an rgb modality and no size"
                )
            spaces = {"rgb": gym.spaces.Box(0, 255, (size, size, 3), np.uint8)}
        elif "rgb" not in spaces:
            raise ValueError(
                f"frame stacking needs an rgb observation; the env observes {sorted(spaces)} "
                "(add rgb to its modalities, or set a pixel size)"
            )
        height, width, channels = spaces["rgb"].shape
        spaces["rgb"] = gym.spaces.Box(0, 255, (height, width, channels * frames), np.uint8)
        self.observation_space = gym.spaces.Dict(spaces)
        self.frames, self.size = frames, size
        self._stack: deque[np.ndarray] = deque(maxlen=frames)

    def _frame(self, obs: dict[str, Any]) -> dict[str, Any]:
        """``obs`` with ``rgb`` the newest single frame."""
        if self.size is not None:
            return {"rgb": self.env.unwrapped.camera_image(self.size, self.size)}
        return obs

    def _stacked(self, obs: dict[str, Any]) -> dict[str, Any]:
        return {**obs, "rgb": np.concatenate(self._stack, axis=-1)}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        obs = self._frame(obs)
        self._stack.clear()
        self._stack.extend([np.asarray(obs["rgb"], dtype=np.uint8)] * self.frames)
        return self._stacked(obs), info

    def step(self, action: Any) -> tuple[dict[str, Any], SupportsFloat, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self.env.step(action)
        obs = self._frame(obs)
        self._stack.append(np.asarray(obs["rgb"], dtype=np.uint8))
        return self._stacked(obs), reward, terminated, truncated, info


def with_pixels(env: gym.Env, frames: int = 1, size: int | None = None) -> gym.Env:
    """``env`` under a :class:`PixelObservation` of ``frames`` and ``size``, or ``env`` itself
    when those ask for nothing (one frame of the env's own observation)."""
    if size is None and frames == 1:
        return env
    return PixelObservation(env, frames, size)
