"""A controlled ODE as the world model of a sampling planner (``planning.MPPI``/``CEM``).

The planners ask for ``score_fn(actions[B, N, H, A]) -> returns[B, N]``; this adapter rolls the
hybrid dynamics forward from the current observation for every sequence at once and sums the
discounted rewards of a task's reward function (given by the caller, so that this package need
not know the environment), stopping a sequence's return at termination.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from worldmodels.ode.mechanics import CartPoleDynamics, ControlledODE

RewardFn = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]
"""``reward_fn(states[..., S], actions[..., A]) -> (reward[...], terminated[...])``."""


class ODEPlanningModel:
    """Scores action sequences with ``model`` and ``reward_fn`` (discount ``discount``)."""

    def __init__(self, model: ControlledODE, reward_fn: RewardFn, discount: float = 0.99) -> None:
        if not 0.0 < discount <= 1.0:
            raise ValueError(f"discount must be in (0, 1], got {discount}")
        self.model, self.reward_fn, self.discount = model, reward_fn, discount

    @torch.no_grad()
    def score(self, observation: np.ndarray | Tensor, actions: Tensor) -> Tensor:
        """Discounted returns ``[B, N]`` of ``actions[B, N, H, A]`` from ``observation``."""
        obs = torch.as_tensor(np.asarray(observation), dtype=torch.float32)
        start = CartPoleDynamics.state_from_obs(obs).expand(*actions.shape[:2], -1)
        states = self.model.rollout(start, actions.float().movedim(2, 0))  # [H, B, N, S]
        reward, terminated = self.reward_fn(states, actions.float().movedim(2, 0))
        alive = torch.cumprod(1.0 - terminated.float(), 0)
        weights = self.discount ** torch.arange(len(states), dtype=torch.float32)
        return (reward * alive * weights[:, None, None]).sum(0).to(actions.dtype)

    def score_fn(self, observation: np.ndarray | Tensor) -> Callable[[Tensor], Tensor]:
        """The planner's ``score_fn`` for one control step from ``observation``."""
        return lambda actions: self.score(observation, actions)
