"""A research task as a Gymnasium environment (the MLGym idea): edit the solution, validate it.

Observations are text: ``workspace`` (the solution script with line numbers, the task
description and the best validation score so far) and ``output`` (what the last command
printed). Actions are text commands, one per step:

* ``show``: print the solution; ``task``: print the task description and hint;
* ``write`` + newline + code: replace the whole solution;
* ``edit START:END`` + newline + lines: replace lines START..END (1-based, inclusive;
  ``END = START - 1`` inserts before START);
* ``validate``: run the solution in the sandbox and grade its validation predictions;
* ``submit``: validate and end the episode.

The reward of a validation is how much it raised the best (higher-is-better) validation score
so far, which starts at the task's baseline: the rewards of an episode add up to how far the
best solution beat the baseline. A malformed command prints an error and earns nothing.
Registered as ``research_agent/Research-v0`` (``gymnasium.make(..., task="wine")``).
"""

from __future__ import annotations

import re
import string
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import gymnasium as gym
from gymnasium import spaces

from research_agent.execution.execute import ExecutionResult, execute, task_limits
from research_agent.execution.sandbox import Limits
from research_agent.execution.spares import Spares
from research_agent.tasks import TaskFolder, load_task

ENV_ID = "research_agent/Research-v0"
CHARSET = string.printable
MAX_CHARS = 20_000
COMMANDS = ("show", "task", "write", "edit", "validate", "submit")
EDIT = re.compile(r"^edit\s+(\d+):(\d+)$")


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` in the observation charset (other characters become '?'), its tail kept."""
    text = "".join(c if c in CHARSET else "?" for c in text)
    return text if len(text) <= limit else "[...]" + text[-(limit - 5) :]


class ResearchEnv(gym.Env[dict[str, str], str]):
    """Episodes of editing and validating one task's solution, from its starter script."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        task: str | TaskFolder = "wine",
        tasks_dir: str | None = None,
        max_steps: int = 20,
        workdir: str | None = None,
        limits: Limits | None = None,
        isolation: str | None = None,
        render_mode: str | None = None,
    ) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode={render_mode!r}; valid: None, 'ansi'")
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, got {max_steps}")
        self.task = (
            task
            if isinstance(task, TaskFolder)
            else load_task(task, _path(tasks_dir), runner=execute)
        )
        self.max_steps = max_steps
        self.limits = limits or task_limits(self.task)
        self.isolation = isolation
        self.spares = Spares()  # its solutions' sandboxes, started ahead; closed with the env
        self.render_mode = render_mode
        self._tmp = None if workdir else tempfile.TemporaryDirectory(prefix="research_env_")
        self.workdir = Path(workdir or self._tmp.name)  # type: ignore[union-attr]
        text = spaces.Text(MAX_CHARS, min_length=0, charset=CHARSET)
        self.observation_space = spaces.Dict({"workspace": text, "output": text})
        self.action_space = spaces.Text(MAX_CHARS, min_length=0, charset=CHARSET)
        self.code = ""
        self.ready = False
        self.output = ""
        self.steps = 0
        self.validations = 0
        self.best: float | None = None
        self.last: ExecutionResult | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        super().reset(seed=seed)
        self.code = self.task.starter.read_text()
        self.ready = True
        self.steps, self.validations, self.last = 0, 0, None
        baseline = self.task.spec.baseline_score
        self.best = None if baseline is None else self.task.spec.signed(baseline)
        self.output = self._describe()
        return self._observation(), self._info()

    def step(self, action: str) -> tuple[dict[str, str], float, bool, bool, dict[str, Any]]:
        if not self.ready:
            raise RuntimeError("call reset() before step()")
        self.steps += 1
        head, _, body = str(action).partition("\n")
        command = head.strip()
        reward, terminated = 0.0, False
        if command == "show":
            self.output = _numbered(self.code)
        elif command == "task":
            self.output = self._describe()
        elif command == "write":
            self.code = body
            self.output = f"solution.py written ({len(body.splitlines())} lines)"
        elif (match := EDIT.match(command)) is not None:
            self.output = self._edit(int(match.group(1)), int(match.group(2)), body)
        elif command in ("validate", "submit"):
            reward = self._validate()
            terminated = command == "submit"
        else:
            self.output = (
                f"unknown command {command[:40]!r}; valid: {', '.join(COMMANDS)} "
                "(edit takes START:END, write and edit take text on the following lines)"
            )
        truncated = not terminated and self.steps >= self.max_steps
        if self.render_mode == "ansi":
            self.render()
        return self._observation(), reward, terminated, truncated, self._info()

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        return f"step {self.steps}, best {self.best}\n{self.output}\n"

    def close(self) -> None:
        self.spares.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _edit(self, start: int, end: int, body: str) -> str:
        lines = self.code.splitlines(keepends=True)
        if not (1 <= start <= len(lines) + 1 and start - 1 <= end <= len(lines)):
            return f"edit {start}:{end} is out of range: the solution has {len(lines)} lines"
        new = [line if line.endswith("\n") else line + "\n" for line in body.splitlines()]
        self.code = "".join([*lines[: start - 1], *new, *lines[end:]])
        return f"lines {start}..{end} replaced by {len(new)} lines"

    def _validate(self) -> float:
        self.validations += 1
        node = self.workdir / f"step{self.steps:04d}-validation{self.validations}"
        result = execute(
            self.task,
            self.code,
            node,
            limits=self.limits,
            isolation=self.isolation,
            spares=self.spares,
        )
        self.last = result
        if result.score is None:
            self.output = f"validation failed: {result.error}\n{result.stderr[-2000:]}"
            return 0.0
        signed = self.task.spec.signed(result.score)
        reward = 0.0 if self.best is None else max(0.0, signed - self.best)
        self.best = signed if self.best is None else max(self.best, signed)
        self.output = (
            f"validation {self.task.spec.metric}: {result.score:.6g} "
            f"(ran {result.exec_time:.1f} s)\n{result.stdout[-2000:]}"
        )
        return reward

    def _describe(self) -> str:
        hint = self.task.public_dir / "hint.md"
        extra = f"\nHint:\n{hint.read_text()}" if hint.is_file() else ""
        return f"{self.task.spec.description}{extra}\nCommands: {', '.join(COMMANDS)}"

    def _observation(self) -> dict[str, str]:
        best = "none" if self.best is None else f"{self.task.spec.signed(self.best):.6g}"
        head = (
            f"task {self.task.spec.id} ({self.task.spec.metric}, {self.task.spec.direction}); "
            f"best validation score {best}; step {self.steps}/{self.max_steps}\n"
        )
        return {
            "workspace": clean(head + _numbered(self.code)),
            "output": clean(self.output),
        }

    def _info(self) -> dict[str, Any]:
        score = None if self.last is None else self.last.score
        best = None if self.best is None else self.task.spec.signed(self.best)
        return {"code": self.code, "val_score": score, "best_val_score": best}


def _numbered(code: str) -> str:
    return "".join(f"{i:4d} {line}\n" for i, line in enumerate(code.splitlines(), 1))


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="research_agent.gym_env:ResearchEnv")
