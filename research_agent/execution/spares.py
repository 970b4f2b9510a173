"""Sandboxes started ahead of their solutions, so that a solution's imports are done before it.

Most of a small solution's run is its interpreter importing its libraries (scikit-learn takes
about 1.5 s of a 2 s run). Each time a solution runs, a spare sandbox for the next one starts:
same data, limits, GPU and isolation, importing what this solution imports (its ``import``
statements and the modules of dotted class paths in its strings, e.g. a template's
estimators). The next solution with the same imports then runs in it at once; any other starts
a sandbox of its own, which does its imports the same way first. Either way a solution's
wall-time and CPU limits, and its measured time, count from its script's start, so times
compare whichever way it ran (the speedrun tasks score them).
Isolation is the same as for a sandbox started for the solution (each has its own workspace
and, as root, its own uid). Every sandbox, spare or not, runs in a folder of its own under a
temporary root, with the task's public data linked into that root, so that no path the sandbox
can see (its mount table included) names the task, the run or their private data; the
solution's workspace is moved there before it runs and back afterwards. A root holds a lock while
its process lives: the roots of a killed run are removed at the next start (with the cgroups it
left, see :func:`research_agent.execution.cgroup.remove_stale`).

A :class:`Spares` is an object its owner passes to
:func:`~research_agent.execution.execute.execute`: a research run owns one, sized by
``sandbox.spares``, and closes it when its solution is chosen (its root is removed when the
process ends in any case).
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import fcntl
import logging
import os
import re
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from research_agent.execution import cgroup
from research_agent.execution.sandbox import Limits, Sandbox, SandboxResult, isolation_backend

log = logging.getLogger(__name__)

DOTTED_CLASS = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.[A-Z]\w*$")
MAX_IMPORTS = 64
ROOT_PREFIX = "sandbox-spares-"
LOCK = ".lock"


def imports_of(code: str) -> frozenset[str]:
    """The absolute modules ``code`` imports, and those of the dotted class paths among its
    string constants ("sklearn.svm.SVC": "sklearn.svm"); empty when it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return frozenset()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = DOTTED_CLASS.match(node.value)
            if match:
                names.add(match.group(1))
    return frozenset(sorted(names)[:MAX_IMPORTS])


@dataclass(frozen=True)
class SpareSpec:
    """What a spare is started for; a spare serves a solution with an equal spec."""

    data_dir: Path
    limits: Limits
    gpu: int | None
    isolation: str
    imports: frozenset[str]


class Spares:
    """At most ``capacity`` started sandboxes waiting for solutions (0: none; every solution
    starts its own sandbox), each under a private folder of ``root``."""

    def __init__(self, capacity: int = 2, root: Path | None = None) -> None:
        self.capacity = capacity
        self._root = root
        self._idle: list[tuple[SpareSpec, Sandbox]] = []
        self._lock = threading.Lock()
        self._refiller = ThreadPoolExecutor(1, thread_name_prefix="sandbox-spares")
        self._refills: list[Future] = []
        self._staged: dict[Path, Path] = {}  # a task's public data -> its link in the root
        self._lock_fd = -1
        self._running = 0  # solutions running now
        self.used = 0  # solutions that ran in a spare

    def run(
        self,
        script: str,
        workspace: Path,
        data_dir: Path,
        logs: Path,
        limits: Limits,
        gpu: int | None = None,
        isolation: str | None = None,
        imports: frozenset[str] = frozenset(),
    ) -> SandboxResult:
        """Run ``script`` of ``workspace`` as :func:`~research_agent.execution.sandbox.run_script`
        does, in a spare sandbox when one fits (``imports``: the solution's, see
        :func:`imports_of`), and start a spare for the next solution like it."""
        isolation = isolation or isolation_backend()
        spec = SpareSpec(data_dir, limits, gpu, isolation, imports)
        if self.capacity <= 0:
            sandbox = self._start(spec)
        else:
            self.settle()
            sandbox = self._take(spec) or self._start(spec)
            refill = self._refiller.submit(self._refill, spec)
            with self._lock:
                self._refills = [*(f for f in self._refills if not f.done()), refill]
        with self._lock:
            self._running += 1
        try:
            for entry in workspace.iterdir():  # the solution's files, into the sandbox's
                target = sandbox.workspace / entry.name
                shutil.move(entry, target)
                sandbox.give_to_sandbox(target)
            return sandbox.run(script)
        finally:
            self._hand_over(sandbox, workspace, logs)
            with self._lock:
                self._running -= 1

    @property
    def idle(self) -> list[Sandbox]:
        """The spares waiting for a solution, oldest first."""
        with self._lock:
            return [sandbox for _, sandbox in self._idle]

    def settle(self) -> None:
        """Wait until the spares being started have started (normally long since done: a
        spare starts while the solution before it runs)."""
        with self._lock:
            refills = list(self._refills)
        wait(refills)

    def _take(self, spec: SpareSpec) -> Sandbox | None:
        with self._lock:
            for index, (other, sandbox) in enumerate(self._idle):
                if other == spec and sandbox.waiting:
                    del self._idle[index]
                    self.used += 1
                    return sandbox
        return None

    def _refill(self, spec: SpareSpec) -> None:
        """Start spares like the solution's until ``capacity`` of them wait."""
        try:
            while self._waiting(spec) < self.capacity:
                self._keep(spec, self._start(spec))
        except Exception:  # the next solution then starts its own sandbox
            log.exception("a spare sandbox did not start")

    def _waiting(self, spec: SpareSpec) -> int:
        """How many spares like ``spec`` wait."""
        with self._lock:
            return sum(other == spec for other, _ in self._idle)

    def _keep(self, spec: SpareSpec, sandbox: Sandbox) -> None:
        with self._lock:
            self._idle.append((spec, sandbox))
            dropped = self._idle[: max(0, len(self._idle) - self.capacity)]
            del self._idle[: len(dropped)]
        for _, old in dropped:
            self._discard(old)

    def _start(self, spec: SpareSpec) -> Sandbox:
        root = self.root()
        folder = Path(tempfile.mkdtemp(prefix="spare-", dir=root))
        folder.chmod(0o755)  # without a mount namespace the sandbox's uid goes through it
        (folder / "workspace").mkdir()
        data = self._stage(spec.data_dir, root)
        return Sandbox(
            folder / "workspace",
            data,
            folder,
            limits=spec.limits,
            gpu=spec.gpu,
            isolation=spec.isolation,
            preload=spec.imports,
        )

    def _stage(self, data_dir: Path, root: Path) -> Path:
        """``data_dir`` linked (or copied) into ``root`` once: the sandbox mounts it from
        there, so its mount table does not show where the task lives."""
        with self._lock:
            staged = self._staged.get(data_dir)
            if staged is None or not staged.exists():
                staged = Path(tempfile.mkdtemp(prefix="task-", dir=root))
                staged.chmod(0o755)
                shutil.copytree(data_dir, staged, copy_function=_link_or_copy, dirs_exist_ok=True)
                self._staged[data_dir] = staged
            return staged

    def root(self) -> Path:
        """The folder the spares' own folders go under (by default a temporary one, locked
        while this process lives; the first one a process makes removes those of dead ones)."""
        with self._lock:
            if self._root is None:
                parent = Path(tempfile.gettempdir())
                remove_stale_roots(parent)
                self._root, self._lock_fd = _locked_root(parent)
                atexit.register(self.close)  # a root of its own is removed when the process ends
            self._root.mkdir(parents=True, exist_ok=True)
            return self._root

    @staticmethod
    def _hand_over(sandbox: Sandbox, workspace: Path, logs: Path) -> None:
        """Move the finished sandbox's workspace to ``workspace`` and its output to ``logs``."""
        sandbox.stop()  # (done already unless its files did not move in)
        logs.mkdir(parents=True, exist_ok=True)
        for name in ("stdout.txt", "stderr.txt"):
            shutil.move(sandbox.out_dir / name, logs / name)
        workspace.rmdir()
        shutil.move(sandbox.workspace, workspace)
        shutil.rmtree(sandbox.out_dir, ignore_errors=True)

    @staticmethod
    def _discard(sandbox: Sandbox) -> None:
        sandbox.stop()
        shutil.rmtree(sandbox.out_dir, ignore_errors=True)

    def __reduce__(self) -> tuple[object, tuple[int]]:
        """A copy shipped to another process (a Ray worker's copy of the research domain) is
        that process's own spares of the same capacity (see :func:`process_spares`)."""
        return process_spares, (self.capacity,)

    def __enter__(self) -> Spares:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every waiting spare and remove its folder."""
        self.settle()
        with self._lock:
            idle, self._idle = self._idle, []
        for _, sandbox in idle:
            self._discard(sandbox)
        with self._lock:
            if self._running:
                return  # the folders stay for the solutions running (and the next start)
            staged, self._staged = list(self._staged.values()), {}
        for folder in staged:
            shutil.rmtree(folder, ignore_errors=True)
        if self._lock_fd >= 0:  # a root of its own
            shutil.rmtree(self._root, ignore_errors=True)  # type: ignore[arg-type]
            os.close(self._lock_fd)
            self._lock_fd = -1
            self._root = None
            atexit.unregister(self.close)
        elif self._root is not None:
            with contextlib.suppress(OSError):
                self._root.rmdir()  # only when empty: another process may share a given root


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _locked_root(parent: Path) -> tuple[Path, int]:
    """A new root under ``parent`` and the descriptor of its lock, held while this process
    lives (the lock file is locked before it takes its name, so no other process ever sees
    the root unlocked)."""
    root = Path(tempfile.mkdtemp(prefix=ROOT_PREFIX, dir=parent))
    root.chmod(0o755)
    fd, name = tempfile.mkstemp(dir=root)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(name, root / LOCK)
    return root, fd


def remove_stale_roots(parent: Path) -> list[Path]:
    """Remove the spare roots under ``parent`` whose process is gone (its lock is free), and
    the sandbox cgroups of dead processes; return the roots removed."""
    removed = []
    for root in parent.glob(f"{ROOT_PREFIX}*"):
        try:
            fd = os.open(root / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # not a root with a lock (or not yet)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its process lives
        finally:
            os.close(fd)
        shutil.rmtree(root, ignore_errors=True)
        removed.append(root)
    cgroup.remove_stale()
    return removed


_PROCESS_SPARES: dict[int, Spares] = {}
_PROCESS_LOCK = threading.Lock()


def process_spares(capacity: int) -> Spares:
    """The spares of this process for solutions of runs shipped to it (one per capacity): a
    worker process runs the solutions of many shipped copies of a run, and its spares outlive
    each copy, closed when the process ends."""
    with _PROCESS_LOCK:
        if capacity not in _PROCESS_SPARES:
            _PROCESS_SPARES[capacity] = Spares(capacity)
        return _PROCESS_SPARES[capacity]
