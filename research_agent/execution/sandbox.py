"""Run an untrusted script in its own workspace with limits, without network or other files.

Isolation, best available first (``isolation_backend()`` probes once):

* ``bwrap``: bubblewrap; the sandbox sees only the system and Python installation read-only,
  the task's public data read-only at /data, its workspace at /workspace, and /tmp and /dev/shm
  as size-capped tmpfs of its own; new network, pid, ipc, uts and cgroup namespaces. Its options
  reach bubblewrap through a file descriptor, so ``/proc/1/cmdline`` names no host path.
* ``unshare``: util-linux unshare; new network and pid namespaces, but the file system is the
  host's (as an unprivileged uid when run as root: only world-readable files are visible).
* ``none``: limits only.

Without bwrap the public data is hard-linked into a read-only ``data`` folder of the workspace.
Always: run as an unprivileged uid when started as root (so RLIMIT_NPROC binds; without bwrap
only if that uid can reach the Python installation, see :func:`drops_privileges`); memory, CPU
and processes limited for the whole process tree by a cgroup of its own nested under this
process's (:mod:`research_agent.execution.cgroup`; where none is writable, rlimits per
process instead: address space and processes, and the run log says so); rlimits on CPU
seconds and file size; a disk cap on the workspace, checked while it runs; stdout and stderr
kept up to ``log_kb`` each (head and tail, with a marker of what was cut); a wall-time limit;
and afterwards every process it started is killed (its process group, its cgroup, its pid
namespace and its uid).

A :class:`Sandbox` is started before its script is known: its Python may import modules
(``preload``) and then waits for the script's name; the script's wall-time and CPU limits count
from its own start (:mod:`research_agent.execution.spares` keeps such sandboxes ready).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from research_agent.execution.cgroup import LIMITED, SandboxCgroup

log = logging.getLogger(__name__)

TAIL_CHARS = 4000
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PYTHON = os.path.normpath(sys.executable)  # no "..": the sandbox lacks the folders it goes up


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run. ``cpu_s`` defaults to ``wall_s * cpus``;
    ``memory_mb``, ``cpus`` and ``nproc`` hold for the whole process tree (with a cgroup);
    ``tmpfs_mb`` caps /tmp and /dev/shm each (default: half the memory, which their pages count
    in), ``disk_mb`` the workspace, ``file_mb`` any one file and ``log_kb`` the stdout and the
    stderr kept."""

    wall_s: float = 60.0
    memory_mb: int = 4096
    cpus: int = 1
    cpu_s: float | None = None
    nproc: int = 64
    file_mb: int = 256
    disk_mb: int = 512
    tmpfs_mb: int | None = None
    log_kb: int = 1024

    @property
    def cpu_seconds(self) -> float:
        """The CPU-time limit: ``cpu_s``, or ``wall_s * cpus`` when it is unset."""
        return self.cpu_s if self.cpu_s is not None else self.wall_s * self.cpus

    @property
    def tmpfs_bytes(self) -> int:
        """The size cap of the sandbox's /tmp and of its /dev/shm."""
        return (self.tmpfs_mb if self.tmpfs_mb is not None else self.memory_mb // 2) * 2**20


@dataclass(frozen=True)
class SandboxResult:
    """How the run ended; ``exit_code`` is negative for a signal (-9 after a kill)."""

    exit_code: int
    timed_out: bool
    seconds: float
    stdout: str
    stderr: str
    isolation: str
    uid: int | None = None  # the unprivileged uid it ran as (None: this process's)
    startup: float = 0.0  # seconds waited for its imports before the script started
    exceeded: str | None = None  # which limit stopped it, and how (memory, disk)
    cpu_seconds: float | None = None  # CPU time of its whole tree, imports too (None: unknown)
    limited_by: str = "rlimits"  # how memory/CPU/processes were limited: "cgroup v1/v2", ...


@functools.cache
def isolation_backend() -> str:
    """ "bwrap" if bubblewrap works here, else "unshare" if that works, else "none"."""
    probes = {
        "bwrap": ["bwrap", "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
        "unshare": ["unshare", *(["--map-root-user"] if os.getuid() else []), "--net", "true"],
    }
    for name, cmd in probes.items():
        if shutil.which(cmd[0]) is None:
            continue
        try:
            if subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0:
                return name
        except (OSError, subprocess.TimeoutExpired):
            continue
    return "none"


def sandbox_uid(workspace: Path) -> int:
    """The unprivileged uid a run as root drops to (distinct per workspace, so concurrent runs
    do not share an RLIMIT_NPROC count)."""
    return 100_000 + zlib.crc32(str(workspace).encode()) % 800_000


def drops_privileges(isolation: str) -> bool:
    """Whether a run as root switches to an unprivileged uid: always with bwrap; otherwise only
    if that uid can reach the Python installation (else it runs as root, limits only)."""
    if os.getuid() != 0:
        return False
    return isolation == "bwrap" or _world_reachable(sys.prefix, os.path.realpath(PYTHON))


@functools.cache
def _world_reachable(*paths: str) -> bool:
    for path in paths:
        for parent in [Path(path), *Path(path).parents]:
            if not os.stat(parent).st_mode & 0o001:
                return False
    return True


def _own_processes() -> int:
    uid = os.getuid()
    return sum(1 for p in glob.glob("/proc/[0-9]*/task/*") if _owner(p) == uid)


def _owner(path: str) -> int | None:
    try:
        return os.stat(path).st_uid
    except OSError:
        return None


def _bind_with_parents(path: str, args: list[str]) -> None:
    parts = Path(path).parts
    for depth in range(2, len(parts)):
        args += ["--perms", "0755", "--dir", str(Path(*parts[:depth]))]
    args += ["--ro-bind", path, path]


def _bwrap(workspace: Path, data_dir: Path, gpu: int | None, limits: Limits) -> list[str]:
    """bubblewrap's options (they name host paths: they reach it through a descriptor)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    # a private /tmp first: the Python installation may itself live under /tmp, and a later
    # mount would hide it
    tmpfs = ["--size", str(limits.tmpfs_bytes), "--perms", "1777", "--tmpfs"]
    args += [*tmpfs, "/tmp"]
    prefixes = {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(PYTHON)).parents[1])}
    for prefix in sorted(p for p in prefixes if not p.startswith("/usr")):
        _bind_with_parents(prefix, args)
    args += ["--perms", "0755", "--dir", "/data", "--ro-bind", str(data_dir), "/data"]
    args += ["--bind", str(workspace), "/workspace", "--chdir", "/workspace"]
    args += ["--dev", "/dev", *tmpfs, "/dev/shm", "--proc", "/proc"]
    if gpu is not None:
        for device in sorted(glob.glob("/dev/nvidia*")):
            args += ["--dev-bind", device, device]
    args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    return args + ([] if os.getuid() == 0 else ["--unshare-user"])


def _options_fd(options: list[str]) -> int:
    """A descriptor to read ``options`` from, NUL-separated (bubblewrap's ``--args``)."""
    fd = os.memfd_create("bwrap-args", 0)
    os.write(fd, b"".join(option.encode() + b"\0" for option in options))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _unshare() -> list[str]:
    user = [] if os.getuid() == 0 else ["--map-root-user"]
    return ["unshare", *user, "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]


def _limits(limits: Limits, memory_by_cgroup: bool) -> list[str]:
    """prlimit's command: RLIMIT_AS only where no cgroup limits the memory (CUDA reserves far
    more address space than it uses, so a solution on a GPU cannot live under it)."""
    nproc = limits.nproc if os.getuid() == 0 else limits.nproc + _own_processes()
    # (root ignores RLIMIT_NPROC: it binds only once the run has dropped privileges)
    memory = [] if memory_by_cgroup else [f"--as={limits.memory_mb * 2**20}"]
    return [
        "prlimit",
        *memory,
        f"--cpu={max(1, int(limits.cpu_seconds) + 1)}",
        f"--nproc={nproc}",
        f"--fsize={limits.file_mb * 2**20}",
        "--core=0",
        "--",
    ]


def _environment(
    workspace: Path, data_dir: Path, limits: Limits, gpu: int | None, inside: bool
) -> dict[str, str]:
    env = {
        "PATH": f"{Path(PYTHON).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/workspace" if inside else str(workspace),
        "DATA_DIR": "/data" if inside else str(data_dir),
        "OUTPUT_DIR": "/workspace" if inside else str(workspace),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "CUDA_VISIBLE_DEVICES": "" if gpu is None else visible_device(gpu),
    }
    env.update(dict.fromkeys(THREAD_VARS, str(limits.cpus)))
    return env


def visible_device(gpu: int, visible: str | None = None) -> str:
    """The device a solution given this process's GPU slot ``gpu`` sees: slot ``gpu`` of this
    process's own ``CUDA_VISIBLE_DEVICES`` (``visible``; default: the environment's), or
    ``gpu`` itself where that is unset. Under ``CUDA_VISIBLE_DEVICES=2,3`` slot 0 is GPU 2."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES") if visible is None else visible
    if visible is None:
        return str(gpu)
    devices = [device.strip() for device in visible.split(",") if device.strip()]
    if not 0 <= gpu < len(devices):
        valid = f"valid slots are 0 to {len(devices) - 1}" if devices else "it lists none"
        raise ValueError(f"GPU slot {gpu} is not in CUDA_VISIBLE_DEVICES={visible!r}: {valid}")
    return devices[gpu]


def _read_only_copy(source: Path, target: Path) -> Path:
    """Hard-link (or copy) the public data into a root-owned read-only folder of the workspace,
    for isolation without a mount namespace."""
    shutil.copytree(source, target, copy_function=_link_or_copy)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    return target


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _tail(path: Path) -> str:
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - TAIL_CHARS))
        return f.read().decode(errors="replace")


WARMUP_CPU_S = 120
"""CPU seconds a sandbox may spend starting up (its imports) before its script's own limit."""

_WAITER = """\
import math, os, resource, runpy, sys
sys.path.pop(0)  # the workspace: nothing of the solution's is imported before it runs
for name in sys.argv[3:]:
    try:
        __import__(name)
    except BaseException:
        pass
os.write(int(sys.argv[2]), b"r")  # ready
os.close(int(sys.argv[2]))
script = sys.stdin.readline().strip()
if not script:
    sys.exit(0)  # end of input: the host no longer needs this sandbox
try:
    with open("/proc/self/comm", "w") as comm:
        comm.write(script[:15])  # ps and top show the solution, not "python"
except OSError:
    pass
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.close(null)
used = resource.getrusage(resource.RUSAGE_SELF)
cpu = math.ceil(used.ru_utime + used.ru_stime + float(sys.argv[1])) + 1
hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
cpu = cpu if hard == resource.RLIM_INFINITY else min(cpu, hard)
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
sys.argv = [script]
sys.path.insert(0, os.getcwd())
runpy.run_path(script, run_name="__main__")
"""
# (the script's limits count from the moment it starts: the imports before are not its own;
# the kernel counts CPU time by scheduler ticks, so the whole seconds it enforces get one
# second to spare beyond the script's own limit rounded up)

_launcher = ThreadPoolExecutor(1, thread_name_prefix="sandbox-launcher")
"""Starts every sandbox, from one thread that lives as long as the process: bubblewrap's
--die-with-parent follows the thread that started it, and a worker thread may end first."""

_JOIN_CGROUP = (
    'while [ "$1" != -- ]; do echo $$ > "$1" || { echo "sandbox: cannot join the cgroup $1" >&2;'
    ' exit 125; }; shift; done; shift; exec "$@"'
)
"""Puts the shell into the cgroups named before ``--``, then runs the rest: whatever the sandbox
starts is inside them from its first instruction on."""

DISK_POLL_S = 0.1
"""How often the workspace's size is checked while its script runs."""


def _popen(
    cmd: list[str], cwd: Path, env: dict[str, str], outputs: list[int], keep: list[int]
) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=outputs[0],
        stderr=outputs[1],
        env=env,
        start_new_session=True,
        pass_fds=keep,
    )


class CappedLog(threading.Thread):
    """Copies a stream (a pipe's read end) into ``path``: its first and last ``cap // 2`` bytes,
    with a line between saying how much was cut there."""

    def __init__(self, fd: int, path: Path, cap: int) -> None:
        super().__init__(daemon=True, name=f"sandbox-log-{path.name}")
        self.fd, self.path, self.cap = fd, path, cap
        self.cut = 0

    def run(self) -> None:
        head_left, tail_cap = self.cap - self.cap // 2, self.cap // 2
        tail = bytearray()
        with self.path.open("wb") as out:
            while chunk := os.read(self.fd, 1 << 16):
                if head_left:
                    out.write(chunk[:head_left])
                    out.flush()  # readable while it runs
                    chunk, head_left = chunk[head_left:], max(0, head_left - len(chunk))
                tail += chunk
                if len(tail) > tail_cap:
                    self.cut += len(tail) - tail_cap
                    del tail[: len(tail) - tail_cap]
            if self.cut:
                out.write(
                    f"\n[... {self.cut} bytes cut here: the sandbox keeps the first and last "
                    f"{tail_cap} bytes of each stream ...]\n".encode()
                )
            out.write(tail)
        os.close(self.fd)


def disk_usage(folder: Path, exclude: frozenset[tuple[int, int]] = frozenset()) -> int:
    """Bytes of disk the files under ``folder`` take (their blocks, each inode once; links not
    followed; inodes ``(st_dev, st_ino)`` in ``exclude`` not counted)."""
    total, folders, seen = 0, [folder], set(exclude)
    while folders:
        with contextlib.suppress(OSError), os.scandir(folders.pop()) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    stat = entry.stat(follow_symlinks=False)
                    if (stat.st_dev, stat.st_ino) not in seen:
                        seen.add((stat.st_dev, stat.st_ino))
                        total += stat.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(Path(entry.path))
    return total


def _inodes(folder: Path) -> frozenset[tuple[int, int]]:
    return frozenset(
        (stat.st_dev, stat.st_ino)
        for stat in (path.lstat() for path in [folder, *folder.rglob("*")])
    )


@functools.cache
def _warn_without_cgroup(reason: str) -> None:
    log.warning(
        "sandbox: %s; limited per process by rlimits instead (memory: RLIMIT_AS, processes: "
        "RLIMIT_NPROC), not for a solution's whole process tree (CPU: not capped at "
        "sandbox.cpus)",
        reason,
    )


class Sandbox:
    """A started sandbox: its Python imports ``preload``, then waits for the name of the script
    in its workspace to run, which :meth:`run` sends once the imports are done. Its stdout and
    stderr go to ``out_dir`` (up to ``limits.log_kb`` each)."""

    def __init__(
        self,
        workspace: Path,
        data_dir: Path,
        out_dir: Path,
        limits: Limits,
        gpu: int | None = None,
        isolation: str | None = None,
        preload: frozenset[str] = frozenset(),
    ) -> None:
        self.workspace, self.out_dir, self.limits = workspace, out_dir, limits
        self.isolation = isolation or isolation_backend()
        self.preload = preload
        self.oom_kills, self.cpu_seconds, self._stopped = 0, None, False
        inside = self.isolation == "bwrap"
        self.uid = sandbox_uid(workspace) if drops_privileges(self.isolation) else None
        self.give_to_sandbox(workspace)
        self._data_inodes: frozenset[tuple[int, int]] = frozenset()
        if not inside:  # the data's copy in the workspace does not count as its disk use
            data_dir = _read_only_copy(data_dir, workspace / "data")
            self._data_inodes = _inodes(data_dir)
        env = _environment(workspace, data_dir, limits, gpu, inside)
        out_dir.mkdir(parents=True, exist_ok=True)
        cgroup = SandboxCgroup(limits.memory_mb * 2**20, limits.cpus, limits.nproc)
        self.cgroup: SandboxCgroup | None = cgroup
        self.limited_by = f"cgroup {cgroup.version}" if cgroup.limited else "rlimits"
        if missing := sorted(set(LIMITED) - cgroup.limited):
            _warn_without_cgroup(f"no writable cgroup limits {', '.join(missing)} here")
        self._ready, ready = os.pipe()
        streams = [os.pipe() for _ in range(2)]
        keep, writers = [ready], [w for _, w in streams]  # what the sandbox inherits
        try:
            cmd = ["/bin/sh", "-c", _JOIN_CGROUP, "sh", *map(str, cgroup.procs_files), "--"]
            if inside:
                keep.append(_options_fd(_bwrap(workspace, data_dir, gpu, limits)))
                cmd += ["bwrap", "--args", str(keep[-1])]
            elif self.isolation == "unshare":
                cmd += _unshare()
            if self.uid is not None:
                cmd += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}"]
                cmd += ["--clear-groups", "--inh-caps=-all"]
            cpu_s = limits.cpu_seconds
            startup = replace(limits, cpu_s=cpu_s + WARMUP_CPU_S)
            cmd += [*_limits(startup, "memory" in cgroup.limited), PYTHON, "-c", _WAITER]
            cmd += [str(cpu_s), str(ready), *sorted(preload)]
            self.proc = _launcher.submit(_popen, cmd, workspace, env, writers, keep).result()
        except BaseException:
            os.close(self._ready)
            for r, _ in streams:
                os.close(r)
            cgroup.remove()
            raise
        finally:
            for fd in [*keep, *writers]:
                os.close(fd)
        self.logs = [
            CappedLog(r, out_dir / f"{name}.txt", limits.log_kb * 1024)
            for (r, _), name in zip(streams, ("stdout", "stderr"), strict=True)
        ]
        for capture in self.logs:
            capture.start()

    @property
    def waiting(self) -> bool:
        """Whether it still waits for its script (not run, not dead)."""
        return self.proc.poll() is None and not self.proc.stdin.closed  # type: ignore[union-attr]

    def give_to_sandbox(self, path: Path) -> None:
        """Let the sandbox's own uid own ``path`` and everything under it (when it has one)."""
        if self.uid is not None:
            for item in [path, *(path.rglob("*") if path.is_dir() else ())]:
                os.chown(item, self.uid, self.uid, follow_symlinks=False)

    def _wait_until_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for its imports; False if they took longer."""
        if self._ready >= 0:
            if select.select([self._ready], [], [], timeout)[0]:
                os.read(self._ready, 1)  # b"r", or b"" when it died first
            else:
                return False
            self._close_ready()
        return True

    def _close_ready(self) -> None:
        if self._ready >= 0:
            os.close(self._ready)
            self._ready = -1

    def run(self, script: str) -> SandboxResult:
        """Run ``script`` (a file in the workspace) once the imports are done, under the
        wall-time limit, which counts from the script's start (imports that take longer than
        it time out), and the workspace's disk cap; then kill whatever it left running."""
        waited = time.monotonic()
        if not self._wait_until_ready(self.limits.wall_s):
            self.stop()
            return self._result(True, self.limits.wall_s, self.limits.wall_s, None)
        start = time.monotonic()
        with contextlib.suppress(BrokenPipeError):  # it died: its exit code tells
            self.proc.stdin.write(f"{script}\n".encode())  # type: ignore[union-attr]
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        timed_out, exceeded = self._watch(start + self.limits.wall_s)
        seconds = time.monotonic() - start
        self.stop()
        exceeded = exceeded or self._disk_exceeded()
        if self.oom_kills:
            exceeded = (
                f"memory: its processes went over the memory limit of {self.limits.memory_mb} MB"
                f" together (the kernel killed {self.oom_kills} of them)"
            )
        return self._result(timed_out, seconds, start - waited, exceeded)

    def _watch(self, deadline: float) -> tuple[bool, str | None]:
        """Wait for it to end, checking the workspace's disk use; (timed out, limit exceeded)."""
        while (left := deadline - time.monotonic()) > 0:
            try:
                self.proc.wait(timeout=min(DISK_POLL_S, left))
                return False, None
            except subprocess.TimeoutExpired:
                if exceeded := self._disk_exceeded():
                    return False, exceeded
        return True, None

    def _disk_exceeded(self) -> str | None:
        used = disk_usage(self.workspace, self._data_inodes)
        if used <= self.limits.disk_mb * 2**20:
            return None
        return (
            f"disk: the workspace held {used / 2**20:.0f} MB, over its cap of "
            f"{self.limits.disk_mb} MB"
        )

    def _result(
        self, timed_out: bool, seconds: float, startup: float, exceeded: str | None
    ) -> SandboxResult:
        return SandboxResult(
            exit_code=self.proc.returncode,
            timed_out=timed_out,
            seconds=seconds,
            stdout=_tail(self.out_dir / "stdout.txt"),
            stderr=_tail(self.out_dir / "stderr.txt"),
            isolation=self.isolation,
            uid=self.uid,
            startup=startup,
            exceeded=exceeded,
            cpu_seconds=self.cpu_seconds,
            limited_by=self.limited_by,
        )

    def stop(self) -> None:
        """Kill it and every process it started; a waiting one ends without running anything.
        Once only: its process group's id may be another's after that."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()  # type: ignore[union-attr]
        _kill_group(self.proc.pid)
        self.proc.wait()
        if self.uid is not None:
            _kill_uid(self.uid)
        if self.cgroup is not None:
            self.oom_kills = self.cgroup.oom_kills()
            self.cpu_seconds = self.cgroup.cpu_seconds()
            self.cgroup.remove()
            self.cgroup = None
        for capture in self.logs:
            capture.join(timeout=10)  # its input ends once every process that wrote it is dead
        self._close_ready()


def run_script(
    script: str,
    workspace: Path,
    data_dir: Path,
    logs: Path,
    limits: Limits,
    gpu: int | None = None,
    isolation: str | None = None,
) -> SandboxResult:
    """Run ``python <script>`` (a file in ``workspace``) in a new sandbox; write stdout and
    stderr to ``logs``. ``isolation`` overrides :func:`isolation_backend`."""
    return Sandbox(workspace, data_dir, logs, limits, gpu, isolation).run(script)


def _kill_group(pgid: int) -> None:
    """SIGKILL every process of the group (a pid namespace takes its other processes along)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _processes_of(uid: int) -> list[int]:
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        pids.append(int(status.parent.name))
                    break
    return pids


def _kill_uid(uid: int, timeout_s: float = 10.0) -> None:
    """SIGKILL whatever still runs as the sandbox's own ``uid`` and wait until it is gone."""
    deadline = time.monotonic() + timeout_s
    while (pids := _processes_of(uid)) and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)
