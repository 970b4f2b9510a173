"""Check an entry point's command line against its config tree before hydra runs it.

Hydra reports a mistyped group option or key as a many-line message with the internal schema
options in its lists (``env_schema``), runs ``+episods=2`` and ignores the key, and asks for
``cartpole_balance`` when the README says ``cartpole-balance``. :func:`check_overrides` composes
the config the way hydra will and turns each such mistake into one :class:`UsageError` naming
the override, what is valid and, where one is close, what was meant:

* a group option is accepted in either spelling (``env=cartpole-balance`` is
  ``env=cartpole_balance``); the overrides come back rewritten to the spelling on disk;
* an unknown option or key lists the valid ones (``*_schema`` options hidden);
* ``+key=value`` that adds a key to a schema'd node (a dataclass) is refused, as its plain
  form is: the key would be ignored; free ``dict`` fields (``env.options``) still take new keys;
* a value of the wrong type names the key and the type it takes;
* a ``_target_`` that names no object says what is missing (module, attribute) and lists the
  targets of the group's options;
* a multirun (``-m``) is checked job by job (:mod:`runkit.sweeps`), so a mistake in any swept
  value ends it before the first job runs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, Override, OverrideType
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from runkit.preflight import UsageError
from runkit.sweeps import is_expandable, sweep_jobs
from runkit.targets import target_problem

INTERNAL_OPTION_SUFFIX = "_schema"


def did_you_mean(value: str, valid: Iterable[str]) -> str:
    """`` (did you mean X?)`` when ``value`` is close to one of ``valid``, else ``""``."""
    close = difflib.get_close_matches(value, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def unknown(what: str, value: str, valid: Sequence[str]) -> str:
    """One line: ``what`` is not one of ``valid``, with the closest one suggested."""
    return f"{what}{did_you_mean(value, valid)}; valid: {', '.join(valid) or '(none)'}"


def same_spelling(name: str) -> str:
    """The spelling ids are compared in: ``cartpole-balance`` and ``cartpole_balance`` match."""
    return name.replace("-", "_")


def visible_options(options: Iterable[str]) -> list[str]:
    """Group options a user may pick: the ``*_schema`` nodes that type them are left out."""
    return sorted(o for o in options if not o.endswith(INTERNAL_OPTION_SUFFIX))


def check_overrides(config_dir: Path, config_name: str, overrides: list[str]) -> list[str]:
    """Raise :class:`UsageError` for the first mistake in ``overrides``; return them with each
    group option spelt as its config file is."""
    parser = OverridesParser.create()
    parsed = []
    for line in overrides:
        try:
            parsed.extend(parser.parse_overrides([line]))
        except HydraException as error:
            raise UsageError(f"{line}: {_one_line(error)}") from None
    if any(o.key_or_group == "hydra.searchpath" for o in parsed):
        return overrides  # options from other config dirs: hydra's own composition checks them
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        loader = GlobalHydra.instance().config_loader()
        groups = {g for g in _all_groups(loader) if not g.startswith("hydra")}
        rewritten = [
            _group_option(o, loader) if o.key_or_group in groups else o.input_line for o in parsed
        ]
        if not any(o.is_sweep_override() for o in parsed):
            _check_job(config_name, rewritten, groups)
            return rewritten
        swept = OverridesParser.create(config_loader=loader).parse_overrides(rewritten)
        if is_expandable(swept):  # else another sweeper's (interval) sweep: it checks its own
            for job in sweep_jobs(swept):
                _check_job(config_name, job, groups)
    return rewritten


def _check_job(config_name: str, lines: list[str], groups: set[str]) -> None:
    """Raise :class:`UsageError` for the first key of ``lines`` (one job's overrides, no sweep)
    that its config does not have, or for the first value that does not fit it."""
    parsed = OverridesParser.create().parse_overrides(lines)
    base = [line for o, line in zip(parsed, lines, strict=True) if not _is_value(o, groups)]
    config = _compose(config_name, base)
    for override in parsed:
        if _is_value(override, groups):
            _check_key(config, override)
    _compose(config_name, lines)
    for override in parsed:
        if (
            override.key_or_group.rsplit(".", 1)[-1] == "_target_"
            and override.type is not OverrideType.DEL
        ):
            _check_target(config_name, base, override, groups)


def _check_target(config_name: str, base: list[str], override: Override, groups: set[str]) -> None:
    """Raise :class:`UsageError` unless ``override`` (a ``_target_``) names an object; the
    message lists the targets of the group's options when the node is a group's."""
    problem = target_problem(str(override.value()))
    if problem is None:
        return
    node = override.key_or_group.rsplit(".", 1)[0].lstrip("+~")
    if node not in groups:
        expected = "a dotted path of a class or function (module.Name)"
        raise UsageError(f"{override.input_line}: {problem}; expected {expected}")
    targets = _group_targets(config_name, base, node)
    hint = did_you_mean(str(override.value()), targets)
    raise UsageError(
        f"{override.input_line}: {problem}{hint}; "
        f"the {node} options' targets: {', '.join(targets) or '(none)'}"
    )


def _group_targets(config_name: str, base: list[str], group: str) -> list[str]:
    """The ``_target_`` of each option of ``group`` (composed with the other overrides)."""
    others = [line for line in base if line.split("=", 1)[0].lstrip("+~") != group]
    loader = GlobalHydra.instance().config_loader()
    targets = set()
    for option in visible_options(loader.get_group_options(group)):
        try:
            config = compose(config_name, overrides=[*others, f"{group}={option}"])
        except (HydraException, OmegaConfBaseException):
            continue
        target = OmegaConf.select(config, f"{group}._target_")
        if target:
            targets.add(str(target))
    return sorted(targets)


def _all_groups(loader: Any, parent: str = "") -> list[str]:
    groups = []
    for name in loader.list_groups(parent):
        group = f"{parent}/{name}" if parent else name
        groups.append(group)
        groups.extend(_all_groups(loader, group))
    return groups


def _is_value(override: Override, groups: set[str]) -> bool:
    """An override of a key (not a group option, not hydra's own settings)."""
    key = override.key_or_group
    return key not in groups and key != "hydra" and not key.startswith(("hydra.", "hydra/"))


def _group_option(override: Override, loader: Any) -> str:
    """``override`` with its option(s) spelt as on disk; unknown options raise."""
    group = override.key_or_group
    options = loader.get_group_options(group)
    value = override.value()
    values = value.list if isinstance(value, ChoiceSweep) else [value]
    if not all(isinstance(v, str) for v in values):
        return override.input_line  # null (drop the group) or a sweep hydra expands itself
    by_spelling = {same_spelling(o): o for o in options}
    picked = []
    for v in values:
        option = v if v in options else by_spelling.get(same_spelling(v))
        if option is None or option.endswith(INTERNAL_OPTION_SUFFIX):
            valid = visible_options(options)
            raise UsageError(unknown(f"{group}={v}: no such option", v, valid))
        picked.append(option)
    if picked == values:
        return override.input_line
    prefix = override.input_line.split("=", 1)[0]
    return f"{prefix}={','.join(picked)}"


def _check_key(config: DictConfig, override: Override) -> None:
    """Raise unless ``override``'s key exists, or is added (``+``) to a free dict."""
    if override.type is OverrideType.DEL:
        return
    *parents, leaf = override.key_or_group.split(".")
    adds = override.type is OverrideType.ADD or override.is_force_add()
    node: Any = config
    for depth, name in enumerate(parents):
        if not isinstance(node, DictConfig) or name not in node.keys():  # noqa: SIM118 (`in` misses ??? keys)
            if adds and _is_free(node):  # +a.b.c=1 into a free dict creates b
                return
            _raise_unknown_key(override, node, ".".join(parents[:depth]), name)
        try:
            node = node[name]
        except OmegaConfBaseException:
            return  # a missing (???) node: composing reports what is wrong with it
    if not isinstance(node, DictConfig) or leaf in node.keys():  # noqa: SIM118
        return
    if adds and _is_free(node):
        return
    _raise_unknown_key(override, node, ".".join(parents), leaf)


def _is_free(node: Any) -> bool:
    """A dict node without a schema, which keys may be added to."""
    return isinstance(node, DictConfig) and OmegaConf.get_type(node) in (dict, None)


def _raise_unknown_key(override: Override, node: Any, path: str, name: str) -> None:
    valid = sorted(str(k) for k in node) if isinstance(node, DictConfig) else []
    line = override.input_line
    adding = "; + cannot add keys to a schema'd config (they would be ignored)"
    where = f" of {path}" if path else ""
    raise UsageError(
        f"{line}: unknown key {name!r}{did_you_mean(name, valid)}"
        f"{adding if line.startswith('+') else ''}; valid keys{where}: {', '.join(valid)}"
    )


def _compose(config_name: str, overrides: list[str]) -> DictConfig:
    try:
        return compose(config_name, overrides=overrides)
    except (HydraException, OmegaConfBaseException) as error:
        raise UsageError(_one_line(error)) from None


def _one_line(error: BaseException) -> str:
    """Hydra's and OmegaConf's message (and its cause's) on one line, without their
    ``full_key:``/``object_type=`` detail lines."""
    parts = []
    for exc in (error, error.__cause__):
        if exc is None:
            continue
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        parts.extend(
            line
            for line in lines
            if not line.startswith(("full_key:", "object_type=", "reference_type="))
        )
    text = ": ".join(parts)
    return text.removeprefix("Error merging override ")
