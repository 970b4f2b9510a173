"""The research agent: searches over ML solutions with the planning core's search policies.

Read it from its parts, bottom up (each imports only parts above it in this list):

* ``solutions/``: what a solution is: a config of the config space, the program a template
  renders around it, the files it leaves in its workspace (read without following links);
* ``tasks/``: task folders (spec, public data, private labels, starter, grader) and the task
  sources they come from, by prefix: built-in, ``speedrun/``, ``external/`` (MLGym, MLE-bench);
* ``execution/``: the sandbox (cgroup, spares started ahead) that runs and grades a solution,
  the run's GPUs, and where a run's solutions execute (threads or Ray);
* ``journal.py``: the run's append-only record;
* ``operators/``: draft, improve, debug, crossover: programmatic or by a language model;
* ``research_domain.py``, ``search.py``: the planning core's search over solutions, resumable;
* ``selection/``: the final choice, by a cross-validated race, ensembles included;
* ``reporting/``: the end-of-run report and the performance profiles (AUP);
* entry points: ``python -m research_agent.run`` (``config.py``, ``preflight.py``,
  ``resume.py``) and ``python -m research_agent.leaderboard``; beside them ``gym_env.py`` (a
  task as a Gymnasium environment) and ``tuners.py`` (random search and TPE, for comparison).
"""

from research_agent.execution.execute import ExecutionResult, execute, task_limits
from research_agent.execution.sandbox import Limits, isolation_backend
from research_agent.gym_env import ResearchEnv  # registers research_agent/Research-v0
from research_agent.journal import Journal
from research_agent.operators import (
    Operators,
    ProgrammaticOperators,
    ProposedSolution,
    make_operators,
)
from research_agent.research_domain import ResearchDomain
from research_agent.search import SearchOutcome, make_policy, run_search
from research_agent.tasks import TaskFolder, TaskSpec, grade, load_task, prepare

__all__ = [
    "ExecutionResult",
    "Journal",
    "Limits",
    "Operators",
    "ProgrammaticOperators",
    "ProposedSolution",
    "ResearchDomain",
    "ResearchEnv",
    "SearchOutcome",
    "TaskFolder",
    "TaskSpec",
    "execute",
    "grade",
    "isolation_backend",
    "load_task",
    "make_operators",
    "make_policy",
    "prepare",
    "run_search",
    "task_limits",
]
