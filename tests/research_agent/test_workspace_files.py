"""Files read back from a solution's workspace: only regular files inside it, never a link."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from research_agent.selection.cross_validation import _combine_predictions
from research_agent.solutions.workspace_files import (
    MissingWorkspaceFile,
    WorkspaceFileError,
    check,
    copy_out,
    load_array,
    read_bytes,
)
from research_agent.tasks import TaskFolder
from research_agent.tasks.grading import gain_over_baseline, grade


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    np.save(folder / "val_predictions.npy", np.arange(4))
    return folder


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s result, failing the test (not hanging it) when it blocks longer."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for more than {seconds} s"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def test_a_regular_file_inside_the_workspace_is_read(workspace: Path, tmp_path: Path):
    np.testing.assert_array_equal(load_array(workspace, "val_predictions.npy"), np.arange(4))
    (workspace / "sub").mkdir()
    (workspace / "sub" / "a.csv").write_text("id,label\n")
    assert read_bytes(workspace, "sub/a.csv") == b"id,label\n"
    assert copy_out(workspace, "sub/a.csv", tmp_path / "copy.csv").read_text() == "id,label\n"
    assert check(workspace, "sub/a.csv") and not check(workspace, "nothing.npy")
    with pytest.raises(MissingWorkspaceFile, match=r"no nothing\.npy was written"):
        read_bytes(workspace, "nothing.npy")
    with pytest.raises(MissingWorkspaceFile):
        read_bytes(tmp_path / "no-workspace", "val_predictions.npy")


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        ("link_outside", "test_predictions.npy is a symbolic link"),
        ("link_labels", "test_predictions.npy is a symbolic link"),
        ("link_relative", "test_predictions.npy is a symbolic link"),
        ("linked_folder", "out/test_predictions.npy: out is a symbolic link"),
        ("fifo", "not a regular file"),
        ("folder", "is a folder"),
        ("huge", "larger than 67108864 bytes"),
    ],
)
def test_anything_but_a_regular_file_inside_is_refused(
    attack: str, reason: str, workspace: Path, tmp_path: Path
):
    private = tmp_path / "private"
    private.mkdir()
    labels = private / "test_labels.npy"
    np.save(labels, np.arange(4))
    name = "out/test_predictions.npy" if attack == "linked_folder" else "test_predictions.npy"
    target = workspace / "test_predictions.npy"
    if attack == "link_outside":
        (tmp_path / "outside.npy").write_bytes(labels.read_bytes())
        target.symlink_to(tmp_path / "outside.npy")
    elif attack == "link_labels":
        target.symlink_to(labels)
    elif attack == "link_relative":
        target.symlink_to(Path("..") / "private" / "test_labels.npy")
    elif attack == "linked_folder":
        (private / "test_predictions.npy").write_bytes(labels.read_bytes())
        (workspace / "out").symlink_to(private)
    elif attack == "fifo":
        os.mkfifo(target)
    elif attack == "folder":
        target.mkdir()
    elif attack == "huge":
        with target.open("wb") as f:
            f.truncate(2**40)  # sparse: a terabyte that takes no disk
    with pytest.raises(WorkspaceFileError, match=reason):
        within(5, lambda: load_array(workspace, name))
    with pytest.raises(WorkspaceFileError):
        within(5, lambda: check(workspace, name))


@pytest.mark.parametrize("name", ["../outside.npy", "/etc/hostname", "", ".", "a/../b.npy"])
def test_paths_that_leave_the_workspace_are_refused(name: str, workspace: Path):
    with pytest.raises(WorkspaceFileError, match="not a path inside the workspace"):
        read_bytes(workspace, name)


def test_a_linked_workspace_and_a_smaller_cap_are_refused(workspace: Path, tmp_path: Path):
    (tmp_path / "link").symlink_to(workspace)
    with pytest.raises(WorkspaceFileError, match="not a folder"):
        read_bytes(tmp_path / "link", "val_predictions.npy")
    with pytest.raises(WorkspaceFileError, match="larger than 10 bytes"):
        read_bytes(workspace, "val_predictions.npy", max_bytes=10)


def test_pickles_and_archives_are_not_arrays(workspace: Path):
    np.save(workspace / "objects.npy", np.asarray([{"a": 1}], dtype=object))
    with pytest.raises(WorkspaceFileError, match=r"cannot read objects\.npy"):
        load_array(workspace, "objects.npy")
    np.savez(workspace / "archive.npz", a=np.arange(3))
    with pytest.raises(WorkspaceFileError, match=r"not a single \.npy array"):
        load_array(workspace, "archive.npz")


# --- the readers that use it ----------------------------------------------------------------


def solved(task: TaskFolder, folder: Path, split: str = "val") -> Path:
    """A workspace whose ``split`` predictions are the task's labels (a perfect score)."""
    folder.mkdir(parents=True)
    labels = np.load(task.private_dir / f"{split}_labels.npy")
    np.save(folder / f"{split}_predictions.npy", labels)
    return folder


def test_grading_refuses_a_test_output_linked_to_the_private_labels(
    wine: TaskFolder, tmp_path: Path
):
    """The attack: valid validation predictions, and the test predictions a link to the host's
    private test labels. The node is buggy when graded, and the test grade refuses the link."""
    workspace = solved(wine, tmp_path / "workspace")
    (workspace / "test_predictions.npy").symlink_to(wine.private_dir / "test_labels.npy")
    result = grade(wine, workspace / "val_predictions.npy", "val")
    assert "test_predictions.npy is a symbolic link" in result["error"]
    assert "score" not in grade(wine, workspace / "test_predictions.npy", "test")


def test_grading_never_blocks_on_a_fifo(wine: TaskFolder, tmp_path: Path):
    workspace = solved(wine, tmp_path / "workspace")
    os.mkfifo(workspace / "test_predictions.npy")
    result = within(10, lambda: grade(wine, workspace / "test_predictions.npy", "test"))
    assert "not a regular file" in result["error"]


def test_the_ensemble_never_combines_linked_predictions(wine: TaskFolder, tmp_path: Path):
    """The ensemble read its members' test predictions through np.load, links and all: a
    member linked to the private test labels made the ensemble's test predictions perfect."""
    members = [solved(wine, tmp_path / f"m{i}" / "workspace") for i in range(3)]
    rows = len(np.load(wine.private_dir / "test_labels.npy"))
    for member in members:
        np.save(member / "test_predictions.npy", np.zeros(rows, dtype=int))
    (members[2] / "test_predictions.npy").unlink()
    (members[2] / "test_predictions.npy").symlink_to(wine.private_dir / "test_labels.npy")
    out = tmp_path / "ensemble"
    refused = within(10, lambda: _combine_predictions(members, out, ("val", "test"),
                                                      "classification"))  # fmt: skip
    assert isinstance(refused, str) and "symbolic link" in refused and "m2" in refused
    assert not (out / "test_predictions.npy").exists()
    (members[2] / "test_predictions.npy").unlink()
    os.mkfifo(members[2] / "test_predictions.npy")
    refused = within(10, lambda: _combine_predictions(members, out, ("test",), "classification"))
    assert isinstance(refused, str) and "not a regular file" in refused


def test_the_reported_gain_never_reads_a_link(wine: TaskFolder, tmp_path: Path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "val_predictions.npy").symlink_to(wine.private_dir / "val_labels.npy")
    assert gain_over_baseline(wine, workspace) is None
