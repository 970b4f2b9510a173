"""Long-term episodic memory of the scene: each object, where and when it was last seen, by whom.

Bounded: it keeps the ``capacity`` most recent (object, observer) sightings and forgets the
oldest. The mental user model reads it to tell what the user saw (so a move the user missed is a
false belief); the helper saves it with itself (JSON, written atomically).
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from planning.checkpoint import atomic_write


@dataclass(frozen=True)
class Sighting:
    """``obj`` was at ``place`` at time ``time`` (seconds), seen by ``observer``."""

    obj: str
    place: str
    time: float
    observer: str


class EpisodicMemory:
    """The last sighting of every object by every observer, at most ``capacity`` of them."""

    def __init__(self, capacity: int = 256) -> None:
        if capacity < 1:
            raise ValueError(f"capacity={capacity} must be >= 1")
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str], Sighting] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def see(self, obj: str, place: str, time: float, observer: str) -> None:
        """Record that ``observer`` saw ``obj`` at ``place`` at ``time``."""
        key = (obj, observer)
        self._entries.pop(key, None)
        self._entries[key] = Sighting(obj, place, float(time), observer)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def last_seen(self, obj: str, observer: str | None = None) -> Sighting | None:
        """The latest sighting of ``obj`` (by ``observer``, or by anyone), or None."""
        found = [s for (o, who), s in self._entries.items() if o == obj and observer in (None, who)]
        return max(found, key=lambda s: s.time) if found else None

    def sightings(self) -> list[Sighting]:
        """Every kept sighting, oldest first."""
        return list(self._entries.values())

    def clear(self) -> None:
        self._entries.clear()

    def state_dict(self) -> dict[str, Any]:
        return {"capacity": self.capacity, "sightings": [asdict(s) for s in self._entries.values()]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            capacity, sightings = int(state["capacity"]), state["sightings"]
            self.__init__(capacity)  # type: ignore[misc]
            for s in sightings:
                self.see(s["obj"], s["place"], s["time"], s["observer"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"episodic memory state is malformed ({exc!r})") from exc

    def save(self, path: str | os.PathLike) -> Path:
        """Write the memory to ``path`` as JSON, atomically."""
        text = json.dumps(self.state_dict(), indent=1).encode()
        atomic_write(path, lambda f: f.write(text))
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> EpisodicMemory:
        memory = cls()
        memory.load_state_dict(json.loads(Path(path).read_text()))
        return memory
