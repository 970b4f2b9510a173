"""Evolutionary search on a bit-matching objective whose optimum is found by brute force."""

import numpy as np
import pytest

from planning.budget import Budget
from planning.evolutionary import Evolutionary, EvolutionaryConfig
from tests.planning.synthetic_domains import BitMatch


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evolutionary_reaches_optimum_using_crossover(seed: int) -> None:
    domain = BitMatch(n=16, seed=seed)
    config = EvolutionaryConfig(seed=seed, num_islands=3, migration_interval=4)
    policy = Evolutionary(config)
    tree = policy.run(domain, Budget(max_steps=600))
    assert tree.best_node().score == pytest.approx(domain.optimum())
    crossovers = [n for n in tree.nodes if n.operator == "crossover"]
    assert crossovers and all(len(n.parents) == 2 for n in crossovers)
    members = {m for island in policy.islands for m in island}
    assert members & {n.id for n in crossovers}, "no crossover child ever joined an island"


def test_generations_and_island_admission() -> None:
    config = EvolutionaryConfig(individuals_per_generation=4, num_generations_till_crossover=3)
    policy = Evolutionary(config)
    tree = policy.run(BitMatch(), Budget(max_steps=40))
    ops = [n.operator for n in tree.nodes]
    assert ops[:4] == ["draft"] * 4
    assert "crossover" not in ops[:12]
    assert set(ops[4:12]) == {"improve"}
    assert "crossover" in ops[12:]
    # No island outgrew its limit, so members are in joining order: each joined at or above the
    # mean of those before it.
    (island,) = policy.islands
    assert tree[island[0]].operator == "draft"
    scores = [tree[m].score for m in island]
    assert all(scores[k] >= np.mean(scores[:k]) for k in range(1, len(scores)))
    assert len(island) < len(tree.good_nodes())


def test_island_size_limit_and_migration() -> None:
    config = EvolutionaryConfig(num_islands=4, max_island_size=3, migration_interval=2)
    policy = Evolutionary(config)
    tree = policy.run(BitMatch(), Budget(max_steps=200))
    assert all(len(island) <= 3 for island in policy.islands)
    assert policy.last_migration > 0
    migrants = [
        m for k, island in enumerate(policy.islands) for m in island if policy.island_of[m] != k
    ]
    assert migrants, "migration never moved an individual to another island"
    assert len(tree) == 200


@pytest.mark.parametrize(("field", "value"), [("temperature", 0.0), ("crossover_prob", -0.1)])
def test_config_validation_names_field(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"EvolutionaryConfig.{field} must be"):
        Evolutionary(EvolutionaryConfig(**{field: value}))
