"""The shared search core: one implementation of each search policy for robots and researchers.

Tree search over discrete proposals (``Greedy``, ``MCTS``, ``Evolutionary``) works on a
:class:`SearchDomain`; ``CEM`` and ``MPPI`` optimise batched action sequences scored by any
function; ``shortest_plan`` finds cheapest plans over discrete transitions (uniform cost, A*).
This package imports nothing of the rest of the project.
"""

from planning.budget import Budget
from planning.cem import CEM, CEMConfig
from planning.checkpoint import load_state, save_state
from planning.domain import Expansion, ExpansionJob, Parent, SearchDomain
from planning.evolutionary import Evolutionary, EvolutionaryConfig
from planning.executors import Executor, InlineExecutor, ProcessExecutor, ThreadExecutor
from planning.greedy import Greedy, GreedyConfig
from planning.mcts import MCTS, MCTSConfig
from planning.mppi import MPPI, MPPIConfig
from planning.search_policy import SearchPolicy
from planning.shortest_path import Plan, shortest_plan
from planning.tree import Node, SearchTree

__all__ = [
    "CEM",
    "MCTS",
    "MPPI",
    "Budget",
    "CEMConfig",
    "Evolutionary",
    "EvolutionaryConfig",
    "Executor",
    "Expansion",
    "ExpansionJob",
    "Greedy",
    "GreedyConfig",
    "InlineExecutor",
    "MCTSConfig",
    "MPPIConfig",
    "Node",
    "Parent",
    "Plan",
    "ProcessExecutor",
    "SearchDomain",
    "SearchPolicy",
    "SearchTree",
    "ThreadExecutor",
    "load_state",
    "save_state",
    "shortest_plan",
]
