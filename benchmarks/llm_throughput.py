"""Throughput of the embedded language model on CPU, in process and through the local server.

Decode tokens/s of SmolLM2-135M-Instruct (greedy, 64 new tokens) with transformers in float32 and
bfloat16, and requests/s through ``python -m worldmodels.language.serve`` with 4 concurrent
clients. Prints one JSON object. Run: ``python benchmarks/llm_throughput.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import torch
from machine import machine_info

from worldmodels.language.embedded import EmbeddedModel

PROMPT = [{"role": "user", "content": "Write a long story about a robot that learns to walk."}]
NEW_TOKENS, REPEATS, CLIENTS, REQUESTS_PER_CLIENT, SERVER_TOKENS = 64, 3, 4, 3, 32


def decode_rate(
    dtype: str,
    device: str = "cpu",
    new_tokens: int = NEW_TOKENS,
    repeats: int = REPEATS,
    gguf_path: str | None = None,
) -> dict[str, float]:
    """Load time and completion tokens per second of one in-process model."""
    start = time.perf_counter()
    model = EmbeddedModel(gguf_path=gguf_path, device=device, dtype=dtype)
    load_s = time.perf_counter() - start
    model.chat(PROMPT, max_tokens=8)  # warm-up
    start = time.perf_counter()
    tokens = sum(
        model.chat(PROMPT, max_tokens=new_tokens).usage.completion_tokens for _ in range(repeats)
    )
    return {
        "load_s": round(load_s, 1),
        "tokens_per_s": round(tokens / (time.perf_counter() - start), 1),
    }


def server_rate() -> dict[str, float]:
    """Requests and tokens per second of the local server under concurrent clients."""
    from worldmodels.language.openai_backend import OpenAIModel  # only here: decode_rate runs
    # where the openai client is not installed (the device suite's GPU machine)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        sys.executable,
        "-m",
        "worldmodels.language.serve",
        "--port",
        str(port),
        "--device",
        "cpu",
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None and "serving" in server.stdout.readline()
        client = OpenAIModel(
            "smollm2-135m-instruct", base_url=f"http://127.0.0.1:{port}/v1", api_key="local"
        )
        client.chat(PROMPT, max_tokens=8)  # warm-up

        def worker(i: int) -> int:
            return sum(
                client.chat(
                    PROMPT, max_tokens=SERVER_TOKENS, temperature=0.7, seed=i * 10 + j
                ).usage.completion_tokens
                for j in range(REQUESTS_PER_CLIENT)
            )

        start = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            tokens = sum(pool.map(worker, range(CLIENTS)))
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait()
    return {
        "clients": CLIENTS,
        "requests": CLIENTS * REQUESTS_PER_CLIENT,
        "max_tokens": SERVER_TOKENS,
        "requests_per_s": round(CLIENTS * REQUESTS_PER_CLIENT / elapsed, 2),
        "tokens_per_s": round(tokens / elapsed, 1),
    }


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report = {
        "benchmark": "llm_throughput",
        "model": "SmolLM2-135M-Instruct (GGUF Q4_1, de-quantized)",
        "new_tokens": NEW_TOKENS,
        "embedded_float32": decode_rate("float32"),
        "embedded_bfloat16": decode_rate("bfloat16"),
        "local_server": server_rate(),
        "machine": machine_info(torch.device("cpu")),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
