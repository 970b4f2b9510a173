"""The device suite (benchmarks/device_suite.py): its CPU dry run end to end, time caps, the
wheel install and bad input. The GPU run itself needs a GPU machine (docs/BENCHMARKS.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from argparse import Namespace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "device_suite.py"


def load_suite():
    spec = importlib.util.spec_from_file_location("device_suite", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["device_suite"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


suite = load_suite()


def run_script(*args: str, timeout: float) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


@pytest.mark.timeout(1200)
def test_dry_run_measures_every_part(tmp_path: Path) -> None:
    """The whole script at tiny sizes on the CPU: every part runs, none fails, and each reports
    its goal, a number, met or missed and why (so the GPU run cannot rot unseen)."""
    out = tmp_path / "out"
    done = run_script("--dry-run", "--out", str(out), timeout=1100)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report == json.loads((out / "suite.json").read_text())
    assert report["dry_run"] is True and report["machine"]["device"] == "cpu"
    assert list(report["parts"]) == list(suite.PARTS)
    for name, part in report["parts"].items():
        assert part["status"] in ("met", "missed"), (name, part)
        assert isinstance(part["measured"], float | int), (name, part)
        assert part["goal"] == suite.PARTS[name].goal.text
        assert part["reason"].startswith(suite.DRY_NOTE), (name, part["reason"])
        assert (out / f"{name}.log").is_file()
    parts = report["parts"]
    assert set(parts["mppi"]["details"]) >= {"straightforward_eager_fp32", "mppi_eager_fp32"}
    assert parts["sandbox"]["details"]["solution"]["device"] == "cpu"
    assert len(parts["speedrun"]["details"]["wall_s"]) == 2


def test_a_part_over_its_cap_is_killed_and_recorded_as_failed(tmp_path: Path) -> None:
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    out.mkdir()
    scratch.mkdir()
    args = Namespace(out=str(out), device="cpu", dry_run=True, gguf=None)
    entry = suite.run_part("speedrun", 3.0, args, suite.child_env(None), scratch)
    assert entry["status"] == "failed"
    assert entry["reason"].startswith("timed out after its cap of 3 s")
    assert entry["goal"] == suite.PARTS["speedrun"].goal.text and entry["measured"] is None
    left = [p for p in Path("/proc").glob("[0-9]*/cmdline") if str(scratch) in _read(p)]
    assert not left, "the part's processes outlived its cap"


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_a_failing_part_is_recorded_with_its_error_and_the_suite_exits_1(tmp_path: Path) -> None:
    """No GPU here: a part asked to run on CUDA fails with the reason, and the suite goes on."""
    done = run_script(
        "--device", "cuda", "--parts", "worldmodel", "sandbox", "--out", str(tmp_path),
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert list(report["parts"]) == ["worldmodel", "sandbox"]
    for part in report["parts"].values():
        assert part["status"] == "failed"
        assert "torch sees no CUDA GPU" in part["reason"]
    assert report["summary"]["failed"] == ["worldmodel", "sandbox"]


def make_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel holding module ``name`` with ``VERSION = version``."""
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}.py": f"VERSION = {version!r}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
        zf.writestr(f"{info}/RECORD", "".join(f"{p},,\n" for p in [*files, f"{info}/RECORD"]))
    return wheel


def test_install_puts_the_wheels_first_on_the_parts_path(tmp_path: Path) -> None:
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    wheels.mkdir()
    make_wheel(wheels, "suite_probe", "1.2.3")
    result = suite.install_wheels(wheels, site)
    assert result["wheels"] == 1
    env = suite.child_env(site)
    done = subprocess.run(
        [sys.executable, "-c", "import suite_probe; print(suite_probe.VERSION)"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "1.2.3"
    from importlib import metadata

    found = next(metadata.distributions(name="suite_probe", path=[str(site)]))
    assert found.version == "1.2.3"


def test_install_of_an_empty_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=f"--install {tmp_path}: no .whl files"):
        suite.install_wheels(tmp_path, tmp_path / "site")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dry-run"], "--out DIR is required"),
        (["--out", "x", "--install", "/no/such/wheels"], "--install /no/such/wheels: no such"),
        (["--out", "x", "--device", "tpu"], "--device tpu: valid are cpu, cuda and cuda:N"),
        (["--out", "x", "--parts", "mppi", "nope"], "invalid choice: 'nope'"),
        (["--out", "x", "--gguf", "/no/model.gguf"], "--gguf /no/model.gguf: no such file"),
    ],
)
def test_bad_arguments_name_the_input(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        suite.parse_args(argv)
    assert message in capsys.readouterr().err


def test_judge_compares_with_the_goal_or_the_same_run_figure() -> None:
    at_most = suite.Goal("plan <= 2 ms", "ms", "<=", 2.0)
    assert suite.judge(at_most, suite.Outcome(1.5, "plan"), False)["status"] == "met"
    missed = suite.judge(at_most, suite.Outcome(2.5, "plan"), False)
    assert missed["status"] == "missed" and missed["reason"] == "plan: 2.5 ms not <= 2"
    above = suite.Goal("faster than the CPU", "steps/s", ">")
    assert suite.judge(above, suite.Outcome(9.0, "cuda", target=3.0), False)["status"] == "met"
    assert suite.judge(above, suite.Outcome(3.0, "cuda", target=3.0), False)["status"] == "missed"
    no_gpu = suite.judge(above, suite.Outcome(None, "cuda", reason="ran on cpu"), True)
    assert no_gpu["status"] == "missed"
    assert no_gpu["reason"] == f"{suite.DRY_NOTE}: ran on cpu"


def test_every_needed_wheel_is_a_package_the_project_installs() -> None:
    """GPU_WHEELS names real distributions (the project's venv has each of them)."""
    versions = suite.package_versions(None)
    assert not [name for name in suite.GPU_WHEELS if versions[name] is None]
