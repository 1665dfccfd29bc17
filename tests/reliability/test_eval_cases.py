"""Break 10 (eval cases): every eval case file is read bounded and validated before any case runs.

A prompt set given with `--prompts` (a file, or a folder of them) with `languages: [1, 2]`, a line that is not JSON
or no JSON object, bytes that are not UTF-8, JSON nested 200 000 deep, a line or a file past its bound, a FIFO, an
unknown field, a missing prompt: one error naming the file, the line and the field (exit 2), nothing run, no eval
folder made; so is a request made invalid by `--set`. Never a traceback, never a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reelgraph.evals.cases import MAX_CASE_LINE_BYTES, MAX_PROMPT_SET_BYTES
from reliability.helpers import clean_error

GOOD = {"id": "fine", "request": {"prompt": "A fox runs.", "shots": 1, "languages": ["en"], "width": 128,
                                  "height": 72, "fps": 8, "shot_seconds": 1.0}}


def evals(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m reelgraph.evals ...` as a user runs it, in its own session, writing under `cwd/runs`."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "reelgraph.evals", "--out", str(cwd / "runs"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout, start_new_session=True,
                          stdin=subprocess.DEVNULL)


def _case(**change: object) -> str:
    """The good case with top-level fields changed (a dict for `request` is merged into the good request)."""
    case: dict[str, object] = {**GOOD, "id": "bad"}
    for key, value in change.items():
        case[key] = {**GOOD["request"], **value} if key == "request" and isinstance(value, dict) else value
    return json.dumps(case)


def _without_prompt() -> str:
    request = {k: v for k, v in GOOD["request"].items() if k != "prompt"}
    return json.dumps({**GOOD, "id": "bad", "request": request})


# the second line of the file, and what the error must name besides the file and "line 2"
BAD_LINES = {
    "request-languages-ints": (_case(request={"languages": [1, 2]}), "request.languages.0"),
    "expect-languages-ints": (_case(expect={"languages": [1, 2]}), "expect.languages.0"),
    "not-json": ('{"id": "bad", "request": {', "not JSON"),
    "no-object": ("[1, 2]", "not a JSON object"),
    "nested-deep": ('{"id": "bad", "x": ' + "[" * 200_000 + "]" * 200_000 + "}", "nests its JSON too deep"),
    "unknown-field": (_case(colour="red"), "colour"),
    "unknown-request-field": (_case(request={"colour": "red"}), "request.colour"),
    "missing-prompt": (_without_prompt(), "request.prompt"),
    "prompt-not-text": (_case(request={"prompt": 5}), "request.prompt"),
    "refused-for-another-reason": (_case(request={"prompt": "A robot\u0000", "shots": 0},
                                         expect={"finished": False, "refused": "shots"}), "request.prompt"),
    "line-past-its-bound": (_case(request={"prompt": "a" * MAX_CASE_LINE_BYTES}), "bytes allowed"),
}


@pytest.mark.parametrize("kind", list(BAD_LINES))
def test_a_bad_case_line_is_one_error_before_any_case_runs(tmp_path: Path, kind: str) -> None:
    line, field = BAD_LINES[kind]
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n", encoding="utf-8")
    proc = evals("--prompts", str(path), cwd=tmp_path)
    text = clean_error(proc, 2, "bad.jsonl", "line 2", field)
    assert text.count("error:") == 1, text
    assert not (tmp_path / "runs").exists(), "no eval folder before every case is valid"


def test_an_override_that_makes_a_request_invalid_is_refused_before_any_case_runs(tmp_path: Path) -> None:
    path = tmp_path / "good.jsonl"
    path.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    proc = evals("--prompts", str(path), "--set", "languages=[1, 2]", cwd=tmp_path)
    clean_error(proc, 2, "case fine with --set/--seed", "request.languages.0")
    assert not (tmp_path / "runs").exists()


def test_a_case_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n\xff\xfe\n")
    clean_error(evals("--prompts", str(path), cwd=tmp_path), 2, "bad.jsonl", "line 2", "not UTF-8")
    assert not (tmp_path / "runs").exists()


def test_a_50_mb_case_file_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps(GOOD) + "\n")
        f.write(_case(request={"prompt": "a" * (50 << 20)}) + "\n")
    assert path.stat().st_size > MAX_PROMPT_SET_BYTES
    clean_error(evals("--prompts", str(path), cwd=tmp_path, timeout=30), 2, "big.jsonl", "bytes allowed")
    assert not (tmp_path / "runs").exists()


def test_a_fifo_in_a_prompt_folder_is_refused_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    os.mkfifo(folder / "b.jsonl")
    clean_error(evals("--prompts", str(folder), cwd=tmp_path, timeout=30), 2, "b.jsonl", "not a plain file")
    assert not (tmp_path / "runs").exists()

