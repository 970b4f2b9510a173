"""Which paths the dashboard serves, and how it reads a run's status."""

import os
import subprocess
import sys

from runkit.dashboard.paths import Roots
from runkit.dashboard.runs import RunIndex
from runkit.dashboard.synthetic import write_run


def make_roots(tmp_path):
    run = write_run(tmp_path / "outputs" / "episode" / "2026-01-01_00-00-00", "episode")
    (run / "videos").mkdir()
    (run / "videos" / "episode_000.mp4").write_bytes(b"\0")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "outputs" / "loose.txt").write_text("not in a run folder")
    return Roots([tmp_path / "outputs", tmp_path / "multirun"]), run


def test_resolve_refuses_traversal_absolute_and_odd_paths(tmp_path):
    roots, _ = make_roots(tmp_path)
    for bad in [
        "",
        "/etc/passwd",
        "outputs/../secret.txt",
        "outputs/episode/../../secret.txt",
        "../secret.txt",
        "outputs/./episode",
        "outputs//episode",
        "outputs\\..\\x",
        "outputs/\x00",
        "elsewhere/x",
        "outputs/episode/",
    ]:
        assert roots.resolve(bad) is None, bad
    assert roots.resolve("outputs/episode") == (tmp_path / "outputs" / "episode").resolve()


def test_run_file_stays_inside_the_run_folder(tmp_path):
    roots, run = make_roots(tmp_path)
    run_id = "outputs/episode/2026-01-01_00-00-00"
    assert roots.run_file(run_id, "videos/episode_000.mp4") == run / "videos" / "episode_000.mp4"
    (run / "out").symlink_to(tmp_path / "secret.txt")
    (run / "sibling").symlink_to(tmp_path / "outputs" / "loose.txt")
    assert roots.run_file(run_id, "out") is None  # a symlink out of the root
    assert roots.run_file(run_id, "sibling") is None  # inside the root, outside the run
    assert roots.run_file(run_id, "../../../secret.txt") is None
    assert roots.run_folder("outputs/episode") is None  # not a run folder
    assert roots.run_folder(run_id) == run


def test_statuses_come_from_the_runs_records(tmp_path):
    out = tmp_path / "outputs"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    write_run(out / "a" / "1", "a", "finished", {"return_mean": 2.5})
    write_run(out / "b" / "1", "b", "failed")
    write_run(out / "c" / "1", "c", "running", pid=os.getpid())
    write_run(out / "d" / "1", "d", "running", pid=int(dead.stdout))  # killed hard
    write_run(out / "e" / "1", "e", None, {"x": 1})  # no status record: metrics.json
    quiet = write_run(out / "f" / "1", "f", None)  # no record, nothing written for long
    for name in ("run.log", "config.yaml", ".hydra/overrides.yaml"):
        os.utime(quiet / name, (0, 0))
    runs = {r["entry_point"]: r for r in RunIndex(Roots([out])).runs()}
    assert {k: r["status"] for k, r in runs.items()} == {
        "a": "finished",
        "b": "failed",
        "c": "running",
        "d": "killed",
        "e": "finished",
        "f": "killed",
    }
    assert "gone" in runs["d"]["status_reason"]
    assert runs["a"]["metric"] == {"name": "return_mean", "value": 2.5}
    assert runs["a"]["duration"] == 30


def test_recorded_status_marks_failures_and_interrupts(tmp_path):
    import json

    import pytest

    from runkit.status import recorded_status

    with pytest.raises(ValueError), recorded_status(tmp_path / "f", "x"):
        raise ValueError("bad input")
    with pytest.raises(KeyboardInterrupt), recorded_status(tmp_path / "k", "x"):
        raise KeyboardInterrupt
    with recorded_status(tmp_path / "ok", "x"):
        pass
    read = lambda name: json.loads((tmp_path / name / "run_status.json").read_text())  # noqa: E731
    assert read("f")["status"] == "failed" and "bad input" in read("f")["error"]
    assert read("k")["status"] == "killed"
    assert read("ok")["status"] == "finished" and read("ok")["ended_at"] >= read("ok")["started_at"]


def test_multirun_jobs_are_runs_of_their_entry_point(tmp_path):
    sweep = tmp_path / "multirun" / "episode" / "2026-01-02_03-04-05"
    sweep.mkdir(parents=True)
    (sweep / "multirun.yaml").write_text("hydra: {}\n")
    for job in ("0", "1"):
        write_run(
            sweep / job,
            "episode",
            status=None,
            metrics={"return_mean": float(job)},
            overrides=[f"run.seed={job}"],
        )
    runs = RunIndex(Roots([tmp_path / "outputs", tmp_path / "multirun"])).runs()
    assert sorted(r["id"] for r in runs) == [
        "multirun/episode/2026-01-02_03-04-05/0",
        "multirun/episode/2026-01-02_03-04-05/1",
    ]
    assert {r["entry_point"] for r in runs} == {"episode"}
    assert {r["status"] for r in runs} == {"finished"}
    # no status record: the start comes from the sweep folder's name
    from datetime import datetime

    assert runs[0]["started"] == datetime(2026, 1, 2, 3, 4, 5).timestamp()
    assert sorted(r["overrides"][0] for r in runs) == ["run.seed=0", "run.seed=1"]
