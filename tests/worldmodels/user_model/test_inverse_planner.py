"""Bayesian inverse planning: the goal posterior, changes of mind, false beliefs, predictions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from embodied.envs.help_household import random_episode
from embodied.envs.user_goals import SimulatedUser
from worldmodels.user_model.household import TASK_NAMES, TASKS, UNKNOWN, World, task
from worldmodels.user_model.inverse_planner import UserModel
from worldmodels.user_model.memory import EpisodicMemory


def watch(user: SimulatedUser, world: World, model: UserModel, rng, max_actions: int = 30,
          switch_after: int | None = None, switch_to: str = "") -> World:  # fmt: skip
    """Let ``user`` act alone; feed each of its actions (not waits) to ``model``."""
    seen = 0
    for _ in range(max_actions):
        if world.satisfied(user.task):
            break
        if switch_after is not None and seen == switch_after:
            user.change_task(switch_to)
        action = user.decide(world, rng)
        after = world.apply("user", action)
        user.look(after)
        if action != ("wait",):
            model.observe_action(world, action, after)
            seen += 1
        world = after
    return world


@pytest.mark.parametrize("goal", [t.name for t in TASKS])
def test_posterior_concentrates_on_the_true_goal_of_a_rational_user(goal):
    rng = np.random.default_rng(3)
    world, true_task = random_episode(rng, goal)
    user = SimulatedUser(rationality=2.0, noise=0.05)
    user.reset(true_task, world)
    model = UserModel(num_particles=256, seed=1)
    model.reset(world)
    assert model.entropy() == pytest.approx(3.0, abs=0.05)  # uniform over 8 tasks
    watch(user, world, model, rng)
    posterior = model.goal_posterior()
    assert model.most_likely_goal() == goal, posterior
    assert posterior[goal] > 0.9 and model.entropy() < 1.0


def test_a_user_who_changes_their_mind_is_tracked():
    rng = np.random.default_rng(0)
    world, first = random_episode(rng, "tidy_toys")
    user = SimulatedUser(rationality=3.0, noise=0.02)
    user.reset(first, world)
    model = UserModel(num_particles=512, change_prob=0.05, seed=0)
    model.reset(world)
    world = watch(user, world, model, rng, max_actions=4)
    assert model.most_likely_goal() == "tidy_toys"
    watch(user, world, model, rng, max_actions=30, switch_after=0, switch_to="serve_breakfast")
    assert model.most_likely_goal() == "serve_breakfast", model.goal_posterior()
    assert model.goal_posterior()["serve_breakfast"] > 0.8


def test_false_belief_is_inferred_when_the_user_missed_a_move():
    # The user saw the mug on the kitchen table; then it was moved to the shelf while it was away.
    seen = World(("kitchen_table", "coffee_table", "coffee_table", "bin", "bin"), ("hub", "hub"))
    world = World(("shelf", "coffee_table", "coffee_table", "bin", "bin"), ("hub", "hub"))
    memory = EpisodicMemory()
    for obj, place in zip(("mug", "apple", "book", "can", "block"), seen.where, strict=True):
        memory.see(obj, place, 0.0, "user")
    memory.see("mug", "shelf", 5.0, "robot")
    user = SimulatedUser(rationality=2.0, noise=0.05)
    user.reset(task("recycle"), seen)  # the can is in the bin already; the mug must go there
    rng = np.random.default_rng(0)
    action = user.decide(world, rng)
    assert action == ("walk", "kitchen_table")  # it goes where it thinks the mug is
    model = UserModel(num_particles=512, belief_slip=0.5, seed=0)
    model.reset(world, memory)
    assert model.belief_estimate()["mug"]["kitchen_table"] == pytest.approx(0.5, abs=0.1)
    model.observe_action(world, action)
    assert model.acting_belief["mug"]["kitchen_table"] > 0.75  # from 0.5: the false belief
    assert model.belief_estimate()["mug"][UNKNOWN] > 0.75  # and on arrival it finds it gone
    top_two = sorted(model.goal_posterior().items(), key=lambda kv: -kv[1])[:2]
    assert {"recycle", "serve_breakfast"} == {name for name, _ in top_two}  # the mug's tasks


def test_predictions_and_belief_estimates_are_distributions():
    rng = np.random.default_rng(5)
    world, _ = random_episode(rng)
    model = UserModel(num_particles=64, seed=0)
    model.reset(world)
    predictions = model.predict(world, k=20)
    assert sum(p.probability for p in predictions) == pytest.approx(1.0)
    assert all(a.probability >= b.probability for a, b in itertools.pairwise(predictions))
    for marginal in model.belief_estimate().values():
        assert sum(marginal.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not something the user can do"):
        model.observe_action(world, ("put",))
    with pytest.raises(ValueError, match="unknown task"):
        model.observe_answer("make_tea", 0.1)


def test_what_the_wearable_shows_becomes_the_users_belief():
    world = World(
        ("bin", "shelf", "shelf", "coffee_table", "bin"), ("bin", "hub"), frozenset({"bin"})
    )
    model = UserModel(num_particles=64, belief_slip=0.0, seed=0)
    model.reset(World(world.where, ("hub", "hub")))  # before: the bin was closed
    assert model.belief_estimate()["mug"] == {UNKNOWN: pytest.approx(1.0)}
    model.observe_user_view(["mug"], world)
    assert model.belief_estimate()["mug"] == {"bin": pytest.approx(1.0)}
    assert model.belief_estimate()["block"] == {UNKNOWN: pytest.approx(1.0)}


def test_an_answer_that_leaves_several_tasks_moves_the_posterior_onto_them():
    """A busy user's "it all goes on the shelf" or a "no" leaves a set of tasks."""
    world = World(("kitchen_table", "coffee_table", "kitchen_table", "bin", "shelf"),
                  ("hub", "hub"))  # fmt: skip
    model = UserModel(num_particles=256, seed=0)
    model.reset(world, EpisodicMemory())
    model.observe_tasks({"stock_shelf", "tidy_toys"}, 0.05)
    probs = dict(zip(TASK_NAMES, model.goal_probabilities(), strict=True))
    assert probs["stock_shelf"] + probs["tidy_toys"] > 0.9
    assert abs(probs["stock_shelf"] - probs["tidy_toys"]) < 0.15
    with pytest.raises(ValueError, match="valid: serve_breakfast"):
        model.observe_tasks({"make_tea"}, 0.05)
