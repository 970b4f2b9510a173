"""The model's planner interface, modality masking and ensemble uncertainty."""

import pytest
import torch

from planning import MPPI
from planning.mppi import MPPIConfig
from worldmodels.config import WorldModelConfig
from worldmodels.model import WorldModel

TINY = dict(latent_dim=32, hidden_dim=32, encoder_dim=32, cnn_channels=4)
SHAPES = {"proprio": (5,), "rgb": (32, 32, 3), "depth": (32, 32)}


def make_model(**overrides) -> WorldModel:
    return WorldModel(WorldModelConfig(**{**TINY, **overrides}), SHAPES, action_dim=2)


def observations(batch: int) -> dict[str, torch.Tensor]:
    return {
        "proprio": torch.randn(batch, 5),
        "rgb": torch.randint(0, 255, (batch, 32, 32, 3), dtype=torch.uint8),
        "depth": torch.rand(batch, 32, 32),
    }


def test_planner_drives_the_model():
    model = make_model().eval()
    z = model.encode({"proprio": torch.randn(2, 5)})
    assert z.shape == (2, 32)
    cfg = MPPIConfig(horizon=3, num_samples=32, num_elites=4, iterations=2, num_policy_samples=4)
    planner = MPPI(2, cfg, -1.0, 1.0, batch_size=2)
    with torch.no_grad():
        plan = planner.plan(
            lambda actions: model.score(z, actions),
            lambda: model.policy_rollout(z, cfg.num_policy_samples, cfg.horizon),
        )
    assert plan.shape == (2, 3, 2) and plan.abs().max() <= 1


def test_policy_rollout_samples_with_a_generator():
    model = make_model()
    z = model.encode({"proprio": torch.randn(1, 5)})
    mean = model.policy_rollout(z, 3, 4)
    torch.testing.assert_close(mean[:, 0], mean[:, 1])
    sampled = model.policy_rollout(z, 3, 4, generator=torch.Generator().manual_seed(0))
    assert sampled.shape == (1, 3, 4, 2) and not torch.equal(sampled[:, 0], sampled[:, 1])


@pytest.mark.parametrize("present", [["proprio"], ["rgb"], ["depth"], ["rgb", "depth"]])
def test_missing_modality_is_masked(present):
    model = make_model(modalities=["proprio", "rgb", "depth"])
    obs = observations(3)
    z = model.encode({k: obs[k] for k in present})
    assert z.shape == (3, 32) and torch.isfinite(z).all()
    mask = {k: torch.tensor([k in present] * 3) for k in obs}
    torch.testing.assert_close(model.encode(obs, mask), z)


def test_per_sample_mask_changes_only_masked_samples():
    model = make_model(modalities=["proprio", "rgb"])
    obs = observations(2)
    full = model.encode(obs)
    masked = model.encode(obs, {"rgb": torch.tensor([True, False])})
    torch.testing.assert_close(masked[0], full[0])
    torch.testing.assert_close(masked[1], model.encode({"proprio": obs["proprio"][1:]})[0])


def test_decoders_predict_every_modality():
    model = make_model(modalities=["proprio", "rgb", "depth"])
    pred = model.predict(observations(2), torch.zeros(4, 2, 2))
    assert pred["proprio"].shape == (4, 2, 5)
    assert pred["rgb"].shape == (4, 2, 32, 32, 3)
    assert pred["depth"].shape == (4, 2, 32, 32)


def test_unknown_modality_is_a_clear_error():
    with pytest.raises(ValueError, match="lidar"):
        make_model(modalities=["lidar"])


def test_ensemble_disagreement_is_the_uncertainty():
    single = make_model()
    z = single.encode({"proprio": torch.randn(4, 5)})
    a = torch.zeros(4, 2)
    assert torch.equal(single.uncertainty(z, a), torch.zeros(4))
    ensemble = make_model(num_dynamics=3)
    u = ensemble.uncertainty(z, a)
    assert u.shape == (4,) and (u > 0).all()
    torch.testing.assert_close(ensemble.next(z, a).view(4, -1, 8).sum(-1), torch.ones(4, 4))


def test_actions_in_units_of_the_bounds_survive_the_spec():
    model = WorldModel(WorldModelConfig(**TINY), {"proprio": (5,)}, 2, ([-3.0, 0.0], [3.0, 1.0]))
    a = torch.tensor([[3.0, 0.5], [-1.5, 0.0]])
    unit = model.action_to_unit(a)
    torch.testing.assert_close(unit, torch.tensor([[1.0, 0.0], [-0.5, -1.0]]))
    torch.testing.assert_close(model.action_from_unit(unit), a)
    torch.testing.assert_close(WorldModel.from_spec(model.spec()).action_to_unit(a), unit)
    assert "action_bounds" not in make_model().spec()  # the specs of older checkpoints hold


def test_chosen_q_members_match_the_whole_ensemble():
    model = make_model()
    z, a = model.encode({"proprio": torch.randn(3, 5)}), torch.rand(3, 2)
    members = torch.tensor([3, 1])
    for p in model.q_heads.parameters():  # the output layer starts at zero
        torch.nn.init.normal_(p)
    q = model.q_values(z, a)
    assert q.shape == (5, 3) and not torch.allclose(q[3], q[1])
    torch.testing.assert_close(model.q_values(z, a, members=members), q[members])


def test_planning_value_averages_the_chosen_q_members():
    model = make_model().eval()
    for p in model.q_heads.parameters():
        torch.nn.init.normal_(p)
    z, actions = model.encode({"proprio": torch.randn(4, 5)}), torch.rand(4, 3, 2) * 2 - 1
    pair = model.q_pair(torch.Generator().manual_seed(0))
    assert pair.shape == (2,) and pair.unique().numel() == 2
    with torch.no_grad():
        everyone, chosen = model.value(z, actions), model.value(z, actions, members=pair)
        # the same rewards and discounts, only the terminal Q differs: recompute it by hand
        last = z
        weight = torch.ones(4)
        for t in range(3):
            last = model.next(last, actions[:, t])
            weight = weight * 0.99 * (1 - torch.sigmoid(model.termination_logit(last)))
        q = model.q_values(last, model.policy(last)[0])
    torch.testing.assert_close(chosen - everyone, weight * (q[pair].mean(0) - q.mean(0)))


def test_planning_value_is_the_step_by_step_discounted_return():
    """The heads score all imagined steps in one batch; the value is still, step by step,
    ``sum_t w_t r_t + w_H Q`` with ``w`` the discounted chance of not having terminated."""
    model = make_model().eval()
    for head in (model.reward_head, model.termination_head, model.q_heads):
        for p in head.parameters():  # the output layers start at zero
            torch.nn.init.normal_(p, std=0.3)
    z, actions = model.encode({"proprio": torch.randn(4, 5)}), torch.rand(4, 3, 2) * 2 - 1
    with torch.no_grad():
        ret, weight, last = torch.zeros(4), torch.ones(4), z
        for t in range(3):
            ret = ret + weight * model.reward(last, actions[:, t])
            last = model.next(last, actions[:, t])
            weight = weight * 0.9 * (1 - torch.sigmoid(model.termination_logit(last)))
        expected = ret + weight * model.q_values(last, model.policy(last)[0]).mean(0)
        torch.testing.assert_close(model.value(z, actions, discount=0.9), expected)


def test_the_planners_policy_action_is_the_policys_action_bit_for_bit():
    """``policy_action`` (planning: no log-probability) equals ``policy``'s action, with and
    without noise, so that the scores and rollouts of the planner are unchanged."""
    model = make_model().eval()
    z = model.encode({"proprio": torch.randn(64, 5)})
    noise = torch.randn(64, 2)
    with torch.inference_mode():
        assert torch.equal(model.policy_action(z), model.policy(z)[0])
        assert torch.equal(model.policy_action(z, noise), model.policy(z, noise)[0])
