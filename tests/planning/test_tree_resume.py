"""Checkpoints: a resumed run equals an uninterrupted one; bad files fail clearly."""

from functools import partial

import pytest

from planning.budget import Budget
from planning.domain import Expansion
from planning.evolutionary import Evolutionary, EvolutionaryConfig
from planning.greedy import Greedy, GreedyConfig
from planning.mcts import MCTS, MCTSConfig
from planning.tree import SearchTree
from tests.planning.synthetic_domains import BitMatch, ChoiceTree, signature

POLICIES = [
    (Greedy, GreedyConfig, ChoiceTree(bug_prob=0.3, seed=2)),
    (MCTS, MCTSConfig, ChoiceTree(bug_prob=0.3, seed=2)),
    (MCTS, partial(MCTSConfig, max_weight=0.5), ChoiceTree(bug_prob=0.3, seed=2)),
    (Evolutionary, EvolutionaryConfig, BitMatch(seed=2)),
]


@pytest.mark.parametrize("policy_cls,config_cls,domain", POLICIES)
@pytest.mark.parametrize("parallel", [1, 3])
def test_resume_equals_uninterrupted(tmp_path, policy_cls, config_cls, domain, parallel) -> None:
    # Batches are cut short by max_steps, so the interruption point is a multiple of parallel.
    config = config_cls(seed=11, parallel=parallel)
    path = tmp_path / "search.pt"
    first = policy_cls(config).run(domain, Budget(max_steps=24), checkpoint_path=path)
    assert len(first) == 24 and path.is_file()
    resumed = policy_cls(config).run(domain, Budget(max_steps=48), checkpoint_path=path)
    straight = policy_cls(config).run(domain, Budget(max_steps=48))
    assert len(resumed) == 48
    assert signature(resumed) == signature(straight)


def test_resume_with_islands_and_migration(tmp_path) -> None:
    config = EvolutionaryConfig(
        seed=3, num_islands=3, individuals_per_generation=2, migration_interval=2
    )
    path = tmp_path / "search.pt"
    Evolutionary(config).run(BitMatch(), Budget(max_steps=30), checkpoint_path=path)
    resumed = Evolutionary(config)
    resumed.run(BitMatch(), Budget(max_steps=60), checkpoint_path=path)
    straight = Evolutionary(config)
    straight.run(BitMatch(), Budget(max_steps=60))
    assert signature(resumed.tree) == signature(straight.tree)
    assert resumed.islands == straight.islands


def test_corrupt_checkpoint_raises_clear_error(tmp_path) -> None:
    path = tmp_path / "search.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt"):
        Greedy().run(ChoiceTree(), Budget(max_steps=5), checkpoint_path=path)


def test_checkpoint_of_other_policy_or_config_is_refused(tmp_path) -> None:
    path = tmp_path / "search.pt"
    Greedy().run(ChoiceTree(), Budget(max_steps=5), checkpoint_path=path)
    with pytest.raises(ValueError, match="checkpoint is for Greedy, not MCTS"):
        MCTS().run(ChoiceTree(), Budget(max_steps=10), checkpoint_path=path)
    with pytest.raises(ValueError, match=r"differs .* in \['num_drafts'\]"):
        Greedy(GreedyConfig(num_drafts=2)).run(
            ChoiceTree(), Budget(max_steps=10), checkpoint_path=path
        )
    with pytest.raises(ValueError, match="malformed"):
        Greedy().load_state_dict({"policy": "Greedy"})


def test_tree_round_trip_and_queries() -> None:
    tree = MCTS().run(ChoiceTree(bug_prob=0.3), Budget(max_steps=30))
    copy = SearchTree.from_dict(tree.to_dict())
    assert signature(copy) == signature(tree)
    assert [n.id for n in copy.buggy_nodes()] == [n.id for n in tree.buggy_nodes()]
    assert len(tree.good_nodes()) + len(tree.buggy_nodes()) == len(tree)
    assert tree.best_node().score == max(n.score for n in tree.good_nodes())
    assert all(not n.parents and n.operator == "draft" for n in tree.draft_nodes())


@pytest.mark.parametrize("policy_cls", [Greedy, MCTS, Evolutionary])
def test_an_initial_solution_is_the_first_draft_and_gets_improved(policy_cls) -> None:
    domain = ChoiceTree(depth=4, branching=3, seed=3)
    start = domain.best_leaf()[:3]  # three levels of the best answer, found elsewhere
    policy = policy_cls()
    node = policy.add_initial(Expansion(start, domain.score(start)), domain)
    assert node.id == 0 and node.operator == "draft" and policy.tree.draft_nodes() == [node]
    with pytest.raises(ValueError, match="empty tree"):
        policy.add_initial(Expansion(start, domain.score(start)), domain)
    tree = policy.run(domain, Budget(max_steps=30))
    assert tree.best_node().score >= domain.score(start)
    assert any(n.parents == (0,) for n in tree.nodes)  # the policy built on it
