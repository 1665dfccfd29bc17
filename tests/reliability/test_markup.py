"""Break 6: user and model text reaches the terminal as text, never as Rich markup or emoji codes.

A script title `[/oops] …` (through `approve --edit`) and run folder paths with `[/nope]` or `[bold red …]` are
printed verbatim: no MarkupError, nothing silently dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

from reliability.helpers import SMALL, clean_error, reel

TITLE = "[/oops] [bold red]Cat[/] :fire: \\[x]"


def _said(proc_stderr: str) -> str:
    return " ".join(proc_stderr.split())


def test_a_markup_title_is_shown_verbatim_on_approve_and_every_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert reel("generate", "--prompt", "A fox runs.", "--out", str(out), *SMALL, "--approve").returncode == 0
    script = json.loads((out / "script.json").read_text(encoding="utf-8"))
    script["title"] = TITLE
    edit = tmp_path / "edit.json"
    edit.write_text(json.dumps(script), encoding="utf-8")
    for proc in (reel("approve", "--out", str(out), "--edit", str(edit)), reel("resume", "--out", str(out))):
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr and TITLE in _said(proc.stderr), proc.stderr[-3000:]


def test_markup_in_the_run_folder_path_is_printed_verbatim(tmp_path: Path) -> None:
    out = tmp_path / "[/nope] [bold red gone]"
    proc = reel("generate", "--prompt", "A fox runs.", "--out", str(out), *SMALL)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert f"in {out}" in _said(proc.stderr)
    missing = tmp_path / "[bold red vanished]"
    clean_error(reel("resume", "--out", str(missing)), 2, str(missing), "holds no run")
