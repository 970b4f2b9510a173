"""The research agent's parts import only the parts below them (docs/ARCHITECTURE.md's table)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "research_agent"

# each part, bottom up, with the parts it may import
BELOW: dict[str, set[str]] = {
    "solutions": set(),
    "tasks": {"solutions"},
    "execution": {"solutions", "tasks"},
    "journal": set(),
    "operators": {"solutions", "tasks", "journal"},
    "selection": {"solutions", "tasks", "execution", "journal", "research_domain"},
    "reporting": {"tasks", "journal"},
}


def part_of(module: str) -> str:
    """``research_agent.tasks.builtin`` -> ``tasks``; ``research_agent.journal`` -> ``journal``."""
    return module.split(".")[1] if module.count(".") else ""


def runtime_imports(path: Path) -> set[str]:
    """The research_agent modules ``path`` imports when it runs (not for type checking only)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return {name for name in found if name.startswith("research_agent.")}


@pytest.mark.parametrize("part", sorted(BELOW))
def test_a_part_imports_only_the_parts_below_it(part: str):
    files = [PACKAGE / f"{part}.py"] if (PACKAGE / f"{part}.py").is_file() else []
    files += sorted((PACKAGE / part).rglob("*.py")) if (PACKAGE / part).is_dir() else []
    assert files, part
    upward = {
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in files
        for module in runtime_imports(path)
        if part_of(module) not in BELOW[part] | {part}
    }
    assert not upward, sorted(upward)
