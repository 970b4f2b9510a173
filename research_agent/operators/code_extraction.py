"""Getting a runnable Python program out of a language model's answer."""

from __future__ import annotations

import ast
import re

FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


class CodeExtractionError(ValueError):
    """The answer holds no valid Python program; the message says why."""


def extract_code(answer: str) -> str:
    """The longest fenced code block of ``answer`` (or the whole answer if it is plain Python),
    checked to parse as Python and to contain at least one statement."""
    blocks = [b.strip() for b in FENCE.findall(answer) if b.strip()]
    code = max(blocks, key=len) if blocks else answer.strip()
    if not code:
        raise CodeExtractionError("the answer is empty")
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        where = "in the code block" if blocks else "and the answer has no ```python block"
        raise CodeExtractionError(f"syntax error {where}, line {exc.lineno}: {exc.msg}") from None
    if not any(not isinstance(node, ast.Expr) for node in tree.body):
        raise CodeExtractionError("the code has no statement other than bare expressions")
    return code + "\n"


def plan_of(answer: str, limit: int = 400) -> str:
    """The prose before the first code block, as the candidate's plan (shortened)."""
    prose = answer.split("```", 1)[0].strip()
    return prose if len(prose) <= limit else prose[: limit - 1] + "…"
