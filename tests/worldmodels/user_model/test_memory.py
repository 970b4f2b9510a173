"""The bounded episodic memory: last sightings by observer, forgetting, saving."""

from __future__ import annotations

import pytest

from worldmodels.user_model.memory import EpisodicMemory


def test_last_seen_by_anyone_and_by_one_observer():
    memory = EpisodicMemory()
    memory.see("mug", "kitchen_table", 1.0, "user")
    memory.see("mug", "shelf", 4.0, "robot")
    assert memory.last_seen("mug").place == "shelf"
    assert memory.last_seen("mug", "user").place == "kitchen_table"
    assert memory.last_seen("apple") is None and memory.last_seen("mug", "wearable") is None


def test_it_is_bounded_and_forgets_the_oldest():
    memory = EpisodicMemory(capacity=3)
    for t, obj in enumerate(("mug", "apple", "book", "can")):
        memory.see(obj, "shelf", float(t), "robot")
    assert len(memory) == 3 and memory.last_seen("mug") is None
    memory.see("apple", "bin", 9.0, "robot")  # a new sighting refreshes, it does not add
    assert len(memory) == 3 and memory.last_seen("apple").place == "bin"
    with pytest.raises(ValueError, match="capacity"):
        EpisodicMemory(capacity=0)


def test_save_and_load_round_trip(tmp_path):
    memory = EpisodicMemory(capacity=8)
    memory.see("mug", "bin", 2.5, "user")
    memory.see("can", "shelf", 3.0, "robot")
    path = memory.save(tmp_path / "memory.json")
    loaded = EpisodicMemory.load(path)
    assert loaded.capacity == 8 and loaded.sightings() == memory.sightings()
    path.write_text('{"sightings": 3}')
    with pytest.raises(ValueError, match="malformed"):
        EpisodicMemory.load(path)
