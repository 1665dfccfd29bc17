"""The page's file routes on a real `langgraph dev`: a thread's files are served (whole and by byte range), and every
way out of its run folder is refused with a 4xx and none of the file's bytes. Paths are sent exactly as written
(raw HTTP, no client-side normalisation of `..`)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SECRET = b"SECRET-OUTSIDE-THE-RUN-FOLDER"


def raw_get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET `path` byte for byte as given (no normalisation), on the server at `url`."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.fixture()
def outside(tmp_path: Path) -> Path:
    """A folder outside every run folder, holding files the routes must never serve."""
    folder = tmp_path / "outside"
    folder.mkdir()
    for name in ("secret.json", "secret.mp4", "secret.png"):
        (folder / name).write_bytes(SECRET)
    return folder


def test_thread_files_are_listed_and_served(dev_server: tuple[str, Path], finished_thread: tuple[str, Path]) -> None:
    url, _ = dev_server
    thread, out = finished_thread
    status, _, body = raw_get(url, f"/reel/api/threads/{thread}")
    assert status == 200
    info = json.loads(body)
    assert Path(info["out_dir"]) == out.resolve() and info["context"] == {"out_dir": str(out)}
    listed = {f["path"]: f for f in info["files"]}
    assert {"reel_final.mp4", "script.json", "shots/shot01/take1.mp4", "shots/shot01/take1_key.png",
            "shots/shot02/take1_verdict.json", "subtitles/en.srt", "audio/music.wav"} <= set(listed)
    assert not [p for p in listed if p.endswith((".sqlite", ".jsonl")) or "/." in p or p.startswith(".")]
    assert listed["reel_final.mp4"]["size"] == (out / "reel_final.mp4").stat().st_size

    reel = (out / "reel_final.mp4").read_bytes()
    status, headers, body = raw_get(url, f"/reel/api/threads/{thread}/files/reel_final.mp4")
    assert (status, headers["content-type"], body) == (200, "video/mp4", reel)
    status, headers, body = raw_get(url, f"/reel/api/threads/{thread}/files/reel_final.mp4",
                                    {"Range": "bytes=100-199"})
    assert (status, headers["content-range"], body) == (206, f"bytes 100-199/{len(reel)}", reel[100:200])
    status, _, body = raw_get(url, f"/reel/api/threads/{thread}/files/shots/shot01/take1_verdict.json")
    assert status == 200 and 0 <= json.loads(body)["score"] <= 10
    status, _, body = raw_get(url, f"/reel/api/threads/{thread}/files/reel_final.mp4", {"Range": "bytes=9999999-"})
    assert status == 416 and not body.startswith(reel[:16])


@pytest.mark.parametrize("path", [
    "../../../../../../etc/passwd",
    "shots/../../outside/secret.json",
    "/etc/passwd",
    "//etc/passwd",
    "%2Fetc%2Fpasswd",
    "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%252e%252e/%252e%252e/etc/passwd",
    "..%5C..%5Cetc%5Cpasswd",
    "shots/shot01/..",
    "script.json%00.png",
    "./script.json",
    "checkpoints.sqlite",
    "events.jsonl",
    "nothing-here.mp4",
])
def test_escapes_and_other_kinds_are_refused(dev_server: tuple[str, Path], finished_thread: tuple[str, Path],
                                             path: str) -> None:
    url, _ = dev_server
    thread, _ = finished_thread
    status, headers, body = raw_get(url, f"/reel/api/threads/{thread}/files/{path}")
    assert 400 <= status < 500, (status, body[:200])
    assert b"root:" not in body and SECRET not in body and headers.get("content-type") != "video/mp4"
    assert len(body) < 300 and json.loads(body)["detail"]


def test_links_planted_in_the_run_folder_are_refused(dev_server: tuple[str, Path],
                                                     finished_thread: tuple[str, Path], outside: Path) -> None:
    url, _ = dev_server
    thread, out = finished_thread
    planted = [out / "leak.json", out / "shots" / "leak.mp4", out / "away", out / "inner.json"]
    planted[0].symlink_to(outside / "secret.json")
    planted[1].symlink_to(outside / "secret.mp4")
    planted[2].symlink_to(outside, target_is_directory=True)
    planted[3].symlink_to(out / "script.json")  # even a link that stays inside is not followed
    try:
        for path in ("leak.json", "shots/leak.mp4", "away/secret.png", "inner.json"):
            status, _, body = raw_get(url, f"/reel/api/threads/{thread}/files/{path}")
            assert status == 403, (path, status, body[:200])
            assert SECRET not in body and b"title" not in body
        status, _, body = raw_get(url, f"/reel/api/threads/{thread}")
        listed = [f["path"] for f in json.loads(body)["files"]]
        assert not [p for p in listed if "leak" in p or "away" in p or "inner" in p]
    finally:
        for link in planted:
            link.unlink()


@pytest.mark.parametrize(("path", "status"), [
    ("/reel/api/threads/not-a-uuid", 400),
    ("/reel/api/threads/00000000-0000-4000-8000-000000000000", 404),
    ("/reel/api/threads/00000000-0000-4000-8000-000000000000/files/reel_final.mp4", 404),
    ("/reel/static/..%2F..%2Fapp.py", 404),
    ("/reel/static/index.html", 404),
])
def test_bad_threads_and_assets_are_refused(dev_server: tuple[str, Path], path: str, status: int) -> None:
    url, _ = dev_server
    got, _, body = raw_get(url, path)
    assert got == status and b"import" not in body


def test_redo_plan_refuses_bad_requests(dev_server: tuple[str, Path], finished_thread: tuple[str, Path]) -> None:
    url, _ = dev_server
    thread, _ = finished_thread
    for query, status in (("", 400), ("?shot=x", 400), ("?shot=9", 400), (f"?shot=1&note={'n' * 2001}", 400)):
        got, _, body = raw_get(url, f"/reel/api/threads/{thread}/redo-plan{query}")
        assert got == status, (query, body)
    got, _, body = raw_get(url, f"/reel/api/threads/{thread}/redo-plan?shot=2&note=slower")
    plan = json.loads(body)
    assert got == 200 and plan["chain"] == [2] and plan["kept"] == [1] and plan["as_node"] == "tools"
    assert plan["values"]["notes"] == {"2": "slower"} and plan["checkpoint_id"]
    assert [r["shot"] for r in plan["values"]["done"]["__overwrite__"]] == [1]
