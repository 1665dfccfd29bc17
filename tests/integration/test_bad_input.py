"""Bad input: one clear message, exit code 2, nothing half-written that breaks a later run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reel_helpers import cli

SMALL = ["--shots", "1", "--seconds", "1", "--width", "128", "--height", "72", "--no-critic"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--prompt", "   "], "prompt is empty"),
        (["--prompt", "a story", "--languages", "en,xx"], "unknown language 'xx'"),
        (["--prompt", "a story", "--shots", "0"], "shots"),
        (["--prompt", "a story", "--shots", "1000"], "shots"),
        (["--prompt", "a story", "--width", "641"], "even"),
        (["--prompt", "a story", "--profile", "no/such/profile.toml"], "is not a file"),
    ],
)
def test_bad_request_is_refused_before_anything_is_written(tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "run"
    proc = cli("generate", "--out", str(out), *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert proc.stderr.count("error:") == 1
    assert not out.exists()


def test_out_pointing_at_a_file(tmp_path: Path) -> None:
    target = tmp_path / "film.mp4"
    target.write_bytes(b"not a folder")
    proc = cli("generate", "--prompt", "a story", "--out", str(target), *SMALL)
    assert proc.returncode == 2 and "is a file" in proc.stderr
    assert target.read_bytes() == b"not a folder"


def test_non_writable_folder(tmp_path: Path) -> None:
    # root writes through permission bits, so as root use a folder no one can create files in
    locked = Path("/proc") if os.geteuid() == 0 else tmp_path / "locked"
    if locked != Path("/proc"):
        locked.mkdir(mode=0o555)
    try:
        proc = cli("generate", "--prompt", "a story", "--out", str(locked / "run" / "deeper"), *SMALL)
        assert proc.returncode == 2, proc.stderr
        assert "not writable" in proc.stderr and proc.stderr.count("error:") == 1
        assert not (locked / "run").exists()
    finally:
        locked.chmod(0o755) if locked != Path("/proc") else None


def test_a_refused_run_leaves_the_folder_usable(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert cli("generate", "--prompt", "", "--out", str(out), *SMALL).returncode == 2
    proc = cli("generate", "--prompt", "A cat in a kitchen", "--out", str(out), *SMALL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "reel_final.mp4").is_file()
    again = cli("generate", "--prompt", "A cat in a kitchen", "--out", str(out), *SMALL)
    assert again.returncode == 2 and "already holds a run" in again.stderr


def test_resume_of_a_folder_without_a_run(tmp_path: Path) -> None:
    proc = cli("resume", "--out", str(tmp_path))
    assert proc.returncode == 2 and "holds no run" in proc.stderr
