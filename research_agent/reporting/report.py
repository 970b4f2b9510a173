"""The end-of-run report: markdown summary, score-versus-time plot and the search tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planning.tree import Node, SearchTree
from research_agent.journal import Record
from research_agent.tasks.spec import TaskFolder


def score_curve(nodes: list[Record], task: TaskFolder) -> list[tuple[float, float]]:
    """(seconds since the first execution finished, best validation score so far) per good node."""
    timed = sorted(nodes, key=lambda r: r["finished_at"])
    if not timed:
        return []
    start, best, curve = timed[0]["finished_at"] - timed[0]["exec_time"], None, []
    for record in timed:
        score = record["metrics"]["val_score"]
        if score is not None and (best is None or task.spec.better_or_equal(score, best)):
            best = score
        if best is not None:
            curve.append((record["finished_at"] - start, best))
    return curve


def plot_curve(curve: list[tuple[float, float]], task: TaskFolder, path: Path) -> Path:
    """Best validation score against time as a PNG (matplotlib's Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    if curve:
        ax.step([t for t, _ in curve], [s for _, s in curve], where="post", label="best so far")
    if task.spec.baseline_score is not None:
        ax.axhline(task.spec.baseline_score, color="grey", linestyle="--", label="baseline")
    ax.set(xlabel="seconds", ylabel=f"validation {task.spec.metric}", title=task.spec.id)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def tree_lines(tree: SearchTree, task: TaskFolder) -> list[str]:
    """The search tree as an indented list (crossover children appear under both parents)."""

    def line(node: Node, depth: int) -> list[str]:
        score = node.info.get("val_score")
        shown = "buggy" if node.is_buggy else f"{task.spec.metric}={score:.4g}"
        text = f"{'  ' * depth}- [{node.id}] {node.operator}: {shown} — {node.payload['plan']}"
        return [text] + [x for c in node.children for x in line(tree[c], depth + 1)]

    return [x for root in tree.draft_nodes() for x in line(root, 0)]


NOT_IN_TABLE = ("val_gain_over_baseline", "selection")  # written as sentences of their own


def gain_lines(gain: dict[str, Any] | None) -> list[str]:
    """A sentence on the best solution's validation gain over the baseline and whether it is
    larger than the validation split's sampling noise (``gain_over_baseline``'s result)."""
    if gain is None:
        return []
    low, high = gain["ci95"]
    verdict = (
        "larger than the validation split's sampling noise"
        if low > 0
        else "within the validation split's sampling noise: expect less or none on the test labels"
    )
    return [
        f"Validation gain over the baseline: {gain['gain']:+.4g} (paired bootstrap 95% "
        f"interval {low:+.4g} to {high:+.4g}), {verdict}.",
        "",
    ]


def split_lines(summary: dict[str, Any]) -> list[str]:
    """Which score comes from which answers: validation scores from the validation split,
    the test score from the held-out answers (graded once, after the search), and the test
    score of the best node by validation score when the run graded it (``held_out_scores``)."""
    text = (
        "Every validation score here (the search tree, the plot, `best_val_score`) comes from "
        "the validation split; `test_score` comes from the held-out answers, graded once for "
        "the chosen solution after the search and never shown to it."
    )
    node, score = summary.get("best_val_node"), summary.get("best_val_node_test_score")
    if node is not None and node != summary.get("best_node") and score is not None:
        text += f" The best node by validation score, node {node}, scores {score:.6g} on them."
    return [text, ""]


def selection_lines(selection: dict[str, Any] | None) -> list[str]:
    """How the solution was chosen (``Selection.to_dict()``): by validation score, or the
    shortlist's cross-validation scores and their ensemble's."""
    if not selection or selection["rule"] not in ("cross_validation", "ensemble"):
        return ["Chosen by its validation score.", ""]
    lines = [
        f"Chosen by {selection['folds']}-fold cross-validation over the training and "
        f"validation samples among the best by validation score and the best of each model "
        f"family, the weaker half raced out after the first fold ({selection['seconds']:.1f} s):",
        "",
        "| node | validation | cross-validation | chosen |",
        "|---|---|---|---|",
    ]
    for c in selection["candidates"]:
        cv = "not run" if c["fold_scores"] is None else f"raced out ({c['fold_scores'][0]:.6g})"
        cv = cv if c["cv_score"] is None else f"{c['cv_score']:.6g}"
        mark = "yes" if c["node"] == selection["chosen"] else ""
        lines.append(f"| {c['node']} | {c['val_score']:.6g} | {cv} | {mark} |")
    ensemble = selection.get("ensemble") or {}
    if ensemble.get("cv_score") is not None:
        val = "not run" if ensemble["val_score"] is None else f"{ensemble['val_score']:.6g}"
        mark = "yes" if selection["rule"] == "ensemble" else ""
        members = ", ".join(str(m) for m in ensemble["members"])
        lines.append(f"| ensemble of {members} | {val} | {ensemble['cv_score']:.6g} | {mark} |")
    if ensemble.get("reason"):
        lines += ["", f"Ensemble of the best cross-validated: {ensemble['reason']}."]
    return [*lines, ""]


def write_report(
    path: Path,
    task: TaskFolder,
    tree: SearchTree,
    best: Node | None,
    summary: dict[str, Any],
    plot: Path,
) -> Path:
    """Write the markdown report of a run whose chosen solution is ``best``."""
    gain = summary.get("val_gain_over_baseline")
    lines = [
        f"# Research run on `{task.spec.id}`",
        "",
        task.spec.description,
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in summary.items() if k not in NOT_IN_TABLE),
        "",
        *split_lines(summary),
        *gain_lines(gain),
        *selection_lines(summary.get("selection")),
        f"![best validation score over time]({plot.name})",
        "",
        "## Best solution",
        "",
    ]
    if best is not None:
        lines += [best.payload["plan"], "", "```python", best.payload["code"].rstrip(), "```", ""]
    lines += ["## Search tree", "", *tree_lines(tree, task), ""]
    path.write_text("\n".join(lines))
    return path
