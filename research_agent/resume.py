"""Resuming a research run: the run's saved config rules, and a resume never rewrites it.

``python -m research_agent.run resume=true hydra.run.dir=<run folder>`` continues the run with
the ``config.yaml`` its first start wrote, not with the defaults (task, policy, seed) that hydra
composes for the command line. A setting named on the command line must equal the saved one
(else :class:`~runkit.UsageError`, naming the key), except those that only say where and how
solutions run (:data:`FREE_ON_RESUME`); a config group named (``search=mcts``) must be the
option the run was started with (hydra's record of it in ``.hydra/hydra.yaml``), its settings
as the run had them. So that hydra composes the command line with the run's own group options
(``search.uct_c=...`` is a key of mcts, not of the default greedy), :func:`with_run_groups`
adds them to the arguments before hydra reads them. Each resume appends its own record (time,
command line, nodes found in the journal) to ``resumes.jsonl`` beside the saved config.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from research_agent.config import ResearchConfig
from research_agent.journal import Journal
from runkit import UsageError

CONFIG_FILE = "config.yaml"
HYDRA_RECORD = ".hydra/hydra.yaml"  # hydra's record of the run's first start
RESUMES_FILE = "resumes.jsonl"
# where and how solutions run, not what the search does: a resume may change these
FREE_ON_RESUME = ("executor", "ray", "run.progress", "tasks_dir")
_INTERPOLATION = re.compile(r"^\$\{.*\}$")


def saved_config(run_dir: Path) -> DictConfig:
    """The config a research run in ``run_dir`` was started with, on the research schema."""
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise UsageError(
            f"resume=true: {run_dir} holds no research run (no {CONFIG_FILE}); "
            "pass hydra.run.dir=<the folder of the run to continue>"
        )
    try:
        saved = OmegaConf.load(path)
        merged = OmegaConf.merge(OmegaConf.structured(ResearchConfig), saved)
    except OmegaConfBaseException as error:
        raise UsageError(f"resume=true: {path} is not a research run's config: {error}") from None
    if OmegaConf.select(merged, "search.name") is None and "search" in saved_choices(run_dir):
        merged.search.name = saved_choices(run_dir)["search"]  # saved before search.name was
    return merged


def saved_choices(run_dir: Path) -> dict[str, str]:
    """The config group options (``{"search": "mcts", ...}``) the run was started with, from
    hydra's record of its first start (empty when the run was started without hydra)."""
    path = run_dir / HYDRA_RECORD
    if not path.is_file():
        return {}
    return group_choices(OmegaConf.select(OmegaConf.load(path), "hydra.runtime.choices"))


def group_choices(choices: DictConfig | None) -> dict[str, str]:
    """Hydra's ``runtime.choices`` node as ``{group: option}``."""
    return {str(k): str(v) for k, v in (choices or {}).items()}


def with_run_groups(args: list[str]) -> list[str]:
    """Command-line ``args`` of a resume (``resume=true hydra.run.dir=<run>``) with the config
    group options the run was started with (``search=mcts`` ...) put first, unless typed;
    other ``args`` are returned as they are."""
    values = dict(a.split("=", 1) for a in args if "=" in a and not a.startswith("-"))
    run_dir = values.get("hydra.run.dir")
    if values.get("resume", "").lower() != "true" or run_dir is None:
        return args
    typed = {a.lstrip("+~").split("=", 1)[0] for a in args if not a.startswith("-")}
    groups = [
        f"{group}={option}"
        for group, option in saved_choices(Path(run_dir)).items()
        if not group.startswith("hydra/") and option != "None" and group not in typed
    ]
    return [*groups, *args]


def override_keys(overrides: list[str]) -> dict[str, str]:
    """``{config key: the override as typed}`` of hydra command-line overrides."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    return {(o.package or o.key_or_group): o.input_line for o in parsed}


def _free(key: str) -> bool:
    return key == "resume" or any(key == f or key.startswith(f + ".") for f in FREE_ON_RESUME)


def _plain(node: Any) -> Any:
    """A config node as plain values, interpolations kept as their text."""
    if isinstance(node, DictConfig | ListConfig):
        return OmegaConf.to_container(node, resolve=False)
    return node


def first_difference(current: Any, saved: Any, key: str = "") -> str | None:
    """The dotted key of the first setting in which ``current`` differs from ``saved`` (None:
    none). A value of ``current`` that interpolates another (``${run.seed}``) follows that
    one and is not compared; settings free on resume are skipped."""
    if key and _free(key):
        return None
    if isinstance(current, str) and _INTERPOLATION.match(current):
        return None
    if isinstance(current, dict) and isinstance(saved, dict):
        for name in [*current, *(k for k in saved if k not in current)]:
            child = f"{key}.{name}" if key else str(name)
            found = first_difference(current.get(name), saved.get(name), child)
            if found is not None:
                return found
        return None
    return None if current == saved else key or "<config>"


def _group_difference(key: str, choice: str, run_dir: Path, current: Any, kept: Any) -> str | None:
    """``key`` if the group option ``choice`` is not the one the run was started with (when
    hydra did not record that, if its settings are not the same fields)."""
    was = saved_choices(run_dir).get(key)
    if was is not None:
        return None if was == choice else key
    fields = set(current) if isinstance(current, dict) else current
    kept_fields = set(kept) if isinstance(kept, dict) else kept
    return None if fields == kept_fields else key


def resume_config(
    cfg: DictConfig,
    run_dir: Path,
    overrides: list[str] | None,
    choices: dict[str, str] | None = None,
) -> DictConfig:
    """The config to continue the run in ``run_dir`` with: its saved config, ``resume`` set,
    plus the settings free on resume that ``overrides`` name.

    ``overrides`` are the command line's (hydra's ``overrides.task``; ``choices``, its
    ``runtime.choices``, tell which name config groups): each must agree with the saved
    config. ``None`` (the Python API): ``cfg`` is the whole intended config and must agree
    everywhere. A disagreement raises :class:`UsageError` naming the key."""
    saved = saved_config(run_dir)
    typed = override_keys(overrides) if overrides is not None else {"": "the config given"}
    free: list[str] = []
    for key, typed_as in typed.items():
        if _free(key):
            free.append(key)
            continue
        current = _plain(OmegaConf.select(cfg, key) if key else cfg)
        kept = _plain(OmegaConf.select(saved, key) if key else saved)
        if choices and key in choices:
            differs = _group_difference(key, choices[key], run_dir, current, kept)
        else:
            differs = first_difference(current, kept, key)
        if differs is not None:
            was = saved_choices(run_dir).get(differs) if choices and key in choices else None
            if was is None and differs != "<config>":
                was = _show(OmegaConf.select(saved, differs))
            raise UsageError(
                f"resume=true continues the run in {run_dir} with its saved settings, but "
                f"{typed_as} changes {differs} (saved: {was}); leave {differs} out "
                f"(a resume may change only {', '.join(FREE_ON_RESUME)})"
            )
    if overrides is None:
        free = [k for k in FREE_ON_RESUME if OmegaConf.select(cfg, k) is not None]
    resumed = saved.copy()
    for key in free:
        if key != "resume":
            OmegaConf.update(resumed, key, OmegaConf.select(cfg, key), merge=False)
    resumed.resume = True
    return resumed


def _show(value: Any) -> str:
    plain = _plain(value)
    return "null" if plain is None else str(plain)


def record_resume(run_dir: Path, overrides: list[str] | None, journal: Journal) -> int:
    """Append this resume's record to ``resumes.jsonl``; return how many resumes the run has
    had, this one included."""
    nodes = sum(r.get("kind") == "node" for r in journal.records())
    record = {
        "kind": "resume",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "overrides": overrides,
        "nodes_in_journal": nodes,
    }
    resumes = Journal(run_dir / RESUMES_FILE)
    resumes.append(record)
    return sum(r.get("kind") == "resume" for r in resumes.records())
