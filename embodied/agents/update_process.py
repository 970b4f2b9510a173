"""The world-model learner of an online agent in its own process (``agent.update_process``).

The actor (the agent's process) plans and steps the env; :class:`UpdateProcess` runs the
updates in a child process that owns the trainer (optimisers, target Q) and a copy of the
replay buffer, which the actor feeds with each new transition. The model's weights live in
shared memory: the learner updates them in place, and the actor copies them into its planning
model only while the learner waits for its next command, so a plan never reads a half-written
update. Without the GIL and the core contention of a thread, planning and learning run truly
in parallel on two cores.

The protocol over one pipe is ordered: ``episode`` and ``add`` messages fill the learner's
buffer, ``update`` asks for ``count`` updates and is answered ``done`` (with the updates made
so far) or ``error`` (with the learner's traceback, which :meth:`UpdateProcess.wait` raises in
the actor). The learner ignores SIGINT (the actor handles Ctrl-C and stops it) and exits when
the actor's end of the pipe closes, so no learner outlives its actor.
"""

from __future__ import annotations

import contextlib
import signal
import traceback
import weakref
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch
import torch.multiprocessing as mp

from worldmodels.config import TrainerConfig
from worldmodels.data import ReplayBuffer
from worldmodels.model import WorldModel
from worldmodels.trainer import WorldModelTrainer

STOP_SECONDS = 10.0  # how long close() waits for the learner before terminating it


class LearnerError(RuntimeError):
    """The learner process failed; the message holds its traceback."""


def _learn(
    conn: Connection,
    model: WorldModel,
    trainer_cfg: TrainerConfig,
    seed: int,
    threads: int,
) -> None:
    """The learner's loop (runs in the child process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the actor's to handle
    try:
        torch.set_num_threads(threads)
        device = torch.device("cpu")
        trainer = WorldModelTrainer(model, trainer_cfg, device, seed)
        replay = ReplayBuffer(list(model.obs_shapes), trainer_cfg.horizon, seed)
        updates = 0
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the actor is gone
                return
            kind = message[0]
            if kind == "stop":
                return
            if kind == "episode":
                replay.start_episode(message[1])
            elif kind == "add":
                replay.add(*message[1:])
            elif kind == "update":
                if replay.num_windows > 0:
                    model.train()
                    for _ in range(message[1]):  # each batch drawn as it is needed
                        trainer.update(replay.sample(trainer_cfg.batch_size))
                        updates += 1
                conn.send(("done", updates))
            else:
                raise ValueError(f"unknown learner message {kind!r}")
    except BaseException:  # every failure goes to the actor, with its traceback
        with contextlib.suppress(OSError):  # unless the actor is gone
            conn.send(("error", traceback.format_exc()))


def _stop(process: mp.Process, conn: Connection) -> None:
    """Ask the learner to stop, wait for it, terminate it if it does not; close the pipe."""
    if process.is_alive():
        with contextlib.suppress(OSError):  # it is exiting already
            conn.send(("stop",))
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join()
    conn.close()


class UpdateProcess:
    """A learner process that trains ``model`` (moved to shared memory) as
    :class:`WorldModelTrainer` with ``trainer_cfg`` and ``seed`` on ``threads`` torch threads,
    from the transitions the actor sends it. CPU only."""

    def __init__(
        self, model: WorldModel, trainer_cfg: TrainerConfig, seed: int, threads: int
    ) -> None:
        if next(model.parameters()).device.type != "cpu":
            raise ValueError("the learner process trains a CPU model only")
        model.share_memory()
        context = mp.get_context("spawn")  # fork would copy the simulator's and torch's threads
        self._conn, child = context.Pipe()
        self.process = context.Process(
            target=_learn,
            args=(child, model, trainer_cfg, seed, threads),
            name="wm_mpc_learner",
            daemon=True,  # terminated at exit should the actor never close it
        )
        self.process.start()
        child.close()
        self._finalizer = weakref.finalize(self, _stop, self.process, self._conn)
        self.modalities = list(model.obs_shapes)  # the parts of an observation sent
        self._waiting = 0  # updates asked for and not yet answered
        self.updates = 0  # updates made, as of the last answer

    def _send(self, message: tuple) -> None:
        try:
            self._conn.send(message)
        except OSError:  # the learner has exited: its error, if it sent one, says why
            self._raise_failure()

    def _raise_failure(self, traceback_text: str | None = None) -> None:
        if traceback_text is None and not self._conn.closed and self._conn.poll():
            with contextlib.suppress(EOFError, OSError):  # poll is true at the pipe's end too
                answer = self._conn.recv()
                traceback_text = answer[1] if answer[0] == "error" else None
        self.close()
        if traceback_text is None:
            raise LearnerError(f"the learner process exited with code {self.process.exitcode}")
        raise LearnerError(f"the learner process failed:\n{traceback_text}")

    def start_episode(self, observation: Mapping[str, Any]) -> None:
        """The first observation of an episode (as :meth:`ReplayBuffer.start_episode`)."""
        self._send(("episode", self._observed(observation)))

    def add(
        self, action: np.ndarray, reward: float, terminated: bool, observation: Mapping[str, Any]
    ) -> None:
        """A transition (as :meth:`ReplayBuffer.add`)."""
        observed = self._observed(observation)
        self._send(("add", np.asarray(action), reward, terminated, observed))

    def submit(self, count: int) -> None:
        """Ask for ``count`` updates (none while the buffer holds no full window)."""
        self._send(("update", count))
        self._waiting += 1

    @property
    def busy(self) -> bool:
        """Whether an update asked for is not yet answered."""
        return self._waiting > 0

    def wait(self) -> None:
        """Wait until every update asked for is made; raise the learner's error if it failed.
        The learner then idles until the next message: the weights are whole."""
        while self._waiting > 0:
            try:
                answer = self._conn.recv()
            except (EOFError, OSError):
                self._raise_failure()
            if answer[0] == "error":
                self._raise_failure(answer[1])
            self._waiting -= 1
            self.updates = answer[1]

    def close(self) -> None:
        """Stop the learner (it finishes the message at hand) and wait for it to exit."""
        self._waiting = 0
        self._finalizer()

    def _observed(self, observation: Mapping[str, Any]) -> dict[str, np.ndarray]:
        return {m: np.asarray(observation[m]) for m in self.modalities}
