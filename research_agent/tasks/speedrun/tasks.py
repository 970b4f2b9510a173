"""Speedrun reproduction tasks: given record ``i``, reach the target loss as fast as record ``i+1``.

Task ids are ``speedrun[_<preset>]_<i>[_<hint>]`` (preset cpu by default, hint none by default),
e.g. ``speedrun_1``, ``speedrun_gpu_0_pseudocode``. A task folder holds the corpus, record ``i``
as the starter solution, record ``i+1`` as ``private/reference_solution.py``, the three hint
files under ``hints/`` (the chosen one also as ``public/hint.md``) and ``speedrun.json`` with
both records' measured times. The score is the wall time of a run that reaches the target;
:func:`fsr` turns it into the fraction of the speedup recovered.

Grading is causal by construction: the graded splits are next-token queries whose labels occur
in no input (see :mod:`research_agent.tasks.speedrun.corpus`), so a script that reads ahead in its
inputs has nothing to read. ``val.npy`` (full sequences) is the script's own validation text,
never graded. The source ``speedrun`` (``task=speedrun_1`` or ``task=speedrun:speedrun_1``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import yaml

from research_agent.tasks.sources import SolutionRunner, register_task_source
from research_agent.tasks.spec import TaskFolder, TaskSpec, publish, staging_folder
from research_agent.tasks.speedrun.corpus import VOCAB, build
from research_agent.tasks.speedrun.presets import Preset, preset
from research_agent.tasks.speedrun.records import CHAIN, num_records, record_code, record_name

HINTS = ("none", "pseudocode", "description")
ID_PATTERN = re.compile(r"^speedrun(?:_(cpu|gpu|smoke))?_(\d+)(?:_(none|pseudocode|description))?$")
INFO_FILE = "speedrun.json"
LAYOUT = 2  # folders of an older layout (graded on full sequences) are written anew
RecordTimer = Callable[[TaskFolder, str], float]


def is_speedrun(task_id: str) -> bool:
    """Whether ``task_id`` names a speedrun task (well-formed or not)."""
    return task_id.startswith("speedrun_")


def parse_id(task_id: str) -> tuple[Preset, int, str]:
    """(preset, record index, hint level) of ``task_id``."""
    match = ID_PATTERN.match(task_id)
    last = num_records() - 2
    if match is None or not 0 <= int(match.group(2)) <= last:
        raise KeyError(
            f"bad speedrun task id {task_id!r}; valid: speedrun[_cpu|_gpu|_smoke]_<i>"
            f"[_none|_pseudocode|_description] with i in 0..{last}"
        )
    return preset(match.group(1) or "cpu"), int(match.group(2)), match.group(3) or "none"


def fsr(t_record: float, t_next: float, t_agent: float | None) -> float | None:
    """Fraction of the speedup recovered, (T_i − T_agent) / (T_i − T_{i+1}); None if no time."""
    if t_agent is None:
        return None
    if t_record <= t_next:
        raise ValueError(f"record i ({t_record:.3g} s) is not slower than i+1 ({t_next:.3g} s)")
    return (t_record - t_agent) / (t_record - t_next)


def hint_texts(index: int) -> dict[str, str]:
    """The three hint levels for the step from record ``index`` to ``index + 1``."""
    improvement = CHAIN[index]
    return {
        "none": "No hint: find an improvement that reaches the target loss faster.\n",
        "pseudocode": f"Improvement: {improvement.name}\n\n```\n{improvement.pseudocode}\n```\n",
        "description": f"Improvement: {improvement.name}\n\n{improvement.description}\n",
    }


def describe(spec: Preset, index: int) -> str:
    """The task description an agent reads."""
    return (
        f"Speedrun record {index} ({record_name(index)}) trains a {spec.layers}-layer GPT "
        f"(width {spec.dim}, context {spec.seq_len}) on Python standard-library source until "
        f"its validation loss is at most {spec.target_loss} nats per token. Make the script "
        "reach the target in less wall time. val.npy holds validation sequences for the "
        "script's own check. The graded splits are next-token queries: row i of val_X.npy "
        "(test_X.npy) holds the first val_lengths[i] (test_lengths[i]) tokens of a piece of "
        "held-out text, right-padded with 0; write the log-probabilities of the token that "
        "follows, one row of 128 per query, as val_predictions.npy and test_predictions.npy. "
        "The score is the run's wall time, valid only if the mean loss over the queries is at "
        f"most the target plus {spec.slack}."
    )


def write_folder(root: Path, spec: Preset, index: int, hint: str) -> None:
    """Write the task files (all but task.yaml and the measured times) into ``root``."""
    for sub in ("public", "private", "starter", "hints"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    corpus = build(spec.train_bytes, spec.eval_sequences, spec.num_queries, spec.seq_len)
    np.save(root / "public" / "train.npy", corpus.train)
    np.save(root / "public" / "val.npy", corpus.val)
    for split, queries in (("val", corpus.val_queries), ("test", corpus.test_queries)):
        np.save(root / "public" / f"{split}_X.npy", queries.inputs)
        np.save(root / "public" / f"{split}_lengths.npy", queries.lengths)
        np.save(root / "private" / f"{split}_labels.npy", queries.labels)
    target = {"target_loss": spec.target_loss, "slack": spec.slack, "vocab": VOCAB}
    (root / "private" / "target.json").write_text(json.dumps(target))
    (root / "public" / "setup.json").write_text(json.dumps(spec.setup(), indent=1))
    (root / "public" / "description.md").write_text(describe(spec, index) + "\n")
    for level, text in hint_texts(index).items():
        (root / "hints" / f"{level}.md").write_text(text)
    shutil.copy(root / "hints" / f"{hint}.md", root / "public" / "hint.md")
    (root / "starter" / "solution.py").write_text(record_code(index))
    (root / "private" / "reference_solution.py").write_text(record_code(index + 1))
    shutil.copy(Path(__file__).with_name("evaluate.py"), root / "evaluate.py")
    for path in [root, *root.rglob("*")]:
        private = path.is_relative_to(root / "private")
        path.chmod(
            (0o700 if private else 0o755) if path.is_dir() else (0o600 if private else 0o644)
        )


def task_spec(task_id: str, spec: Preset, index: int, t_record: float, t_next: float) -> TaskSpec:
    """The spec of a task whose records take ``t_record`` and ``t_next`` seconds; medals at
    FSR 1 (gold), 0.75, 0.5 and 0.25."""
    gap = t_record - t_next
    medals = {"gold": 1.0, "silver": 0.75, "bronze": 0.5, "median": 0.25}
    return TaskSpec(
        id=task_id,
        description=describe(spec, index),
        kind="language_modeling",
        metric="time_to_target",
        direction="minimize",
        baseline_score=t_record,
        time_limit_s=spec.time_limit_s,
        memory_mb=spec.memory_mb,
        wants_gpu=spec.wants_gpu,
        medals={name: t_record - share * gap for name, share in medals.items()},
    )


def sandbox_timer(runner: SolutionRunner) -> RecordTimer:
    """A record timer that runs the record with ``runner`` (the sandbox): its graded wall
    time (raises if it fails)."""

    def time_record(task: TaskFolder, code: str) -> float:
        scratch = task.root / "timing_run"
        result = runner(task, code, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
        if result.score is None:
            raise RuntimeError(f"a speedrun record failed on {task.spec.id}: {result.error}")
        return result.score

    return time_record


def prepare_speedrun(task_id: str, cache: Path, timer: RecordTimer | None = None) -> TaskFolder:
    """The folder of speedrun task ``task_id`` under ``cache``, written and timed on first use.

    ``timer(task, code)`` measures a record (:func:`sandbox_timer`: one sandboxed run each of
    records ``i`` and ``i+1``); their times become the baseline score, the medals and
    ``speedrun.json``. It is needed only when the folder is written.
    """
    spec, index, hint = parse_id(task_id)
    root = cache / task_id
    if (root / "task.yaml").is_file():
        if layout_of(root) == LAYOUT:
            return TaskFolder.load(root)
        retire(root)
    if timer is None:
        raise ValueError(f"preparing task {task_id} times its records: pass timer")
    tmp = staging_folder(root)
    write_folder(tmp, spec, index, hint)
    provisional = TaskFolder(tmp, task_spec(task_id, spec, index, 2.0, 1.0))
    t_record = timer(provisional, record_code(index))
    t_next = timer(provisional, record_code(index + 1))
    info = {
        "layout": LAYOUT,
        "preset": spec.name,
        "record": index,
        "improvement": CHAIN[index].name,
        "hint": hint,
        "target_loss": spec.target_loss,
        "t_record": t_record,
        "t_next": t_next,
    }
    (tmp / INFO_FILE).write_text(json.dumps(info, indent=1))
    final = task_spec(task_id, spec, index, t_record, max(0.0, min(t_next, t_record - 1e-6)))
    (tmp / "task.yaml").write_text(yaml.safe_dump(asdict(final), sort_keys=False))
    return publish(tmp, root)


def layout_of(root: Path) -> int:
    """The layout version a prepared task folder was written in (1: before versions)."""
    try:
        return int(json.loads((root / INFO_FILE).read_text()).get("layout", 1))
    except (OSError, ValueError, AttributeError):
        return 1


def retire(root: Path) -> None:
    """Move a stale task folder out of the way in one step, then delete it."""
    stale = root.with_name(f".{root.name}.{os.getpid()}.stale")
    shutil.rmtree(stale, ignore_errors=True)
    try:
        root.rename(stale)
    except FileNotFoundError:  # another process retired it first
        return
    shutil.rmtree(stale, ignore_errors=True)


def task_fsr(task: TaskFolder, t_agent: float | None) -> float | None:
    """FSR of a run time on a prepared speedrun task (from its ``speedrun.json``)."""
    info = json.loads((task.root / INFO_FILE).read_text())
    return fsr(info["t_record"], info["t_next"], t_agent)


@register_task_source
class SpeedrunTasks:
    """The speedrun tasks, ``speedrun[_<preset>]_<i>[_<hint>]`` (a bare name that is not the
    path of a task folder)."""

    prefix = "speedrun"
    usage = "speedrun_<i> (e.g. speedrun_0)"

    def claims(self, name: str) -> bool:
        return is_speedrun(name) and not Path(name).exists()

    def check(self, name: str) -> None:
        parse_id(name)

    def load(self, name: str, cache: Path, runner: SolutionRunner) -> TaskFolder:
        return prepare_speedrun(name, cache, sandbox_timer(runner))
