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

from planning.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "ExecutionResult": "research_agent.execution.execute",
        "Journal": "research_agent.journal",
        "Limits": "research_agent.execution.sandbox",
        "Operators": "research_agent.operators",
        "ProgrammaticOperators": "research_agent.operators",
        "ProposedSolution": "research_agent.operators",
        "ResearchDomain": "research_agent.research_domain",
        "ResearchEnv": "research_agent.gym_env",
        "SearchOutcome": "research_agent.search",
        "TaskFolder": "research_agent.tasks",
        "TaskSpec": "research_agent.tasks",
        "execute": "research_agent.execution.execute",
        "grade": "research_agent.tasks",
        "isolation_backend": "research_agent.execution.sandbox",
        "load_task": "research_agent.tasks",
        "make_operators": "research_agent.operators",
        "make_policy": "research_agent.search",
        "prepare": "research_agent.tasks",
        "run_search": "research_agent.search",
        "task_limits": "research_agent.execution.execute",
    },
)
