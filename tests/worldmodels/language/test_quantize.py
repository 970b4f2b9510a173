"""The fast serving weights: batch-invariant layers, faithful to float32, batching still exact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
from torch import nn

from worldmodels.language.batching import BatchEngine
from worldmodels.language.embedded import EmbeddedModel
from worldmodels.language.quantize import (
    RowwiseInt8Linear,
    _float16_layers,
    quantize_for_serving,
    resolve_quantize,
)
from worldmodels.language.serve import parse_args

from .helpers import FRANCE
from .test_batching import PROMPTS, prompt_ids, request, submit_together


def rows_alone(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([layer(row[None]) for row in x])


@torch.inference_mode()
def test_int8_head_gives_a_row_the_same_logits_whatever_the_batch() -> None:
    torch.manual_seed(0)
    linear = nn.Linear(64, 500)
    head = RowwiseInt8Linear(linear)
    x = torch.randn(4, 64)
    x[2] *= 50  # one row of far larger activations: a per-batch scale would change the others
    assert torch.equal(head(x), rows_alone(head, x))
    assert head(x[None]).shape == (1, 4, 500)
    error = (head(x) - linear(x)).abs().max() / linear(x).abs().max()
    assert error < 0.02
    assert torch.equal(head(x).argmax(dim=-1), linear(x).argmax(dim=-1))


@torch.inference_mode()
def test_float16_layers_are_batch_invariant_and_close_to_float32() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.SiLU(), nn.Linear(128, 32))
    x = torch.randn(8, 64)
    expected = model(x)
    _float16_layers(model)
    assert type(model[0]) is not nn.Linear and type(model[2]) is not nn.Linear
    out = model(x)
    assert torch.allclose(out, rows_alone(model, x), atol=1e-6)
    assert torch.allclose(out, expected, rtol=0, atol=2e-3 * float(expected.abs().max()))


def test_quantize_names_are_checked() -> None:
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert resolve_quantize("auto", cpu, "float32") == "fast"
    assert resolve_quantize("auto", cpu, "bfloat16") == "none"
    assert resolve_quantize("auto", cuda, "float32") == "none"
    assert resolve_quantize("none", cpu, "float32") == "none"
    with pytest.raises(ValueError, match="quantize='int4' is not one of"):
        resolve_quantize("int4", cpu, "float32")
    with pytest.raises(ValueError, match="needs the model on CPU in float32"):
        quantize_for_serving(nn.Linear(4, 4).to(torch.bfloat16), "fast")
    with pytest.raises(ValueError, match="quantize='int4'"):
        EmbeddedModel(device="cpu", quantize="int4")  # before loading anything


def test_server_serves_fast_weights_by_default_and_float32_on_request() -> None:
    assert parse_args([])[0].quantize == "auto"
    assert parse_args(["--quantize", "none"])[0].quantize == "none"
    with pytest.raises(SystemExit):
        parse_args(["--quantize", "int4"])


@pytest.fixture(scope="module")
def fast() -> EmbeddedModel:
    return EmbeddedModel(device="cpu", quantize="fast")


@pytest.fixture(scope="module")
def fast_engine(fast: EmbeddedModel) -> Iterator[BatchEngine]:
    engine = BatchEngine(fast, max_batch=8, max_queue=8, prefill_chunk=16)
    yield engine
    engine.close()


def test_fast_model_answers_as_float32_does(fast: EmbeddedModel, embedded: EmbeddedModel) -> None:
    assert fast.quantize == "fast" and embedded.quantize == "none"
    assert isinstance(fast.model.get_output_embeddings(), RowwiseInt8Linear)
    answer = fast.chat(FRANCE, max_tokens=12).text
    assert "Paris" in answer
    assert answer == embedded.chat(FRANCE, max_tokens=12).text


def test_fast_greedy_tokens_in_a_batch_are_the_tokens_alone(
    fast_engine: BatchEngine, fast: EmbeddedModel
) -> None:
    chats = [request(p, temperature=0.0, max_tokens=8 + 4 * i) for i, p in enumerate(PROMPTS)]
    alone = [fast_engine.submit(c, prompt_ids(fast, c), False).result() for c in chats]
    together = submit_together(fast_engine, fast, chats)
    assert [g.result().text for g in together] == [c.text for c in alone]
