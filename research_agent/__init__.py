"""The research agent: searches over ML solutions with the planning core's search policies.

A task (:mod:`research_agent.tasks`) is solved by operators (:mod:`research_agent.operators`)
that write solution scripts, run in a sandbox (:mod:`research_agent.execution.sandbox`) and graded
on held-out labels; :func:`run_search` drives a Greedy, MCTS or Evolutionary policy over them with
an append-only journal and resume. ``python -m research_agent.run`` is the entry point.
"""

from research_agent.execution.execute import ExecutionResult, execute, task_limits
from research_agent.execution.sandbox import Limits, isolation_backend
from research_agent.gym_env import ResearchEnv  # registers research_agent/Research-v0
from research_agent.journal import Journal
from research_agent.operators import Candidate, Operators, ProgrammaticOperators, make_operators
from research_agent.research_domain import ResearchDomain
from research_agent.search import SearchOutcome, make_policy, run_search
from research_agent.tasks import Task, TaskSpec, grade, load_task, prepare

__all__ = [
    "Candidate",
    "ExecutionResult",
    "Journal",
    "Limits",
    "Operators",
    "ProgrammaticOperators",
    "ResearchDomain",
    "ResearchEnv",
    "SearchOutcome",
    "Task",
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
