"""Solution code: render a template around a config block; read or rewrite the block with ``ast``.

A solution is a Python script whose module-level ``CONFIG = {...}`` literal holds everything the
operators edit; the rest of the script is the template body and stays as it is.
"""

from __future__ import annotations

import ast
import pprint
from pathlib import Path

from research_agent.solutions.space import FEATURE_STEPS, Config, TaskKind, families_for, family

TEMPLATES = Path(__file__).resolve().parent / "templates"


class ConfigBlockError(ValueError):
    """The code has no ``CONFIG = {literal}`` assignment that can be read."""


def render(config: Config, kind: TaskKind, image: bool = False) -> str:
    """The script of ``config``'s family template for a task of ``kind``."""
    fam = family(config["model"])
    estimators = {
        f.name: f.estimators[kind] for f in families_for(kind, image) if f.template == fam.template
    }
    replacements = {
        "__CONFIG__": literal(config),
        "__KIND__": repr(kind),
        "__ESTIMATORS__": literal(estimators),
        "__FEATURE_STEPS__": literal(FEATURE_STEPS),
    }
    return fill_template(fam.template, replacements)


def fill_template(name: str, replacements: dict[str, str]) -> str:
    """The template ``name`` (``templates/<name>.py.tmpl``) with each marker replaced, in the
    order given (a value inserted earlier is searched for the later markers)."""
    text = (TEMPLATES / f"{name}.py.tmpl").read_text()
    for marker, value in replacements.items():
        text = text.replace(marker, value)
    return text


def literal(value: object) -> str:
    """``value`` as a Python literal, laid out for a template."""
    return pprint.pformat(value, width=88, sort_dicts=False)


def _config_node(tree: ast.Module) -> ast.Assign:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "CONFIG" for t in node.targets
        ):
            return node
    raise ConfigBlockError("the solution has no module-level CONFIG assignment")


def read_config(code: str) -> Config:
    """The ``CONFIG`` literal of ``code``."""
    try:
        node = _config_node(ast.parse(code))
        config = ast.literal_eval(node.value)
    except (SyntaxError, ValueError) as exc:
        raise ConfigBlockError(f"cannot read the CONFIG block: {exc}") from exc
    if not isinstance(config, dict):
        raise ConfigBlockError("CONFIG is not a dict")
    return config


def write_config(code: str, config: Config) -> str:
    """``code`` with its ``CONFIG`` literal replaced by ``config`` (the rest untouched)."""
    node = _config_node(ast.parse(code))
    lines = code.splitlines(keepends=True)
    start, end = node.value.lineno - 1, node.value.end_lineno or node.value.lineno
    head = lines[start][: node.value.col_offset]
    tail = lines[end - 1][node.value.end_col_offset :]
    return "".join([*lines[:start], head, literal(config), tail, *lines[end:]])
