"""The research tree read from a journal as it grows (a line still being written waits)."""

import json

from runkit.dashboard import research
from runkit.dashboard.synthetic import execution, research_tree


def test_tree_grows_incrementally_and_a_torn_line_waits(tmp_path):
    run = research_tree(tmp_path / "run", 10)
    tree = research.tree(run)
    assert len(tree["nodes"]) == 10 and tree["metric"] == "accuracy"
    assert tree["direction"] == "maximize"
    record, node = execution("kx", 10, 3, 0.5, 5.0)
    with (run / "journal.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n" + json.dumps(node)[:12])  # the node line half written
    assert research.tree(run, since=10)["nodes"] == []
    with (run / "journal.jsonl").open("a") as f:
        f.write(json.dumps(node)[12:] + "\n")
    [added] = research.tree(run, since=10)["nodes"]
    assert added["id"] == 10 and added["parents"] == [3] and added["score"] == 0.5


def test_node_detail_has_the_diff_to_its_parent_and_output_tails(tmp_path):
    run = research_tree(tmp_path / "run", 3)
    record, node = execution("kx", 3, 1, 0.5, 5.0, code="CONFIG = {'C': 99}\n")
    with (run / "journal.jsonl").open("a") as f:
        f.write(json.dumps(record) + "\n" + json.dumps(node) + "\n")
    logs = run / "nodes" / "kx" / "logs"
    logs.mkdir(parents=True)
    (logs / "stdout.txt").write_text("x" * (research.TEXT_LIMIT * 5))
    detail = research.node_detail(run, 3)
    assert "+CONFIG = {'C': 99}" in detail["diff"] and "-CONFIG = {'C': 1}" in detail["diff"]
    assert detail["stdout"]["truncated"] and len(detail["stdout"]["text"]) == research.TEXT_LIMIT
    assert research.node_detail(run, 99) is None


def test_direction_of_an_unfinished_run_comes_from_the_metric_name(tmp_path):
    assert research.direction(tmp_path, "rmse") == "minimize"
    assert research.direction(tmp_path, "accuracy") == "maximize"
    (tmp_path / "metrics.json").write_text('{"direction": "minimize"}')
    assert research.direction(tmp_path, "accuracy") == "minimize"
