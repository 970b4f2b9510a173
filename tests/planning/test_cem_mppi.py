"""CEM and MPPI: convergence, closed-loop control, determinism, resume, prior, budget, config."""

from __future__ import annotations

import time

import pytest
import torch

from planning.budget import Budget
from planning.cem import CEM, CEMConfig
from planning.checkpoint import load_state, save_state
from planning.mppi import MPPI, MPPIConfig
from planning.sampling_planner import SamplingConfig, SamplingPlanner

H, A = 3, 2
SMALL = dict(horizon=H, num_samples=256, num_elites=32, iterations=8, num_policy_samples=0)
PLANNERS = [(CEM, CEMConfig), (MPPI, MPPIConfig)]


def make(planner_cls, config_cls, action_dim=A, **overrides) -> SamplingPlanner:
    return planner_cls(action_dim, config_cls(**(SMALL | overrides)))


def quadratic(target: torch.Tensor):
    """Score ``-|actions - target|^2`` summed over horizon and action; target is ``[B, H, A]``."""
    return lambda actions: -(actions - target.unsqueeze(1)).square().sum((-1, -2))


TARGET = torch.tensor([[[0.3, -0.5], [0.1, 0.7], [-0.6, 0.2]]])


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_solves_quadratic(planner_cls, config_cls):
    plan = make(planner_cls, config_cls).plan(quadratic(TARGET))
    assert plan.shape == (1, H, A)
    assert torch.allclose(plan, TARGET, atol=0.05)


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_clamps_to_action_bounds(planner_cls, config_cls):
    low, high = torch.tensor([-1.0, 0.0]), torch.tensor([1.0, 0.5])
    planner = planner_cls(A, config_cls(**SMALL), action_low=low, action_high=high)
    plan = planner.plan(quadratic(torch.full((1, H, A), 2.0)))
    assert torch.allclose(plan, high.expand(1, H, A), atol=0.05)
    assert bool((plan <= high).all())


def double_integrator_score(state: torch.Tensor, dt: float = 0.1):
    """Cost of driving ``state = [pos, vel]`` (batch ``[B, 2]``) to the origin with acceleration."""

    def score(actions: torch.Tensor) -> torch.Tensor:
        pos = state[:, None, 0].expand(-1, actions.shape[1])
        vel = state[:, None, 1].expand(-1, actions.shape[1])
        cost = torch.zeros_like(pos)
        for t in range(actions.shape[2]):
            acc = actions[:, :, t, 0]
            vel = vel + dt * acc
            pos = pos + dt * vel
            cost = cost + pos.square() + 0.1 * vel.square() + 0.001 * acc.square()
        return -cost

    return score


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_double_integrator_closed_loop(planner_cls, config_cls):
    planner = make(planner_cls, config_cls, action_dim=1, horizon=15, iterations=4)
    state = torch.tensor([[1.0, 0.0]])
    for _ in range(80):
        action = planner.plan(double_integrator_score(state))[:, 0, 0]
        vel = state[:, 1] + 0.1 * action
        state = torch.stack([state[:, 0] + 0.1 * vel, vel], dim=1)
    assert state.abs().max() < 0.1


def test_warm_start_shifts_previous_mean():
    planner = make(MPPI, MPPIConfig, iterations=1, min_std=1e-3, max_std=1e-3)
    first = planner.plan(quadratic(TARGET))
    constant = planner.plan(lambda actions: torch.zeros(actions.shape[:2]))
    # equal scores give equal weights: the mean stays near the warm start
    assert torch.allclose(constant[:, :-1], first[:, 1:], atol=1e-2)
    assert torch.allclose(constant[:, -1], torch.zeros(A), atol=1e-2)
    planner.reset()
    assert torch.allclose(
        planner.plan(lambda a: torch.zeros(a.shape[:2])), torch.zeros(1, H, A), atol=1e-2
    )


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_deterministic_under_seed(planner_cls, config_cls):
    def plans(seed):
        planner = make(planner_cls, config_cls, seed=seed, iterations=2)
        return [planner.plan(quadratic(TARGET)) for _ in range(3)]

    a, b, c = plans(0), plans(0), plans(1)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_state_dict_resume_matches_uninterrupted(planner_cls, config_cls, tmp_path):
    score = quadratic(TARGET)
    uninterrupted = make(planner_cls, config_cls, iterations=2)
    expected = [uninterrupted.plan(score) for _ in range(3)]

    first = make(planner_cls, config_cls, iterations=2)
    first.plan(score)
    save_state(tmp_path / "planner.pt", first.state_dict())
    resumed = make(planner_cls, config_cls, iterations=2)
    resumed.load_state_dict(load_state(tmp_path / "planner.pt"))
    assert all(torch.equal(resumed.plan(score), want) for want in expected[1:])


def test_load_state_dict_rejects_wrong_shape():
    planner = make(MPPI, MPPIConfig)
    planner.plan(quadratic(TARGET))
    state = planner.state_dict()
    with pytest.raises(ValueError, match="mean"):
        make(MPPI, MPPIConfig, horizon=4).load_state_dict(state)


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_policy_prior_samples_are_used(planner_cls, config_cls):
    def prior():
        return TARGET.unsqueeze(1).expand(1, 8, H, A)

    cfg = dict(iterations=1, num_elites=8, num_policy_samples=8)
    with_prior = make(planner_cls, config_cls, **cfg).plan(quadratic(TARGET), policy_prior=prior)
    without = make(planner_cls, config_cls, **cfg).plan(quadratic(TARGET))
    assert torch.allclose(with_prior, TARGET, atol=1e-5)
    assert not torch.allclose(without, TARGET, atol=0.05)


def test_policy_prior_shape_is_checked():
    planner = make(MPPI, MPPIConfig, num_policy_samples=4)
    with pytest.raises(ValueError, match="policy_prior"):
        planner.plan(quadratic(TARGET), policy_prior=lambda: torch.zeros(1, 3, H, A))


def test_score_shape_is_checked():
    with pytest.raises(ValueError, match="score_fn"):
        make(CEM, CEMConfig).plan(lambda actions: actions.sum((-1, -2, -3)))


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_batch_plans_independent_problems(planner_cls, config_cls):
    targets = torch.tensor([0.5, -0.5, 0.0]).view(3, 1, 1) + 0.1 * TARGET
    planner = planner_cls(A, config_cls(**SMALL), batch_size=3)
    plans = planner.plan(quadratic(targets))
    assert plans.shape == (3, H, A)
    assert torch.allclose(plans, targets, atol=0.05)


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_bfloat16_autocast_solves_quadratic(planner_cls, config_cls):
    weight = torch.eye(H * A) + 0.1
    seen = []

    def score(actions):
        projected = (actions - TARGET.unsqueeze(1)).flatten(-2) @ weight  # bf16 under autocast
        seen.append(projected.dtype)
        return -projected.float().square().sum(-1)

    planner = make(planner_cls, config_cls, autocast_dtype=torch.bfloat16)
    plan = planner.plan(score)
    assert seen[0] == torch.bfloat16
    assert plan.dtype == torch.float32
    assert torch.allclose(plan, TARGET, atol=0.1)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("horizon", 0),
        ("num_samples", 0),
        ("num_elites", 0),
        ("num_elites", 1000),
        ("iterations", 0),
        ("min_std", 0.0),
        ("max_std", 0.01),
        ("num_policy_samples", -1),
        ("num_policy_samples", 256),
        ("autocast_dtype", torch.float64),
    ],
)
@pytest.mark.parametrize("config_cls", [CEMConfig, MPPIConfig])
def test_invalid_config_names_the_field(config_cls, field, value):
    with pytest.raises(ValueError, match=rf"{config_cls.__name__}\.{field}"):
        config_cls(**(SMALL | {field: value}))


def test_invalid_temperature_and_planner_arguments():
    with pytest.raises(ValueError, match=r"MPPIConfig\.temperature"):
        MPPIConfig(temperature=0.0)
    with pytest.raises(ValueError, match="action_dim"):
        MPPI(0, MPPIConfig())
    with pytest.raises(ValueError, match="batch_size"):
        MPPI(A, MPPIConfig(), batch_size=0)
    with pytest.raises(ValueError, match="action_low"):
        MPPI(A, MPPIConfig(), action_low=torch.zeros(3))
    with pytest.raises(ValueError, match="action_low"):
        MPPI(A, MPPIConfig(), action_low=1.0, action_high=1.0)


def counting(score):
    calls = []

    def counted(actions):
        calls.append(1)
        return score(actions)

    return counted, calls


@pytest.mark.parametrize(("planner_cls", "config_cls"), PLANNERS)
def test_budget_max_steps_limits_iterations(planner_cls, config_cls):
    planner = make(planner_cls, config_cls)
    score, calls = counting(quadratic(TARGET))
    budget = Budget(max_steps=3)
    planner.plan(score, budget=budget)
    assert len(calls) == 3 and budget.steps == 3
    planner.plan(score, budget=budget)  # spent: no iteration, the warm start comes back
    assert len(calls) == 3


def test_budget_max_seconds_stops_between_iterations():
    planner = make(CEM, CEMConfig, iterations=50)

    def slow(actions):
        time.sleep(0.02)
        return quadratic(TARGET)(actions)

    score, calls = counting(slow)
    budget = Budget(max_seconds=0.1)
    planner.plan(score, budget=budget)
    assert 1 <= len(calls) < 50 and budget.steps == len(calls)


def test_subconfig_defaults():
    assert MPPIConfig() == MPPIConfig(
        horizon=3, num_samples=512, num_elites=64, iterations=6, temperature=0.5
    )
    assert isinstance(CEMConfig(), SamplingConfig) and CEMConfig().num_policy_samples == 0


def _compiled_matches_eager(device: str) -> None:
    weight = torch.eye(H * A, device=device) + 0.1
    target = TARGET.to(device)

    def score(actions):
        return -((actions - target.unsqueeze(1)).flatten(-2) @ weight).square().sum(-1)

    def prior():
        return torch.zeros(1, 4, H, A, device=device)

    cfg = SMALL | {"num_policy_samples": 4, "iterations": 3}
    eager = MPPI(A, MPPIConfig(**cfg), device=device)
    compiled = MPPI(A, MPPIConfig(**cfg, compile=True), device=device)
    for _ in range(3):
        want = eager.plan(score, policy_prior=prior)
        got = compiled.plan(score, policy_prior=prior)
        assert torch.allclose(got, want, atol=1e-4)


@pytest.mark.slow
def test_compiled_plan_matches_eager_cpu():
    _compiled_matches_eager("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_compiled_plan_matches_eager_cuda():
    _compiled_matches_eager("cuda")
