"""Research tasks: the folder format, the task sources (by prefix) and grading on held-out labels.

Importing the package registers every task source (:mod:`research_agent.tasks.sources`): the
built-in suite, the speedrun chain, MLGym and MLE-bench layouts.
"""

from research_agent.tasks import builtin  # noqa: F401  (registers the source builtin)
from research_agent.tasks.builtin import RECIPES, TaskRecipe, prepare
from research_agent.tasks.external import mlebench, mlgym  # noqa: F401  (register their layouts)
from research_agent.tasks.grading import gain_over_baseline, grade
from research_agent.tasks.sources import (
    SOURCES,
    SolutionRunner,
    TaskSource,
    default_cache,
    find_source,
    load_task,
    register_task_source,
)
from research_agent.tasks.spec import TaskFolder, TaskSpec
from research_agent.tasks.speedrun import tasks as speedrun_tasks  # noqa: F401  (registers speedrun)

__all__ = [
    "RECIPES",
    "SOURCES",
    "SolutionRunner",
    "TaskFolder",
    "TaskRecipe",
    "TaskSource",
    "TaskSpec",
    "default_cache",
    "find_source",
    "gain_over_baseline",
    "grade",
    "load_task",
    "prepare",
    "register_task_source",
]
