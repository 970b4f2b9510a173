"""The LLM operators' config mode: the model chooses a solution's ``CONFIG``, the template writes
the program.

A small model (the embedded SmolLM2-135M) cannot write whole programs, but it can choose. Each
operator shows the model the task, the config space (families, the values each setting takes,
the feature steps) and the best and failed configs of the run so far, and asks for one config
as JSON. The reply is decoded under :func:`config_schema` (guided decoding where the backend has
it, else validated and sent back with the problem named), so every answer is a config of the
space; the program is rendered from it as the programmatic operators render theirs
(:func:`research_agent.operators.programmatic.program_of`, or the parent's code with its
``CONFIG`` block rewritten). A config the run has tried already gets further programmatic edits,
as the programmatic operators do; a model that gives no valid config (a truncated reply) is
replaced by the programmatic operator for that one proposal, and the plan says so. ``analyze``
is the programmatic summary: it needs no model call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from planning.domain import Parent
from research_agent.operators.base import ProposedSolution
from research_agent.operators.call_log import labelled
from research_agent.operators.diagnosis import diagnose
from research_agent.operators.llm import prompt_environment
from research_agent.operators.memory import SearchMemory, val_score
from research_agent.operators.programmatic import ProgrammaticOperators, program_of
from research_agent.solutions.program import ConfigBlockError, read_config, write_config
from research_agent.solutions.space import (
    FEATURE_ORDER,
    Config,
    Family,
    canonical_features,
    default_config,
    families_for,
    family,
)
from research_agent.tasks.spec import TaskFolder
from worldmodels.language.base import LanguageModel
from worldmodels.language.structured import complete_json
from worldmodels.language.types import LanguageModelError

FAILED_SHOWN = 3


def _family_schema(fam: Family) -> dict[str, Any]:
    tabular = fam.template == "tabular"
    return {
        "type": "object",
        "properties": {
            "model": {"enum": [fam.name]},
            "params": {
                "type": "object",
                "properties": {name: {"enum": list(v)} for name, v in fam.choices.items()},
                "required": list(fam.choices),
                "additionalProperties": False,
            },
            "features": {
                "type": "array",
                "items": {"enum": list(FEATURE_ORDER)},
                "uniqueItems": True,
                "maxItems": len(FEATURE_ORDER) if tabular else 0,
            },
        },
        "required": ["model", "params", "features"],
        "additionalProperties": False,
    }


def config_schema(task: TaskFolder) -> dict[str, Any]:
    """The JSON schema of the configs of ``task``: one branch per family that fits it."""
    branches = [_family_schema(f) for f in families_for(task.spec.kind, task.spec.image)]
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def config_of(value: dict[str, Any]) -> Config:
    """The solution config of a reply that validates against :func:`config_schema`: each
    setting as its choice in the space (JSON may write 1.0 as 1), the family's other defaults
    kept, feature steps in pipeline order."""
    fam = family(value["model"])
    params = dict(fam.defaults)
    for name, given in value["params"].items():
        params[name] = next(c for c in fam.choices[name] if c == given)
    return {"model": fam.name, "params": params, "features": canonical_features(value["features"])}


def _shown(config: Config) -> str:
    """``config`` as the prompt writes it: the JSON the model is asked for."""
    fam = family(config["model"])
    params = {k: v for k, v in config["params"].items() if k in fam.choices}
    return json.dumps({"model": config["model"], "params": params, "features": config["features"]})


def _readable(code: str) -> Config | None:
    try:
        config = read_config(code)
        family(config["model"])
    except (ConfigBlockError, KeyError, TypeError):
        return None
    return config


@dataclass
class ConfigEditOperators:
    """The ``llm`` backend's config mode: ``model`` picks configs, templates write programs."""

    model: LanguageModel
    recall: SearchMemory = field(default_factory=lambda: SearchMemory(None))
    temperature: float = 0.7
    max_tokens: int = 160
    attempts: int = 2
    _programmatic: ProgrammaticOperators = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        self._prompts = prompt_environment()
        self._programmatic = ProgrammaticOperators(recall=self.recall)

    def draft(self, task: TaskFolder, rng: np.random.Generator) -> ProposedSolution:
        ask = "Propose a configuration that differs from the ones tried."
        return self._propose("draft", task, rng, ask, [], None)

    def improve(
        self, task: TaskFolder, parent: Parent, rng: np.random.Generator
    ) -> ProposedSolution:
        config = _readable(parent.payload["code"])
        if config is None:
            return self.draft(task, rng)
        score = parent.info.get("val_score")
        scored = "no score" if score is None else f"{task.spec.metric} {score:.4g}"
        ask = (
            f"This configuration scored {scored}: {_shown(config)}\n"
            "Propose a better configuration: change the model, a setting or the feature steps."
        )
        return self._propose("improve", task, rng, ask, [parent], parent.payload["code"])

    def debug(self, task: TaskFolder, parent: Parent, rng: np.random.Generator) -> ProposedSolution:
        config = _readable(parent.payload["code"])
        if config is None:
            return self.draft(task, rng)
        kind = diagnose(parent.info) or "error"
        ask = (
            f"This configuration failed ({kind}: {parent.info.get('error')}): {_shown(config)}\n"
            "Propose a configuration that avoids the failure (cheaper settings for a timeout, "
            "impute for missing values)."
        )
        return self._propose("debug", task, rng, ask, [parent], None)

    def crossover(
        self, task: TaskFolder, first: Parent, second: Parent, rng: np.random.Generator
    ) -> ProposedSolution:
        a, b = _readable(first.payload["code"]), _readable(second.payload["code"])
        if a is None or b is None:
            return self.improve(task, first, rng)
        ask = (
            f"Two configurations: {_shown(a)} scored {first.info.get('val_score')}; "
            f"{_shown(b)} scored {second.info.get('val_score')}.\n"
            "Propose one configuration that combines the best of both."
        )
        return self._propose("crossover", task, rng, ask, [first, second], None)

    def analyze(self, task: TaskFolder, code: str, execution: dict[str, Any]) -> str:
        return self._programmatic.analyze(task, code, execution)

    def messages(self, task: TaskFolder, ask: str) -> list[dict[str, str]]:
        """The chat messages asking for one config of ``task`` (``ask``: the operator's part)."""
        scored = sorted(
            ((task.spec.signed(val_score(r)), r) for r in self.recall.scored()),
            key=lambda pair: -pair[0],
        )
        best = [
            (c, val_score(r)) for _, r in scored[: self.recall.size] if (c := _readable(r["code"]))
        ]
        failed = [
            (c, r.get("error") or "failed")
            for r in self.recall.tried()
            if r.get("is_buggy") and (c := _readable(r["code"]))
        ][-FAILED_SHOWN:]
        families = families_for(task.spec.kind, task.spec.image)
        user = self._prompts.get_template("config.j2").render(
            task=task.spec,
            families=families,
            features=FEATURE_ORDER,
            example=_shown(best[0][0] if best else default_config(families[0].name)),
            best=[(_shown(c), s) for c, s in best],
            failed=[(_shown(c), str(e)[:120]) for c, e in failed],
            ask=ask,
        )
        return [{"role": "user", "content": user}]

    def _ask(
        self, messages: list[dict[str, str]], schema: dict[str, Any], seed: int
    ) -> tuple[Any, str]:
        """The model's config under ``schema`` (None and the problem when none validates in
        ``attempts``: :func:`~worldmodels.language.structured.complete_json`). The prompt
        describes the space in words and shows the JSON's shape; the schema guides the decoding
        (backends without guidance get the problem back)."""
        try:
            value = complete_json(
                self.model,
                messages,
                schema,
                retries=self.attempts - 1,
                instruct=False,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                seed=seed,
            )
        except LanguageModelError as exc:  # StructuredOutputError included
            return None, str(exc)
        return value, ""

    def _propose(
        self,
        operator: str,
        task: TaskFolder,
        rng: np.random.Generator,
        ask: str,
        parents: list[Parent],
        base_code: str | None,
    ) -> ProposedSolution:
        seed = int(rng.integers(2**31))
        with labelled(self.model, operator):
            value, problem = self._ask(self.messages(task, ask), config_schema(task), seed)
        if value is None:
            fallback = getattr(self._programmatic, operator)(task, *parents, rng)
            return ProposedSolution(
                fallback.code,
                f"{operator}: no config from the model ({problem}); programmatic {fallback.plan}",
            )
        config = config_of(value)
        chosen = _shown(config)  # before any edit below: what the model itself chose
        code_of = partial(program_of, task)
        if base_code is not None and _readable(base_code) is not None:
            same = (
                family(read_config(base_code)["model"]).template == family(config["model"]).template
            )
            code_of = partial(write_config, base_code) if same else code_of
        changes: list[str] = []
        code = self._programmatic._untried(task, config, code_of, rng, 0.15, changes)
        where = " of node " + ", ".join(str(p.id) for p in parents) if parents else ""
        extra = f" (tried already; then {'; '.join(changes)})" if changes else ""
        return ProposedSolution(code, f"{operator}{where}: the model chose {chosen}{extra}")


__all__ = ["ConfigEditOperators", "config_of", "config_schema"]
