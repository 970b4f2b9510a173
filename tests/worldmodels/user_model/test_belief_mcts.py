"""Belief-space MCTS of the helper: the simulator follows the env's rules, the search runs on
planning.MCTS with its control variate and resample chains, and acts sensibly when sure."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from worldmodels.user_model.belief_mcts import (
    ASK,
    ASK_WHEN_BUSY,
    BeliefSpaceDomain,
    HelpingSimulator,
    PlannerSettings,
    SimulationSettings,
    Situation,
    UserActivity,
    candidate_actions,
    hear_answer,
    plan,
    remaining_seconds,
    rollout_action,
    update_knowledge,
    user_activity_from_pose,
)
from worldmodels.user_model.household import STAND, TASK_NAMES, TASKS, World, initial_belief
from worldmodels.user_model.inverse_planner import UserModel

GOAL = "stock_shelf"  # apple and can to the shelf
WORLD = World(("kitchen_table", "coffee_table", "kitchen_table", "coffee_table", "bin"),
              ("hub", "hub"))  # fmt: skip


def situation(probs: np.ndarray, questions: int = 1, activity: UserActivity | None = None):
    """Particles that put all weight on the tasks as ``probs`` says, beliefs = the truth."""
    tasks = np.arange(len(TASKS))
    beliefs = tuple(initial_belief(WORLD) for _ in tasks)
    return Situation(WORLD, tasks, beliefs, probs.astype(float), probs.astype(float),
                     activity, 0.0, questions)  # fmt: skip


def simulator(**settings: float) -> HelpingSimulator:
    model = UserModel(num_particles=len(TASKS))
    return HelpingSimulator(model._policy, SimulationSettings(**settings))


def sure() -> np.ndarray:
    return np.eye(len(TASKS))[TASK_NAMES.index(GOAL)]


def test_simulated_user_alone_finishes_and_help_is_faster():
    sim, sit = simulator(), situation(sure(), questions=0)
    particle = TASK_NAMES.index(GOAL)
    alone = [sim.simulate(sit, particle, [("wait",)] * 200, np.random.default_rng(s)).ticks
             for s in range(8)]  # fmt: skip
    helped = [sim.simulate(sit, particle, (), np.random.default_rng(s)) for s in range(8)]
    assert all(o.done for o in helped)
    assert np.mean([o.ticks for o in helped]) < np.mean(alone)


def test_a_question_pauses_the_user_and_sharpens_the_robots_knowledge():
    flat = np.full(len(TASKS), 1 / len(TASKS))
    sim, sit = simulator(horizon_seconds=2.0), situation(flat)
    particle = TASK_NAMES.index(GOAL)
    # with a 2 s horizon the task is never done: the asked user has not even started
    paused = sim.simulate(sit, particle, (ASK, ("wait",)), np.random.default_rng(0))
    assert not paused.done
    after = hear_answer(flat, particle, 0.05)
    assert after[particle] == pytest.approx(0.95) and after.sum() == pytest.approx(1.0)


def test_a_deferred_question_overlaps_the_users_walk_instead_of_stopping_it():
    flat = np.full(len(TASKS), 1 / len(TASKS))
    sim, sit = simulator(), situation(flat)
    particle = TASK_NAMES.index(GOAL)

    def mean_ticks(prefix):
        return np.mean([sim.simulate(sit, particle, prefix, np.random.default_rng(s)).ticks
                        for s in range(16)])  # fmt: skip

    now, deferred, never = mean_ticks((ASK,)), mean_ticks((ASK_WHEN_BUSY,)), mean_ticks(())
    # asked at once the idle user stops for the whole 3 s; deferred, the pause overlaps its
    # first walk, and the answer still comes early enough to beat never asking
    assert deferred < now and deferred < never


def test_knowledge_follows_the_users_picks_and_puts():
    flat = np.full(len(TASKS), 1 / len(TASKS))
    world = World(WORLD.where, ("coffee_table", "hub"))
    picked = update_knowledge(flat, world, ("pick", "can"))
    assert all(picked[i] > picked[j] for i, t in enumerate(TASKS) for j, u in enumerate(TASKS)
               if "can" in t.objects and "can" not in u.objects)  # fmt: skip
    holding = world.apply("user", ("pick", "can")).apply("user", ("walk", "shelf"))
    put = update_knowledge(flat, holding, ("put",))
    assert TASK_NAMES[int(np.argmax(put))] == GOAL and put.max() > 0.7


def test_remaining_seconds_is_zero_when_done_and_smaller_with_two_agents():
    goal = TASKS[TASK_NAMES.index(GOAL)]
    done = World(("kitchen_table", "shelf", "kitchen_table", "shelf", "bin"), ("hub", "hub"))
    assert remaining_seconds(done, goal) == 0.0
    far = World(WORLD.where, ("hub", "bin"))
    assert 0 < remaining_seconds(WORLD, goal) <= remaining_seconds(far, goal)


def test_rollout_robot_waits_when_unsure_and_fetches_what_the_user_will_not_take():
    flat = np.full(len(TASKS), 1 / len(TASKS))
    assert rollout_action(WORLD, flat, None, 0.6) == ("wait",)
    # apple and can both lie on the coffee table, where the user walks: one is left for it
    assert rollout_action(WORLD, sure(), ("walk", "coffee_table"), 0.6) == ("walk", "coffee_table")
    alone = World(("kitchen_table", "coffee_table", "kitchen_table", "bin", "bin"),
                  ("hub", "hub"))  # fmt: skip
    assert rollout_action(alone, sure(), ("walk", "coffee_table"), 0.6) == ("walk", "bin")


def test_candidates_start_with_the_rollout_action_then_asking():
    flat = np.full(len(TASKS), 1 / len(TASKS))
    candidates = candidate_actions(situation(flat), ())
    assert candidates[:4] == [("wait",), ASK, ASK_WHEN_BUSY, *candidates[3:4]]
    assert ASK not in candidate_actions(situation(flat, questions=0), ())
    assert ASK_WHEN_BUSY not in candidate_actions(situation(flat, questions=0), ())
    for asked in (ASK, ASK_WHEN_BUSY):  # one question left, asked
        assert not {ASK, ASK_WHEN_BUSY} & set(candidate_actions(situation(flat), (asked,)))
    pending = replace(situation(flat), ask_pending=True)  # asking now stays, deferring is done
    assert ASK in candidate_actions(pending, ()) and ASK_WHEN_BUSY not in candidate_actions(
        pending, ()
    )


def test_domain_children_resample_chains_and_control_variate():
    sit = situation(sure(), questions=0)
    domain = BeliefSpaceDomain(sit, simulator(), max_depth=1, seed=0)
    assert domain.max_children(None) == len(candidate_actions(sit, ()))
    decision = plan(sit, domain.simulator, PlannerSettings(simulations=40), seed=0)
    assert decision.simulations == 40 and sum(v for v, _ in decision.root.values()) == 40
    # sure of the task, the robot goes for the can (the user walks to the apple first or not:
    # the rollout policy's own simulation is the reference, so its first action scores 0)
    first = rollout_action(WORLD, sure(), None, 0.6)
    assert decision.action == first
    assert decision.root["go to coffee_table"][1] <= min(s for _, s in decision.root.values())


def test_plan_is_deterministic_under_its_seed():
    flat = np.full(len(TASKS), 1 / len(TASKS))
    sim = simulator()
    runs = [plan(situation(flat), sim, PlannerSettings(simulations=30), seed=7) for _ in range(2)]
    assert runs[0].action == runs[1].action and runs[0].root == runs[1].root


def test_user_activity_from_pose():
    (hx, hy), (sx, sy) = STAND["hub"], STAND["shelf"]
    assert user_activity_from_pose(WORLD, (hx, hy, 0.0)) is None
    mid = ((hx + sx) / 2, (hy + sy) / 2, float(np.arctan2(sy - hy, sx - hx)))
    activity = user_activity_from_pose(WORLD, mid)
    assert activity.action == ("walk", "shelf")
    assert activity.seconds == pytest.approx(np.hypot(sx - hx, sy - hy) / 2 / 0.8)


def test_situation_rejects_mismatched_particles():
    with pytest.raises(ValueError, match="equally long"):
        Situation(WORLD, np.arange(3), (), np.ones(3), np.ones(len(TASKS)))
