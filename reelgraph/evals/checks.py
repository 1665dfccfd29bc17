"""A case's expectations checked against its result and its folder (nothing written outside the run folder)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reelgraph.evals.cases import Case


def files_under(root: Path) -> set[str]:
    """Every file and link under `root`, as paths relative to it (links are not followed)."""
    found: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in filenames + [d for d in dirnames if (base / d).is_symlink()]:
            found.add((base / name).relative_to(root).as_posix())
    return found


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def snapshot_absent(paths: list[str]) -> dict[str, tuple[int, int] | None]:
    """The state of paths that a run must not create or touch."""
    return {p: _stat(p) for p in paths}


def escapes(home: Path, before: set[str], harness_files: set[str]) -> list[str]:
    """Files that appeared beside the run folder, and links in the run folder that point out of it."""
    run = (home / "run").resolve()
    new = sorted(p for p in files_under(home) - before if not p.startswith("run/") and p not in harness_files)
    for rel in files_under(home / "run") if run.is_dir() else set():
        path = run / rel
        if path.is_symlink() and run not in path.resolve().parents:
            new.append(f"run/{rel} -> {os.readlink(path)}")
    return new


def _ok(ok: bool, detail: str = "") -> dict[str, Any]:
    return {"ok": bool(ok), "detail": detail}


def check_case(case: Case, result: dict[str, Any], home: Path, before: set[str],
               absent_before: dict[str, tuple[int, int] | None], harness_files: set[str]) -> dict[str, dict[str, Any]]:
    """Each expectation of the case: ok or not, with what was seen."""
    exp, status = case.expect, result["status"]
    checks: dict[str, dict[str, Any]] = {}
    if exp.refused is not None:
        error = result.get("error") or ""
        checks["refused"] = _ok(status == "refused" and exp.refused.lower() in error.lower(), error or status)
        checks["nothing_written"] = _ok(not (home / "run").exists(), "the run folder was not created")
    else:
        checks["finished"] = _ok((status == "finished") == exp.finished, result.get("error") or status)
    metrics = result.get("metrics") or {}
    if status == "finished":
        if exp.shots is not None:
            checks["shots"] = _ok(metrics.get("shots") == exp.shots, f"{metrics.get('shots')} of {exp.shots}")
        if exp.languages is not None:
            made = sorted(lang for lang in exp.languages if (home / "run" / f"reel_{lang}.mp4").is_file()
                          and (home / "run" / "subtitles" / f"{lang}.srt").is_file())
            got = sorted(result.get("languages") or {})
            checks["languages"] = _ok(made == got == sorted(exp.languages), f"reels for {made}, measured {got}")
        if exp.min_score is not None:
            low = metrics.get("score_min")
            checks["min_score"] = _ok(low is not None and low >= exp.min_score, f"lowest kept score {low}")
        if exp.continuous_seams is not None:
            n = metrics.get("continuous_seams") or 0
            checks["continuous_seams"] = _ok(n >= exp.continuous_seams, f"{n} continuous seams")
        if exp.max_attempts_mean is not None:
            m = metrics.get("attempts_mean")
            checks["max_attempts_mean"] = _ok(m is not None and m <= exp.max_attempts_mean, f"{m} takes per shot")
    if exp.no_escape:
        out = escapes(home, before, harness_files)
        checks["no_escape"] = _ok(not out, "; ".join(out[:10]) or "nothing outside the run folder")
    if exp.absent:
        touched = [p for p, st in absent_before.items() if _stat(p) != st]
        checks["absent"] = _ok(not touched, ", ".join(touched) or "untouched")
    return checks
