"""Research tasks: folder format, the built-in suite and grading on held-out labels."""

from research_agent.tasks.builtin import RECIPES, TaskRecipe, default_cache, load_task, prepare
from research_agent.tasks.grading import gain_over_baseline, grade
from research_agent.tasks.spec import Task, TaskSpec

__all__ = [
    "RECIPES",
    "Task",
    "TaskRecipe",
    "TaskSpec",
    "default_cache",
    "gain_over_baseline",
    "grade",
    "load_task",
    "prepare",
]
