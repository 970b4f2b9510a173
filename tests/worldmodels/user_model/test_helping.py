"""Expected-utility help, the value of asking, reading answers, and the dialogue game (CFR)."""

from __future__ import annotations

import numpy as np
import pyspiel
import pytest

from worldmodels.user_model.dialogue import DialogueGame, Utterance, efg_text, solve
from worldmodels.user_model.helping import best_subtask, read_answer, value_of_question
from worldmodels.user_model.household import TASK_NAMES, TASKS, World

WORLD = World(("shelf", "kitchen_table", "kitchen_table", "bin", "shelf"), ("hub", "hub"))
FLAT = np.full(len(TASKS), 1 / len(TASKS))


def sharp(name: str) -> np.ndarray:
    return np.eye(len(TASKS))[TASK_NAMES.index(name)]


def test_the_best_subtask_serves_the_known_goal():
    choice = best_subtask(WORLD, sharp("serve_breakfast"))  # mug and apple to the coffee table
    assert choice.subtask in {("mug", "coffee_table"), ("apple", "coffee_table")}
    assert choice.utility > 0


def test_a_question_is_worth_more_than_it_costs_when_flat_and_nothing_when_sharp():
    assert value_of_question(WORLD, FLAT) > 3.0
    assert value_of_question(WORLD, sharp("tidy_toys")) == pytest.approx(0.0, abs=1e-9)
    # a user known to answer at random makes a question worthless
    noisy = value_of_question(WORLD, FLAT, error_rate=1 - 1 / len(TASKS))
    assert noisy == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("t", TASKS, ids=lambda t: t.name)
def test_answers_are_read_as_the_task_they_name(t):
    assert read_answer(f"I want to {t.description}.") == t.name
    assert read_answer("No idea.") is None


def test_the_dialogue_game_solves_and_prefers_the_valuable_polite_question():
    candidates = [
        Utterance("open", "polite", "Could you tell me which task you are working on?", 1.0),
        Utterance("open", "rude", "Which task, quick?", 0.0),
        Utterance("open", "statement", "I am here to help.", 1.0),  # asks nothing
        Utterance("confirm", "polite", "Are you going to set the table?", 1.0),
    ]
    values = {"open": 8.0, "confirm": 2.0}
    game = pyspiel.load_efg_game(efg_text(candidates, values, ask_cost=3.0))
    assert game.num_players() == 2
    policy = solve(game, iterations=100).action_probabilities(game.new_initial_state())
    assert sum(policy.values()) == pytest.approx(1.0)
    assert max(policy, key=policy.get) == 0


def test_without_a_language_model_the_templates_are_played():
    game = DialogueGame()
    chosen = game.choose({"open": 8.0, "confirm": 1.0}, 3.0, "set the table")
    assert chosen.text == "Which task are you working on?"
    assert game.last_choice == chosen and sum(game.last_policy) == pytest.approx(1.0)
    assert game.last_policy[game.last_candidates.index(chosen)] == max(game.last_policy)
    confirm = game.choose({"open": 0.5, "confirm": 6.0}, 3.0, "set the table")
    assert confirm.text == "Are you going to set the table?"
