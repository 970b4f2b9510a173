"""The dialogue game with the embedded language model: it writes and rates the candidate
utterances, CFR picks one, and the helper says that one to the user (few LLM calls: five)."""

from __future__ import annotations

import pytest

from embodied.agents.helper import HelperAgent
from embodied.envs.help_household import HelpHouseholdEnv
from worldmodels.language.embedded import EmbeddedModel
from worldmodels.user_model.dialogue import TONES


@pytest.fixture(scope="module")
def embedded(embedded_model: EmbeddedModel) -> EmbeddedModel:
    return embedded_model


@pytest.mark.slow  # loads the embedded model and makes five calls: minutes on a busy 2-core CPU
def test_the_helper_says_the_utterance_the_solved_dialogue_game_chose(embedded):
    env = HelpHouseholdEnv()
    agent = HelperAgent(env, num_particles=128, llm=embedded)
    obs, _ = env.reset(seed=2)
    agent.reset(seed=2)
    calls = embedded.usage.calls
    agent.act(obs)
    candidates = agent.game.last_candidates
    assert {u.tone for u in candidates} <= {"plain", *TONES} and 3 <= len(candidates) <= 6
    assert {u.tone for u in candidates} & set(TONES)  # the language model wrote some of them
    assert len({u.text for u in candidates}) == len(candidates)
    assert all(0.0 <= u.rating <= 1.0 for u in candidates)
    assert embedded.usage.calls - calls == 5  # four utterances, one call rating them all
    assert sum(agent.game.last_policy) == pytest.approx(1.0)
    chosen = agent.game.last_choice.text
    assert "?" in chosen  # a candidate that asks nothing has no value in the game
    assert env.user.questions == [chosen]
