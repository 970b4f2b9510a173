"""The newest accepted observation of each modality, fed by the transport's threads.

Each message is decoded (schema, finiteness, shape, bounds) on arrival; a rejected one is counted
under its topic and reason and dropped, so it never reaches the agent, and no exception leaves
``receive`` (a decoder bug is counted as ``decoder_error``).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from embodied.deploy.messages import Message, MessageRejected, ObservationDecoder, log_rejection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Latest:
    """The newest accepted message of one modality."""

    value: np.ndarray
    msg: Message
    received: float
    seq: int


class ObservationInbox:
    """Newest accepted observation per modality; rejected messages are counted, then dropped."""

    def __init__(self, decoders: dict[str, tuple[str, ObservationDecoder]]) -> None:
        self.decoders = decoders
        self.latest: dict[str, Latest] = {}
        self.received: Counter[str] = Counter()
        self.rejected: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._seq = 0

    def receive(self, modality: str, msg: Message, received: float) -> None:
        topic, decode = self.decoders[modality]
        try:
            value = decode(msg)
        except MessageRejected as error:
            self.reject(topic, error)
            return
        except Exception as error:  # a decoder bug must not reach the agent or the transport
            log.exception("decoding a message on %s failed", topic)
            self.reject(topic, MessageRejected("decoder_error", f"{type(error).__name__}"))
            return
        with self._lock:
            self._seq += 1
            self.received[topic] += 1
            self.latest[modality] = Latest(value, msg, received, self._seq)

    def reject(self, topic: str, error: MessageRejected) -> None:
        with self._lock:
            self.rejected[topic, error.reason] += 1
            count = self.rejected[topic, error.reason]
        log_rejection(topic, error.reason, count, error)

    def snapshot(self) -> dict[str, Latest] | None:
        """Every modality's newest message, or None while one has not arrived yet."""
        with self._lock:
            if len(self.latest) < len(self.decoders):
                return None
            return dict(self.latest)

    def oldest_arrival(self) -> float | None:
        """Arrival time of the stalest of the newest messages (None before all arrived)."""
        snap = self.snapshot()
        return None if snap is None else min(item.received for item in snap.values())

    def rejected_by_topic(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (topic, reason), count in sorted(self.rejected.items()):
            out.setdefault(topic, {})[reason] = count
        return out
