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
and, as root, its own uid). A spare's workspace is moved to the solution's place afterwards.
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import logging
import re
import shutil
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from research_agent.sandbox import Limits, Sandbox, SandboxResult, isolation_backend

log = logging.getLogger(__name__)

DOTTED_CLASS = re.compile(r"^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.[A-Z]\w*$")
MAX_IMPORTS = 64


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
        """Run ``script`` of ``workspace`` as :func:`~research_agent.sandbox.run_script`
        does, in a spare sandbox when one fits (``imports``: the solution's, see
        :func:`imports_of`), and start a spare for the next solution like it."""
        isolation = isolation or isolation_backend()
        if self.capacity <= 0:
            return Sandbox(workspace, data_dir, logs, limits, gpu, isolation, imports).run(script)
        spec = SpareSpec(data_dir, limits, gpu, isolation, imports)
        self.settle()
        sandbox = self._take(spec) or self._start(spec)
        refill = self._refiller.submit(self._refill, spec)
        with self._lock:
            self._refills = [*(f for f in self._refills if not f.done()), refill]
        for entry in workspace.iterdir():  # the solution's files, into the sandbox's workspace
            target = sandbox.workspace / entry.name
            shutil.move(entry, target)
            sandbox.give_to_sandbox(target)
        try:
            return sandbox.run(script)
        finally:
            self._hand_over(sandbox, workspace, logs)

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
        folder = Path(tempfile.mkdtemp(prefix="spare-", dir=self.root()))
        folder.chmod(0o755)  # without a mount namespace the sandbox's uid goes through it
        (folder / "workspace").mkdir()
        return Sandbox(
            folder / "workspace", spec.data_dir, folder, spec.limits, spec.gpu, spec.isolation,
            spec.imports,
        )  # fmt: skip

    def root(self) -> Path:
        """The folder the spares' own folders go under (a temporary one by default)."""
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="sandbox-spares-"))
                self._root.chmod(0o755)
            self._root.mkdir(parents=True, exist_ok=True)
            return self._root

    @staticmethod
    def _hand_over(sandbox: Sandbox, workspace: Path, logs: Path) -> None:
        """Move the finished sandbox's workspace to ``workspace`` and its output to ``logs``."""
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

    def close(self) -> None:
        """Stop every waiting spare and remove its folder."""
        self.settle()
        with self._lock:
            idle, self._idle = self._idle, []
        for _, sandbox in idle:
            self._discard(sandbox)
        if self._root is not None:
            with contextlib.suppress(OSError):
                self._root.rmdir()  # only when empty: another process may share a given root


SPARES = Spares()
"""The process's spares, which :func:`research_agent.execution.execute` runs solutions in."""
atexit.register(SPARES.close)
