"""The learned population model of the crowd-modelling ring: exact flow, fitting, NashConv."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from worldmodels.meanfield.crowd_modelling import evaluate_crowd_policy, mean_ring_wasserstein
from worldmodels.meanfield.ring_population import (
    RingPopulationModel,
    fit_ring_population,
    sample_counts,
)


def _planted() -> np.ndarray:
    """The population of agents with a habit the myopic model misses (random f_θ logits)."""
    torch.manual_seed(3)
    planted = RingPopulationModel()
    torch.nn.init.normal_(planted.logits_net.net[-1].weight, std=1.5)
    with torch.no_grad():
        return planted.rollout()[0].numpy()[: planted.horizon]


def test_model_flow_is_open_spiels_distribution_of_its_policy():
    distributions, policies = RingPopulationModel(neural=False).rollout()
    solution = evaluate_crowd_policy(policies.numpy())
    np.testing.assert_allclose(solution.distribution[:10], distributions.numpy()[:10], atol=1e-12)
    # the myopic crowd is less exploitable than the uniform policy (2.81), more than FP's 0.99
    assert 1.0 < solution.nash_conv < 2.8
    with pytest.raises(ValueError, match="policies must be"):
        evaluate_crowd_policy(policies.numpy()[:5])


def test_fitted_model_approaches_the_observed_population():
    target = _planted()
    counts = sample_counts(target, agents=100, seed=0)
    torch.manual_seed(0)
    model = RingPopulationModel()
    with torch.no_grad():
        untrained = mean_ring_wasserstein(model.rollout()[0].numpy(), target)
    uniform = mean_ring_wasserstein(np.full_like(target, 0.1), target)
    history = fit_ring_population(model, counts, iterations=100, learning_rate=0.05)
    assert history[-1] < history[0]
    with torch.no_grad():
        learned = mean_ring_wasserstein(model.rollout()[0].numpy(), target)
    assert learned < 0.6 * min(untrained, uniform)


def test_fit_needs_learned_logits_and_valid_counts():
    with pytest.raises(ValueError, match="no learned logits"):
        fit_ring_population(RingPopulationModel(neural=False), np.ones((5, 10)))
    with pytest.raises(ValueError, match="need counts"):
        fit_ring_population(RingPopulationModel(), np.ones((12, 10)))
