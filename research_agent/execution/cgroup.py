"""A cgroup for one sandbox's whole process tree, nested under this process's own cgroup.

Memory (with swap, and the tmpfs pages its processes write), CPU time per period and the number
of processes are limited for every process of the tree together, which per-process rlimits
cannot do. cgroup v2 is used where its controllers can be given to a child of this process's
cgroup, else the v1 ``memory``, ``cpu`` and ``pids`` hierarchies (``cpuacct`` to measure CPU
time). This process never leaves its own cgroup: only the sandboxed process joins the child,
which is removed after the run. A child whose owner died (a killed run) is emptied and removed
by :func:`remove_stale`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "ra-sandbox"
V1_CONTROLLERS = ("memory", "cpu", "pids", "cpuacct")
LIMITED = ("memory", "cpu", "pids")
CPU_PERIOD_US = 100_000
_counter = itertools.count()


@dataclass(frozen=True)
class Hierarchy:
    """Where one hierarchy's cgroup of this process is: ``parent`` is that cgroup's folder."""

    version: str  # "v1" or "v2"
    controllers: frozenset[str]
    parent: Path


def _mounts() -> list[tuple[str, str, str, str]]:
    """(mount root, mount point, file system type, super options) of the cgroup mounts."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields, after = left.split(), right.split()
            if len(fields) >= 5 and len(after) >= 3 and after[0] in ("cgroup", "cgroup2"):
                mounts.append((fields[3], fields[4], after[0], after[2]))
    return mounts


def _own_paths() -> dict[str, str]:
    """This process's cgroup path per hierarchy: v1 by controller name, v2 under ""."""
    paths = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            for name in names.split(",") if names else [""]:
                paths[name] = path
    return paths


def _inside(mount_root: str, mount_point: str, path: str) -> Path | None:
    if path != mount_root and not path.startswith(mount_root.rstrip("/") + "/"):
        return None  # this process's cgroup is outside what is mounted
    return Path(mount_point) / path[len(mount_root) :].lstrip("/")


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK)


def hierarchies() -> list[Hierarchy]:
    """The writable cgroup folders of this process a sandbox's cgroup can go under: one v2
    hierarchy with memory, cpu and pids when it has them, else the v1 hierarchies."""
    own = _own_paths()
    v1: list[Hierarchy] = []
    for root, point, kind, options in _mounts():
        if kind == "cgroup2" and "" in own:
            parent = _inside(root, point, own[""])
            if parent is not None and _writable(parent) and _v2_ready(parent):
                return [Hierarchy("v2", frozenset(LIMITED) | {"cpuacct"}, parent)]
        elif kind == "cgroup":
            names = frozenset(options.split(",")) & set(V1_CONTROLLERS)
            path = next((own[name] for name in names if name in own), None)
            parent = _inside(root, point, path) if names and path else None
            if parent is not None and _writable(parent):
                v1.append(Hierarchy("v1", names, parent))
    return v1


def _v2_ready(parent: Path) -> bool:
    """Whether children of ``parent`` get the memory, cpu and pids controllers (enabling them
    fails where ``parent`` holds processes itself: then v2 is not used)."""
    try:
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        missing = set(LIMITED) - enabled
        if missing:
            (parent / "cgroup.subtree_control").write_text(" ".join(f"+{m}" for m in missing))
        return True
    except OSError:
        return False


class SandboxCgroup:
    """One sandbox's cgroup in each usable hierarchy, with its limits written."""

    def __init__(self, memory_bytes: int, cpus: float, pids: int) -> None:
        name = f"{PREFIX}-{os.getpid()}-{_start_time(os.getpid())}-{next(_counter)}"
        self.folders: dict[str, Path] = {}  # controller -> folder
        self.version = "none"
        self._made: list[Path] = []
        for hierarchy in hierarchies():
            folder = hierarchy.parent / name
            try:
                folder.mkdir()
            except OSError:
                continue
            self._made.append(folder)
            self.version = hierarchy.version
            for controller in hierarchy.controllers:
                self.folders.setdefault(controller, folder)
        self.limited = frozenset(
            c for c in LIMITED if c in self.folders and self._limit(c, memory_bytes, cpus, pids)
        )

    def _limit(self, controller: str, memory_bytes: int, cpus: float, pids: int) -> bool:
        """Write ``controller``'s limit; False if the kernel refused it."""
        folder, v2 = self.folders[controller], self.version == "v2"
        quota = int(cpus * CPU_PERIOD_US)
        v2_writes = {
            "memory": [
                ("memory.max", memory_bytes),
                ("memory.swap.max", 0),
                ("memory.oom.group", 1),
            ],
            "cpu": [("cpu.max", f"{quota} {CPU_PERIOD_US}")],
            "pids": [("pids.max", pids)],
        }
        v1_writes = {
            "memory": [
                ("memory.limit_in_bytes", memory_bytes),
                ("memory.swappiness", 0),
                ("memory.memsw.limit_in_bytes", memory_bytes),
            ],
            "cpu": [("cpu.cfs_period_us", CPU_PERIOD_US), ("cpu.cfs_quota_us", quota)],
            "pids": [("pids.max", pids)],
        }
        writes = (v2_writes if v2 else v1_writes)[controller]
        try:
            name, value = writes[0]
            (folder / name).write_text(str(value))
        except OSError:
            return False
        for name, value in writes[1:]:  # optional: swap accounting may be off
            with contextlib.suppress(OSError):
                (folder / name).write_text(str(value))
        return True

    @property
    def procs_files(self) -> list[Path]:
        """The ``cgroup.procs`` files the sandboxed process writes its pid into."""
        return [folder / "cgroup.procs" for folder in self._made]

    def processes(self) -> set[int]:
        """The processes in it now."""
        pids: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                pids.update(int(pid) for pid in procs.read_text().split())
        return pids

    def oom_kills(self) -> int:
        """How many of its processes the kernel killed for going over the memory limit."""
        folder = self.folders.get("memory")
        if folder is None:
            return 0
        name = "memory.events" if self.version == "v2" else "memory.oom_control"
        with contextlib.suppress(OSError):
            for line in (folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def cpu_seconds(self) -> float | None:
        """CPU time its processes used, or None where it is not measured."""
        folder = self.folders.get("cpuacct") or self.folders.get("cpu")
        with contextlib.suppress(OSError, ValueError, TypeError):
            if self.version == "v2":
                stat = dict(line.split() for line in (folder / "cpu.stat").read_text().splitlines())
                return int(stat["usage_usec"]) / 1e6
            if "cpuacct" in self.folders:
                return int((folder / "cpuacct.usage").read_text()) / 1e9
        return None

    def remove(self, timeout_s: float = 10.0) -> None:
        """Kill every process in it, then remove its folders."""
        _empty_and_remove(self._made, timeout_s)


def _empty_and_remove(folders: list[Path], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    for folder in folders:
        with contextlib.suppress(OSError):
            (folder / "cgroup.kill").write_text("1")  # v2, kernels since 5.14
    while folders and time.monotonic() < deadline:
        for folder in list(folders):
            with contextlib.suppress(OSError):
                for pid in (folder / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(int(pid), signal.SIGKILL)
            try:
                folder.rmdir()
                folders.remove(folder)
            except FileNotFoundError:
                folders.remove(folder)
            except OSError:
                pass  # its processes are still dying
        if folders:
            time.sleep(0.01)


def _start_time(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (None: no such process)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def remove_stale() -> list[Path]:
    """Empty and remove the sandbox cgroups under this process's cgroups whose owner process
    is gone (a killed run's); return their folders."""
    stale = []
    for hierarchy in hierarchies():
        for folder in hierarchy.parent.glob(f"{PREFIX}-*-*-*"):
            _, pid, started, _ = folder.name.rsplit("-", 3)
            if pid.isdigit() and _start_time(int(pid)) != started:
                stale.append(folder)
    _empty_and_remove(list(stale), 10.0)
    return stale


def available() -> frozenset[str]:
    """What a sandbox's cgroup can limit here (memory, cpu, pids): tried with a cgroup made
    and removed at once."""
    probe = SandboxCgroup(64 * 2**20, 1, 16)
    try:
        return probe.limited
    finally:
        probe.remove()
