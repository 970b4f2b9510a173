"""The Q ensemble's targets: TD (TD-MPC2's), the logged returns, or the larger of the two;
returns only where whole episodes are (offline), refused online."""

import numpy as np
import pytest
import torch

import embodied
from embodied.agents.world_model_mpc import WorldModelMPCAgent
from runkit import UsageError
from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.data import Batch, ReplayBuffer, ReturnToGo
from worldmodels.model import WorldModel
from worldmodels.trainer import WorldModelTrainer

B, H = 32, 3


def batch_with_returns(value: float, tail_discount: float = 0.0) -> Batch:
    """Random proprio windows with zero rewards whose logged return is ``value`` everywhere."""
    g = torch.Generator().manual_seed(0)
    return Batch(
        {"proprio": torch.randn(H + 1, B, 5, generator=g)},
        torch.rand(H, B, 1, generator=g) * 2 - 1,
        torch.zeros(H, B),
        torch.zeros(H, B, dtype=torch.bool),
        ReturnToGo(
            torch.full((H, B), value),
            torch.full((H, B), tail_discount),
            {"proprio": torch.randn(B, 5, generator=g)},
        ),
    )


def trainer(value_target: str, **options) -> WorldModelTrainer:
    torch.manual_seed(0)
    cfg = WorldModelConfig(latent_dim=16, hidden_dim=32, encoder_dim=16, decoder=False)
    model = WorldModel(cfg, {"proprio": (5,)}, 1)
    settings = TrainerConfig(batch_size=B, learning_rate=3e-3, value_target=value_target)
    return WorldModelTrainer(model, settings, torch.device("cpu"), seed=0)


def mean_q(t: WorldModelTrainer, batch: Batch) -> float:
    with torch.no_grad():
        z = t.model.encode({"proprio": batch.obs["proprio"][0]})
        return float(t.model.q_values(z, batch.action[0]).mean())


@pytest.mark.parametrize("value_target, moves", [("td", False), ("return", True), ("mixed", True)])
def test_q_learns_the_logged_returns(value_target, moves):
    batch = batch_with_returns(40.0)
    t = trainer(value_target)
    assert abs(mean_q(t, batch)) < 0.01  # TD-MPC2 starts Q at (nearly) 0
    for _ in range(30):
        terms = t.update(batch)
    assert torch.isfinite(terms["value"])
    q = mean_q(t, batch)
    # zero rewards keep the TD target at 0; the returns (and their max with it) pull Q up
    assert (q > 3.0) if moves else abs(q) < 0.5, q


def test_cut_tail_is_bootstrapped_with_the_target_q():
    t = trainer("return")
    batch = batch_with_returns(1.0, tail_discount=0.5)
    with torch.no_grad():
        for p in t.target_q[-1].parameters():  # make the target Q at the tail a known value
            p.zero_()
        t.target_q[-1].bias[..., -1] = 100.0  # all the mass on the top bin
        top = float(torch.expm1(t.model.bins[-1]))
        target = t.return_target(batch.returns)
    torch.testing.assert_close(target, torch.full((H, B), 1.0 + 0.5 * top))


def test_td_needs_no_returns_and_return_refuses_a_batch_without_them():
    batch = batch_with_returns(1.0)
    batch.returns = None
    trainer("td").update(batch)
    with pytest.raises(UsageError, match=r"trainer.value_target=return needs .*returns"):
        trainer("return").update(batch)


def test_unknown_value_target_is_named_with_the_valid_ones():
    with pytest.raises(UsageError, match=r"value_target='mc'.*valid: td, return, mixed"):
        trainer("mc")


def test_online_agent_refuses_returns_and_says_why():
    env = embodied.make("cartpole-balance")
    with pytest.raises(UsageError) as info:
        WorldModelMPCAgent(env, trainer={"value_target": "return"}, worldmodel={"latent_dim": 16})
    message = str(info.value)
    assert "trainer.value_target=return" in message and "online" in message
    assert "trainer.value_target=td" in message and "\n" not in message


def test_replay_batches_carry_no_returns():
    buffer = ReplayBuffer(["proprio"], horizon=2, seed=0)
    buffer.start_episode({"proprio": np.zeros(5, np.float32)})
    for _ in range(3):
        buffer.add(np.zeros(1, np.float32), 1.0, False, {"proprio": np.zeros(5, np.float32)})
    assert buffer.sample(4).returns is None
