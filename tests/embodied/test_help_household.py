"""The helping household: the scene, the simulated user, perception, and the two-agent env."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from pettingzoo.test import parallel_api_test

from embodied.envs.help_household import (
    HelpHouseholdEnv,
    HouseholdWorld,
    percept,
    random_episode,
    slot_position,
)
from embodied.envs.multi_agent_household import MultiAgentHouseholdEnv
from embodied.envs.user_goals import SimulatedUser
from worldmodels.user_model.household import (
    COMMANDS,
    OBJECTS,
    PLACES,
    TASKS,
    UNKNOWN,
    World,
    command_index,
    task,
)
from worldmodels.user_model.recognizer import ActionRecognizer

WAIT = command_index(("wait",))


def test_gymnasium_env_checker_passes():
    env = HelpHouseholdEnv(max_episode_steps=50)
    check_env(env, skip_render_check=True)
    env.close()


def test_two_agent_env_passes_the_pettingzoo_parallel_api_test():
    env = MultiAgentHouseholdEnv(max_steps=120)
    parallel_api_test(env, num_cycles=200)
    env.close()


def test_the_user_alone_does_its_task_and_the_scene_shows_it():
    env = HelpHouseholdEnv()
    env.reset(seed=1)
    steps, done = 0, False
    while not done:
        _, reward, done, truncated, info = env.step(WAIT)
        steps += 1
        assert not truncated
    assert info["success"] and reward == pytest.approx(0.99)
    t = env.task
    for obj in t.objects:  # the MuJoCo bodies lie at the target furniture
        assert env.world.state.place_of(obj) == t.target
        assert env.world.sim.body_position(obj) == pytest.approx(slot_position(obj, t.target))
    assert 20 < steps < env.max_episode_steps
    env.close()


def test_the_lid_hides_the_bin_and_the_wearable_sees_what_lies_before_the_user():
    world = HouseholdWorld()
    for place in PLACES:
        state = World(tuple(place for _ in OBJECTS), (place, "hub"), frozenset({"bin"}))
        world.reset(state)
        world._face("user", place)
        world.sync()
        assert world.wearable_sees().all(), place
    world.reset(World(tuple("bin" for _ in OBJECTS), ("bin", "hub")))  # lid closed
    assert not world.wearable_sees().any() and not world.robot_sees().any()
    world.close()


def test_simulated_user_knows_only_what_it_saw_and_answers_with_its_error_rate():
    world = World(("bin", "shelf", "shelf", "coffee_table", "bin"), ("hub", "hub"))
    user = SimulatedUser()
    user.reset(task("recycle"), world)
    assert user.belief == (UNKNOWN, "shelf", "shelf", "coffee_table", UNKNOWN)
    rng = np.random.default_rng(0)
    assert user.answer("Which task?", rng) == f"I want to {task('recycle').description}."
    liar = SimulatedUser(answer_error=1.0)
    liar.reset(task("recycle"), world)
    assert "can and the mug in the bin" not in liar.answer("Which task?", rng)
    with pytest.raises(ValueError, match="noise"):
        SimulatedUser(noise=2.0)


def test_the_recognizer_reads_the_users_actions_off_the_percepts():
    env = HelpHouseholdEnv()
    env.reset(seed=4)
    started = []
    start = env.world.start
    env.world.start = lambda agent, action: (started.append((agent, action)), start(agent, action))[
        1
    ]
    recognizer = ActionRecognizer()
    recognizer.reset(percept(env.world), 0.0)
    recognized, done, t = [], False, 0
    while not done:
        _, _, done, _, _ = env.step(WAIT)
        t += 1
        recognized += [a for _, a, _ in recognizer.update(percept(env.world), t * 0.1)]
    truth = [a for agent, a in started if agent == "user" and a != ("wait",)]
    assert recognized == truth
    assert recognizer.world == env.world.state
    assert {s.observer for s in recognizer.memory.sightings()} == {"robot", "user"}


def test_random_episodes_never_start_solved():
    rng = np.random.default_rng(0)
    for _ in range(50):
        world, t = random_episode(rng)
        assert not any(world.place_of(o) == t.target for o in t.objects)
    assert len(COMMANDS) == 12 and len(TASKS) == 8


def test_the_symbolic_places_are_the_surfaces_of_the_scenes_furniture():
    """Each place's surface is where the compiled scene has it: the top of a table's top, of
    the shelf's top board, of the bin's floor; the symbolic places lie at their centres."""
    import mujoco

    from scenes.library import HOUSEHOLD_SURFACES
    from worldmodels.user_model.household import PLACE_CENTERS, PLACES

    sim = HouseholdWorld().sim
    model, data = sim.model, sim.data
    mujoco.mj_forward(model, data)
    for place in PLACES:
        body = model.body(place).id
        geoms = [g for g in range(model.ngeom) if model.geom_bodyid[g] == body]
        tops = [data.geom_xpos[g][2] + model.geom_size[g][2] for g in geoms]  # all boxes
        x, y, z = HOUSEHOLD_SURFACES[place]
        rests_on = max((t for t in tops if t <= z + 1e-9), default=None)  # the highest under z
        assert rests_on == pytest.approx(z), place
        assert model.body(place).pos[:2] == pytest.approx((x, y)), place
        assert PLACE_CENTERS[place] == (x, y)
