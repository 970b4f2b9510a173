"""The machine a benchmark ran on, for its JSON report."""

from __future__ import annotations

import os
import platform

import torch


def machine_info(device: torch.device) -> dict[str, object]:
    """CPU model, core count, torch version and threads, and the GPU when ``device`` is CUDA."""
    cpu = platform.processor()
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    info: dict[str, object] = {
        "cpu": cpu,
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": str(device),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info
