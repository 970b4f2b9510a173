"""Operators written by a language model: Jinja prompts, code extracted and validated, memory.

Each operator renders its prompt (``prompts/<operator>.j2``) from the task (description, metric,
data files, the baseline program as the input/output contract), the parents and what the
memory variant recalls from the journal; the model answers with a plan and a program; the
program is extracted and parsed, and a malformed answer is sent back with the problem named
(``attempts`` times in all). A program that still does not parse is returned as written: the
sandbox then records it as buggy, like any other failure. ``debug`` always uses ancestral memory,
as in aira-dojo. The model's sampling seed comes from the job's random generator, so a resumed
run asks the same questions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from planning.domain import Parent
from research_agent.operators.base import ProposedSolution
from research_agent.operators.call_log import labelled
from research_agent.operators.code_extraction import CodeExtractionError, extract_code, plan_of
from research_agent.operators.memory import SearchMemory, check_variant, summarise
from research_agent.tasks.spec import TaskFolder
from worldmodels.language.base import LanguageModel

PROMPTS = Path(__file__).parent / "prompts"
STDERR_TAIL = 1500
BASELINE_LIMIT = 6000


def prompt_environment() -> Environment:
    """The Jinja environment of the operator prompts (undefined variables are errors)."""
    return Environment(
        loader=FileSystemLoader(PROMPTS),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _tail(text: str | None, limit: int = STDERR_TAIL) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else "…" + text[-limit:]


def _parent_view(parent: Parent) -> dict[str, Any]:
    info = parent.info
    return {
        "id": parent.id,
        "code": parent.payload["code"],
        "score": info.get("val_score"),
        "analysis": info.get("analysis", ""),
        "error": info.get("error"),
        "stderr": _tail(info.get("stderr")),
    }


@dataclass
class LLMOperators:
    """The ``llm`` backend's program mode (models of ``capability: program``): ``model`` writes
    every candidate; ``memory`` picks what it recalls."""

    model: LanguageModel
    memory: str = "none"
    recall: SearchMemory = field(default_factory=lambda: SearchMemory(None))
    temperature: float = 0.7
    max_tokens: int = 1024
    attempts: int = 2
    analysis_tokens: int = 96

    def __post_init__(self) -> None:
        check_variant(self.memory)
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        self._prompts = prompt_environment()

    def draft(self, task: TaskFolder, rng: np.random.Generator) -> ProposedSolution:
        return self._write("draft", task, rng, self.memory)

    def improve(
        self, task: TaskFolder, parent: Parent, rng: np.random.Generator
    ) -> ProposedSolution:
        return self._write("improve", task, rng, self.memory, parent)

    def debug(self, task: TaskFolder, parent: Parent, rng: np.random.Generator) -> ProposedSolution:
        return self._write("debug", task, rng, "ancestral", parent)

    def crossover(
        self, task: TaskFolder, first: Parent, second: Parent, rng: np.random.Generator
    ) -> ProposedSolution:
        return self._write("crossover", task, rng, "none", first, second)

    def analyze(self, task: TaskFolder, code: str, execution: dict[str, Any]) -> str:
        failed = execution.get("error") is not None
        prompt = self._prompts.get_template("analyze.j2").render(
            task=task.spec,
            failed=failed,
            error=execution.get("error"),
            score=execution.get("evaluation", {}).get("score"),
            seconds=execution.get("exec_time", 0.0),
            stderr=_tail(execution.get("stderr"), 600) if failed else "",
        )
        with labelled(self.model, "analyze"):
            answer = self.model.chat(
                [{"role": "user", "content": prompt}], max_tokens=self.analysis_tokens
            )
        return answer.text.strip()

    def render(
        self, operator: str, task: TaskFolder, memory: str, *parents: Parent
    ) -> list[dict[str, str]]:
        """The chat messages (system, user) asking for ``operator`` on ``parents``."""
        recalled = self.recall.recall(memory, parents[0].id if len(parents) == 1 else None)
        names = {1: ("parent",), 2: ("first", "second")}.get(len(parents), ())
        user = self._prompts.get_template(f"{operator}.j2").render(
            task=task.spec,
            files=sorted(p.name for p in task.public_dir.iterdir())
            if task.public_dir.is_dir()
            else [],
            baseline=_baseline(task),
            memory=[summarise(r) for r in recalled],
            **{name: _parent_view(p) for name, p in zip(names, parents, strict=True)},
        )
        system = self._prompts.get_template("system.j2").render()
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _write(
        self,
        operator: str,
        task: TaskFolder,
        rng: np.random.Generator,
        memory: str,
        *parents: Parent,
    ) -> ProposedSolution:
        messages = self.render(operator, task, memory, *parents)
        seed = int(rng.integers(2**31))
        answer = ""
        for attempt in range(self.attempts):
            with labelled(self.model, operator):
                answer = self.model.chat(
                    messages,
                    temperature=self.temperature,
                    max_tokens=self.max_tokens,
                    seed=seed + attempt,
                ).text
            try:
                code = extract_code(answer)
            except CodeExtractionError as exc:
                retry = self._prompts.get_template("fix_extraction.j2").render(problem=str(exc))
                messages = [
                    *messages,
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": retry},
                ]
                continue
            return ProposedSolution(code, f"{operator}: {plan_of(answer)}")
        plan = f"{operator}: no valid program after {self.attempts} attempts"
        return ProposedSolution(answer, plan)


def _baseline(task: TaskFolder) -> str:
    if not task.starter.is_file():
        return ""
    code = task.starter.read_text()
    return code if len(code) <= BASELINE_LIMIT else code[:BASELINE_LIMIT] + "\n# … (truncated)"
