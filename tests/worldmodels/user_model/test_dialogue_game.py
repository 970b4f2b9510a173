"""The multi-turn dialogue game: private goal and mood, solved with trembling CFR+, played by
the helper one question at a time; proposals cached on disk."""

from __future__ import annotations

import json

import numpy as np
import pytest

from worldmodels.user_model.dialogue import solve
from worldmodels.user_model.dialogue_game import (
    STOP,
    Move,
    MultiTurnDialogue,
    ProposalCache,
    TurnProposer,
    scene_of,
)
from worldmodels.user_model.helping import Reply, place_answer, read_reply
from worldmodels.user_model.household import TASK_NAMES, TASKS, World

WORLD = World(("shelf", "kitchen_table", "kitchen_table", "bin", "shelf"), ("hub", "hub"))
FLAT = np.full(len(TASKS), 1 / len(TASKS))


@pytest.fixture(scope="module")
def flat_solved():
    return MultiTurnDialogue(turns=2, iterations=60).solve(WORLD, FLAT, 3.0)


def test_the_goal_and_mood_are_private_to_the_user(flat_solved):
    game = flat_solved.game
    root = game.new_initial_state()
    assistant_sets, user_sets = set(), set()
    for outcome in root.legal_actions():  # every (goal, mood) draw
        state = root.child(outcome)
        assistant_sets.add(state.information_state_string())
        user_sets.add(state.child(state.legal_actions()[0]).information_state_string())
    assert len(root.legal_actions()) == 2 * len(flat_solved.scene.goals)
    assert len(assistant_sets) == 1  # the assistant cannot tell the draws apart
    assert len(user_sets) == len(root.legal_actions())  # the user knows its goal and mood


def test_unsure_it_asks_one_open_question_and_stops_once_told(flat_solved):
    probs = flat_solved.assistant_probs("")
    first = flat_solved.turns[0][max(probs, key=probs.get)]
    assert first.kind == "open"
    told = f"/0:{max(probs, key=probs.get)}=g0"
    after = flat_solved.assistant_probs(told)
    assert flat_solved.turns[1][max(after, key=after.get)].kind == STOP
    assert flat_solved.nash_conv < 0.5  # seconds; near an equilibrium


def test_plain_cfr_settles_on_the_babbling_equilibrium_the_tremble_avoids(flat_solved):
    """The defect the trembling solver fixes: plain CFR never reaches the user's answers."""
    game = flat_solved.game
    plain = solve(game, 60)
    state = game.new_initial_state()
    state = state.child(state.legal_actions()[0])
    plain_first = max(plain.action_probabilities(state).items(), key=lambda kv: kv[1])[0]
    assert state.action_to_string(plain_first) == "0:2"  # stop: asks nothing
    assert flat_solved.turns[0][2].kind == STOP


def test_sure_of_the_goal_it_asks_nothing():
    sharp = np.eye(len(TASKS))[0]
    asked = MultiTurnDialogue(turns=2, iterations=40).play(
        WORLD, sharp, 3.0, lambda text, confirms: pytest.fail(f"asked {text!r}")
    )
    assert asked == []


def test_play_says_the_solved_question_and_reads_the_answer():
    heard = []

    def say(text: str, confirms: str | None) -> Reply:
        heard.append((text, confirms))
        return read_reply(f"I want to {TASKS[1].description}.", confirms)

    asked = MultiTurnDialogue(turns=2, iterations=60).play(WORLD, FLAT, 3.0, say)
    assert [(q, r.task) for q, r in asked] == [("Which task are you working on?", TASK_NAMES[1])]
    assert heard == [("Which task are you working on?", None)]


def test_a_busy_users_place_answer_leaves_two_goals_a_confirmation_separates(flat_solved):
    """An open question answered with the target place only (a busy user) leaves the two
    goals that share it. A confirmation of the likeliest goal still possible separates them
    (before, a second confirmation asked about the first top goal, which the place had often
    ruled out); the game asks it when the busy user minds only the time, and stops when its
    annoyance (4 s a question, times the index) outweighs the seconds the answer saves."""
    calm = MultiTurnDialogue(turns=2, iterations=60, annoyance={"patient": 0.5, "busy": 0.0})
    for solved, follows_up in ((calm.solve(WORLD, FLAT, 3.0), True), (flat_solved, False)):
        probs = solved.assistant_probs("")
        first = max(probs, key=probs.get)
        assert solved.turns[0][first].kind == "open"
        after = solved.assistant_probs(f"/0:{first}=tbin")
        follow = solved.turns[1][max(after, key=after.get)]
        assert (follow.kind == "confirm") == follows_up

    asked = []

    def busy_user(text: str, confirms: str | None) -> Reply:  # wants to clear_clutter
        asked.append((text, confirms))
        if confirms is None:
            return read_reply(place_answer("bin"))
        return read_reply("Yes." if confirms == "clear_clutter" else "No.", confirms)

    said = calm.play(WORLD, FLAT, 3.0, busy_user)
    assert [r.kind for _, r in said] == ["place", "yes" if asked[1][1] == "clear_clutter" else "no"]
    assert asked[1][1] in {"recycle", "clear_clutter"}  # the likeliest goal still possible
    assert TASKS[TASK_NAMES.index(asked[1][1])].description in asked[1][0]


def test_reading_replies_tasks_yes_no_and_places():
    t = TASKS[2]  # tidy_toys: book and block to the shelf
    assert read_reply(f"I want to {t.description}.").task == t.name
    assert read_reply("Yes.", confirms=t.name) == Reply("yes", frozenset({t.name}))
    assert read_reply("No.", confirms=t.name).tasks == frozenset(TASK_NAMES) - {t.name}
    shelf = read_reply(place_answer("shelf"))
    assert shelf.kind == "place" and shelf.tasks == {"stock_shelf", "tidy_toys"}
    assert read_reply(place_answer("bin")).tasks == {"recycle", "clear_clutter"}
    assert read_reply("Not now.").kind == "none"
    assert read_reply("Yes.").kind == "none"  # a bare yes to an open question tells nothing
    with pytest.raises(ValueError, match="confirms='tea'"):
        read_reply("Yes.", confirms="tea")


def test_a_question_that_costs_more_than_it_can_save_is_not_asked():
    solved = MultiTurnDialogue(turns=1, iterations=40).solve(WORLD, FLAT, 30.0)
    probs = solved.assistant_probs("")
    assert solved.turns[0][max(probs, key=probs.get)].kind == STOP


def test_proposals_are_cached_to_disk_and_replayed_without_the_model(tmp_path):
    path = tmp_path / "proposals.json"

    class Scripted:  # a language model stand-in that counts its calls
        model_name = "scripted"
        calls = 0

        def chat(self, messages, max_tokens):
            Scripted.calls += 1
            text = messages[0]["content"]
            reply = "5 4 3 2" if "Rate" in text else "Could you tell me your task, please?"
            return type("C", (), {"text": reply})()

    first = TurnProposer(Scripted(), ProposalCache(path)).moves(0, "put the mug in the bin")
    assert Scripted.calls == 3  # two rewrites, one rating
    assert {m.style for m in first} == {"plain", "llm"}
    assert first[-1] == Move(STOP, "plain", "", 0.5)
    again = TurnProposer(Scripted(), ProposalCache(path)).moves(0, "put the mug in the bin")
    assert again == first and Scripted.calls == 3
    assert "scripted|turn0|put the mug in the bin" in json.loads(path.read_text())


def test_bad_inputs_are_refused_with_what_is_valid(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"bad\.json is not JSON"):
        ProposalCache(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"templates|turn0|x": [{"words": "hi"}]}')
    with pytest.raises(ValueError, match="kind, style, text, rating"):
        TurnProposer(cache=ProposalCache(wrong)).moves(0, "x")
    with pytest.raises(ValueError, match="turns=0"):
        MultiTurnDialogue(turns=0)
    with pytest.raises(ValueError, match="goal_probs"):
        scene_of(WORLD, np.ones(3))


def test_the_helper_says_what_the_solved_multi_turn_game_chose(tmp_path):
    from embodied.agents.helper import HelperAgent, HelperConfig
    from embodied.envs.help_household import HelpHouseholdEnv

    env = HelpHouseholdEnv()
    path = tmp_path / "proposals.json"
    cfg = HelperConfig(num_particles=128, dialogue_turns=2, proposals_path=str(path))
    agent = HelperAgent(env, cfg)
    obs, _ = env.reset(seed=2)
    agent.reset(seed=2)
    agent.act(obs)  # first decision: a flat posterior
    solved = agent.dialogue.last
    probs = solved.assistant_probs("")
    first = solved.turns[0][max(probs, key=probs.get)]
    said = [] if first.kind == STOP else [first.text]  # the game may decide to ask nothing
    assert env.user.questions[:1] == said and agent.questions == len(env.user.questions)
    assert "templates|turn0|" in path.read_text()
    with pytest.raises(ValueError, match="dialogue_turns=0"):
        HelperAgent(env, HelperConfig(dialogue_turns=0))
