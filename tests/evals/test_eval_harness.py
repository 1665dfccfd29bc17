"""The eval harness end to end on the CI subset (animatic profile): metrics, report, gate, hostile prompt, replay."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from reelgraph.evals.cases import PROMPTS_DIR, load_cases, select
from reelgraph.evals.gate import compare, load_baseline
from reelgraph.evals.harness import HARNESS_FILES
from reelgraph.evals.lipsync import LIP_METRICS
from reelgraph.evals.metrics import RUN_METRICS, SHOT_METRICS

ROOT = Path(__file__).resolve().parents[2]
CI_CASES = [c.id for c in select(load_cases(), "tag:ci")]
CRASH = {"id": "slow-crash", "tags": ["test"], "timeout_s": 1,
         "request": {"prompt": "A robot in a forest", "shots": 1, "languages": ["en"], "shot_seconds": 1.0,
                     "width": 64, "height": 64, "fps": 4}}
PWNED = ["/tmp/reelgraph-pwned.mp4", "/tmp/reelgraph-pwned.json", "/tmp/reelgraph-pwned-shell"]


def run_eval(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, dict[str, Any], Path]:
    """`python -m reelgraph.evals ...` as a user runs it; returns the process, metrics.json and the eval folder."""
    out = cwd / "runs"
    before = set(out.iterdir()) if out.exists() else set()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "160"}
    proc = subprocess.run([sys.executable, "-m", "reelgraph.evals", "--out", str(out), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    made = sorted(set(out.iterdir()) - before)
    assert len(made) == 1, proc.stderr[-3000:]
    return proc, json.loads((made[0] / "metrics.json").read_text(encoding="utf-8")), made[0]


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _pwned_state() -> dict[str, Any]:
    return {p: (os.lstat(p).st_mtime_ns if os.path.lexists(p) else None) for p in PWNED}


@pytest.fixture(scope="module")
def ci_eval(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The CI subset plus a case killed by its time limit, in 2 workers, recorded, written as a baseline."""
    home = tmp_path_factory.mktemp("evals")
    (home / "prompts").mkdir()
    (home / "prompts" / "crash.jsonl").write_text(json.dumps(CRASH) + "\n", encoding="utf-8")
    before, pwned = tree(home), _pwned_state()
    proc, doc, folder = run_eval(
        "--prompts", str(PROMPTS_DIR), "--prompts", str(home / "prompts"), "--cases", "tag:ci,slow-crash",
        "--jobs", "2", "--record", "--recordings", str(home / "rec"), "--write-baseline", str(home / "baseline.json"),
        cwd=home)
    return {"home": home, "proc": proc, "doc": doc, "folder": folder, "before": before, "after": tree(home),
            "pwned_before": pwned}


def test_every_case_is_measured_and_a_crash_is_reported(ci_eval: dict[str, Any]) -> None:
    doc, proc = ci_eval["doc"], ci_eval["proc"]
    rows = {r["id"]: r for r in doc["cases"]}
    assert set(rows) == {*CI_CASES, "slow-crash"}
    assert rows["slow-crash"]["status"] == "timeout" and "killed after" in rows["slow-crash"]["error"]
    assert proc.returncode == 1, "a case that did not pass makes the eval fail"
    for cid in CI_CASES:
        row = rows[cid]
        assert row["status"] == "passed", (cid, row["error"], row["checks"])
        assert set(RUN_METRICS) <= set(row["metrics"]), set(RUN_METRICS) - set(row["metrics"])
        m = row["metrics"]
        for key in RUN_METRICS:  # a seam where a shot continues another, lip-sync where someone speaks on screen
            if (key != "seam_max" or m["continuous_seams"]) and (key not in LIP_METRICS or m["lip_open_frames"]):
                assert m[key] is not None, (cid, key)
        assert len(row["shots"]) == row["request"]["shots"]
        for shot in row["shots"]:
            assert set(SHOT_METRICS) <= set(shot)
        assert set(row["languages"]) == set(row["request"]["languages"])
        assert {"plan", "cast", "shots", "music", "voice", "compose"} <= set(m["stage_seconds"])
        assert {"plan", "shots", "voice", "compose"} <= set(m["stage_peak_rss_mb"])
        assert m["checkpoint_count"] > 0 and m["checkpoint_bytes"] > 0
        for character in row["characters"].values():
            assert (character["shots"] == 0) == (character["distance_max"] is None)
    power = rows["ci-power-cut"]["metrics"]
    assert power["attempts_mean"] > 1 and power["first_pass_rate"] < 1, "the dark case exercises the critic loop"
    assert power["continuous_seams"] >= 1 and power["seam_max"] is not None


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.images.append(a)
        if tag == "a":
            self.links.append(a.get("href", ""))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_has_plots_and_thumbnails(ci_eval: dict[str, Any]) -> None:
    html = (ci_eval["folder"] / "report.html").read_text(encoding="utf-8")
    parser = _Images()
    parser.feed(html)
    pngs = [i for i in parser.images if i["src"].startswith("data:image/png;base64,")]
    assert len(pngs) == len(parser.images), "every image is embedded"
    for image in pngs:
        Image.open(io.BytesIO(base64.b64decode(image["src"].split(",", 1)[1]))).verify()
    alts = {i["alt"] for i in pngs}
    assert {"score distribution", "attempts histogram", "time per stage", "consistency per character"} <= alts
    assert {f"kept takes of {cid}" for cid in CI_CASES} <= alts
    assert "http" not in "".join(i["src"][:8] for i in parser.images)
    assert "cases/slow-crash/run/" in parser.links
    assert any("killed after" in t for t in parser.text)


def test_hostile_prompt_leaves_nothing_outside_its_run_folder(ci_eval: dict[str, Any]) -> None:
    home, folder = ci_eval["home"], ci_eval["folder"]
    stamp = folder.relative_to(home).as_posix()
    allowed_top = {"baseline.json", f"{stamp}/metrics.json", f"{stamp}/report.html"}
    for path in ci_eval["after"] - ci_eval["before"]:
        if path in allowed_top or path.startswith("rec/"):
            continue
        case_rel = path.removeprefix(f"{stamp}/cases/")
        assert case_rel != path, f"{path} is outside every case folder"
        _, _, inside = case_rel.partition("/")
        assert inside.startswith("run/") or inside in HARNESS_FILES, f"{path} is outside its run folder"
    row = next(r for r in ci_eval["doc"]["cases"] if r["id"] == "ci-hostile-escape")
    assert row["checks"]["no_escape"]["ok"] and row["checks"]["absent"]["ok"]
    assert _pwned_state() == ci_eval["pwned_before"]
    case_dir = folder / "cases" / "ci-hostile-escape"
    assert {p.name for p in case_dir.iterdir()} <= HARNESS_FILES | {"run"}
    run = (case_dir / "run").resolve()
    assert all(run in p.resolve().parents for p in run.rglob("*"))


def test_gate_passes_on_its_own_baseline_and_fails_when_quality_is_lowered(ci_eval: dict[str, Any]) -> None:
    home = ci_eval["home"]
    baseline = load_baseline(home / "baseline.json")
    assert set(baseline["cases"]) == {*CI_CASES, "slow-crash"}
    same = compare(ci_eval["doc"], baseline)
    assert same["passed"] and same["checked"] > 20, same["regressions"]
    proc, doc, _ = run_eval("--cases", "ci-power-cut", "--set", "max_attempts=1", "--baseline",
                            str(home / "baseline.json"), cwd=home)
    assert proc.returncode != 0
    assert not doc["gate"]["passed"]
    worse = {r["metric"] for r in doc["gate"]["regressions"]}
    assert {"score_mean", "score_min"} <= worse, doc["gate"]["regressions"]
    assert "regression gate: FAILED" in proc.stderr


def _requests(run: Path) -> list[str]:
    return [json.dumps([t["requests"] for t in json.loads(p.read_text("utf-8"))["takes"]], ensure_ascii=False)
            for p in sorted(run.glob("shots/shot*/kept.json"))]


def test_recorded_conversation_replays_byte_for_byte(ci_eval: dict[str, Any]) -> None:
    home, cid = ci_eval["home"], "ci-power-cut"
    recording = home / "rec" / f"{cid}.json"
    assert recording.is_file()
    proc, doc, folder = run_eval("--cases", cid, "--replay", "--recordings", str(home / "rec"), cwd=home)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((folder / "cases" / cid / "result.json").read_text(encoding="utf-8"))
    assert result["director"] == "replay"
    original = ci_eval["folder"] / "cases" / cid / "run"
    replayed = folder / "cases" / cid / "run"
    assert (replayed / "script.json").read_bytes() == (original / "script.json").read_bytes()
    assert _requests(replayed) == _requests(original)
    assert len(_requests(replayed)) == 4 and any('"render_keyframe"' in r for r in _requests(replayed))


def test_committed_baseline_is_the_ci_subset() -> None:
    baseline = load_baseline(ROOT / "evals" / "baseline.json")
    assert baseline["profile"] == "animatic"
    assert set(baseline["cases"]) == set(CI_CASES)
    for case in baseline["cases"].values():
        assert case["status"] == "passed" and {"score_mean", "wall_s", "peak_rss_mb"} <= set(case["metrics"])
