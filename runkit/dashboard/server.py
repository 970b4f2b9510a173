"""The dashboard's HTTP server: a Starlette app of read-only JSON endpoints, the run files and
the static pages.

Every response carries a strict Content-Security-Policy (scripts and styles only from this
server, no inline code), ``nosniff`` and ``frame-ancestors 'none'``; a run's files are served
only from inside run folders (:mod:`runkit.dashboard.paths`), as images, videos or plain text
(never as HTML a browser would run), and only to requests whose Host is the server's own (no
DNS rebinding).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runkit.dashboard import episodes, research, views
from runkit.dashboard.paths import Roots, is_run_folder
from runkit.dashboard.plotly_assets import plotly_css, plotly_js
from runkit.dashboard.runs import RunIndex, read_json

STATIC = Path(__file__).parent / "static"
PAGES = {"/": "index.html", "/run": "run.html", "/compare": "compare.html"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self'; connect-src 'self'; font-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
}
MAX_COMPARED = 12


class SecurityHeaders:
    """Adds the CSP and the other hardening headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def not_found(what: str = "not found") -> PlainTextResponse:
    return PlainTextResponse(what, status_code=404)


def create_app(
    roots: list[str | Path], hide: tuple[str, ...] = (), allowed_hosts: tuple[str, ...] = ()
) -> Starlette:
    """The dashboard app serving the run folders under ``roots`` (read-only)."""
    served = Roots(roots)
    index = RunIndex(served, hide)
    plotly_path = plotly_js()
    roots_real = list(served.folders.values())

    def run_folder(request: Request) -> tuple[str, Path] | None:
        run_id = request.query_params.get("id", "")
        folder = served.run_folder(run_id)
        return None if folder is None else (run_id, folder)

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / PAGES[request.url.path], media_type="text/html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        cache = {"cache-control": "max-age=3600"}  # plotly.js is 4.8 MB: load it once
        if name == "plotly.min.js":
            return FileResponse(plotly_path, media_type="text/javascript", headers=cache)
        if name == "plotly.css":
            return Response(plotly_css(), media_type="text/css", headers=cache)
        allowed = {p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css")}
        if name not in allowed:
            return not_found()
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return FileResponse(STATIC / name, media_type=kind, headers={"cache-control": "no-cache"})

    def api_runs(request: Request) -> Response:
        return JSONResponse({"runs": index.runs(), "roots": list(served.folders)})

    def api_run(request: Request) -> Response:
        found = run_folder(request)
        if found is None:
            return not_found("no such run")
        folder = found[1]
        summary = index.summary(folder)
        kind = summary["kind"]
        data: dict[str, Any] = {
            "summary": summary,
            "config": views.text_tail(folder / "config.yaml"),
            "metrics": read_json(folder / "metrics.json"),
            "log": views.text_tail(folder / "run.log"),
            "files": views.file_list(folder),
            "report": views.text_tail(folder / "report.md"),
        }
        if kind == "episode":
            data["episode"] = views.episode_view(folder)
        elif kind == "train_worldmodel":
            data["worldmodel"] = views.worldmodel_view(folder)
        elif kind == "leaderboard":
            data["leaderboard"] = views.leaderboard_view(folder)
        elif kind == "deploy":
            data["deploy"] = views.deploy_view(folder)
        return JSONResponse(data)

    def api_tree(request: Request) -> Response:
        found = run_folder(request)
        if found is None:
            return not_found("no such run")
        try:
            since = max(0, int(request.query_params.get("since", "0")))
        except ValueError:
            return PlainTextResponse("since must be an integer", status_code=400)
        return JSONResponse(research.tree(found[1], since))

    def api_node(request: Request) -> Response:
        found = run_folder(request)
        if found is None:
            return not_found("no such run")
        try:
            node = int(request.query_params.get("node", ""))
        except ValueError:
            return PlainTextResponse("node must be an integer", status_code=400)
        detail = research.node_detail(found[1], node)
        return not_found("no such node") if detail is None else JSONResponse(detail)

    def api_steps(request: Request) -> Response:
        found = run_folder(request)
        if found is None:
            return not_found("no such run")
        try:
            episode = int(request.query_params.get("episode", "0"))
        except ValueError:
            return PlainTextResponse("episode must be an integer", status_code=400)
        return JSONResponse(episodes.episode_steps(found[1], episode))

    def api_compare(request: Request) -> Response:
        ids = request.query_params.getlist("id")[:MAX_COMPARED]
        out = []
        for run_id in ids:
            folder = served.run_folder(run_id)
            if folder is None:
                return not_found(f"no such run: {run_id}")
            summary = index.summary(folder)
            out.append(
                {
                    "summary": summary,
                    "metrics": views.scalar_metrics(folder),
                    "curves": views.curves(folder, summary["kind"]),
                }
            )
        return JSONResponse({"runs": out})

    def files(request: Request) -> Response:
        path = served.resolve(request.path_params["path"])
        if path is None or not path.is_file():
            return not_found()
        below_root = [p for p in path.parents if any(r in p.parents for r in roots_real)]
        if not any(is_run_folder(p) for p in below_root):
            return not_found()
        media = MEDIA_TYPES.get(path.suffix.lower(), "text/plain; charset=utf-8")
        response = FileResponse(path, media_type=media)
        response.headers["content-security-policy"] = FILE_CSP
        return response

    routes = [
        *(Route(path, page) for path in PAGES),
        Route("/static/{name}", static),
        Route("/api/runs", api_runs),
        Route("/api/run", api_run),
        Route("/api/tree", api_tree),
        Route("/api/node", api_node),
        Route("/api/steps", api_steps),
        Route("/api/compare", api_compare),
        Route("/files/{path:path}", files),
    ]
    hosts = ["127.0.0.1", "localhost", "[::1]", "::1", *allowed_hosts]
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=hosts)]
    app = Starlette(routes=routes, middleware=middleware)
    return SecurityHeaders(app)  # type: ignore[return-value]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(roots: list[Path]) -> Iterator[str]:
    """Serve ``roots`` with uvicorn in a background thread on a free local port (tests and
    benchmarks); yields the base URL."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(create_app(roots), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
