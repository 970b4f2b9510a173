"""Speedrun reproduction tasks: a chain of small-GPT training records on Python source.

Record 0 is a plain GPT training script; each later record adds one known improvement and
reaches the target validation loss strictly faster (see ``benchmarks/speedrun_chain.py``).
Task ``speedrun_<i>`` hands an agent record ``i`` and asks for record ``i+1``'s time.
"""

from research_agent.tasks.speedrun.presets import PRESETS, Preset, preset
from research_agent.tasks.speedrun.records import CHAIN, Improvement, num_records, record_code
from research_agent.tasks.speedrun.tasks import fsr, parse_id, prepare_speedrun, task_fsr

__all__ = [
    "CHAIN",
    "PRESETS",
    "Improvement",
    "Preset",
    "fsr",
    "num_records",
    "parse_id",
    "prepare_speedrun",
    "preset",
    "record_code",
    "task_fsr",
]
