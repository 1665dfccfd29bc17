"""The review page's routes, mounted into `langgraph dev` by langgraph.json: `"http": {"app": "reelgraph.web.app:app"}`.

Everything lives under `/reel`: the page itself, its script and style, and read-only JSON/file routes confined to a
thread's run folder. Approving and redoing are not routes here: the page calls the server's own API for them (the
calls langgraph-sdk makes). The routes answer loopback clients only, unless $REELGRAPH_WEB_REMOTE=1.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from anyio import to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from reelgraph.web.files import FileRefused, list_files, open_file
from reelgraph.web.responses import file_response
from reelgraph.web.threads import ThreadError, redo_plan, thread_run

PREFIX = "/reel"
REMOTE_ENV = "REELGRAPH_WEB_REMOTE"
STATIC = Path(__file__).parent / "static"
ASSETS = {"reel.js": "text/javascript", "reel.css": "text/css"}


def _loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local and os.environ.get(REMOTE_ENV) != "1":
        raise HTTPException(403, f"the review page answers loopback clients only (set {REMOTE_ENV}=1 to allow more)")


async def page(request: Request) -> Response:
    """The page: the list of threads at /reel/, one thread's shots, takes, verdicts and reels at /reel/threads/<id>."""
    _loopback_only(request)
    return FileResponse(STATIC / "index.html", media_type="text/html", headers={"cache-control": "no-cache"})


async def asset(request: Request) -> Response:
    """The page's script and style (a fixed list: nothing else is served from the package)."""
    _loopback_only(request)
    name = request.path_params["name"]
    if name not in ASSETS:
        raise HTTPException(404, f"no asset {name!r}")
    return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"cache-control": "no-cache"})


async def thread_info(request: Request) -> Response:
    """A thread's run folder, the context and assistant for its next run, and the files the page may show."""
    _loopback_only(request)
    run = await _thread(request)
    body: dict[str, Any] = {"thread_id": run.thread_id, "out_dir": str(run.folder), "context": run.context,
                            "assistant_id": run.assistant_id, "files": await to_thread.run_sync(list_files, run.folder)}
    return JSONResponse(body, headers={"cache-control": "no-cache"})


async def thread_file(request: Request) -> Response:
    """One file of the thread's run folder (whole, or one byte range), or a 4xx with a one-line reason."""
    _loopback_only(request)
    run = await _thread(request)
    try:
        opened = await to_thread.run_sync(open_file, run.folder, request.path_params["path"])
    except FileRefused as e:
        raise HTTPException(e.status, e.message) from None
    return file_response(opened, request.headers.get("range"), head=request.method == "HEAD")


async def thread_redo_plan(request: Request) -> Response:
    """How to redo a shot of a finished thread (`?shot=N&note=…`): the checkpoint and update the page posts."""
    _loopback_only(request)
    raw = request.query_params.get("shot", "")
    if not raw.isdigit():
        raise HTTPException(400, "shot: a shot number is required (?shot=N)")
    try:
        plan = await redo_plan(request.path_params["thread_id"], int(raw), request.query_params.get("note") or None)
    except ThreadError as e:
        raise HTTPException(e.status, e.message) from None
    return JSONResponse(plan, headers={"cache-control": "no-cache"})


async def _thread(request: Request) -> Any:
    try:
        return await thread_run(request.path_params["thread_id"])
    except ThreadError as e:
        raise HTTPException(e.status, e.message) from None


async def to_page(request: Request) -> Response:
    """/reel → /reel/."""
    return RedirectResponse(f"{PREFIX}/")


app = Starlette(routes=[
    Route(PREFIX, to_page, methods=["GET"]),
    Route(f"{PREFIX}/", page, methods=["GET"]),
    Route(f"{PREFIX}/threads/{{thread_id}}", page, methods=["GET"]),
    Route(f"{PREFIX}/static/{{name}}", asset, methods=["GET"]),
    Route(f"{PREFIX}/api/threads/{{thread_id}}", thread_info, methods=["GET"]),
    Route(f"{PREFIX}/api/threads/{{thread_id}}/files/{{path:path}}", thread_file, methods=["GET"]),
    Route(f"{PREFIX}/api/threads/{{thread_id}}/redo-plan", thread_redo_plan, methods=["GET"]),
])
