"""MCTS on synthetic trees: finds best leaves, backs values up correctly."""

import itertools
import math

import pytest

from planning.budget import Budget
from planning.domain import Expansion, ExpansionJob
from planning.mcts import MCTS, MCTSConfig
from planning.tree import SearchTree
from tests.planning.synthetic_domains import ChoiceTree


def subtree_good_count(tree: SearchTree, node_id: int) -> int:
    node = tree[node_id]
    return (not node.is_buggy) + sum(subtree_good_count(tree, c) for c in node.children)


@pytest.mark.parametrize("max_weight", [0.0, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mcts_finds_best_leaf(seed: int, max_weight: float) -> None:
    domain = ChoiceTree(depth=5, branching=3, bug_prob=0.2, seed=seed)
    best = domain.best_leaf()
    tree = MCTS(MCTSConfig(seed=seed, max_weight=max_weight)).run(domain, Budget(max_steps=300))
    assert tree.best_node().payload == best


def test_backpropagation_counts_every_good_descendant() -> None:
    policy = MCTS(MCTSConfig(seed=3))
    tree = policy.run(ChoiceTree(bug_prob=0.3, fix_prob=0.5), Budget(max_steps=120))
    assert policy.root_visits == len(tree.good_nodes())
    for node in tree.nodes:
        assert node.visits == subtree_good_count(tree, node.id)
    # roots expand with draft, other nodes with improve, buggy nodes only with debug
    assert len(tree.draft_nodes()) == 5
    for node in tree.nodes:
        kids = {tree[c].operator for c in node.children}
        assert kids <= ({"debug"} if node.is_buggy else {"improve"})


def test_max_backup_holds_best_good_descendant() -> None:
    policy = MCTS(MCTSConfig(seed=5, max_weight=1.0))
    tree = policy.run(ChoiceTree(bug_prob=0.3, fix_prob=0.5, seed=5), Budget(max_steps=100))
    for node in tree.nodes:
        below = [n.score for n in tree.nodes if not n.is_buggy and node.id in tree.ancestors(n.id)]
        assert policy.best_value.get(node.id) == (max(below) if below else None)


def test_fixed_debug_score_credits_whole_chain() -> None:
    domain = ChoiceTree(bug_prob=0.5, fix_prob=0.5, seed=4)
    tree = MCTS(MCTSConfig(seed=4)).run(domain, Budget(max_steps=80))
    fixed = [n for n in tree.nodes if n.operator == "debug" and not n.is_buggy]
    assert fixed
    for node in fixed:
        chain = tree.ancestors(node.id)
        assert all(tree[a].visits >= 1 for a in chain)
        assert any(tree[a].is_buggy for a in chain[1:])


def test_children_limit_and_progressive_widening() -> None:
    domain = ChoiceTree(depth=6, branching=4)
    tree = MCTS(MCTSConfig(num_children=3)).run(domain, Budget(max_steps=60))
    assert len(tree.draft_nodes()) == 3
    assert all(len(n.children) <= 3 for n in tree.nodes)

    config = MCTSConfig(pw_k=1.0, pw_alpha=0.5)
    policy = MCTS(config)
    tree = policy.run(domain, Budget(max_steps=60))
    assert len(tree.draft_nodes()) <= math.ceil(policy.root_visits**0.5)
    for node in tree.nodes:
        assert len(node.children) <= max(1, math.ceil(node.visits**0.5))


def test_value_fn_replaces_backed_up_score() -> None:
    domain = ChoiceTree(depth=4, branching=3)
    policy = MCTS(MCTSConfig(), value_fn=lambda payload: float(len(payload)))
    tree = policy.run(domain, Budget(max_steps=40))
    for node in tree.nodes:
        descendants = [n for n in tree.nodes if node.id in tree.ancestors(n.id)]
        assert node.value_sum == pytest.approx(sum(len(n.payload) for n in descendants))


def test_terminal_nodes_are_not_expanded() -> None:
    class Terminal(ChoiceTree):
        def is_terminal(self, payload: tuple[int, ...]) -> bool:
            return len(payload) >= 2

    tree = MCTS(MCTSConfig(num_children=2)).run(Terminal(), Budget(max_steps=100))
    # 2 drafts, 2 children each, then every node is terminal and the search stops early
    assert len(tree) == 6
    assert all(not n.children for n in tree.nodes if len(n.payload) >= 2)


@pytest.mark.parametrize(
    ("field", "value"), [("uct_c", -1.0), ("pw_k", 0.0), ("value_weight", 2), ("max_weight", -0.1)]
)
def test_config_validation_names_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"MCTSConfig.{field} must be"):
        MCTS(MCTSConfig(**{field: value}))


def test_domain_max_children_caps_expansion_and_the_search_descends_past_full_nodes() -> None:
    class Finite(ChoiceTree):
        """Each node has exactly ``branching`` children, proposed in order (no repeats)."""

        def __init__(self) -> None:
            super().__init__(depth=3, branching=2)
            self.proposed: dict[tuple[int, ...], int] = {}

        def max_children(self, payload: tuple[int, ...] | None) -> int:
            return self.branching

        def is_terminal(self, payload: tuple[int, ...]) -> bool:
            return len(payload) >= self.depth

        def expand(self, job: ExpansionJob) -> Expansion:
            parent = job.parents[0].payload if job.parents else ()
            k = self.proposed.get(parent, 0)
            assert k < self.branching, f"asked for child {k} of {parent}, which has only 2"
            self.proposed[parent] = k + 1
            child = (*parent, k)
            return Expansion(child, self.score(child))

    domain = Finite()
    tree = MCTS(MCTSConfig(num_children=5, uct_c=1.0)).run(domain, Budget(max_steps=100))
    # the whole binary tree of depth 3 (2 + 4 + 8 nodes), each node once, then it stops
    assert len(tree) == 14
    assert sorted(n.payload for n in tree.nodes) == sorted(
        p for d in (1, 2, 3) for p in itertools.product(range(2), repeat=d)
    )
