"""Greedy (AIDE-style) search on synthetic trees with known best leaves."""

import pytest

from planning.budget import Budget
from planning.greedy import Greedy, GreedyConfig
from tests.planning.synthetic_domains import ChoiceTree


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_finds_best_leaf(seed: int) -> None:
    domain = ChoiceTree(depth=5, branching=3, bug_prob=0.2, seed=seed)
    best = domain.best_leaf()
    tree = Greedy(GreedyConfig(seed=seed)).run(domain, Budget(max_steps=300))
    assert tree.best_node().payload == best


def test_drafts_first_then_debug_buggy_leaves() -> None:
    domain = ChoiceTree(bug_prob=0.5, fix_prob=1.0)
    tree = Greedy(GreedyConfig(num_drafts=4)).run(domain, Budget(max_steps=40))
    assert [n.operator for n in tree.nodes[:4]] == ["draft"] * 4
    assert len(tree.draft_nodes()) == 4
    # debug_prob=1 and fix_prob=1: every buggy node gets exactly one fixing debug child.
    for node in tree.buggy_nodes()[:-1]:
        (child,) = node.children
        assert tree[child].operator == "debug" and not tree[child].is_buggy
        assert tree[child].debug_depth == 1


def test_max_debug_depth_ends_debug_chains() -> None:
    domain = ChoiceTree(bug_prob=1.0, fix_prob=0.0)
    tree = Greedy(GreedyConfig(num_drafts=1, max_debug_depth=3)).run(domain, Budget(max_steps=12))
    assert max(n.debug_depth for n in tree.nodes) == 3
    assert tree.best_node() is None
    assert all(n.is_buggy for n in tree.nodes)


@pytest.mark.parametrize(
    ("field", "value"), [("num_drafts", 0), ("debug_prob", 1.5), ("parallel", 0), ("seed", -1)]
)
def test_config_validation_names_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"GreedyConfig.{field} must be"):
        Greedy(GreedyConfig(**{field: value}))
