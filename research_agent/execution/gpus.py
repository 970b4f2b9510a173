"""The GPUs of a run, handed to its solutions' sandboxes one at a time."""

from __future__ import annotations

import queue


class GpuPool:
    """Hands each running solution one GPU (CUDA_VISIBLE_DEVICES), or None without GPUs."""

    def __init__(self, count: int) -> None:
        self._free: queue.Queue[int] | None = None
        if count > 0:
            self._free = queue.Queue()
            for index in range(count):
                self._free.put(index)

    def acquire(self) -> int | None:
        return None if self._free is None else self._free.get()

    def release(self, gpu: int | None) -> None:
        if self._free is not None and gpu is not None:
            self._free.put(gpu)
