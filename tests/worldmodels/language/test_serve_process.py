"""``python -m worldmodels.language.serve`` as its own process, as parallel workers use it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from worldmodels.language.openai_backend import OpenAIModel

from .helpers import FRANCE


@pytest.mark.slow
def test_serve_entry_point(free_port: int) -> None:
    cmd = [sys.executable, "-m", "worldmodels.language.serve", "--port", str(free_port)]
    cmd += ["--device", "cpu", "--api-key", "k"]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        assert server.stdout.readline().startswith("serving smollm2-135m-instruct at http://")
        base_url = f"http://127.0.0.1:{free_port}/v1"
        remote = OpenAIModel("smollm2-135m-instruct", base_url=base_url, api_key="k")
        assert "Paris" in remote.chat(FRANCE, max_tokens=16).text
    finally:
        server.terminate()
        server.wait(timeout=30)
