"""Break 9 (profiles): a profile is read bounded and validated; a backend import path that names no backend class is
one clear error (exit 2) before the run folder is made."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reelgraph.config import MAX_PROFILE_BYTES, load_profile
from reelgraph.errors import UsageError
from reliability.helpers import SMALL, clean_error, reel


def test_a_backend_that_is_no_backend_class_is_refused_before_the_run(tmp_path: Path) -> None:
    profile = tmp_path / "this.toml"
    profile.write_text('[image]\nbackend = "this:s"\n', encoding="utf-8")
    out = tmp_path / "run"
    proc = reel("generate", "--prompt", "A fox runs.", "--out", str(out), *SMALL, "--profile", str(profile))
    clean_error(proc, 2, "image backend 'this:s'", "not a backend class")
    assert not out.exists()


@pytest.mark.parametrize(("text", "needle"), [
    ('[image]\nbackend = "os:system;x"', "import path"),
    ('[music]\nbackend = "no.such.module:Thing"', None),
    ("a = " + "[" * 5000 + "]" * 5000, "nested too deep"),
    ("director = 5", "director"),
    ("\xff\xfe", "not UTF-8"),
])
def test_a_malformed_profile_is_one_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                                needle: str | None) -> None:
    monkeypatch.setenv("REELGRAPH_DIRECTOR_URL", "http://127.0.0.1:9/v1")
    profile = tmp_path / "p.toml"
    profile.write_bytes(text.encode("latin-1"))
    if needle is None:  # a well-formed path to nothing: refused where the backend is resolved
        from reelgraph.backends.registry import backend_class

        with pytest.raises(UsageError, match="cannot be imported: ModuleNotFoundError"):
            backend_class("music", load_profile(profile).music.backend)
        return
    with pytest.raises(UsageError, match=needle):
        load_profile(profile)


@pytest.mark.parametrize("kind", ["fifo", "device", "big"])
def test_a_profile_that_is_no_plain_small_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "p.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "big":
        path.write_bytes(b"#" * (MAX_PROFILE_BYTES + 1))
    else:
        path = Path("/dev/zero")
    with pytest.raises(UsageError, match="not a file|bytes allowed"):
        load_profile(path)
