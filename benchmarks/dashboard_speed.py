"""Dashboard speed: the runs index of 1,000 runs renders in <= 1 s; a research tree of 2,000
nodes opens in <= 2 s and stays interactive (a click on a node shows its code).

Writes synthetic run folders in the entry points' formats (run_status.json, overrides, metrics,
a journal whose solutions carry ~2 kB of code each), serves them with the dashboard and opens
the pages in headless Chromium (Playwright, Debian's /usr/bin/chromium). Each page load is a
browser context, timed from navigation to the rendered rows / drawn tree;
the median of ``--repeats`` loads is reported: ``*_cold`` in a fresh browser context (plotly.js,
4.8 MB, downloaded and compiled), ``*_warm`` after another page of the dashboard was open (the
usual case: plotly.js cached); ``plotly_only_cold`` is a page with plotly.js and nothing else.
The goals are judged on the warm loads. Prints one JSON object.
Usage: python benchmarks/dashboard_speed.py [--runs 1000] [--nodes 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import torch
from machine import machine_info

from runkit.dashboard.server import serving
from runkit.dashboard.synthetic import research_tree, write_run

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ENTRY_POINTS = {
    "episode": lambda r: {"return_mean": r.random() * 100, "success_rate": r.random()},
    "research": lambda r: {"test_score": r.random(), "best_val_score": r.random()},
    "train_worldmodel": lambda r: {"final_losses": {"total": r.random()}},
    "leaderboard": lambda r: {"runs": r.randrange(10)},
}


def write_runs(root: Path, count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    names = list(ENTRY_POINTS)
    for i in range(count):
        entry = names[i % len(names)]
        status = rng.choice(["finished", "finished", "failed", "killed"])
        write_run(
            root / "outputs" / entry / f"2026-01-{1 + i // 1000:02d}_00-00-{i % 1000:03d}",
            entry,
            status,
            ENTRY_POINTS[entry](rng) if status == "finished" else None,
            [f"run.seed={i}", f"x={rng.random():.3f}"],
            started=1.7e9 + i,
        )


def wait_until(page, expression: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise TimeoutError(expression)
        time.sleep(0.005)


def timed_api(url: str) -> float:
    start = time.perf_counter()
    urllib.request.urlopen(url, timeout=120).read()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_runs(root, args.runs - 1)
        tree_id = "outputs/research/tree"
        research_tree(root / tree_id, args.nodes)
        journal_mb = (root / tree_id / "journal.jsonl").stat().st_size / 1e6
        with serving([root / "outputs", root / "multirun"]) as base, sync_playwright() as p:
            index_api_cold = timed_api(base + "/api/runs")
            index_api_warm = timed_api(base + "/api/runs")
            tree_url = f"/api/tree?id={urllib.parse.quote(tree_id)}"
            tree_api_cold = timed_api(base + tree_url)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            times: dict[str, list[float]] = {}

            def timed(name: str, url: str, done: str) -> None:
                start = time.perf_counter()
                page.goto(url)
                wait_until(page, done)
                times.setdefault(name, []).append(time.perf_counter() - start)

            rows = f"document.body.dataset.rendered === '{args.runs}'"
            drawn = f"document.querySelector('#tree')?.dataset.nodes === '{args.nodes}'"
            tree_page = f"{base}/run?id={urllib.parse.quote(tree_id)}"
            for _ in range(args.repeats):
                # a fresh context: nothing cached, plotly.js (4.8 MB) downloaded and compiled
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                timed("index_cold", base + "/", rows)
                times.setdefault("index_render_ms", []).append(page.evaluate("window.renderMs"))
                timed("plotly_only_cold", base + "/compare", "document.readyState === 'complete'")
                timed("tree_warm", tree_page, drawn)  # plotly.js cached by the page before
                times.setdefault("tree_draw_ms", []).append(page.evaluate("window.treeDrawMs"))
                timed("index_warm", base + "/", rows)
                node = args.nodes - 1
                page.goto(tree_page)
                wait_until(page, drawn)
                page.evaluate(
                    f"document.getElementById('tree').emit('plotly_click', "
                    f"{{points: [{{customdata: {node}}}]}})"
                )
                wait_until(page, f"document.querySelector('#node')?.dataset.node === '{node}'")
                start_click = time.perf_counter()
                node -= 1
                page.evaluate(
                    f"document.getElementById('tree').emit('plotly_click', "
                    f"{{points: [{{customdata: {node}}}]}})"
                )
                wait_until(page, f"document.querySelector('#node')?.dataset.node === '{node}'")
                times.setdefault("node_click", []).append(time.perf_counter() - start_click)
                context.close()
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                timed("tree_cold", tree_page, drawn)
                context.close()
            browser.close()
    result = {
        "benchmark": "dashboard_speed",
        "runs": args.runs,
        "nodes": args.nodes,
        "journal_mb": round(journal_mb, 2),
        "index_api_cold_s": round(index_api_cold, 3),
        "index_api_warm_s": round(index_api_warm, 3),
        "tree_api_cold_s": round(tree_api_cold, 3),
        **{
            f"{k}_s" if not k.endswith("_ms") else k: round(statistics.median(v), 3)
            for k, v in times.items()
        },
        "goal_index_le_1s": statistics.median(times["index_warm"]) <= 1.0,
        "goal_tree_le_2s": statistics.median(times["tree_warm"]) <= 2.0,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "machine": machine_info(torch.device("cpu")),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
