"""The shared search core: one implementation of each search policy for robots and researchers.

Tree search over discrete proposals (``Greedy``, ``MCTS``, ``Evolutionary``) works on a
:class:`SearchDomain`; ``CEM`` and ``MPPI`` optimise batched action sequences scored by any
function; ``shortest_plan`` finds cheapest plans over discrete transitions (uniform cost, A*).
This package imports nothing of the rest of the project. Its names are imported on first use
(:mod:`planning.lazy_exports`): importing ``planning`` does not import torch.
"""

from planning.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "Budget": "planning.budget",
        "CEM": "planning.cem",
        "CEMConfig": "planning.sampling_config",
        "Evolutionary": "planning.evolutionary",
        "EvolutionaryConfig": "planning.evolutionary",
        "Executor": "planning.executors",
        "Expansion": "planning.domain",
        "ExpansionJob": "planning.domain",
        "Greedy": "planning.greedy",
        "GreedyConfig": "planning.greedy",
        "InlineExecutor": "planning.executors",
        "MCTS": "planning.mcts",
        "MCTSConfig": "planning.mcts",
        "MPPI": "planning.mppi",
        "MPPIConfig": "planning.sampling_config",
        "Node": "planning.tree",
        "Parent": "planning.domain",
        "Plan": "planning.shortest_path",
        "ProcessExecutor": "planning.executors",
        "SearchDomain": "planning.domain",
        "SearchPolicy": "planning.search_policy",
        "SearchTree": "planning.tree",
        "ThreadExecutor": "planning.executors",
        "load_state": "planning.checkpoint",
        "save_state": "planning.checkpoint",
        "shortest_plan": "planning.shortest_path",
    },
)
