"""Operators without a language model: templates, structured config edits and debug rules.

* draft: a random config of a family that fits the task, rendered from its template with the
  template's standard preprocessing (impute + standardize for tabular models: an SVM or kNN on
  raw features is a known mistake, not a draft worth a run; improves toggle the steps); with a
  memory of the run, of a family no earlier solution of the run (the baseline among them) has
  used while there is one, as aira-dojo's draft prompt asks for a solution unlike the earlier
  ones. Every solution counts, not only the drafts: a family left out of the drafts would
  otherwise take every later draft, and once its few settings were tried all of them repeat.
* improve: ``edits`` structured edits of the parent's ``CONFIG`` block (a setting moved to a
  neighbouring choice, a feature step toggled, or another family of the same template). With a
  memory, a switch of family starts from that family's best solution so far (and steps one
  setting from it), families that scored better are switched to more often, and once
  ``stall_after`` children of the parent have not beaten it, switches become
  ``stalled_family_prob`` likely: a hill that local edits cannot climb is left for another.
* debug: a rule per failure kind (timeout -> cheaper settings, OOM -> smaller batches and
  ensembles, NaN -> imputation, anything else -> the template re-rendered around the config).
* crossover: each part of the config taken from one parent or the other.

With a memory, an operator whose solution the run has tried already edits it further (up to
``further_edits`` more edits, as an improve would): once a parent's neighbours or the drafts'
settings are used up (about 90 drafts of a classification task, 8 neighbours of a tuned SVM),
the search reaches the solutions a step further instead of running a tried one again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from planning.domain import Parent
from research_agent.operators.base import ProposedSolution
from research_agent.operators.diagnosis import diagnose
from research_agent.operators.memory import SearchMemory, val_score
from research_agent.solutions.program import ConfigBlockError, read_config, render, write_config
from research_agent.solutions.space import (
    FEATURE_ORDER,
    Config,
    canonical_features,
    default_config,
    families_for,
    family,
    random_config,
)
from research_agent.tasks.spec import TaskFolder

CHEAPER = ("epochs", "n_estimators", "max_iter", "channels")
SMALLER = ("batch_size", "n_estimators", "channels")


@dataclass
class ProgrammaticOperators:
    """The programmatic backend; ``edits`` structured edits per improve."""

    edits: int = 1
    family_prob: float = 0.15
    feature_prob: float = 0.25
    stall_after: int = 3
    stalled_family_prob: float = 0.5
    further_edits: int = 3
    recall: SearchMemory = field(default_factory=lambda: SearchMemory(None))
    # config blocks of the recalled solutions by code (None: unreadable), parsed once per run
    _recalled_configs: dict[str, Config | None] = field(
        default_factory=dict, init=False, repr=False
    )

    def draft(self, task: TaskFolder, rng: np.random.Generator) -> ProposedSolution:
        tried = self._tried_families()
        config = random_config(task.spec.kind, task.spec.image, rng, tried)
        config["features"] = default_config(config["model"])["features"]
        code = self._untried(task, config, self._render(task), rng, self.family_prob, [])
        return ProposedSolution(code, f"draft: {_describe(config)}")

    def _tried_families(self) -> frozenset[str]:
        """The model families of the run's solutions so far (unreadable ones skipped)."""
        configs = (self._recalled_config(r["code"]) for r in self.recall.tried())
        return frozenset(config["model"] for config in configs if config is not None)

    def improve(
        self, task: TaskFolder, parent: Parent, rng: np.random.Generator
    ) -> ProposedSolution:
        try:
            config = read_config(parent.payload["code"])
        except ConfigBlockError as exc:
            return _with_plan(self.draft(task, rng), f"parent unreadable ({exc}); ")
        stalled = self._stalled(task, parent)
        family_prob = self.stalled_family_prob if stalled else self.family_prob
        changes = [self._edit(task, config, rng, family_prob) for _ in range(self.edits)]
        code_of = partial(write_config, parent.payload["code"])
        code = self._untried(task, config, code_of, rng, family_prob, changes)
        plan = f"improve node {parent.id}{' (stalled)' if stalled else ''}: " + "; ".join(changes)
        return ProposedSolution(code, plan)

    def debug(self, task: TaskFolder, parent: Parent, rng: np.random.Generator) -> ProposedSolution:
        kind = diagnose(parent.info) or "error"
        try:
            config = read_config(parent.payload["code"])
            family(config["model"])
        except (ConfigBlockError, KeyError, TypeError):
            fallback = default_config(families_for(task.spec.kind)[0].name)
            plan = f"debug {kind}: unreadable config, baseline"
            return ProposedSolution(self._render(task)(fallback), plan)
        rules = {"timeout": _cheaper, "oom": _smaller, "nan": _impute}
        changes = [rules.get(kind, _no_change)(config)]
        code = self._untried(task, config, self._render(task), rng, self.family_prob, changes)
        plan = f"debug node {parent.id} ({kind}): {'; '.join(changes)}, template re-rendered"
        return ProposedSolution(code, plan)

    def crossover(
        self, task: TaskFolder, first: Parent, second: Parent, rng: np.random.Generator
    ) -> ProposedSolution:
        try:
            a, b = read_config(first.payload["code"]), read_config(second.payload["code"])
        except ConfigBlockError:
            return self.improve(task, first, rng)
        base, other = (a, b) if rng.random() < 0.5 else (b, a)
        child: Config = {"model": base["model"], "params": dict(base["params"])}
        if a["model"] == b["model"]:
            for key in child["params"]:
                if key in other["params"] and rng.random() < 0.5:
                    child["params"][key] = other["params"][key]
        union = set(a["features"]) | set(b["features"])
        child["features"] = canonical_features(
            [s for s in union if (s in a["features"] and s in b["features"]) or rng.random() < 0.5]
        )
        if family(child["model"]).template != "tabular":
            child["features"] = []
        code = self._untried(task, child, self._render(task), rng, self.family_prob, [])
        return ProposedSolution(
            code, f"crossover of nodes {first.id} and {second.id}: {_describe(child)}"
        )

    def analyze(self, task: TaskFolder, code: str, execution: dict[str, Any]) -> str:
        kind = diagnose(execution)
        seconds = execution.get("exec_time", 0.0)
        if kind is None:
            score = execution["evaluation"]["score"]
            return f"ran in {seconds:.1f} s; validation {task.spec.metric} {score:.4g}"
        return f"failed ({kind}) after {seconds:.1f} s: {execution.get('error')}"

    def _render(self, task: TaskFolder) -> Callable[[Config], str]:
        """The program of a config of ``task``."""
        return partial(program_of, task)

    def _untried(
        self,
        task: TaskFolder,
        config: Config,
        code_of: Callable[[Config], str],
        rng: np.random.Generator,
        family_prob: float,
        changes: list[str],
    ) -> str:
        """The program ``code_of(config)``, after up to ``further_edits`` more edits of
        ``config`` (each described in ``changes``) while it is a solution the run has tried."""
        tried = {record["code"] for record in self.recall.tried()}
        code = code_of(config)
        for _ in range(self.further_edits):
            if code not in tried:
                break
            changes.append(self._edit(task, config, rng, family_prob))
            code = code_of(config)
        return code

    def _stalled(self, task: TaskFolder, parent: Parent) -> bool:
        """Whether the memory recalls ``stall_after`` children of ``parent``, none better."""
        children = self.recall.recall("sibling", parent.id)
        if len(children) < self.stall_after or parent.info.get("val_score") is None:
            return False
        bar = task.spec.signed(parent.info["val_score"])
        scores = [val_score(c) for c in children]
        return not any(s is not None and task.spec.signed(s) > bar for s in scores)

    def _best_of_families(self, task: TaskFolder) -> dict[str, tuple[float, int, Config]]:
        """Per model family, the (signed score, node id, config) of its best solution so far."""
        best: dict[str, tuple[float, int, Config]] = {}
        for record in self.recall.scored():
            config = self._recalled_config(record["code"])
            if config is None:
                continue
            name = config["model"]
            score = task.spec.signed(val_score(record))
            if name not in best or score > best[name][0]:
                best[name] = (score, record["id"], config)
        return best

    def _recalled_config(self, code: str) -> Config | None:
        """The config block of a recalled solution (None when unreadable), parsed once."""
        if code not in self._recalled_configs:
            try:
                config = read_config(code)
                family(config["model"])
            except (ConfigBlockError, KeyError, TypeError):
                config = None
            self._recalled_configs[code] = config
        return self._recalled_configs[code]

    def _switch_family(
        self, task: TaskFolder, config: Config, rng: np.random.Generator
    ) -> str | None:
        """Move ``config`` to another family of its template; None when there is none.

        Families are drawn with weight 1/rank of their best score so far (the untried ones
        share the last rank); one with a solution so far takes that solution's config, one step
        away.
        """
        fam = family(config["model"])
        options = [
            f
            for f in families_for(task.spec.kind, task.spec.image)
            if f.template == fam.template and f.name != fam.name
        ]
        if not options:
            return None
        best = self._best_of_families(task)
        tried = sorted((f for f in options if f.name in best), key=lambda f: -best[f.name][0])
        untried = [f for f in options if f.name not in best]
        ranks = [*range(1, len(tried) + 1), *[len(tried) + 1] * len(untried)]
        weights = 1.0 / np.array(ranks)
        new = [*tried, *untried][int(rng.choice(len(ranks), p=weights / weights.sum()))]
        if new.name not in best:
            config.update(model=new.name, params=dict(new.defaults))
            return f"model {fam.name} -> {new.name}"
        _, node, recalled = best[new.name]
        config.update(model=new.name, params={**new.defaults, **recalled["params"]})
        config["features"] = list(recalled["features"])
        return f"model {fam.name} -> {new.name} (node {node}'s config), {_step(config, rng)}"

    def _edit(
        self, task: TaskFolder, config: Config, rng: np.random.Generator, family_prob: float
    ) -> str:
        roll = rng.random()
        if roll < family_prob and (switched := self._switch_family(task, config, rng)):
            return switched
        if roll < family_prob + self.feature_prob and family(config["model"]).template == "tabular":
            step = FEATURE_ORDER[int(rng.integers(len(FEATURE_ORDER)))]
            steps = set(config["features"]) ^ {step}
            config["features"] = canonical_features(steps)
            return f"feature {step} {'on' if step in steps else 'off'}"
        return _step(config, rng)


def program_of(task: TaskFolder, config: Config) -> str:
    """The program of ``config``, a config of ``task``, rendered from its family's template."""
    if family(config["model"]).template == "gpt" and task.starter.is_file():
        # a speedrun task's own record is the template: keep its code and other settings
        starter = task.starter.read_text()
        params = {**read_config(starter)["params"], **config["params"]}
        return write_config(starter, {**config, "params": params})
    return render(config, task.spec.kind, task.spec.image)


def _step(config: Config, rng: np.random.Generator) -> str:
    """One setting of ``config`` moved to a neighbouring choice; what changed."""
    fam = family(config["model"])
    name = list(fam.choices)[int(rng.integers(len(fam.choices)))]
    old = config["params"].get(name, fam.defaults[name])
    config["params"][name] = _neighbour(fam.choices[name], old, rng)
    return f"{name} {old} -> {config['params'][name]}"


def _neighbour(choices: tuple[Any, ...], value: Any, rng: np.random.Generator) -> Any:
    """A choice next to ``value`` (a random one if ``value`` is not a choice)."""
    if value not in choices:
        return choices[int(rng.integers(len(choices)))]
    index = choices.index(value)
    step = 1 if rng.random() < 0.5 else -1
    if not 0 <= index + step < len(choices):
        step = -step
    return choices[index + step] if 0 <= index + step < len(choices) else value


def _lower(config: Config, names: tuple[str, ...]) -> list[str]:
    fam, changed = family(config["model"]), []
    for name in names:
        if name in fam.choices:
            choices, value = fam.choices[name], config["params"].get(name)
            index = choices.index(value) if value in choices else len(choices)
            config["params"][name] = choices[max(0, index - 1)]
            changed.append(f"{name} -> {config['params'][name]}")
    return changed


def _cheaper(config: Config) -> str:
    changed = _lower(config, CHEAPER)
    if not changed and family(config["model"]).template != "tabular":
        return "nothing to make cheaper"
    if not changed:
        config.update(default_config("linear", config["features"]))
        return "switched to the linear model"
    return "fewer epochs/iterations: " + ", ".join(changed)


def _smaller(config: Config) -> str:
    changed = _lower(config, SMALLER)
    if "pca" in config["features"]:
        config["features"] = [s for s in config["features"] if s != "pca"]
        changed.append("pca off")
    return "smaller batches/models: " + (", ".join(changed) or "nothing to shrink")


def _impute(config: Config) -> str:
    config["features"] = canonical_features([*config["features"], "impute"])
    return "imputation of missing values added"


def _no_change(config: Config) -> str:
    return "config kept"


def _describe(config: Config) -> str:
    params = ", ".join(f"{k}={v}" for k, v in config["params"].items())
    return f"{config['model']}({params}) features={config['features']}"


def _with_plan(candidate: ProposedSolution, prefix: str) -> ProposedSolution:
    return ProposedSolution(candidate.code, prefix + candidate.plan)
