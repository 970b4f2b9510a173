"""agent=wm_mpc with update_process: the learner in its own process, fed the transitions, the
weights back through shared memory; the same weights and actions as the background thread."""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from embodied import make
from embodied.agents.update_process import LearnerError
from embodied.agents.world_model_mpc import WorldModelMPCAgent
from tests.embodied.helpers import tiny_wm_agent

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SEED_STEPS = 8
ROOT = Path(__file__).resolve().parents[2]


def tiny_agent(env, **options) -> WorldModelMPCAgent:
    return tiny_wm_agent(env, SEED_STEPS, **options)


def gone(pid: int) -> bool:
    """Whether process ``pid`` has exited (a zombie nobody reaped counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def wait_gone(pid: int, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if gone(pid):
            return True
        time.sleep(0.1)
    return gone(pid)


def run(agent: WorldModelMPCAgent, env, steps: int) -> list[np.ndarray]:
    obs, _ = env.reset(seed=0)
    agent.reset()
    actions = []
    for _ in range(steps):
        action = agent.act(obs)
        actions.append(action)
        obs, reward, terminated, truncated, _ = env.step(action)
        agent.observe(obs, action, float(reward), terminated)
        if terminated or truncated:
            obs, _ = env.reset()
            agent.reset()
    return actions


def test_the_learner_process_acts_and_learns_as_the_background_thread():
    """One update per env step after the seed steps, one update behind the actor: the actions
    and the learned weights equal the thread's bit for bit (one torch thread each)."""
    env = make("inverted-pendulum")
    steps = SEED_STEPS + 6
    runs = {}
    for mode in ("overlap_update", "update_process"):
        agent = tiny_agent(env, **{mode: True})
        actions = run(agent, env, steps)
        assert agent.updates == steps  # the seed pre-training, then one per env step
        weights = {k: v.clone() for k, v in agent.model.state_dict().items()}
        runs[mode] = actions, weights
        agent.close()
    (thread_actions, thread_weights), (process_actions, process_weights) = runs.values()
    assert all(np.array_equal(a, b) for a, b in zip(thread_actions, process_actions, strict=True))
    assert all(torch.equal(thread_weights[k], process_weights[k]) for k in thread_weights)
    assert agent._process is not None and not agent._process.process.is_alive()
    assert agent.trainer is None  # the trainer lives in the learner


def test_a_learner_error_is_raised_in_the_actor_with_its_traceback_and_the_learner_exits():
    env = make("inverted-pendulum")
    agent = tiny_agent(env, update_process=True)
    run(agent, env, SEED_STEPS + 1)
    pid = agent._process.process.pid
    obs, _ = env.reset(seed=1)
    action = agent.act(obs)
    wrong = {"proprio": np.zeros(3, np.float32)}  # the pendulum observes 4 numbers
    agent.observe(wrong, action, 0.0, False)  # the learner's buffer refuses it
    with pytest.raises(LearnerError, match=r"(?s)learner process failed.*Traceback.*in _learn"):
        agent.observe(obs, action, 0.0, False)
    assert wait_gone(pid)


def test_a_learner_killed_from_outside_is_reported_with_its_exit_code():
    env = make("inverted-pendulum")
    agent = tiny_agent(env, update_process=True)
    run(agent, env, SEED_STEPS + 1)
    os.kill(agent._process.process.pid, signal.SIGKILL)
    agent._process.process.join(15)
    obs, _ = env.reset(seed=1)
    action = agent.act(obs)
    with pytest.raises(LearnerError, match="learner process exited with code -9"):
        agent.observe(obs, action, 0.0, False)
        agent.observe(obs, action, 0.0, False)


def test_close_and_dropping_the_agent_leave_no_learner_process():
    env = make("inverted-pendulum")
    closed = tiny_agent(env, update_process=True)
    run(closed, env, SEED_STEPS + 2)
    closed.close()
    assert wait_gone(closed._process.process.pid)
    dropped = tiny_agent(env, update_process=True)
    pid = dropped._process.process.pid
    del dropped
    gc.collect()
    assert wait_gone(pid)


SCRIPT = """
import os, signal, sys
from embodied import make
from embodied.agents.world_model_mpc import WorldModelMPCAgent
if __name__ == "__main__":
    env = make("inverted-pendulum")
    agent = WorldModelMPCAgent(
        env, worldmodel={"latent_dim": 16, "hidden_dim": 16, "encoder_dim": 16,
        "decoder": False}, trainer={"batch_size": 8}, seed_steps=8, device="cpu",
        update_process=True,
    )
    print(agent._process.process.pid, flush=True)
    obs, _ = env.reset(seed=0)
    for _ in range(10):
        action = agent.act(obs)
        obs, reward, terminated, _, _ = env.step(action)
        agent.observe(obs, action, float(reward), terminated)
    if sys.argv[1] == "kill":  # no cleanup at all: the learner sees its pipe close
        os.kill(os.getpid(), signal.SIGKILL)
    raise KeyboardInterrupt
"""


@pytest.mark.slow  # two fresh interpreters, each spawning a learner: 30-45 s under load
@pytest.mark.parametrize("end", ["interrupt", "kill"])
def test_an_actor_that_dies_without_closing_leaves_no_learner(end: str, tmp_path: Path):
    script = tmp_path / "actor.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MUJOCO_GL": "egl"}
    out = subprocess.run(
        [sys.executable, str(script), end], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode != 0
    pid = int(out.stdout.split()[0])
    assert wait_gone(pid), f"learner {pid} outlived its actor ({end})"
