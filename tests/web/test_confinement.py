"""The page's confinement without a server: which paths are plain, links never followed, byte ranges, and the
loopback-only guard (Starlette's test client posing as a remote address)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from starlette.exceptions import HTTPException
from starlette.testclient import TestClient

from reelgraph.web.app import REMOTE_ENV, app
from reelgraph.web.files import FileRefused, check_path, list_files, open_file
from reelgraph.web.responses import byte_range


@pytest.fixture()
def run(tmp_path: Path) -> Path:
    root = tmp_path / "run"
    (root / "shots" / "shot01").mkdir(parents=True)
    (root / "shots" / "shot01" / "take1.mp4").write_bytes(b"clip")
    (root / "script.json").write_text("{}")
    (root / "checkpoints.sqlite").write_bytes(b"db")
    (root / "shots" / "shot01" / ".take2.123.tmp.mp4").write_bytes(b"partial")
    (tmp_path / "secret.json").write_text("secret")
    return root


@pytest.mark.parametrize(("rel", "status"), [
    ("", 400), ("/etc/passwd", 400), ("../secret.json", 400), ("shots/../script.json", 400), ("./script.json", 400),
    ("shots//x.mp4", 400), ("a\\b.json", 400), ("a\x00.json", 400), (".hidden.json", 400), ("a/b/c/d/e.json", 400),
    ("checkpoints.sqlite", 403), ("events.jsonl", 403), ("script.JSON.py", 403),
])
def test_only_plain_paths_of_served_kinds(rel: str, status: int) -> None:
    with pytest.raises(FileRefused) as e:
        check_path(rel)
    assert e.value.status == status


def test_files_open_only_inside_and_never_through_a_link(run: Path, tmp_path: Path) -> None:
    opened = open_file(run, "shots/shot01/take1.mp4")
    try:
        assert (opened.size, opened.media_type, os.read(opened.fd, 10)) == (4, "video/mp4", b"clip")
    finally:
        os.close(opened.fd)
    (run / "leak.json").symlink_to(tmp_path / "secret.json")
    (run / "inner.json").symlink_to(run / "script.json")
    (run / "away").symlink_to(tmp_path, target_is_directory=True)
    (run / "hop").symlink_to(run / "shots", target_is_directory=True)
    for rel in ("leak.json", "inner.json", "away/secret.json", "hop/shot01/take1.mp4"):
        with pytest.raises(FileRefused) as e:
            open_file(run, rel)
        assert e.value.status == 403, rel
    (run / "folder.json").mkdir()
    with pytest.raises(FileRefused) as e:
        open_file(run, "folder.json")
    assert e.value.status == 403
    with pytest.raises(FileRefused) as e:
        open_file(run, "missing.mp4")
    assert e.value.status == 404
    with pytest.raises(FileRefused) as e:
        open_file(tmp_path / "no-run", "script.json")
    assert e.value.status == 404
    assert [f["path"] for f in list_files(run)] == ["script.json", "shots/shot01/take1.mp4"]


@pytest.mark.parametrize(("header", "span"), [
    (None, None), ("bytes=0-9", (0, 9)), ("bytes=5-", (5, 99)), ("bytes=-10", (90, 99)), ("bytes=90-500", (90, 99)),
])
def test_byte_ranges(header: str | None, span: tuple[int, int] | None) -> None:
    assert byte_range(header, 100) == span


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=0-1,5-6", "items=0-1", "bytes=-", "bytes=9-3"])
def test_byte_ranges_that_cannot_be_served(header: str) -> None:
    with pytest.raises(HTTPException) as e:
        byte_range(header, 100)
    assert e.value.status_code == 416


def test_the_page_answers_loopback_clients_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REMOTE_ENV, raising=False)
    remote = TestClient(app, client=("192.0.2.7", 40000))
    r = remote.get("/reel/")
    assert r.status_code == 403 and REMOTE_ENV in r.text and "<html" not in r.text
    assert remote.get("/reel/api/threads/00000000-0000-4000-8000-000000000000/files/x.mp4").status_code == 403
    local = TestClient(app, client=("127.0.0.1", 40000))
    assert local.get("/reel/").status_code == 200 and "reel.js" in local.get("/reel/").text
    assert local.get("/reel/static/reel.js").headers["content-type"].startswith("text/javascript")
    monkeypatch.setenv(REMOTE_ENV, "1")
    assert remote.get("/reel/").status_code == 200
