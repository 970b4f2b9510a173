"""The server over real HTTP: traversal and symlinks get 404, Host is checked, every response
has the strict CSP, and run files are never served as HTML."""

import http.client
import json
import urllib.parse

import pytest

from runkit.dashboard.server import serving
from runkit.dashboard.synthetic import execution, write_journal, write_run

RUN = "outputs/research/digits/2026-01-01_00-00-00"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("http")
    run = write_run(root / RUN, "research", metrics={"test_score": 0.9})
    write_journal(run / "journal.jsonl", execution("k0", 0, None, 0.5, 1.0))
    (run / "page.html").write_text("<script>alert(1)</script>")
    (run / "image.svg").write_text("<svg onload='alert(1)'/>")
    (run / "link_out").symlink_to(root / "secret.txt")
    (root / "secret.txt").write_text("SECRET")
    (root / "outputs" / "loose.txt").write_text("SECRET")
    with serving([root / "outputs", root / "multirun"]) as url:
        yield url


def request(base, path, host=None):
    """A raw GET of ``path`` exactly as given (no client-side normalisation)."""
    parsed = urllib.parse.urlparse(base)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host or parsed.netloc)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.mark.parametrize(
    "path",
    [
        f"/files/{RUN}/../../../../secret.txt",
        f"/files/{RUN}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        f"/files/{RUN}/..%2f..%2f..%2f..%2fsecret.txt",
        "/files//etc/passwd",
        "/files/%2Fetc%2Fpasswd",
        "/files/outputs/loose.txt",
        f"/files/{RUN}/link_out",
        f"/files/{RUN}/nothing_here",
        f"/api/run?id={RUN}/../../..",
        "/api/run?id=/etc",
        "/api/node?id=outputs/../..&node=0",
        "/static/..%2fserver.py",
    ],
)
def test_paths_out_of_run_folders_get_404(base, path):
    response, body = request(base, path)
    assert response.status == 404, (path, body[:100])
    assert b"SECRET" not in body and b"root:" not in body


def test_files_inside_a_run_are_served_as_text_never_html(base):
    response, body = request(base, f"/files/{RUN}/page.html")
    assert response.status == 200 and body == b"<script>alert(1)</script>"
    assert response.getheader("content-type").startswith("text/plain")
    assert "sandbox" in response.getheader("content-security-policy")
    assert response.getheader("x-content-type-options") == "nosniff"
    response, _ = request(base, f"/files/{RUN}/image.svg")
    assert response.getheader("content-type").startswith("text/plain")


def test_every_response_has_a_strict_csp(base):
    for path in ["/", "/run?id=x", "/compare", "/api/runs", "/static/index.js"]:
        response, _ = request(base, path)
        policy = response.getheader("content-security-policy")
        assert "script-src 'self'" in policy and "unsafe" not in policy, path
        assert "frame-ancestors 'none'" in policy


def test_other_hosts_are_refused(base):
    response, _ = request(base, "/api/runs", host="attacker.example")
    assert response.status == 400


def test_api_reads_the_run(base):
    response, body = request(base, "/api/runs")
    runs = json.loads(body)["runs"]
    assert [r["id"] for r in runs] == [RUN] and runs[0]["status"] == "finished"
    response, body = request(base, f"/api/node?id={RUN}&node=0")
    assert json.loads(body)["plan"] == "plan of node 0"
    response, _ = request(base, f"/api/node?id={RUN}&node=x")
    assert response.status == 400


def test_steps_of_an_episode_are_read_bounded_and_retyped(tmp_path):
    """steps.jsonl is untrusted: bad lines are skipped, values re-typed, a symlink refused."""
    run = write_run(tmp_path / "outputs/episode/2026-01-01_00-00-00", "episode", metrics={})
    good = {"episode": 0, "step": 1, "reward": -0.01, "return": -0.01,
            "measures": {"distance": 0.5, "nested": {"x": 1}},
            "explain": {"posterior": {"a": 0.75, "b": "high"}, "question": "<b>q</b>",
                        "answer": 7, "plan": None, "extra": "dropped"}}  # fmt: skip
    lines = [
        json.dumps(good),
        json.dumps({**good, "step": 2, "reward": "NaN", "explain": "not a dict"}),
        '{"episode": 0, "step": 3, "reward": NaN}',  # json.loads reads NaN: re-typed to None
        "not json",
        json.dumps([1, 2]),
        json.dumps({"episode": 0, "step": "4"}),
        json.dumps({"episode": 1, "step": 1, "pad": "x" * 70_000}),  # over the line limit
        '{"episode": 0, "step": 5, "rew',  # a line still being written
    ]
    (run / "steps.jsonl").write_text("\n".join(lines))
    secret = tmp_path / "secret.jsonl"
    secret.write_text(json.dumps({"episode": 0, "step": 1, "explain": {"plan": "SECRET"}}))
    linked = write_run(tmp_path / "outputs/episode/linked", "episode", metrics={})
    (linked / "steps.jsonl").symlink_to(secret)
    with serving([tmp_path / "outputs"]) as url:
        _, body = request(url, "/api/steps?id=outputs/episode/2026-01-01_00-00-00&episode=0")
        steps = json.loads(body)["steps"]
        assert [s["step"] for s in steps] == [1, 2, 3]
        assert steps[0]["measures"] == {"distance": 0.5}
        assert steps[0]["explain"] == {"posterior": {"a": 0.75}, "question": "<b>q</b>",
                                       "answer": "7", "plan": None}  # fmt: skip
        assert steps[1]["reward"] is None and steps[1]["explain"] is None
        assert steps[2]["reward"] is None
        _, body = request(url, "/api/steps?id=outputs/episode/2026-01-01_00-00-00&episode=1")
        assert json.loads(body)["steps"] == []
        _, body = request(url, "/api/steps?id=outputs/episode/linked&episode=0")
        assert b"SECRET" not in body and json.loads(body)["steps"] == []
        response, _ = request(url, "/api/steps?id=outputs/episode/linked&episode=x")
        assert response.status == 400
        response, _ = request(url, "/api/steps?id=outputs/../..&episode=0")
        assert response.status == 404
        _, body = request(url, "/api/run?id=outputs/episode/2026-01-01_00-00-00")
        assert json.loads(body)["episode"]["steps"] is True
