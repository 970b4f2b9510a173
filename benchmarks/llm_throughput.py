"""Throughput of the embedded language model on CPU, in process and through the local server.

1. Decode tokens/s of SmolLM2-135M-Instruct in process (transformers ``generate``, greedy, 64 new
   tokens) in float32 and bfloat16.
2. The local server (``python -m worldmodels.language.serve``) side by side: one request at a
   time in float32 (``--max-batch 1 --quantize none``, the server before continuous batching),
   batched in float32 (``--max-batch 8 --quantize none``) and batched with the fast weights
   (``--max-batch 8 --quantize fast``: float16 layers, int8 output head), each with 1 client and
   with 8 concurrent clients, every request asking
   for 64 new tokens (sampled at temperature 0.7 with its own seed, so replies differ).
   Aggregate tokens/s = completion tokens of all requests / wall time. Each measurement also
   gives what the server's engine did meanwhile (its ``/stats``): decode steps, the mean rows per
   decode step (``mean_decode_batch``: 1 = no batching) and requests per prefill group.
3. Fidelity of the fast weights to float32: greedy continuations of ``FIDELITY_PROMPTS`` in
   float32; how many of their tokens the fast model also picks first, given the same text so far
   (teacher-forced top-1 agreement), the mean log-likelihood gap per token of float32's tokens,
   and how many leading greedy tokens the fast model's own continuations share with float32's.

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
FIDELITY_PROMPTS = [
    "Write a long story about a robot that learns to walk.",
    "What is the capital of France?",
    "Explain in one paragraph why the sky is blue.",
    "List five fruits and their colours.",
    "Write a Python function that reverses a string.",
    "Give three tips for learning to cook.",
    "Summarise the plot of Romeo and Juliet in two sentences.",
    "What is 17 times 23? Show the steps.",
]
FIDELITY_TOKENS = 32


def greedy_continuations(model: EmbeddedModel, prompts: list[list[int]]) -> list[list[int]]:
    """Each prompt's greedy continuation of ``FIDELITY_TOKENS`` tokens, decoded as one batch."""
    from worldmodels.language.batching import BatchEngine
    from worldmodels.language.types import ChatRequest

    engine = BatchEngine(model, max_batch=len(prompts))
    try:
        request = ChatRequest(
            messages=({"role": "user", "content": ""},),
            temperature=0.0,
            max_tokens=FIDELITY_TOKENS,
        )
        runs = [engine.submit(request, ids, False) for ids in prompts]
        for run in runs:
            run.result()
        return [run._sequence.generated for run in runs]
    finally:
        engine.close()


@torch.inference_mode()
def token_log_probs(model: EmbeddedModel, prompt: list[int], tokens: list[int]) -> torch.Tensor:
    """Log-probabilities [len(tokens), vocab] of each next token after ``prompt`` + the tokens
    before it (teacher forcing)."""
    ids = torch.tensor([prompt + tokens])
    logits = model.model(input_ids=ids).logits[0, len(prompt) - 1 : -1]
    return torch.log_softmax(logits.float(), dim=-1)


def fidelity(quantize: str) -> dict[str, float]:
    """How closely the ``quantize`` weights follow float32 on ``FIDELITY_PROMPTS`` (see 3.)."""
    reference = EmbeddedModel(device="cpu", dtype="float32", quantize="none")
    fast = EmbeddedModel(device="cpu", dtype="float32", quantize=quantize)
    prompts = [
        list(
            reference.tokenizer.apply_chat_template(
                [{"role": "user", "content": p}],
                add_generation_prompt=True,
                tokenize=True,
                return_dict=True,
            )["input_ids"]
        )
        for p in FIDELITY_PROMPTS
    ]
    ref_tokens, fast_tokens = (
        greedy_continuations(reference, prompts),
        greedy_continuations(fast, prompts),
    )
    agree, gaps, shared, total = 0, [], 0, 0
    for prompt, ref, own in zip(prompts, ref_tokens, fast_tokens, strict=True):
        ref_lp = token_log_probs(reference, prompt, ref)
        fast_lp = token_log_probs(fast, prompt, ref)
        index = torch.tensor(ref)[:, None]
        agree += int((fast_lp.argmax(dim=-1) == torch.tensor(ref)).sum())
        gaps.append(float((ref_lp.gather(1, index) - fast_lp.gather(1, index)).mean()))
        total += len(ref)
        same = [a == b for a, b in zip(ref, own, strict=False)]
        shared += same.index(False) if False in same else len(same)
    return {
        "prompts": len(prompts),
        "tokens": total,
        "teacher_forced_top1_agreement": round(agree / max(1, total), 4),
        "mean_log_likelihood_gap_nats": round(sum(gaps) / len(gaps), 4),
        "shared_greedy_prefix": round(shared / max(1, total), 4),
    }


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


def server_rates(max_batch: int, quantize: str, requests_per_client: int) -> dict[str, object]:
    """1 client, then ``CLIENTS`` concurrent clients, against a server of ``max_batch`` and
    ``quantize`` weights."""
    from worldmodels.language.openai_backend import OpenAIModel

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "worldmodels.language.serve", "--port", str(port)]
    cmd += ["--device", "cpu", "--max-batch", str(max_batch), "--quantize", quantize]
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
        rates: dict[str, object] = {"max_batch": max_batch, "quantize": quantize}
        for name, clients in (("one_client", 1), ("concurrent", CLIENTS)):
            before = engine_stats(base_url)
            rates[name] = clients_rate(client, clients, requests_per_client)
            rates[name]["engine"] = stats_between(before, engine_stats(base_url))
            row = {name: rates[name], "max_batch": max_batch, "quantize": quantize}
            print(json.dumps(row), file=sys.stderr)
        return rates
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests-per-client", type=int, default=2)
    parser.add_argument("--skip-in-process", action="store_true", help="servers only")
    parser.add_argument("--skip-fidelity", action="store_true", help="no fidelity measurement")
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
    if not args.skip_fidelity:
        report["fast_fidelity"] = fidelity("fast")
        print(json.dumps({"fast_fidelity": report["fast_fidelity"]}), file=sys.stderr)
    serial = server_rates(1, "none", args.requests_per_client)
    report["server_one_at_a_time"] = serial
    for name, quantize in (("server_batched", "none"), ("server_batched_fast", "fast")):
        batched = server_rates(CLIENTS, quantize, args.requests_per_client)
        report[name] = batched
        for clients in ("concurrent", "one_client"):
            report[f"{name}_{clients}_ratio"] = round(
                batched[clients]["tokens_per_s"] / serial[clients]["tokens_per_s"], 2
            )
    report["load_average_1min"] = round(os.getloadavg()[0], 1)
    report["machine"] = machine_info(torch.device("cpu"))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
