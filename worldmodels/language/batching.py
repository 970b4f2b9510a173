"""Continuous batching for the embedded model: the requests in flight decode as one batch per step.

One engine thread owns the model. Each iteration it prefills one chunk of the waiting requests
that fit in the batch, together (a :class:`_PrefillGroup`: their prompts left-padded into one KV
cache, so the weights are read once per chunk, not once per request), then runs one decode step
for every running request together. A group whose prefill is done joins the batch between steps
(caches left-padded to the batch's length, an attention mask hides the padding, position ids
count real tokens only); a finished or cancelled request leaves it. Prompts are prefilled
``prefill_chunk`` tokens per step (over the whole group), so a long prompt never stalls the
running requests for more than a chunk.

``max_batch=1`` runs one request at a time, as the server did before batching.
"""

from __future__ import annotations

import inspect
import logging
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from transformers import DynamicCache

from worldmodels.language.types import ChatRequest, Completion, LanguageModelError

if TYPE_CHECKING:
    from worldmodels.language.embedded import EmbeddedModel

log = logging.getLogger(__name__)

AllowedTokens = Callable[[int, torch.Tensor], list[int]]


class QueueFullError(LanguageModelError):
    """The engine's queue of waiting requests is full; retry after ``retry_after_s``."""

    def __init__(self, waiting: int, retry_after_s: int) -> None:
        super().__init__(f"{waiting} requests are already waiting; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class GenerationCancelledError(LanguageModelError):
    """The request was cancelled (its client left) before it finished."""


@dataclass(eq=False)
class _Sequence:
    """One request's state inside the engine."""

    request: ChatRequest
    prompt_ids: list[int]
    stream: bool
    allowed: AllowedTokens | None
    generator: torch.Generator | None
    events: queue.Queue = field(default_factory=queue.Queue)
    cancelled: threading.Event = field(default_factory=threading.Event)
    generated: list[int] = field(default_factory=list)
    text: str = ""
    sent: int = 0  # characters of ``text`` already streamed
    admitted_at: float = 0.0


class Generation:
    """A request submitted to the engine: its text deltas as they come, then its completion."""

    def __init__(self, sequence: _Sequence) -> None:
        self._sequence = sequence
        self.completion: Completion | None = None

    def deltas(self, poll_s: float = 0.5, gone: Callable[[], bool] | None = None) -> Iterator[str]:
        """Text pieces as they are decoded (only for ``stream=True``); sets :attr:`completion`.

        ``gone`` is asked every ``poll_s``; when it says the client left, the request is
        cancelled and :class:`GenerationCancelledError` raised.
        """
        checked = time.monotonic()
        while True:
            try:
                event = self._sequence.events.get(timeout=poll_s)
            except queue.Empty:
                event = None
            if gone is not None and time.monotonic() - checked >= poll_s:
                checked = time.monotonic()
                if gone():
                    self.cancel()
                    raise GenerationCancelledError("the client left")
            if event is None:
                continue
            if isinstance(event, str):
                yield event
            elif isinstance(event, Completion):
                self.completion = event
                return
            else:
                raise event

    def result(self, gone: Callable[[], bool] | None = None) -> Completion:
        """Wait for the whole completion."""
        for _ in self.deltas(gone=gone):
            pass
        assert self.completion is not None
        return self.completion

    def cancel(self) -> None:
        """Stop generating for this request; its batch slot frees at the next step."""
        self._sequence.cancelled.set()


@dataclass
class _PrefillGroup:
    """Waiting requests prefilled together: prompts left-padded to one width, one KV cache."""

    sequences: list[_Sequence]
    ids: torch.Tensor  # [rows, width] prompt ids, left-padded
    mask: torch.Tensor  # [rows, width] long, 0 on left padding
    positions: torch.Tensor  # [rows, width] position id of each token (0 on padding)
    cache: DynamicCache = field(default_factory=DynamicCache)
    done: int = 0  # columns already prefilled

    @classmethod
    def of(cls, sequences: list[_Sequence], device: torch.device) -> _PrefillGroup:
        width = max(len(s.prompt_ids) for s in sequences)
        ids = torch.zeros(len(sequences), width, dtype=torch.long)
        mask = torch.zeros(len(sequences), width, dtype=torch.long)
        for row, sequence in enumerate(sequences):
            length = len(sequence.prompt_ids)
            ids[row, width - length :] = torch.tensor(sequence.prompt_ids)
            mask[row, width - length :] = 1
        positions = (mask.cumsum(dim=1) - 1).clamp(min=0)
        return cls(sequences, ids.to(device), mask.to(device), positions.to(device))


def padding_allows(lengths: list[int], length: int) -> bool:
    """Whether a prompt of ``length`` tokens may join a prefill group of ``lengths``: its left
    padding (compute spent on nothing) stays at most a quarter of the group's real tokens."""
    tokens = sum(lengths) + length
    return (len(lengths) + 1) * max(*lengths, length) - tokens <= tokens // 4


@dataclass
class EngineStats:
    """Counts of the engine's work since it started: how much batching happened."""

    decode_steps: int = 0
    decoded_rows: int = 0  # sum over decode steps of the rows in the batch
    prefill_groups: int = 0
    prefilled_requests: int = 0

    def as_dict(self) -> dict[str, float]:
        """The counts, with the mean rows per decode step and requests per prefill group."""
        return {
            **self.__dict__,
            "mean_decode_batch": round(self.decoded_rows / max(1, self.decode_steps), 2),
            "mean_prefill_group": round(self.prefilled_requests / max(1, self.prefill_groups), 2),
        }


@dataclass
class _Batch:
    """The running requests' shared state, one row each: left-padded KV cache and mask."""

    cache: DynamicCache
    mask: torch.Tensor  # [rows, length] long, 0 on left padding
    positions: torch.Tensor  # [rows] position id of each row's next token
    last: torch.Tensor  # [rows] each row's last sampled token, the next step's input


def _pad_left(x: torch.Tensor, width: int, dim: int) -> torch.Tensor:
    """``x`` with ``width`` zeros prepended along ``dim`` (-1 for a mask, -2 for keys/values)."""
    if width == 0:
        return x
    pad = [0, 0] * (-dim - 1) + [width, 0]
    return F.pad(x, pad)


class BatchEngine:
    """Serves :class:`ChatRequest` s on ``model`` with continuous batching in one thread.

    ``max_batch`` requests decode together; up to ``max_queue`` more wait, and a submit beyond
    that raises :class:`QueueFullError`. Prompts are prefilled ``prefill_chunk`` tokens at a time.
    """

    def __init__(
        self,
        model: EmbeddedModel,
        max_batch: int = 8,
        max_queue: int = 32,
        prefill_chunk: int = 256,
    ) -> None:
        if max_batch < 1 or max_queue < 0 or prefill_chunk < 1:
            raise ValueError(
                f"max_batch={max_batch} must be >= 1, max_queue={max_queue} >= 0, "
                f"prefill_chunk={prefill_chunk} >= 1"
            )
        self.model = model
        self.max_batch, self.max_queue, self.prefill_chunk = max_batch, max_queue, prefill_chunk
        eos = model.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) | {model.tokenizer.eos_token_id}
        self._eos = eos_ids - {None}
        # transformers 5 renames forward's past_key_values to cache
        forward = inspect.signature(model.model.forward).parameters
        self._cache_kwarg = "cache" if "cache" in forward else "past_key_values"
        self._cond = threading.Condition()
        self._pending: deque[_Sequence] = deque()
        self._prefilling: _PrefillGroup | None = None
        self._rows: list[_Sequence] = []
        self._batch: _Batch | None = None
        self._stats = EngineStats()
        self._request_s = 5.0  # running mean of a request's time in the engine, for Retry-After
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="batch-engine", daemon=True)
        self._thread.start()

    # ----- the client side (any thread)

    def submit(self, request: ChatRequest, prompt_ids: list[int], stream: bool) -> Generation:
        """Queue ``request`` (its chat template already tokenized into ``prompt_ids``)."""
        if not prompt_ids:
            raise ValueError("prompt_ids is empty")
        allowed = (
            self.model.allowed_tokens(request.json_schema)
            if request.json_schema is not None
            else None
        )
        generator = None
        if request.temperature > 0:
            generator = torch.Generator(device=self.model.device)
            if request.seed is not None:
                generator.manual_seed(request.seed)
            else:
                generator.seed()
        sequence = _Sequence(request, list(prompt_ids), stream, allowed, generator)
        with self._cond:
            if self._stopping:
                raise LanguageModelError("the engine is closed")
            if len(self._pending) >= self.max_queue:
                raise QueueFullError(len(self._pending), self._retry_after_s())
            self._pending.append(sequence)
            self._cond.notify()
        return Generation(sequence)

    def load(self) -> dict[str, int]:
        """Requests running (decoding or prefilling) and waiting now."""
        with self._cond:
            group = self._prefilling
            running = len(self._rows) + (len(group.sequences) if group else 0)
            return {"running": running, "waiting": len(self._pending)}

    def stats(self) -> dict[str, float]:
        """What the engine did since it started (:class:`EngineStats`)."""
        with self._cond:
            return self._stats.as_dict()

    def close(self) -> None:
        """Stop the engine thread; requests not finished fail."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout=60)

    def _retry_after_s(self) -> int:
        """Seconds until a queue slot is likely free (at least 1)."""
        return max(1, math.ceil(self._request_s * (len(self._pending) + 1) / self.max_batch))

    # ----- the engine thread

    @torch.inference_mode()
    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._stopping or self._pending or self._rows or self._prefilling):
                    self._cond.wait()
                if self._stopping:
                    break
                if self._prefilling is None and len(self._rows) < self.max_batch:
                    self._admit(self.max_batch - len(self._rows))
            try:
                if self._prefilling is not None:
                    self._prefill_chunk(self._prefilling)
                if self._rows:
                    self._decode_step()
            except Exception as exc:  # fail the requests in flight, keep serving new ones
                log.exception("generation step failed")
                self._fail_in_flight(LanguageModelError(f"generation failed: {exc}"))
        self._fail_in_flight(LanguageModelError("the engine is closed"))
        with self._cond:
            while self._pending:
                self._pending.popleft().events.put(LanguageModelError("the engine is closed"))

    def _admit(self, free: int) -> None:
        """Start prefilling up to ``free`` waiting requests as one group (holding ``_cond``):
        the oldest, and those after it whose prompt length pads little (:func:`padding_allows`)."""
        group: list[_Sequence] = []
        for candidate in list(self._pending):
            if len(group) == free:
                break
            if candidate.cancelled.is_set():
                self._pending.remove(candidate)
                continue
            lengths = [len(s.prompt_ids) for s in group]
            if group and not padding_allows(lengths, len(candidate.prompt_ids)):
                continue
            self._pending.remove(candidate)
            candidate.admitted_at = time.perf_counter()
            group.append(candidate)
        if group:
            self._prefilling = _PrefillGroup.of(group, self.model.device)
            self._stats.prefill_groups += 1
            self._stats.prefilled_requests += len(group)

    def _fail_in_flight(self, error: Exception) -> None:
        group = self._prefilling.sequences if self._prefilling else []
        for sequence in [*self._rows, *group]:
            sequence.events.put(error)
        with self._cond:
            self._rows, self._batch, self._prefilling = [], None, None

    def _prefill_chunk(self, group: _PrefillGroup) -> None:
        """Run the group's next ``prefill_chunk`` tokens; at the prompts' end, pick each
        request's first token and move the group into the running batch."""
        if all(s.cancelled.is_set() for s in group.sequences):
            with self._cond:
                self._prefilling = None
            return
        rows, width = group.ids.shape
        start = group.done
        end = min(start + max(1, self.prefill_chunk // rows), width)
        out = self.model.model(
            input_ids=group.ids[:, start:end],
            attention_mask=group.mask[:, :end],
            position_ids=group.positions[:, start:end],
            **{self._cache_kwarg: group.cache},
            use_cache=True,
            logits_to_keep=1,
        )
        group.done = end
        if end < width:
            return
        with self._cond:
            self._prefilling = None
        keep, tokens = [], []
        for row, sequence in enumerate(group.sequences):
            if sequence.cancelled.is_set():
                continue
            token = self._choose(sequence, out.logits[row, -1])
            if self._accept(sequence, token):
                keep.append(row)
                tokens.append(token)
        if keep:
            self._join(group, keep, tokens)

    def _join(self, group: _PrefillGroup, keep: list[int], tokens: list[int]) -> None:
        """Add the ``keep`` rows of a prefilled ``group`` to the running batch, ``tokens`` their
        next inputs."""
        device = self.model.device
        index = torch.tensor(keep, device=device)
        mask = group.mask[index]
        first = int(mask.any(dim=0).nonzero()[0])  # padding no kept row needs
        mask = mask[:, first:]
        keys = [layer.keys[index, :, first:] for layer in group.cache.layers]
        values = [layer.values[index, :, first:] for layer in group.cache.layers]
        positions = mask.sum(dim=1)
        last = torch.tensor(tokens, device=device)
        batch = self._batch
        if batch is None:
            for layer, k, v in zip(group.cache.layers, keys, values, strict=True):
                layer.keys, layer.values = k, v
            self._batch = _Batch(group.cache, mask, positions, last)
        else:
            length = mask.shape[1]
            width = max(batch.mask.shape[1], length)
            pad = width - length
            for layer, k, v in zip(batch.cache.layers, keys, values, strict=True):
                grow = width - layer.keys.shape[-2]
                layer.keys = torch.cat([_pad_left(layer.keys, grow, -2), _pad_left(k, pad, -2)])
                layer.values = torch.cat([_pad_left(layer.values, grow, -2), _pad_left(v, pad, -2)])
            batch.mask = torch.cat(
                [_pad_left(batch.mask, width - batch.mask.shape[1], -1), _pad_left(mask, pad, -1)]
            )
            batch.positions = torch.cat([batch.positions, positions])
            batch.last = torch.cat([batch.last, last])
        with self._cond:
            self._rows.extend(group.sequences[i] for i in keep)

    def _decode_step(self) -> None:
        """One new token for every running row; finished and cancelled rows leave the batch."""
        batch = self._batch
        assert batch is not None
        mask = F.pad(batch.mask, (0, 1), value=1)
        out = self.model.model(
            input_ids=batch.last[:, None],
            attention_mask=mask,
            position_ids=batch.positions[:, None],
            **{self._cache_kwarg: batch.cache},
            use_cache=True,
        )
        batch.mask, batch.positions = mask, batch.positions + 1
        with self._cond:
            self._stats.decode_steps += 1
            self._stats.decoded_rows += len(self._rows)
        logits = out.logits[:, -1, :]
        keep = []
        for row, sequence in enumerate(self._rows):
            if sequence.cancelled.is_set():
                continue
            token = self._choose(sequence, logits[row])
            if self._accept(sequence, token):
                batch.last[row] = token
                keep.append(row)
        if len(keep) < len(self._rows):
            self._keep_rows(keep)

    def _keep_rows(self, keep: list[int]) -> None:
        """Drop every row not in ``keep``, and the left padding no remaining row needs."""
        batch = self._batch
        assert batch is not None
        rows = [self._rows[i] for i in keep]
        if not rows:
            with self._cond:
                self._rows, self._batch = [], None
            return
        index = torch.tensor(keep, device=batch.mask.device)
        mask = batch.mask[index]
        first = int(mask.any(dim=0).nonzero()[0])
        for layer in batch.cache.layers:
            layer.keys = layer.keys[index, :, first:]
            layer.values = layer.values[index, :, first:]
        batch.mask = mask[:, first:]
        batch.positions, batch.last = batch.positions[index], batch.last[index]
        with self._cond:
            self._rows = rows

    def _choose(self, sequence: _Sequence, logits: torch.Tensor) -> int:
        """The next token: greedy at temperature 0, else sampled; inside the schema if guided."""
        logits = logits.float()
        if sequence.allowed is not None:
            allowed = sequence.allowed(0, torch.tensor(sequence.generated, dtype=torch.long))
            guided = torch.full_like(logits, -math.inf)
            guided[allowed] = 0.0
            logits = logits + guided
        temperature = sequence.request.temperature
        if temperature == 0:
            return int(logits.argmax())
        probs = torch.softmax(logits / temperature, dim=-1)
        return int(torch.multinomial(probs, 1, generator=sequence.generator))

    def _accept(self, sequence: _Sequence, token: int) -> bool:
        """Record ``token``; stream new text; finish the request when done. True if it goes on."""
        request = sequence.request
        finish = None
        if token in self._eos:
            finish = "stop"
        else:
            sequence.generated.append(token)
            if len(sequence.generated) >= request.max_tokens:
                finish = "length"
        if request.stop or sequence.stream or finish:
            sequence.text = self.model.tokenizer.decode(
                sequence.generated, skip_special_tokens=True
            )
            text = sequence.text
            cut = min((text.find(s) for s in request.stop if s in text), default=-1)
            if cut >= 0:  # OpenAI semantics: the stop sequence is not returned
                sequence.text, finish = sequence.text[:cut], "stop"
        if sequence.stream:
            self._stream(sequence, final=finish is not None)
        if finish is None:
            return True
        self._finish(sequence, finish)
        return False

    def _stream(self, sequence: _Sequence, final: bool) -> None:
        """Send the text not yet sent, holding back what a stop sequence or a split character
        might still change."""
        text = sequence.text
        if not final:
            hold = max((len(s) - 1 for s in sequence.request.stop), default=0)
            text = text[: len(text) - hold].rstrip("\ufffd")
        if len(text) > sequence.sent:
            sequence.events.put(text[sequence.sent :])
            sequence.sent = len(text)

    def _finish(self, sequence: _Sequence, reason: str) -> None:
        model = self.model
        completion = Completion(
            text=sequence.text,
            model=model.model_name,
            finish_reason=reason,
            usage=model.pricing.usage(len(sequence.prompt_ids), len(sequence.generated)),
        )
        model.record_usage(completion)
        elapsed = time.perf_counter() - sequence.admitted_at
        self._request_s = 0.8 * self._request_s + 0.2 * elapsed
        sequence.events.put(completion)
