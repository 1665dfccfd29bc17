"""Kill a run anywhere, resume it, and check nothing was lost or redone.

    python tests/soak/kill_resume.py --kills 30 [--seed 1] [--report docs/reliability.md]

Runs a small animatic reel once without interruption (the reference), then again while interrupting it at random
moments (mid-render, mid-ffmpeg, mid-checkpoint write) with one of: SIGKILL to the whole process group, SIGINT to the
group (Ctrl-C), or SIGKILL to the running ffmpeg only (as the OOM killer would), and resuming after each, until it
finishes. Checks: the final
reels are identical to the reference (decoded video and audio hashes), no shot committed before a kill is rendered
again, no partial file is left in place of an artifact (every artifact in the final state has its recorded hash).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from reelgraph.media.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parents[2]
REQUEST = ["--prompt", "A fox and an owl cross a snowy mountain pass at night", "--shots", "4", "--seconds", "1.5",
           "--width", "320", "--height", "180", "--fps", "12", "--languages", "en,fr", "--seed", "5"]


@dataclass
class SoakResult:
    kills: int = 0
    kill_stages: dict[str, int] = field(default_factory=dict)
    rerendered: list[str] = field(default_factory=list)
    bad_artifacts: list[str] = field(default_factory=list)
    identical: bool = False
    rounds: int = 0
    seconds: float = 0.0


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reelgraph", *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True, text=True)


def _md5(path: Path, selector: str) -> str:
    out = subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-map", selector, "-f", "md5", "-"],
                         capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.strip()


def _fingerprint(out: Path) -> dict[str, str]:
    return {f"{name}:{sel}": _md5(out / name, sel) for name in ("reel_en.mp4", "reel_fr.mp4") for sel in ("0:v", "0:a")}


def _events(out: Path) -> list[dict]:
    log = out / "events.jsonl"
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip().endswith("}")]


def _takes(out: Path, shots: set[int]) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for s in shots for p in sorted((out / "shots" / f"shot{s:02d}").glob("take*")) if p.is_file()}


def _check_artifacts(out: Path) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from reelgraph.run.folder import sha256_file

    bad = []
    for kept in (out / "shots").glob("shot*/kept.json"):
        for take in json.loads(kept.read_text())["takes"]:
            for art in (take["clip"], take.get("keyframe")):
                if art and (not (out / art["path"]).is_file() or sha256_file(out / art["path"]) != art["sha256"]):
                    bad.append(art["path"])
    leftovers = [str(p.relative_to(out)) for p in out.rglob("*.tmp*")]
    return bad + leftovers


KINDS = ("SIGKILL to the group", "SIGINT to the group", "SIGKILL to ffmpeg only")


def _ffmpeg_children(pid: int) -> list[int]:
    """PIDs of the ffmpeg processes under `pid` (descendants named ffmpeg*)."""
    import psutil

    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for k in kids:
        try:
            if k.name().startswith("ffmpeg"):
                out.append(k.pid)
        except psutil.NoSuchProcess:
            continue
    return out


def _interrupt(proc: subprocess.Popen, kind: str) -> bool:
    """Deliver one fault of `kind`; False when there was nothing to hit (no ffmpeg running at that moment)."""
    if kind == "SIGINT to the group":
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=120)  # Ctrl-C must end the run, not hang it
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise SystemExit("SIGINT did not stop the run within 120 s") from None
        return True
    if kind == "SIGKILL to ffmpeg only":
        pids = _ffmpeg_children(proc.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not pids:
            return False
        try:
            proc.wait(timeout=300)  # the run stops with one error (or finishes: a retried step may succeed)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise SystemExit("a run whose ffmpeg was killed neither finished nor stopped within 300 s") from None
        return True
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def _kill_when_busy(proc: subprocess.Popen, out: Path, rng: random.Random, at_event: int,
                    timeout: float = 300, kind: str = KINDS[0]) -> str | None:
    """Wait until the run's log has `at_event` events (at least one new), then a random fraction of a second, then
    deliver one fault of `kind` (see KINDS). Returns the stage it was in, or None when it finished first."""
    want = max(at_event, len(_events(out)) + 1)
    deadline = time.time() + timeout
    while len(_events(out)) < want:
        if proc.poll() is not None:
            return None
        if time.time() > deadline:
            raise SystemExit("the run made no progress")
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.6))
    if proc.poll() is not None:
        return None
    stage = (_events(out) or [{"stage": "start"}])[-1]["stage"]
    if kind == KINDS[2]:  # wait (briefly) for an ffmpeg to be running, else fall back to killing the group
        for _ in range(100):
            if _ffmpeg_children(proc.pid) or proc.poll() is not None:
                break
            time.sleep(0.02)
        if proc.poll() is not None:
            return None
        if not _ffmpeg_children(proc.pid):
            kind = KINDS[0]
    _interrupt(proc, kind)
    return f"{stage} ({kind})"


def _round(out: Path, rng: random.Random, result: SoakResult, kills: int, events: int) -> None:
    """One run from start to finish, killed at moments spread over the whole run (by the reference run's event
    count), resumed after each kill."""
    args = ["generate", "--out", str(out), *REQUEST]
    committed: dict[str, str] = {}
    budget = min(kills - result.kills, max(1, events // 2))
    moments = sorted(rng.sample(range(1, events), budget)) if budget > 0 else []
    while True:
        proc = _start(args)
        stage = _kill_when_busy(proc, out, rng, moments.pop(0), kind=rng.choice(KINDS)) if moments else None
        if stage is not None:
            result.kills += 1
            result.kill_stages[stage] = result.kill_stages.get(stage, 0) + 1
            done = {e["shot"] for e in _events(out) if e["stage"] == "commit"}
            now = _takes(out, done)
            result.rerendered += [k for k, v in committed.items() if now.get(k) != v]
            committed = {**now, **committed}
            if (out / "run.json").exists():
                args = ["resume", "--out", str(out)]
            continue
        _, err = proc.communicate(timeout=900)
        if proc.returncode != 0:
            if "already holds a run" in err:
                args = ["resume", "--out", str(out)]
                continue
            raise SystemExit(f"run failed after {result.kills} kills: {err[-2000:]}")
        break
    done = {e["shot"] for e in _events(out) if e["stage"] == "commit"}
    final = _takes(out, done)
    result.rerendered += [k for k, v in committed.items() if final.get(k) != v]
    result.bad_artifacts += _check_artifacts(out)


def soak(kills: int, seed: int, workdir: Path) -> SoakResult:
    """Kill runs `kills` times in all (over as many runs as that takes); every finished reel must equal the
    uninterrupted reference."""
    rng = random.Random(seed)
    reference = workdir / "reference"
    proc = subprocess.run([sys.executable, "-m", "reelgraph", "generate", "--out", str(reference), *REQUEST],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    if proc.returncode:
        raise SystemExit(f"reference run failed: {proc.stderr[-2000:]}")
    expected = _fingerprint(reference)
    events = len(_events(reference))
    result = SoakResult(identical=True)
    t0 = time.time()
    rounds = 0
    while result.kills < kills or rounds == 0:
        rounds += 1
        out = workdir / f"killed{rounds}"
        _round(out, rng, result, kills, events)
        result.identical = result.identical and _fingerprint(out) == expected
    result.rounds = rounds
    result.seconds = round(time.time() - t0, 1)
    return result


OTHER_FAULTS = [
    ("corrupted checkpoint database", "integration/test_broken_stores.py", "one error naming `checkpoints.sqlite`"),
    ("another run's checkpoint database", "integration/test_broken_stores.py",
     "refused, naming the file; nothing re-rendered"),
    ("kept take deleted or truncated", "integration/test_broken_stores.py",
     "`resume` names the file; `resume --repair` re-renders that shot only"),
    ("final reel deleted", "integration/test_broken_stores.py",
     "named; `--repair` composes again, no shot re-rendered"),
    ("disk full (a small tmpfs)", "integration/test_broken_stores.py",
     "one error (no space left), then `resume` finishes"),
    ("a second writer on the same run folder", "integration/test_run_lock.py",
     "refused while the first runs; a killed holder leaves no stale lock"),
    ("two threads of one server (one process) on one folder", "front_doors/test_isolation.py",
     "the second refused naming the first's thread, while it runs and after (the folder is the first thread's, "
     "paused at approval or done); the same through `langgraph dev` in `front_doors/test_server.py`"),
    ("a run cancelled in the middle of an ffmpeg process, then its thread continued", "front_doors/test_isolation.py",
     "the process ended at once; no new file, no partial take put in place; the folder given back when the writes "
     "in flight end; the continued run finishes the reel (also through `langgraph dev`)"),
    ("hostile prompts and tool arguments (`../`, NUL, quotes, `;`, `$()`, subtitle markup)",
     "integration/test_hostile_input.py", "stay text: no file outside the run, subtitles verbatim"),
    ("a 1 MB prompt", "integration/test_hostile_input.py", "refused before any Director call (exit 2)"),
]

ATTACKS = [  # (attack, test, what happens now); each test reproduced the break before its fix
    ("ffmpeg missing (`REELGRAPH_FFMPEG=/nonexistent/ffmpeg`), then `resume` without it",
     "reliability/test_poisoned_run.py::test_missing_ffmpeg_then_resume_finishes",
     "one error naming the binary (exit 1); no tool error stored; `resume` finishes the reel"),
    ("ffmpeg killed by SIGKILL on every try (as by the OOM killer), twice",
     "reliability/test_poisoned_run.py::test_ffmpeg_killed_on_every_try_then_resume_finishes",
     "\"ffmpeg was killed by SIGKILL\" (exit 1), not counted against the Director; `resume` finishes"),
    ("Ctrl-C to the process group while ffmpeg renders, twice",
     "reliability/test_poisoned_run.py::test_ctrl_c_to_the_process_group_while_ffmpeg_renders",
     "\"interrupted\" (exit 130) naming `resume`; nothing stored as the Director's error; `resume` finishes"),
    ("a checkpoint poisoned by an earlier version (two environmental errors stored as tool errors)",
     "reliability/test_poisoned_run.py::test_a_checkpoint_poisoned_by_environmental_errors_resumes",
     "only the Director's own mistakes count against its repair; `resume` finishes"),
    ("`generate --out` on a folder holding the user's files (`.novel.31337.tmp`, `sub/deeper/.report.4242.tmp.docx`)",
     "reliability/test_existing_folder.py::test_generate_into_a_folder_with_user_files_keeps_them",
     "every user file kept byte for byte: only the studio's own scratch names, in its own folders, are swept"),
    ("`--out \"\"` (or blanks) to generate, resume, approve, history",
     "reliability/test_existing_folder.py::test_empty_out_is_refused_and_writes_nothing",
     "refused naming `--out` (exit 2); nothing written in the current folder"),
    ("two `generate` on one new `--out` at once (the first paused after its existing-run check)",
     "reliability/test_generate_race.py::test_two_generates_on_one_new_folder_leave_one_run",
     "the check and run.json are made under the lock, held to the end: the second is refused (exit 2); "
     "the one run resumes"),
    ("a symbolic link planted at `.lock`, `events.jsonl`, `checkpoints.sqlite` (and `-journal`, `-wal`, `-shm`), "
     "a scratch name (`.kept.<pid>.tmp.json`), a media helper scratch or any written name, dangling or not",
     "reliability/test_symlinks.py",
     "refused naming the link (exit 1); nothing written outside the folder: every run-folder write goes through "
     "`reelgraph/run/safe_files.py` (folder resolved inside the run, `O_NOFOLLOW` relative to it)"),
    ("`approve --edit` of JSON nested 200 000 deep, of `/dev/zero`, of a FIFO, of a file past 4 MiB",
     "reliability/test_bad_files.py::test_a_hostile_edit_is_refused_and_the_run_stays_paused",
     "one error naming `--edit` and the cause (exit 2), at once (no hang, no memory blow-up); the run stays paused"),
    ("plain `approve` after script.json was corrupted",
     "reliability/test_bad_files.py::test_a_corrupt_planned_script_is_named_on_approve",
     "\"… script.json is not JSON (line, column)\" (exit 2)"),
    ("run.json `[]`, without `run_id`, not JSON, a run id with `../`",
     "reliability/test_bad_files.py::test_a_damaged_run_file_is_named",
     "\"run file … is damaged: run_id: …\" (exit 1): run.json is validated"),
    ("one line of events.jsonl torn by a kill",
     "reliability/test_bad_files.py::test_a_torn_event_line_neither_fails_the_run_nor_leaves_a_stale_summary",
     "the line is skipped; the reel and summary.json are made; `resume` says the run is finished"),
    ("disk full during the music (no byte left, or a few pages: libsndfile's \"System error\")",
     "reliability/test_disk.py::test_disk_full_during_the_music",
     "\"no space left on the run folder's disk\" (exit 1); after freeing space `resume` finishes"),
    ("run folder made read-only mid-run (after the last commit)",
     "reliability/test_disk.py::test_run_folder_made_read_only_mid_run",
     "\"the run folder … is read-only or not writable\" naming the file (exit 1); made writable, `resume` finishes"),
    ("a profile backend `\"this:s\"` (a module that is no backend class)",
     "reliability/test_profiles.py::test_a_backend_that_is_no_backend_class_is_refused_before_the_run",
     "\"image backend 'this:s' is not a backend class for image\" (exit 2), before the run folder is made"),
    ("profiles: a backend `os:system;x`, TOML nested 5000 deep, `director = 5`, not UTF-8, a FIFO, "
     "`/dev/zero`, past 1 MiB",
     "reliability/test_profiles.py",
     "one usage error naming the profile and the field or cause (exit 2), at once"),
    ("SIGKILL while a redo composes its reels (at the mux), then `resume`",
     "reliability/test_redo_compose_kill.py",
     "the earlier reel is archived once (`reel_final.v1.mp4`); no `v2` copy of it; the new reel is `reel_final.mp4`"),
    ("`serve --dry-run` on a model folder without a chat template",
     "reliability/test_serve_dry_run.py",
     "the command is printed; nothing is written into the model folder"),
    ("a script title `[/oops] [bold red]Cat[/] :fire:` (via `approve --edit`); run folder paths with `[/nope]` or "
     "`[bold red …]`",
     "reliability/test_markup.py",
     "printed verbatim on approve and every resume and in errors: the CLI's console takes no markup or emoji codes"),
    ("spoken lines that look like SRT timing (`00:00:00,000 --> 00:00:30,000 INJECTED`, `-->`, `12`)",
     "reliability/test_subtitle_lines.py::test_timestamp_like_lines_stay_text_in_the_reel",
     "every cue is in the reel's subtitle stream, verbatim (a word joiner inside `-->`)"),
    ("a reel in which no line is spoken (every shot silent)",
     "reliability/test_subtitle_lines.py::test_a_reel_without_a_spoken_line_has_no_subtitle_stream",
     "the reel is made, without a subtitle stream (an empty SRT was refused as \"produced no data\")"),
    ("`approve --edit` with a 1 MB `speaker`; a 1 MB instrument in the music brief",
     "reliability/test_bounded_fields.py",
     "refused naming the field (`shots.0.lines.0.speaker: … at most 40 characters`, exit 2); the checkpoint "
     "database does not grow; every string and list of the script and of a take's record has a bound"),
    ("an ffmpeg that stops reading the frames piped into it (`ffmpeg_timeout = 5`)",
     "reliability/test_hung_ffmpeg.py",
     "killed after 5 s without progress: \"ffmpeg stopped reading frames\" (exit 1); `resume` finishes"),
    ("a client of the served graph asks for `out_dir` outside the runs folder (absolute, `..`, a link out)",
     "reliability/test_served.py::test_a_run_folder_outside_the_runs_folder_is_refused",
     "refused naming `REELGRAPH_SERVER_RUNS`; nothing written outside it"),
    ("a client names a profile by path, inline, or not in the profiles folder",
     "reliability/test_served.py::test_a_profile_that_is_no_name_from_the_profiles_folder_is_refused",
     "refused: the server takes `animatic` or a name from `REELGRAPH_SERVER_PROFILES`"),
    ("a served profile's backend import path is not on the operator's allow-list",
     "reliability/test_served.py::test_a_backend_import_path_off_the_allow_list_is_never_imported",
     "refused naming `REELGRAPH_SERVER_BACKENDS`; the module is never imported"),
    ("a Ray `address` nobody listens on (`start_timeout = 5`)",
     "reliability/test_ray_address.py::test_an_address_nobody_listens_on_ends_at_once",
     "\"cannot join the Ray cluster at '127.0.0.1:…' within [executor] start_timeout = 5 s: nothing listens at …\" "
     "(exit 1) in seconds, before the run folder is made (Ray itself retried for many minutes)"),
    ("a Ray `address` that takes connections and never answers as a cluster (`start_timeout = 5`)",
     "reliability/test_ray_address.py::test_an_address_that_never_answers_ends_after_start_timeout",
     "\"… within [executor] start_timeout = 5 s: it did not answer as a Ray cluster\" (exit 1) after 5 s"),
    ("eval case files (`--prompts`, a file or a folder): `languages: [1, 2]` in the request or the expectations, a "
     "line not JSON or no JSON object, not UTF-8, JSON nested 200 000 deep, an unknown field, a missing prompt, a "
     "refusal expected for another reason than the request's, a line past 1 MiB, a 50 MB file, a FIFO",
     "reliability/test_eval_cases.py",
     "one error naming the file, the line and the field (`prompt set '…' line 2: request.languages.0: Input should "
     "be a valid string`, exit 2) before any case runs, no eval folder made (it ran every case, then a traceback); "
     "the requests as changed by `--set` and `--seed` are checked the same way"),
]


SERVER_SETTINGS = [
    ("REELGRAPH_SERVER_RUNS", "a folder: every run folder is inside it; "
     "a client's relative `out_dir` is taken under it (default: the thread id), an absolute one must lie inside it; "
     "no `..`, no link out. Unset, `out_dir` is not confined (the module graph is also the Python API's): set it "
     "on any server others can reach."),
    ("REELGRAPH_SERVER_PROFILES", "a folder: a client names a profile `<name>` for `<name>.toml` in it, or "
     "`animatic`; no path, no inline profile. Unset: `animatic` only."),
    ("REELGRAPH_SERVER_BACKENDS", "comma-separated `package.module:Class` a served profile may name; any other import "
     "path is refused before anything is imported (built-in backends always work)."),
]


def attacks_section() -> str:
    """The docs' table of attacks from every door, one row per test, and what an operator of the server sets."""
    rows = "\n".join(f"| {attack} | `tests/{test}` | {what} |" for attack, test, what in ATTACKS)
    settings = "\n".join(f"| `{name}` | {effect} |" for name, effect in SERVER_SETTINGS)
    return f"""## Attacks from every door (each a test that runs in CI)

Each test reproduced its break before the fix; a refused input gives one error (exit 2 for a usage error, 1 for
damage), never a traceback, and loses nothing already made.

| attack | test | what happens |
|---|---|---|
{rows}

## What holds it

- **Environmental failures are not the Director's mistakes.** Only a `ToolException` or a validation error of a tool
  call goes back to the Director (and counts against its one repair); a killed, interrupted or missing ffmpeg, a
  timeout or a full disk fails the step unstored, and `resume` runs it again.
- **One checked write path** (`reelgraph/run/safe_files.py`): every file created in a run folder (artifacts, their
  scratch files, run.json, summary.json, events.jsonl, the lock, ffmpeg's helper files) is opened relative to its
  resolved folder with `O_NOFOLLOW`; SQLite's database and its `-journal`, `-wal`, `-shm` names are checked first.
  The partial-file sweep removes only the studio's own scratch names in the folders it makes
  (`reelgraph/run/names.py`). The existing-run check and run.json are made under the folder's lock, held until the
  run ends.
- **Bounded reads** (`reelgraph/run/reading.py`, profiles in `reelgraph/config.py`, eval cases in
  `reelgraph/evals/cases.py`): no FIFO or device, a size limit, a JSON depth limit, validated shapes.
  **Bounded waits**: every ffmpeg call has the profile's `ffmpeg_timeout`, and frames piped into ffmpeg stop it when
  it takes nothing for that long; joining a Ray cluster has the executor's `start_timeout`
  (`reelgraph/executors/ray/cluster.py`).
- **Text stays text**: the CLI's console takes no Rich markup or emoji codes; a subtitle line keeps `-->` from
  looking like a cue's timing; every string of the script has a length bound.

## Serving to clients

A run of the served graph (`reelgraph.graph:served_graph`, what `langgraph.json` names for `langgraph dev` and
`langgraph up`) is confined by
what the operator sets in the server's environment (`reelgraph/run/served.py`):

| variable | effect |
|---|---|
{settings}

The CLI, `build_graph()` and `reelgraph.graph:graph` from Python are not confined: their user chose the folder and the
profile.

## Not covered yet

- a Ray address that takes connections but never answers as a cluster: Ray's own connection warnings reach stderr
  (unstyled) before the one error.
"""


def report(result: SoakResult, kills: int, path: Path) -> None:
    def fault(key: str) -> str:  # "compose (SIGINT to the group)" -> "SIGINT to the group during `compose`"
        stage, _, kind = key.partition(" (")
        return f"{kind.rstrip(')') or 'SIGKILL to the group'} during `{stage}`"

    rows = "\n".join(f"| {fault(key)} | {n} | reel completed | nothing |"
                     for key, n in sorted(result.kill_stages.items()))
    other = "\n".join(f"| {fault} | `tests/{test}` | {what} | nothing |" for fault, test, what in OTHER_FAULTS)
    path.write_text(f"""# Reliability: kill anywhere

Regenerated by `python tests/soak/kill_resume.py --kills {kills} --report {path}`.

| fault injected | times | what survived | what was lost |
|---|---|---|---|
{rows}

- kills: {result.kills} over {result.rounds} run(s); every final reel identical to an uninterrupted run \
(decoded video and audio hashes): {result.identical}
- committed takes rendered again: {len(result.rerendered)} {result.rerendered or ''}
- artifacts missing, changed or left partial: {len(result.bad_artifacts)} {result.bad_artifacts or ''}
- wall time with kills and resumes: {result.seconds} s


## Other faults (each a test that runs in CI)

| fault injected | test | what happens | what is lost |
|---|---|---|---|
{other}

{attacks_section()}""", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reel-soak-") as tmp:
        result = soak(args.kills, args.seed, Path(tmp))
    print(json.dumps(result.__dict__, indent=2))
    if args.report:
        report(result, args.kills, args.report)
    ok = result.identical and not result.rerendered and not result.bad_artifacts
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
