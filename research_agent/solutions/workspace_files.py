"""Read files back from a solution's workspace without trusting it.

A solution owns its workspace: it can leave a symbolic link where a prediction file should be
(to the host's private labels, say), a link in a folder on the way, a FIFO that blocks the
reader, or a file of a terabyte. Everything the host reads back from a workspace (grading,
selection, the ensemble, the report, the leaderboard) goes through this module, which opens the
file as a regular file *inside* the workspace: every path component is opened relative to the
one before with ``O_NOFOLLOW`` (a link anywhere is refused, the workspace folder itself too),
the file is opened non-blocking and checked with ``fstat`` to be a regular file, and at most
``max_bytes`` are read. Anything else raises :class:`WorkspaceFileError`, whose message names
the file and says what was wrong; callers make the node buggy with that message.

    data = read_bytes(workspace, "submission.csv")
    predictions = load_array(workspace, "test_predictions.npy")
    copy_out(workspace, "submission.csv", private_folder / "submission.csv")
"""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path, PurePosixPath

import numpy as np

MAX_BYTES = 64 * 2**20  # the default cap on a file read back from a workspace


class WorkspaceFileError(ValueError):
    """A workspace file that is missing, not a regular file inside the workspace (a link, a
    FIFO, a device, a folder), or larger than the cap; the message names it and why."""


class MissingWorkspaceFile(WorkspaceFileError):
    """The file (or its workspace) does not exist: the solution did not write it."""


def _parts(relative: str | os.PathLike[str]) -> list[str]:
    path = PurePosixPath(os.fspath(relative))
    parts = list(path.parts)
    if path.is_absolute() or not parts or any(p in ("", ".", "..") for p in parts):
        raise WorkspaceFileError(
            f"{os.fspath(relative)!r} is not a path inside the workspace (a relative path "
            "without '..' is)"
        )
    return parts


def _open_dir(path: Path, name: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise MissingWorkspaceFile(f"no {name} was written (no workspace)") from None
    except OSError as exc:
        raise WorkspaceFileError(f"the workspace of {name} is not a folder: {exc}") from None


def open_fd(
    workspace: Path, relative: str | os.PathLike[str], max_bytes: int = MAX_BYTES
) -> tuple[int, int]:
    """An open read-only descriptor of the regular file ``workspace/relative`` and its size,
    reached without following any link; :class:`WorkspaceFileError` otherwise. The caller
    closes the descriptor."""
    parts = _parts(relative)
    name = "/".join(parts)
    fd = _open_dir(workspace, name)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
            flags |= os.O_NONBLOCK if last else os.O_DIRECTORY
            try:
                child = os.open(part, flags, dir_fd=fd)
            except FileNotFoundError:
                raise MissingWorkspaceFile(f"no {name} was written") from None
            except OSError as exc:
                what = "/".join(parts[: i + 1])
                if exc.errno in (errno.ELOOP, errno.EMLINK) or (
                    exc.errno == errno.ENOTDIR and os.path.islink(workspace / what)
                ):
                    reason = f"{what} is a symbolic link"
                elif exc.errno == errno.ENOTDIR:
                    reason = f"{what} is not a folder"
                else:
                    reason = f"{what} cannot be opened: {exc.strerror}"
                where = "" if what == name else f"{name}: "
                raise WorkspaceFileError(f"{where}{reason}; only regular files are read") from None
            os.close(fd)
            fd = child
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise WorkspaceFileError(f"{name} is {kind} (a FIFO, device or socket is refused)")
        if info.st_size > max_bytes:
            raise WorkspaceFileError(
                f"{name} is larger than {max_bytes} bytes ({info.st_size} bytes)"
            )
        os.set_blocking(fd, True)
        return fd, info.st_size
    except BaseException:
        os.close(fd)
        raise


def read_bytes(
    workspace: Path, relative: str | os.PathLike[str], max_bytes: int = MAX_BYTES
) -> bytes:
    """The content of the regular file ``workspace/relative`` (see :func:`open_fd`); a file
    that grows past ``max_bytes`` while it is read is refused too."""
    fd, _ = open_fd(workspace, relative, max_bytes)
    with os.fdopen(fd, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise WorkspaceFileError(f"{os.fspath(relative)} is larger than {max_bytes} bytes")
    return data


def load_array(
    workspace: Path, relative: str | os.PathLike[str], max_bytes: int = MAX_BYTES
) -> np.ndarray:
    """The numpy array in ``workspace/relative`` (``.npy``, no pickles); a file that is not one
    raises :class:`WorkspaceFileError` as well."""
    data = read_bytes(workspace, relative, max_bytes)
    try:
        value = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise WorkspaceFileError(f"cannot read {os.fspath(relative)}: {exc}") from None
    if not isinstance(value, np.ndarray):  # an .npz archive
        raise WorkspaceFileError(f"{os.fspath(relative)} is not a single .npy array")
    return value


def copy_out(
    workspace: Path, relative: str | os.PathLike[str], target: Path, max_bytes: int = MAX_BYTES
) -> Path:
    """Copy the regular file ``workspace/relative`` to ``target`` (a path the host owns, e.g.
    in a private grading folder); ``target``."""
    target.write_bytes(read_bytes(workspace, relative, max_bytes))
    return target


def check(workspace: Path, relative: str | os.PathLike[str], max_bytes: int = MAX_BYTES) -> bool:
    """Whether ``workspace/relative`` exists; :class:`WorkspaceFileError` when it exists but
    would be refused (a link on the way, not a regular file, over the cap)."""
    try:
        fd, _ = open_fd(workspace, relative, max_bytes)
    except MissingWorkspaceFile:
        return False
    os.close(fd)
    return True


__all__ = [
    "MAX_BYTES",
    "MissingWorkspaceFile",
    "WorkspaceFileError",
    "check",
    "copy_out",
    "load_array",
    "open_fd",
    "read_bytes",
]
