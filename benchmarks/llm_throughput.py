"""Throughput of the embedded language model on CPU, in process and through the local server.

1. Decode tokens/s of SmolLM2-135M-Instruct in process (transformers ``generate``, greedy, 64 new
   tokens) in float32 and bfloat16.
2. The local server (``python -m worldmodels.language.serve``, float32) side by side: one request
   at a time (``--max-batch 1``, the server before continuous batching) and batched
   (``--max-batch 8``), each with 1 client and with 8 concurrent clients, every request asking
   for 64 new tokens (sampled at temperature 0.7 with its own seed, so replies differ).
   Aggregate tokens/s = completion tokens of all requests / wall time. Each measurement also
   gives what the server's engine did meanwhile (its ``/stats``): decode steps, the mean rows per
   decode step (``mean_decode_batch``: 1 = no batching) and requests per prefill group.

Prints one JSON object (and each measurement to stderr as it is taken). Run:
``python benchmarks/llm_throughput.py [--requests-per-client 2] [--skip-in-process]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import torch
from machine import machine_info

from worldmodels.language.embedded import EmbeddedModel

if TYPE_CHECKING:  # imported where used: decode_rate runs without the openai client (GPU suite)
    from worldmodels.language.openai_backend import OpenAIModel

PROMPT = [{"role": "user", "content": "Write a long story about a robot that learns to walk."}]
NEW_TOKENS, REPEATS, CLIENTS = 64, 3, 8


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


def clients_rate(client: OpenAIModel, clients: int, requests_per_client: int) -> dict[str, object]:
    """Aggregate completion tokens/s of ``clients`` concurrent clients, and seconds per request."""

    def worker(i: int) -> tuple[int, float]:
        tokens, seconds = 0, 0.0
        for j in range(requests_per_client):
            start = time.perf_counter()
            completion = client.chat(
                PROMPT, max_tokens=NEW_TOKENS, temperature=0.7, seed=100 * i + j
            )
            seconds += time.perf_counter() - start
            tokens += completion.usage.completion_tokens
        return tokens, seconds

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(worker, range(clients)))
    elapsed = time.perf_counter() - start
    requests = clients * requests_per_client
    return {
        "clients": clients,
        "requests": requests,
        "completion_tokens": sum(t for t, _ in results),
        "tokens_per_s": round(sum(t for t, _ in results) / elapsed, 1),
        "seconds_per_request": round(sum(s for _, s in results) / requests, 2),
    }


def engine_stats(base_url: str) -> dict[str, float]:
    """The server's ``/stats``: the counts of its engine's decode steps and rows so far."""
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/stats", timeout=60) as answer:
        return json.loads(answer.read())


def stats_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What the engine did between two ``/stats``: steps, and mean batch per step and group."""
    steps = after["decode_steps"] - before["decode_steps"]
    groups = after["prefill_groups"] - before["prefill_groups"]
    rows = after["decoded_rows"] - before["decoded_rows"]
    requests = after["prefilled_requests"] - before["prefilled_requests"]
    return {
        "decode_steps": steps,
        "mean_decode_batch": round(rows / max(1, steps), 2),
        "prefill_groups": groups,
        "mean_prefill_group": round(requests / max(1, groups), 2),
    }


def server_rates(max_batch: int, requests_per_client: int) -> dict[str, object]:
    """1 client, then ``CLIENTS`` concurrent clients, against a server of ``max_batch``."""
    from worldmodels.language.openai_backend import OpenAIModel

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "worldmodels.language.serve", "--port", str(port)]
    cmd += ["--device", "cpu", "--max-batch", str(max_batch)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None and "serving" in server.stdout.readline()
        base_url = f"http://127.0.0.1:{port}/v1"
        client = OpenAIModel(
            "smollm2-135m-instruct",
            base_url=base_url,
            api_key="local",
            timeout_s=3600,  # a retry after a timeout would count a request twice
            max_retries=0,
            max_concurrency=CLIENTS,
        )
        client.chat(PROMPT, max_tokens=8)  # warm-up
        rates: dict[str, object] = {"max_batch": max_batch}
        for name, clients in (("one_client", 1), ("concurrent", CLIENTS)):
            before = engine_stats(base_url)
            rates[name] = clients_rate(client, clients, requests_per_client)
            rates[name]["engine"] = stats_between(before, engine_stats(base_url))
            print(json.dumps({name: rates[name], "max_batch": max_batch}), file=sys.stderr)
        return rates
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests-per-client", type=int, default=2)
    parser.add_argument("--skip-in-process", action="store_true", help="servers only")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    report: dict[str, object] = {
        "benchmark": "llm_throughput",
        "model": "SmolLM2-135M-Instruct (GGUF Q4_1, de-quantized)",
        "new_tokens": NEW_TOKENS,
    }
    if not args.skip_in_process:
        report["embedded_float32"] = decode_rate("float32")
        report["embedded_bfloat16"] = decode_rate("bfloat16")
    serial = server_rates(1, args.requests_per_client)
    batched = server_rates(CLIENTS, args.requests_per_client)
    report["server_one_at_a_time"], report["server_batched"] = serial, batched
    report["concurrent_speedup"] = round(
        batched["concurrent"]["tokens_per_s"] / serial["concurrent"]["tokens_per_s"], 2
    )
    report["one_client_ratio"] = round(
        batched["one_client"]["tokens_per_s"] / serial["one_client"]["tokens_per_s"], 2
    )
    report["load_average_1min"] = round(os.getloadavg()[0], 1)
    report["machine"] = machine_info(torch.device("cpu"))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
