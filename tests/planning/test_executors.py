"""Executors: failures become buggy nodes; results do not depend on the executor."""

import pytest

from planning.budget import Budget
from planning.domain import Expansion, ExpansionJob
from planning.evolutionary import Evolutionary, EvolutionaryConfig
from planning.executors import InlineExecutor, ProcessExecutor, ThreadExecutor
from planning.greedy import Greedy, GreedyConfig
from planning.mcts import MCTS, MCTSConfig
from tests.planning.synthetic_domains import BitMatch, ChoiceTree, Dying, Raising, Slow, signature

POLICIES = [
    (Greedy, GreedyConfig, ChoiceTree(bug_prob=0.3, seed=5)),
    (MCTS, MCTSConfig, ChoiceTree(bug_prob=0.3, seed=5)),
    (Evolutionary, EvolutionaryConfig, BitMatch(seed=5)),
]


def test_executors_keep_submission_order() -> None:
    jobs = [ExpansionJob("draft", (), seed) for seed in range(8)]
    domain = ChoiceTree()
    expected = InlineExecutor().map(domain.expand, jobs)
    with ThreadExecutor(3) as threads, ProcessExecutor(2) as processes:
        assert threads.map(domain.expand, jobs) == expected
        assert processes.map(domain.expand, jobs) == expected


@pytest.mark.parametrize("policy_cls,config_cls,domain", POLICIES)
def test_same_seed_same_tree_on_every_executor(policy_cls, config_cls, domain) -> None:
    def run(executor):
        policy = policy_cls(config_cls(seed=7, parallel=3))
        return signature(policy.run(domain, Budget(max_steps=40), executor=executor))

    inline = run(InlineExecutor())
    assert len(inline) == 40
    assert run(InlineExecutor()) == inline
    with ThreadExecutor(3) as threads:
        assert run(threads) == inline
    with ProcessExecutor(2) as processes:
        assert run(processes) == inline
    other_seed = policy_cls(config_cls(seed=8, parallel=3)).run(domain, Budget(max_steps=40))
    assert signature(other_seed) != inline


@pytest.mark.parametrize("executor_cls", [InlineExecutor, ThreadExecutor])
def test_raising_domain_gives_buggy_nodes(executor_cls) -> None:
    executor = executor_cls() if executor_cls is InlineExecutor else executor_cls(2)
    with executor:
        tree = Greedy(GreedyConfig(parallel=2)).run(Raising(), Budget(max_steps=30), executor)
    failed = [n for n in tree.nodes if "domain failure" in n.info.get("error", "")]
    assert failed and all(n.is_buggy and n.score is None for n in failed)
    assert "RuntimeError" in failed[0].info["error"]
    assert len(tree) == 30 and tree.good_nodes()


def test_dying_worker_gives_buggy_node_and_search_continues() -> None:
    with ProcessExecutor(2) as executor:
        tree = MCTS(MCTSConfig(parallel=3)).run(Dying(), Budget(max_steps=30), executor)
    died = [n for n in tree.nodes if "worker process died" in n.info.get("error", "")]
    assert died and all(n.is_buggy for n in died)
    assert len(tree) == 30 and tree.good_nodes()
    # exactly the jobs that kill their worker fail; the others ran normally
    policy = MCTS(MCTSConfig())
    died_ids = {n.id for n in died}
    assert died_ids == {n.id for n in tree.nodes if policy.job_seed(n.id) % 3 == 0}


def test_non_expansion_result_is_buggy() -> None:
    class Wrong(ChoiceTree):
        def expand(self, job: ExpansionJob) -> Expansion:
            return "not an expansion"  # type: ignore[return-value]

    (result,) = InlineExecutor().map(Wrong().expand, [ExpansionJob("draft", (), 0)])
    assert result.is_buggy and "expected Expansion" in result.info["error"]


def test_max_seconds_stops_the_run() -> None:
    budget = Budget(max_seconds=0.3)
    tree = Greedy().run(Slow(delay=0.02), budget)
    assert 3 <= len(tree) < 30
    assert budget.elapsed < 1.0


def test_bad_worker_count() -> None:
    with pytest.raises(ValueError, match="max_workers"):
        ThreadExecutor(0)
