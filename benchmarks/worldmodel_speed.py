"""World-model update throughput: TD-MPC2-sized model (5m preset), batch 256, horizon 3.

Compares this project's trainer (ExpMish, batched Q ensemble, torch.compile where asked or on
CUDA, bf16 autocast on CUDA) with a straightforward eager version of the same update (nn.Mish,
no compile, fp32), in the same run on random data. Prints one JSON object.

    python benchmarks/worldmodel_speed.py [--steps 10] [--compile] [--device auto]
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from machine import machine_info

from runkit import resolve_device
from worldmodels.config import TrainerConfig, WorldModelConfig
from worldmodels.data import Batch
from worldmodels.model import WorldModel
from worldmodels.trainer import WorldModelTrainer

OBS_DIM, ACTION_DIM, BATCH, HORIZON = 24, 6, 256, 3


def random_batch(device: torch.device, batch: int = BATCH, horizon: int = HORIZON) -> Batch:
    return Batch(
        {"proprio": torch.randn(horizon + 1, batch, OBS_DIM, device=device)},
        torch.rand(horizon, batch, ACTION_DIM, device=device) * 2 - 1,
        torch.randn(horizon, batch, device=device),
        torch.zeros(horizon, batch, dtype=torch.bool, device=device),
    )


def updates_per_second(trainer: WorldModelTrainer, batch: Batch, steps: int, warmup: int) -> float:
    for _ in range(warmup):
        trainer.update(batch)
    sync = torch.cuda.synchronize if trainer.device.type == "cuda" else (lambda: None)
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.update(batch)
    sync()
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compile", action="store_true", help="compile on the CPU too")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    torch.manual_seed(0)
    batch = random_batch(device)
    results = {}
    variants = {
        "eager_baseline": (
            WorldModelConfig(activation="mish"),
            TrainerConfig(amp=False, compile=False),
        ),
        "ours": (WorldModelConfig(), TrainerConfig(compile=True if args.compile else None)),
    }
    for name, (model_cfg, trainer_cfg) in variants.items():
        model = WorldModel(model_cfg, {"proprio": (OBS_DIM,)}, ACTION_DIM)
        model.fit_normalizers({"proprio": torch.randn(1000, OBS_DIM)})
        trainer = WorldModelTrainer(model, trainer_cfg, device)
        results[name] = {
            "updates_per_s": updates_per_second(trainer, batch, args.steps, args.warmup),
            "amp_bf16": trainer.amp,
            "compiled": trainer.compiled,
            "parameters": sum(p.numel() for p in model.parameters()),
        }
    report = {
        "benchmark": "worldmodel_speed",
        "batch_size": BATCH,
        "horizon": HORIZON,
        "results": results,
        "speedup": results["ours"]["updates_per_s"] / results["eager_baseline"]["updates_per_s"],
        "machine": machine_info(device),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
