"""The Ray executor: same trees as inline, bounded in-flight tasks, lost workers re-queued or
recorded as failed while the search goes on."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from planning.budget import Budget
from planning.domain import Expansion, ExpansionJob
from planning.evolutionary import Evolutionary, EvolutionaryConfig
from planning.executors import InlineExecutor
from planning.greedy import Greedy, GreedyConfig
from planning.mcts import MCTS, MCTSConfig
from planning.ray_executor import (
    RayExecutor,
    RaySettings,
    WorkerLost,
    check_executor,
    ray_map,
    task_options,
)
from tests.planning.synthetic_domains import BitMatch, ChoiceTree, Dying, signature

POLICIES = [
    (Greedy, GreedyConfig, ChoiceTree(bug_prob=0.3, seed=5)),
    (MCTS, MCTSConfig, ChoiceTree(bug_prob=0.3, seed=5)),
    (Evolutionary, EvolutionaryConfig, BitMatch(seed=5)),
]


@dataclass
class KillsItsWorkerOnce(ChoiceTree):
    """A ChoiceTree whose first job with an even seed SIGKILLs its own worker process (once:
    a marker file in ``folder`` remembers it), as a crashed or killed worker would."""

    folder: str = ""

    def expand(self, job: ExpansionJob) -> Expansion:
        marker = Path(self.folder) / "killed"
        if job.seed % 2 == 0 and not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return super().expand(job)


@pytest.mark.parametrize("policy_cls,config_cls,domain", POLICIES)
def test_same_seed_same_tree_inline_and_on_ray(ray_local, policy_cls, config_cls, domain):
    def run(executor):
        policy = policy_cls(config_cls(seed=7, parallel=3))
        return signature(policy.run(domain, Budget(max_steps=24), executor=executor))

    with RayExecutor(3) as executor:
        assert run(executor) == run(InlineExecutor())


def test_killed_worker_is_requeued_and_no_node_is_lost(ray_local, tmp_path):
    domain = KillsItsWorkerOnce(folder=str(tmp_path))
    with RayExecutor(2, RaySettings(max_retries=1)) as executor:
        tree = Greedy(GreedyConfig(seed=3, parallel=2)).run(domain, Budget(max_steps=10), executor)
    assert (tmp_path / "killed").exists()  # a worker did die mid-job
    reference = Greedy(GreedyConfig(seed=3, parallel=2)).run(
        ChoiceTree(), Budget(max_steps=10), InlineExecutor()
    )
    assert signature(tree) == signature(reference)


def test_worker_lost_for_good_is_a_failed_node_and_the_search_goes_on(ray_local):
    with RayExecutor(2, RaySettings(max_retries=0)) as executor:
        tree = MCTS(MCTSConfig(parallel=3)).run(Dying(), Budget(max_steps=9), executor)
    lost = [n for n in tree.nodes if "ray worker lost" in n.info.get("error", "")]
    assert lost and all(n.is_buggy and n.score is None for n in lost)
    assert len(tree) == 9 and tree.good_nodes()


def _span(seconds: float) -> tuple[float, float]:
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def test_ray_map_keeps_order_and_bounds_tasks_in_flight(ray_local):
    spans = ray_map(_span, [0.2] * 4, task_options(RaySettings()), max_in_flight=1)
    starts = [s for s, _ in spans]
    assert starts == sorted(starts)
    assert all(end <= nxt for (_, end), nxt in zip(spans, starts[1:], strict=False))
    finished = []
    results = ray_map(
        abs, [-3, -1, -2], task_options(RaySettings()), on_result=lambda i, r: finished.append(i)
    )
    assert results == [3, 1, 2] and sorted(finished) == [0, 1, 2]


def test_a_raising_task_is_reported_not_hidden(ray_local):
    (result,) = ray_map(int, ["not a number"], task_options(RaySettings()))
    assert isinstance(result, WorkerLost) and "ValueError" in result.error


def test_bad_settings_name_the_field():
    with pytest.raises(ValueError, match=r"executor='dask'.*local, ray"):
        check_executor("dask")
    with pytest.raises(ValueError, match=r"ray\.num_cpus"):
        task_options(RaySettings(num_cpus=-1))
    with pytest.raises(ValueError, match="max_workers"):
        RayExecutor(0)


def test_a_function_that_does_not_pickle_is_named(ray_local):
    lock = threading.Lock()
    with pytest.raises(TypeError, match="pickle"):
        ray_map(lambda x: lock, [1], task_options(RaySettings()))
