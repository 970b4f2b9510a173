"""Every page in a real browser (Debian's Chromium, headless, through Playwright) on run
folders the entry points made; a screenshot of each page is saved (see conftest.screenshots)."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.parse

from runkit.dashboard.synthetic import execution, write_journal, write_run
from tests.runkit.dashboard.helpers import api, copy_run

TIMEOUT = 90_000  # ms: a loaded 2-core machine runs the entry points beside the browser


def run_id(base, entry_point, exclude=("live", "failing", "evil", "helper")):
    """The run of ``entry_point`` made by the fixture at its tiny budget."""
    runs = api(base, "/api/runs")["runs"]
    return next(
        r["id"]
        for r in runs
        if r["entry_point"] == entry_point and not any(word in r["id"] for word in exclude)
    )


def wait_until(page, expression, timeout_ms=TIMEOUT):
    """Poll ``expression`` in the page until it is truthy. (Playwright's wait_for_function
    evaluates a string, which the dashboard's CSP forbids: no 'unsafe-eval'.)"""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.2)


def open_run(page, base, rid):
    page.goto(f"{base}/run?id={urllib.parse.quote(rid)}")
    page.wait_for_selector("#summary .badge", timeout=TIMEOUT)


def goal_names(page):
    """The goal names on the posterior plot's axis of episode 0 (SVG text)."""
    return page.evaluate(
        "[...document.querySelectorAll('#episode-0 .posterior .ytick text')]"
        ".map(t => t.textContent)"
    )


def script_csp_violations(page):
    return [p for p in page.problems if "script-src" in p or "page error" in p]


def test_index_filters_sorts_and_compares(page, dashboard, screenshots):
    page.goto(dashboard + "/")
    wait_until(page, "document.querySelectorAll('#runs tr').length >= 6", TIMEOUT)
    rows = page.locator("#runs tr")
    statuses = dict(
        zip(
            rows.evaluate_all("rs => rs.map(r => r.dataset.id)"),
            rows.evaluate_all("rs => rs.map(r => r.dataset.status)"),
            strict=True,
        )
    )
    failing = "outputs/episode/failing"
    assert statuses.pop(failing) == "failed"
    reason = page.get_attribute(f"#runs tr[data-id='{failing}'] .badge", "title")
    assert "builtins.int" in reason  # the error the run recorded
    entry = {rid.split("/")[1]: s for rid, s in statuses.items() if "live" not in rid}
    assert entry == {
        "episode": "finished",
        "research": "finished",
        "train_worldmodel": "finished",
        "leaderboard": "finished",
    }
    page.screenshot(path=screenshots / "index.png", full_page=True)
    page.fill("#filter", "agent=random")
    assert rows.count() == 1 and "agent=random" in rows.first.inner_text()
    page.fill("#filter", "")
    page.locator("th[data-key=entry_point]").click()  # sort by entry point, descending
    order = rows.evaluate_all("rs => rs.map(r => r.children[2].textContent)")
    assert order == sorted(order, reverse=True)
    for rid in (run_id(dashboard, "research"), run_id(dashboard, "episode")):
        page.locator(f"#runs tr[data-id='{rid}'] input.select").check()
    page.click("#compare")
    page.wait_for_selector("#compare-metrics", timeout=TIMEOUT)
    page.wait_for_selector(".curves .plot .main-svg", timeout=TIMEOUT)
    assert "test_score" in page.inner_text("#compare-metrics")
    assert "return_mean" in page.inner_text("#compare-metrics")
    page.screenshot(path=screenshots / "compare.png", full_page=True)
    assert not script_csp_violations(page)


def test_research_tree_click_shows_code_diff_and_selection(page, dashboard, runs_root, screenshots):
    rid = run_id(dashboard, "research")
    open_run(page, dashboard, rid)
    wait_until(page, "Number(document.querySelector('#tree')?.dataset.nodes) >= 3", TIMEOUT)
    nodes = api(dashboard, f"/api/tree?id={urllib.parse.quote(rid)}")["nodes"]
    child = next(n for n in nodes if n["parents"])
    # hover and click the child node's marker in the Plotly tree
    point = page.locator("#tree .scatterlayer .trace .point").nth(0)
    assert point.count()
    page.evaluate(
        f"document.getElementById('tree').emit('plotly_click', "
        f"{{points: [{{customdata: {child['id']}}}]}})"
    )
    page.wait_for_selector(f"#node[data-node='{child['id']}'] pre.code", timeout=TIMEOUT)
    detail = api(dashboard, f"/api/node?id={urllib.parse.quote(rid)}&node={child['id']}")
    assert page.inner_text("#node pre.code").strip() == detail["code"].strip()
    assert page.locator("#node pre.diff span.add").count() >= 1
    assert page.inner_text("#node pre.plan") == detail["plan"]
    page.locator(".scatterlayer .point").first.click(force=True)  # a real click on a marker
    page.wait_for_selector("#selection p", timeout=TIMEOUT)
    assert "chosen: node" in page.inner_text("#selection")
    assert "Chosen by its validation score" in page.inner_text("#selection")  # folds=0
    page.wait_for_selector("#score-time .main-svg", timeout=TIMEOUT)
    page.screenshot(path=screenshots / "research.png", full_page=True)
    assert not script_csp_violations(page)


def test_tree_grows_live_then_the_killed_run_says_killed(page, dashboard, runs_root, screenshots):
    _, live = runs_root
    rid = "outputs/research/digits/live"
    open_run(page, dashboard, rid)
    wait_until(page, "Number(document.querySelector('#tree')?.dataset.nodes) >= 1", 120_000)
    before = int(page.get_attribute("#tree", "data-nodes"))
    wait_until(
        page, f"Number(document.querySelector('#tree').dataset.nodes) > {before}", 120_000
    )  # no reload: the page polls the journal
    assert page.inner_text("#summary .badge") == "running"
    page.screenshot(path=screenshots / "research_live.png", full_page=True)
    os.killpg(live.pid, signal.SIGKILL)
    live.wait()
    wait_until(page, "document.querySelector('#summary .badge').textContent === 'killed'", TIMEOUT)
    status = next(r for r in api(dashboard, "/api/runs")["runs"] if r["id"] == rid)
    assert status["status"] == "killed" and "gone" in status["status_reason"]


def test_episode_video_plays_and_scrubs(page, dashboard, screenshots):
    rid = run_id(dashboard, "episode")
    open_run(page, dashboard, rid)
    page.wait_for_selector("video.episode-video", timeout=TIMEOUT)
    played = page.evaluate("""async () => {
        const v = document.querySelector('video.episode-video');
        if (v.readyState < 1)
            await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
        await v.play();
        await new Promise(r => setTimeout(r, 300));
        return {time: v.currentTime, duration: v.duration, error: v.error && v.error.code,
                width: v.videoWidth};
    }""")
    assert played["error"] is None and played["width"] > 0 and played["time"] > 0, played
    page.evaluate("document.querySelector('video.episode-video').pause()")
    page.locator("input.scrubber").fill("20")
    wait_until(page, "document.querySelector('.step-label').textContent.startsWith('step 20')")
    time.sleep(0.3)
    position = page.evaluate("document.querySelector('video.episode-video').currentTime")
    fps = api(dashboard, f"/api/run?id={urllib.parse.quote(rid)}")["episode"]["fps"]
    assert abs(position - 20.5 / fps) < 0.05  # step k is frame k, shown from k / fps on
    # the random agent does not explain itself: reward and measures only
    wait_until(page, "document.querySelector('.step-panel').dataset.step === '20'")
    assert "step 20 · reward" in page.inner_text(".step-head")
    assert page.inner_text(".qa .question") == "this agent does not explain its steps"
    page.screenshot(path=screenshots / "episode.png", full_page=True)


def test_helper_episode_shows_posterior_bars_and_dialogue_at_the_scrubbed_step(
    page, dashboard, runs_root, screenshots
):
    root, _ = runs_root
    rid = "outputs/episode/helper"
    lines = (root / rid / "steps.jsonl").read_text().splitlines()
    steps = [json.loads(line) for line in lines]
    asked = next(s for s in steps if "question" in s["explain"])
    target = min(asked["step"] + 10, len(steps))
    open_run(page, dashboard, rid)
    page.wait_for_selector("#episode-0 .step-panel[data-loaded=true]", timeout=TIMEOUT)
    page.locator("#episode-0 input.scrubber").fill(str(target))
    wait_until(
        page, f"document.querySelector('#episode-0 .step-panel').dataset.step === '{target}'"
    )
    bars = "#episode-0 .posterior .bars .point"
    wait_until(page, f"document.querySelectorAll('{bars}').length === 8")
    goals = steps[0]["explain"]["posterior"]
    assert len(goals) == 8 and set(goal_names(page)) == set(goals)
    question, answer = asked["explain"]["question"], asked["explain"]["answer"]
    assert page.inner_text("#episode-0 .qa .question") == f"Q (step {asked['step']}): {question}"
    assert page.inner_text("#episode-0 .qa .answer") == f"A: {answer}"
    record = steps[target - 1]
    assert page.inner_text("#episode-0 p.plan") == record["explain"]["plan"]
    assert page.inner_text("#episode-0 .step-head").startswith(f"step {target} · reward")
    position = page.evaluate("document.querySelector('#episode-0 video').currentTime")
    assert abs(position - (target + 0.5) / 10) < 0.05  # help_household records at 10 fps
    page.screenshot(path=screenshots / "episode_helper.png", full_page=True)
    assert not script_csp_violations(page)


def test_untrusted_episode_steps_are_shown_as_text(page, dashboard, runs_root):
    root, _ = runs_root
    attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    run = copy_run(root / "outputs/episode/helper", root / "outputs/episode/evil-helper")
    record = {"episode": 0, "step": 1, "reward": 0.0, "return": 0.0, "measures": {attack: 1},
              "explain": {"posterior": {attack: 1.0}, "question": attack, "answer": attack,
                          "plan": attack}}  # fmt: skip
    (run / "steps.jsonl").write_text(json.dumps(record) + "\n")
    open_run(page, dashboard, "outputs/episode/evil-helper")
    page.wait_for_selector("#episode-0 .step-panel[data-loaded=true]", timeout=TIMEOUT)
    page.locator("#episode-0 input.scrubber").fill("1")
    wait_until(page, "document.querySelector('#episode-0 .step-panel').dataset.step === '1'")
    wait_until(page, "document.querySelectorAll('#episode-0 .posterior .bars .point').length === 1")
    assert page.inner_text("#episode-0 .qa .question") == f"Q (step 1): {attack}"
    assert page.inner_text("#episode-0 p.plan") == attack
    assert attack in page.inner_text("#episode-0 .measures")
    assert goal_names(page) == [attack]
    assert page.evaluate("window.pwned") is None
    assert page.locator("#episode-0 .step-panel img, #episode-0 .step-panel script").count() == 0


def test_worldmodel_page_shows_curves_and_prediction_plots(page, dashboard, screenshots):
    open_run(page, dashboard, run_id(dashboard, "train_worldmodel"))
    page.wait_for_selector("#training .main-svg", timeout=TIMEOUT)
    wait_until(
        page,
        "[...document.querySelectorAll('#plots img')].length > 0 && "
        "[...document.querySelectorAll('#plots img')].every(i => i.complete && i.naturalWidth > 0)",
        TIMEOUT,
    )
    page.screenshot(path=screenshots / "train_worldmodel.png", full_page=True)
    assert not script_csp_violations(page)


def test_leaderboard_page_explains_columns_and_empty_cells(page, dashboard, screenshots):
    open_run(page, dashboard, run_id(dashboard, "leaderboard"))
    page.wait_for_selector("table.leaderboard", timeout=TIMEOUT)
    head = page.inner_text("table.leaderboard thead")
    for column in ("SCO", "Elo", "AUP (best)"):
        assert column in head
    assert "Soft Condorcet" in page.inner_text("dl.legend")
    # one agent ranks alone on every task: no votes, so SCO and Elo are empty, with the reason
    assert "no task ranks two agents apart" in page.inner_text("table.leaderboard tbody")
    page.screenshot(path=screenshots / "leaderboard.png", full_page=True)


def test_untrusted_run_text_is_shown_as_text(page, dashboard, runs_root):
    root, _ = runs_root
    attack = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    run = write_run(
        root / "outputs" / "research" / "evil" / "2026-01-01_00-00-00",
        "research",
        metrics={"test_score": 1.0},
    )
    records = execution("k0", 0, None, 0.5, 1.0, code=attack)
    records[0]["plan"] = attack
    records[0]["operator"] = "<b onmouseover=alert(1)>draft</b>"
    write_journal(run / "journal.jsonl", records)
    (run / "run.log").write_text(attack)
    open_run(page, dashboard, "outputs/research/evil/2026-01-01_00-00-00")
    wait_until(page, "Number(document.querySelector('#tree')?.dataset.nodes) >= 1", TIMEOUT)
    page.evaluate(
        "document.getElementById('tree').emit('plotly_click', {points: [{customdata: 0}]})"
    )
    page.wait_for_selector("#node pre.code", timeout=TIMEOUT)
    page.hover("#tree .scatterlayer .point >> nth=1", force=True)
    time.sleep(0.5)
    assert page.inner_text("#node pre.code") == attack
    assert page.inner_text("#log") == attack
    assert page.evaluate("window.pwned") is None
    assert page.locator("#node img, #log img, #node script").count() == 0
    assert json.loads(json.dumps(page.problems)) is not None and not script_csp_violations(page)
