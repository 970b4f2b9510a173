"""The jobs a multirun's command line is checked as (runkit/sweeps.py)."""

from __future__ import annotations

from hydra.core.override_parser.overrides_parser import OverridesParser

from runkit.sweeps import MAX_COMBINATIONS_CHECKED, is_expandable, sweep_jobs


def parse(*lines: str):
    return OverridesParser.create().parse_overrides(list(lines))


def test_a_small_sweep_is_checked_in_every_combination():
    jobs = sweep_jobs(parse("agent=a,b", "seed=1,2", "+x=3"))
    assert jobs == [
        ["agent=a", "seed=1", "+x=3"],
        ["agent=a", "seed=2", "+x=3"],
        ["agent=b", "seed=1", "+x=3"],
        ["agent=b", "seed=2", "+x=3"],
    ]


def test_a_large_sweep_is_checked_once_per_swept_value():
    values = ",".join(str(v) for v in range(MAX_COMBINATIONS_CHECKED))
    jobs = sweep_jobs(parse(f"seed={values}", "agent=a,b", "steps=range(3)"))
    assert len(jobs) == 1 + (MAX_COMBINATIONS_CHECKED - 1) + 1 + 2
    swept = {line for job in jobs for line in job}
    assert {f"seed={v}" for v in range(MAX_COMBINATIONS_CHECKED)} <= swept
    assert {"agent=a", "agent=b", "steps=0", "steps=1", "steps=2"} <= swept


def test_an_interval_sweep_is_left_to_its_sweeper():
    assert not is_expandable(parse("lr=interval(0.1,1.0)"))
    assert is_expandable(parse("lr=0.1,1.0", "seed=2"))
