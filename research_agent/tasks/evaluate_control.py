"""Grader of the *design a controller* task: runs the solution's gains in the simulator.

The predictions file holds the gains K of the policy action = clip(K · observation, -1, 1);
the labels file holds the seeds of the evaluation episodes. The score is the mean return of
those episodes in the platform's cart-pole balance env (the solution never sees its seeds).
"""

import numpy as np


def evaluate(predictions, labels, metric):
    """``{"score": mean return}`` of the gains in ``predictions`` on the episodes of ``labels``."""
    from embodied import make
    from embodied.runner import run_episode

    gains = np.load(predictions, allow_pickle=False)
    seeds = np.load(labels, allow_pickle=False)
    if gains.shape != (5,) or gains.dtype.kind not in "biuf":
        raise ValueError(f"predictions must be 5 gains, got shape {gains.shape} {gains.dtype}")
    if not np.all(np.isfinite(gains)):
        raise ValueError("the gains contain NaN or infinity")
    env, policy = make("cartpole-balance"), LinearFeedback(gains)
    try:
        returns = [run_episode(env, policy, int(seed)).episode_return for seed in seeds]
    finally:
        env.close()
    return {"score": float(np.mean(returns)), "metric": metric, "episodes": len(returns)}


class LinearFeedback:
    """The policy force = clip(K · proprio, -1, 1)."""

    def __init__(self, gains):
        self.gains = gains

    def reset(self, seed=None):
        return None

    def act(self, observation):
        return np.clip(self.gains @ observation["proprio"], -1.0, 1.0).astype(np.float32)[None]
