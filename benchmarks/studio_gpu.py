"""The whole studio on GPUs: a 6-shot 1280x720 reel through the real graph, every model at full size with random
weights and resident at once. Configuration (a): the few-step preset.

    python3 benchmarks/studio_gpu.py --work /tmp/studio            # a new reel (one CUDA GPU)
    python3 benchmarks/studio_gpu.py --work /tmp/studio --resume   # the same reel continued from its checkpoint
    python3 benchmarks/studio_gpu.py --work /tmp/two --parallel ulysses=2 --music acestep   # each clip over 2 GPUs
    python3 benchmarks/studio_gpu.py --tiny --work /tmp/tiny       # tiny models on the CPU: the same path (CI)

The request: the README's story (two characters, continuous shots) as 6 shots of 5 s at 1280x720 and 16 fps (81
model frames, one clip per shot), voices in English and French, the heuristic critic on with one attempt per shot
(noise pictures would fail any real critic; its time counts), the offline Director. The profile names the backends
of benchmarks/gpu_random_backends.py by import path: FLUX.1-dev masters and keyframes (`--image-steps`, 8: a turbo
LoRA's count; no image LoRA is loaded), Wan2.2-I2V-A14B clips with the studio's few-step preset (a random rank-64
step-distillation LoRA loaded and fused, 4 steps, no CFG; continuous shots are first-last-frame bridges), a
MusicGen-medium score (`--music acestep`: ACE-Step 1.5 turbo) and MMS-TTS VITS voices. With `--parallel`, each
clip is split over that many GPUs by the video backend's own option (rank 0 in this process, one worker process per
further GPU holding its own copy of the Wan pipeline); their peak memory is reported per clip.
The diffusers memory planner keeps `--vllm-fraction` of the card for
an 8B Director/VLM on vLLM (no vLLM runs here: the share is left free and the studio's peaks are reported against
what it leaves, or with `--hold-vllm-share` taken first as one allocation, as a vLLM server beside it would hold it).

Every model is built on the GPU before the graph starts (reported apart: weight building); the graph's wall time is
the render time. No torch.compile: no compile warm-up (each expert's first forward against its median is reported).
A run stops at a stage boundary when the next stage would pass `--budget-s` (after a committed shot, or before
music, voice, compose), its checkpoint kept; `--resume` continues that reel from its run folder under --work in a
new process, which builds the models the remaining stages need. The reel's wall time is the sum of the runs'
render times.

Per stage and per shot: wall time, peak GPU memory (allocated and reserved by PyTorch, and the device's used memory
as the driver reports it), the memory plans chosen. Writes --out (JSON) after every graph step, and the same file to
<work>/results.json, which a resumed run continues. Figures and how they were made: docs/gpu.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GiB = 1 << 30
T0 = time.perf_counter()
PROMPT = "A lighthouse keeper befriends a stray robot during a storm"
BACKENDS = {"image": "RandomFluxBackend", "video": "RandomWanBackend", "music": "RandomMusicgenBackend",
            "speech": "RandomVitsBackend"}
MODELS = {"image": "random-flux.1-dev", "video": "random-wan2.2-i2v-a14b", "music": "random-musicgen-medium"}
MUSIC = {"musicgen": ("RandomMusicgenBackend", "random-musicgen-medium"),
         "acestep": ("RandomAceStepBackend", "random-acestep-1.5-turbo")}
# First guesses of each stage's seconds (replaced by measured shot times as they come): what the budget stops on.
GUESS_S = {"full": {"shot": 100.0, "music": 170.0, "voice": 30.0, "compose": 90.0},
           "tiny": {"shot": 30.0, "music": 20.0, "voice": 10.0, "compose": 20.0}}
MUSIC_GUESS_S = {"musicgen": None, "acestep": 15.0}  # ACE-Step makes a 30 s score in about 3 s on an H200
SHOT_NODES = ("direct", "tools", "critic", "commit")
STAGE_OF = {"plan": "plan", "approve": "plan", "cast": "cast", "music": "music", "voice": "voice",
            "compose": "compose", **{n: "shots" for n in SHOT_NODES}}


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


class Stop(Exception):
    """Stop the graph at a stage boundary; the run's checkpoint is kept for --resume."""


# --- the run's files: profile, voices, step LoRA ------------------------------------------------------------------

def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def profile_sections(args: argparse.Namespace, work: Path) -> dict[str, dict[str, Any]]:
    """The profile: the random-weight backends by import path, their options, the offline agents."""
    size = "tiny" if args.tiny else "full"
    cpu = {"device": "cpu"} if args.tiny else {}
    plan = {"vllm_fraction": args.vllm_fraction}
    parallel = {"parallel": args.parallel} if args.parallel else {}
    module = "benchmarks.gpu_random_backends"
    return {
        "director": {"kind": "offline"},
        "critic": {"kind": "heuristic"},
        "image": {"backend": f"{module}:{BACKENDS['image']}", "model": MODELS["image"],
                  "options": {"size": size, "steps": args.image_steps, **plan, **cpu}},
        "video": {"backend": f"{module}:{BACKENDS['video']}", "model": MODELS["video"],
                  "options": {"size": size, "preset": "720p", "few_step_lora": str(work / "step_lora"),
                              "few_step_steps": args.video_steps, **plan, **cpu, **parallel}},
        "music": {"backend": f"{module}:{MUSIC[args.music][0]}", "model": MUSIC[args.music][1],
                  "options": {"size": size, **cpu}},
        "speech": {"backend": f"{module}:{BACKENDS['speech']}",
                   "models": {lang: str(work / "voices" / lang) for lang in args.languages}, "options": cpu},
    }


def write_profile(path: Path, sections: dict[str, dict[str, Any]]) -> None:
    lines = ['name = "studio-gpu-few-step"']
    for name, section in sections.items():
        lines.append(f"\n[{name}]")
        lines += [f"{k} = {_toml(v)}" for k, v in section.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def prepare(args: argparse.Namespace, work: Path, device: Any) -> tuple[Path, dict[str, float]]:
    """The profile, the voice folders (configs and tokenizers) and the random step LoRA under `work`."""
    import diffusers  # noqa: F401  (imported before the timings below, which then time only the files)

    from benchmarks import gpu_random_backends as rb

    work.mkdir(parents=True, exist_ok=True)
    size = "tiny" if args.tiny else "full"
    times: dict[str, float] = {}
    t = time.perf_counter()
    for lang in args.languages:
        if not (work / "voices" / lang / "config.json").is_file():
            rb.write_vits_folder(work / "voices" / lang, lang, size)
    times["voice_folders_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    rb.write_step_lora(work / "step_lora", size, device)
    times["step_lora_s"] = round(time.perf_counter() - t, 2)
    profile = work / "profile.toml"
    write_profile(profile, profile_sections(args, work))
    return profile, times


# --- GPU memory, watched from a thread --------------------------------------------------------------------------

class MemoryWatch:
    """Peak GPU memory per window (a graph step): PyTorch's allocated and reserved bytes and the device's used
    memory, sampled every 20 ms (the backends reset PyTorch's peak counter per stage, so it is read often)."""

    def __init__(self, device: Any) -> None:
        self.cuda = device.type == "cuda"
        self.device = device
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.window = self._zero()
        self.total = self._zero()
        self._thread: threading.Thread | None = None
        if self.cuda:
            self._thread = threading.Thread(target=self._poll, daemon=True, name="memory-watch")
            self._thread.start()

    @staticmethod
    def _zero() -> dict[str, int]:
        return {"allocated": 0, "reserved": 0, "device_used": 0}

    def sample(self) -> dict[str, int]:
        """One reading (zeros without CUDA)."""
        if not self.cuda:
            return self._zero()
        import torch

        free, total = torch.cuda.mem_get_info(self.device)
        return {"allocated": int(torch.cuda.max_memory_allocated(self.device)),
                "reserved": int(torch.cuda.memory_reserved(self.device)), "device_used": int(total - free)}

    def _poll(self) -> None:
        while not self._stop.wait(0.02):
            try:
                s = self.sample()
            except RuntimeError:
                continue
            with self._lock:
                for k, v in s.items():
                    self.window[k] = max(self.window[k], v)
                    self.total[k] = max(self.total[k], v)

    def take(self) -> dict[str, float]:
        """The window's peaks in GiB, and a new window."""
        if self.cuda:
            self._poll_once()
        with self._lock:
            out, self.window = self.window, self._zero()
        return {f"{k}_gib": round(v / GiB, 2) for k, v in out.items()}

    def _poll_once(self) -> None:
        s = self.sample()
        with self._lock:
            for k, v in s.items():
                self.window[k] = max(self.window[k], v)
                self.total[k] = max(self.total[k], v)

    def peaks(self) -> dict[str, float]:
        """Peaks since the start, in GiB."""
        with self._lock:
            return {f"{k}_gib": round(v / GiB, 2) for k, v in self.total.items()}

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)


# --- the benchmark ------------------------------------------------------------------------------------------------

class Bench:
    """One process's run: the results (continued from <work>/results.json on --resume), the graph steps' times
    and memory, and the budget that stops the graph at a stage boundary."""

    def __init__(self, args: argparse.Namespace) -> None:
        import torch

        self.args = args
        self.size = "tiny" if args.tiny else "full"
        self.work = Path(args.work).resolve()
        self.out = self.work / "reel"
        self.device = torch.device("cpu" if args.tiny or not torch.cuda.is_available() else "cuda")
        self.guess = dict(GUESS_S[self.size])
        if not args.tiny and MUSIC_GUESS_S.get(args.music):
            self.guess["music"] = float(MUSIC_GUESS_S[args.music] or 0.0)
        self.results = self._load_results()
        self.run: dict[str, Any] = {"run": len(self.results["runs"]) + 1, "started": time.time(), "nodes": [],
                                    "stopped": None, "error": None}
        self.results["runs"].append(self.run)
        self.watch = MemoryWatch(self.device)
        self.held: Any = None
        if args.hold_vllm_share and self.device.type == "cuda":  # the share taken, as a vLLM server would hold it
            share = int(torch.cuda.get_device_properties(self.device).total_memory * args.vllm_fraction)
            self.held = torch.empty(share, dtype=torch.uint8, device=self.device)
            self.run["held_vllm_share_gib"] = round(share / GiB, 2)
        self.shots_total = args.shots
        self.committed = 0  # shots committed before this step (the run's, over all processes)
        self.committed_here = 0
        self.last_event = time.perf_counter()
        self.render_t0 = 0.0

    def _load_results(self) -> dict[str, Any]:
        path = self.work / "results.json"
        if self.args.resume and path.is_file():
            old: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return old
        import diffusers
        import torch
        import transformers

        gpu = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else platform.processor()
        card = torch.cuda.get_device_properties(self.device).total_memory if self.device.type == "cuda" else 0
        return {
            "benchmark": "studio_gpu", "tiny": self.args.tiny,
            "configuration": "a: few-step preset, " + (f"one clip over {world} processes ({self.args.parallel})"
                                                       if (world := parallel_world(self.args.parallel)) > 1
                                                       else "one GPU"),
            "parallel": self.args.parallel, "music": self.args.music,
            "machine": {"device": gpu or platform.machine(), "card_gib": round(card / GiB, 2),
                        "cpu_count": os.cpu_count()},
            "versions": {"python": platform.python_version(), "torch": torch.__version__,
                         "diffusers": diffusers.__version__, "transformers": transformers.__version__},
            "request": self.request_fields(), "vllm_fraction": self.args.vllm_fraction,
            "vllm_share_gib": round(card / GiB * self.args.vllm_fraction, 2),
            "image_steps": self.args.image_steps, "video_steps": self.args.video_steps,
            "compile": False, "runs": [], "reel": {},
        }

    def request_fields(self) -> dict[str, Any]:
        a = self.args
        return {"prompt": a.prompt, "shots": a.shots, "languages": a.languages, "shot_seconds": a.shot_seconds,
                "width": a.width, "height": a.height, "fps": a.fps, "critic": True, "max_attempts": 1, "seed": 0}

    def save(self) -> None:
        text = json.dumps(self.results, indent=2, default=str).replace(str(self.work), "<work>")
        for path in {self.work / "results.json", Path(self.args.out).resolve()}:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)

    def elapsed(self) -> float:
        return time.perf_counter() - T0

    # --- models built before the graph ---
    def build(self, profile_path: Path, kinds: list[str]) -> None:
        """Build (and place) the models of `kinds` as the graph will use them; times, memory and the plans."""
        import torch

        from reelgraph.config import load_profile
        from reelgraph.executors import get_backend

        profile = load_profile(profile_path)
        built: dict[str, Any] = {}
        self.run["build"] = built
        for kind in kinds:
            t = time.perf_counter()
            backend = get_backend(kind, profile)  # type: ignore[arg-type]
            params = 0
            if kind in ("image", "video"):
                pipe = backend.pipe
                params = sum(p.numel() for m in pipe.components.values() if isinstance(m, torch.nn.Module)
                             for p in m.parameters())
            elif kind == "music":
                backend._load()
                model = getattr(backend, "_model", None) or getattr(backend, "_pipe", None)
                modules = model.components.values() if hasattr(model, "components") else [model]
                params = sum(p.numel() for m in modules if isinstance(m, torch.nn.Module) for p in m.parameters())
            else:
                for lang in self.args.languages:
                    voice, _ = backend._voice(backend._language(lang))
                    params += sum(p.numel() for p in voice.model.parameters())
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            mem = self.watch.sample()
            built[kind] = {"s": round(time.perf_counter() - t, 2), "params_b": round(params / 1e9, 3),
                           "allocated_after_gib": round(torch.cuda.memory_allocated(self.device) / GiB, 2)
                           if self.device.type == "cuda" else None,
                           "device_used_after_gib": round(mem["device_used"] / GiB, 2)}
            log(f"built {kind}: {params / 1e9:.2f} B parameters in {built[kind]['s']} s")
            self.save()
        plans = {}
        for kind in ("image", "video"):
            if kind in kinds:
                b = get_backend(kind, profile)  # type: ignore[arg-type]
                plans[kind] = {"plan": b.plan.describe() if b.plan else None, "speed": b.speed}
        self.run["plans"] = plans
        self.run["build_s"] = round(sum(v["s"] for v in built.values()), 2)
        self.run["memory_after_build"] = self.watch.take()
        self.save()

    # --- the graph's steps ---
    def on_event(self, mode: str, chunk: Any) -> None:
        """Each finished graph step: its time, memory and shot; then whether the next stage fits the budget."""
        if mode != "updates" or not isinstance(chunk, dict):
            return
        now = time.perf_counter()
        seconds, self.last_event = now - self.last_event, now
        peak = self.watch.take()
        nodes = [n for n in chunk if not n.startswith("__")]
        if (chunk.get("__metadata__") or {}).get("cached"):  # a step an earlier run finished, restored on resume
            self.run["nodes"].append({"node": "resume", "stage": "resume", "s": round(seconds, 3), **peak,
                                      "restored": nodes})
            log(f"resume: restored {', '.join(nodes)} from the checkpoint in {seconds:.1f} s")
            self.save()
            return
        for i, node in enumerate(nodes):
            row: dict[str, Any] = {"node": node, "stage": STAGE_OF.get(node, node),
                                   "s": round(seconds if i == 0 else 0.0, 3), **peak}
            if node in SHOT_NODES:
                row["shot"] = self.committed + 1
            if node == "tools":
                row["tools"] = sorted(set(tool_names(chunk[node])))
            self.run["nodes"].append(row)
            if node == "commit":
                self.committed += 1
                self.committed_here += 1
            log(f"{node}{' shot ' + str(row['shot']) if 'shot' in row else ''}: {row['s']:.1f} s, "
                f"peak allocated {peak['allocated_gib']} GiB, device used {peak['device_used_gib']} GiB")
        self.run["render_s"] = round(now - self.render_t0, 2)
        self.save()
        if nodes:
            self.check_budget(nodes[-1])

    def shot_seconds(self) -> list[float]:
        """Wall time of each shot finished in this process."""
        per: dict[int, float] = {}
        for r in self.run["nodes"]:
            if "shot" in r:
                per[r["shot"]] = per.get(r["shot"], 0.0) + r["s"]
        done = {r["shot"] for r in self.run["nodes"] if r["node"] == "commit"}
        return [v for k, v in per.items() if k in done]

    def check_budget(self, node: str) -> None:
        """Raise Stop when the stage after `node` would end past the budget (or --max-shots is reached)."""
        left_shots = self.shots_total - self.committed
        if node in ("cast", "commit"):
            if left_shots > 0:
                if self.args.max_shots and self.committed_here >= self.args.max_shots:
                    raise Stop(f"--max-shots {self.args.max_shots} reached")
                measured = self.shot_seconds()
                nxt, est = "a shot", (max(measured) * 1.05 if measured else self.guess["shot"])
            else:
                nxt, est = "music", self.guess["music"]
        elif node == "music":
            nxt, est = "voice", self.guess["voice"]
        elif node == "voice":
            nxt, est = "compose", self.guess["compose"]
        else:
            return
        if self.elapsed() + est > self.args.budget_s:
            raise Stop(f"{nxt} (~{est:.0f} s) would pass the {self.args.budget_s:.0f} s budget "
                       f"at {self.elapsed():.0f} s")


def tool_names(update: Any) -> list[str]:
    """Names of the tools whose messages a tools-node update carries."""
    names: list[str] = []
    if isinstance(update, dict):
        for v in update.values():
            names += tool_names(v)
    elif isinstance(update, list | tuple):
        for v in update:
            names += tool_names(v)
    elif getattr(update, "type", None) == "tool" and getattr(update, "name", None):
        names.append(str(update.name))
    elif hasattr(update, "update") and not isinstance(update, dict):
        names += tool_names(update.update)
    return names


# --- what the run made ------------------------------------------------------------------------------------------

def _gib(meta: dict[str, Any], key: str = "peak_memory_bytes") -> dict[str, float]:
    return {k: round(v / GiB, 2) for k, v in (meta.get(key) or {}).items()}


def take_summary(result: Any) -> dict[str, Any]:
    """One committed shot: its kept take's keyframe and clip (times, peaks, plans), and the critic's verdict."""
    take = result.takes[result.kept - 1]
    out: dict[str, Any] = {"shot": result.shot, "attempts": len(result.takes),
                           "score": take.verdict.score if take.verdict else None,
                           "defects": [str(d) for d in (take.verdict.defects if take.verdict else [])][:8]}
    if take.keyframe is not None:
        k = take.keyframe.meta
        out["keyframe"] = {"wall_s": k.get("wall_s"), "timings_s": k.get("timings_s"), "peak_gib": _gib(k),
                           "conditioning": k.get("conditioning"), "steps": k.get("steps"),
                           "generated": k.get("generated"), "memory_plan": k.get("memory_plan")}
    c = take.clip.meta
    den = c.get("denoise") or {}
    out["clip"] = {"mode": c.get("mode"), "wall_s": c.get("wall_s"), "timings_s": c.get("timings_s"),
                   "peak_gib": _gib(c), "steps": c.get("steps"), "guidance": c.get("guidance"),
                   "chunks": c.get("chunks"), "generated": c.get("generated"), "frames": c.get("frames"),
                   "forwards": den.get("forwards"), "first_forward_s": den.get("first_forward_s"),
                   "median_forward_s": den.get("median_forward_s"), "memory_plan": c.get("memory_plan"),
                   "speed": c.get("speed"), "other_ranks_peak_gib": _gib(c, "parallel_peak_memory_bytes")}
    return out


def collect(b: Bench) -> None:
    """The reel so far: per shot (kept takes), per stage over every run, totals, and the final reel's probe."""
    from reelgraph.media.ffmpeg import probe_video
    from reelgraph.run.lifecycle import read_run, snapshot_of
    from reelgraph.state import ReelState

    res = b.results
    snap = snapshot_of(b.out, read_run(b.out))
    if not snap.values:
        return
    state = ReelState.model_validate(snap.values)
    reel: dict[str, Any] = {"complete": state.final is not None, "shots_committed": len(state.done)}
    runs = res["runs"]
    stages: dict[str, float] = {}
    stage_peak: dict[str, float] = {}
    per_shot: dict[int, dict[str, Any]] = {}
    for run in runs:
        for r in run.get("nodes", []):
            stages[r["stage"]] = round(stages.get(r["stage"], 0.0) + r["s"], 2)
            stage_peak[r["stage"]] = max(stage_peak.get(r["stage"], 0.0), r.get("device_used_gib", 0.0))
            if "shot" in r:
                s = per_shot.setdefault(r["shot"], {"wall_s": 0.0, "keyframe_s": 0.0, "clip_s": 0.0,
                                                    "critic_s": 0.0, "peak_allocated_gib": 0.0,
                                                    "peak_device_used_gib": 0.0, "run": run["run"]})
                s["wall_s"] = round(s["wall_s"] + r["s"], 2)
                tools = r.get("tools") or []
                if "render_keyframe" in tools:
                    s["keyframe_s"] = round(s["keyframe_s"] + r["s"], 2)
                elif any(t in tools for t in ("animate_keyframe", "bridge_from_previous")):
                    s["clip_s"] = round(s["clip_s"] + r["s"], 2)
                elif r["node"] == "critic":
                    s["critic_s"] = round(s["critic_s"] + r["s"], 2)
                s["peak_allocated_gib"] = max(s["peak_allocated_gib"], r.get("allocated_gib", 0.0))
                s["peak_device_used_gib"] = max(s["peak_device_used_gib"], r.get("device_used_gib", 0.0))
    shots = []
    for result in state.done:
        shots.append({**per_shot.get(result.shot, {}), **take_summary(result)})
    reel["shots"] = shots
    reel["stages_s"] = stages
    reel["stage_peak_device_used_gib"] = stage_peak
    reel["render_s_sum"] = round(sum(r.get("render_s", 0.0) for r in runs), 2)
    reel["weight_build_s"] = [r.get("build_s") for r in runs]
    reel["peak_gib"] = {k: max(r.get("peak", {}).get(k, 0.0) for r in runs)
                        for k in ("allocated_gib", "reserved_gib", "device_used_gib")}
    card = res["machine"]["card_gib"]
    if card:  # the studio's own peaks against what the vLLM share leaves (a held share is taken off again)
        held = max(r.get("held_vllm_share_gib", 0.0) for r in runs)
        room = card * (1 - res["vllm_fraction"])
        own = {k: round(v - held, 2) for k, v in reel["peak_gib"].items()}
        reel["beside_vllm"] = {"room_gib": round(room, 2), "share_held_gib": held, "studio_peak_gib": own,
                               "allocated_fits": own["allocated_gib"] <= room,
                               "device_used_fits": own["device_used_gib"] <= room,
                               "alloc_conf": os.environ.get("PYTORCH_CUDA_ALLOC_CONF")}
    forwards = [s["clip"]["median_forward_s"] for s in shots if s.get("clip", {}).get("median_forward_s")]
    if forwards:
        reel["median_forward_s"] = round(statistics.median(forwards), 3)
    firsts = [v for s in shots[:1] for v in (s.get("clip", {}).get("first_forward_s") or {}).values()]
    if firsts and forwards:
        reel["first_forward_warmup_s"] = round(sum(max(0.0, f - reel["median_forward_s"]) for f in firsts), 2)
    if state.masters:
        reel["masters"] = {slug: {"wall_s": a.meta.get("wall_s"), "timings_s": a.meta.get("timings_s"),
                                  "peak_gib": _gib(a.meta)} for slug, a in state.masters.items()}
    if state.music is not None:
        m = state.music.meta
        reel["music"] = {"seconds": m.get("seconds"), "segments": m.get("segments"), "timings": m.get("timings")}
    if state.final is not None:
        path = b.out / state.final.path
        reel["final"] = {"path": state.final.path, "bytes": path.stat().st_size, **probe_video(path)}
        reel["reels"] = sorted(state.reels)
    res["reel"] = reel


# --- main -------------------------------------------------------------------------------------------------------

def needed_kinds(b: Bench) -> list[str]:
    """The backends the run's remaining stages use (all for a new run)."""
    from reelgraph.run.lifecycle import read_run, snapshot_of
    from reelgraph.state import ReelState

    if not (b.out / "run.json").is_file():
        return ["image", "video", "music", "speech"]
    snap = snapshot_of(b.out, read_run(b.out))
    if not snap.values:
        return ["image", "video", "music", "speech"]
    state = ReelState.model_validate(snap.values)
    b.committed = len(state.done)
    if state.final is not None:
        return []
    if len(state.done) < b.shots_total:
        return ["image", "video", "music", "speech"]
    return ["speech"] if state.music is not None else ["music", "speech"]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work", required=True, help="folder for the profile, voice configs, step LoRA and run folder")
    p.add_argument("--out", default=None, help="results JSON (default benchmarks/results/studio_gpu_<gpu>.json)")
    p.add_argument("--resume", action="store_true", help="continue the reel in --work (a new one if there is none)")
    p.add_argument("--fresh", action="store_true", help="remove a run folder already in --work first")
    p.add_argument("--tiny", action="store_true", help="tiny models on the CPU, a small reel (checks the path)")
    p.add_argument("--budget-s", type=float, default=None, help="stop at a stage boundary before passing this")
    p.add_argument("--max-shots", type=int, default=0, help="stop after this many shots in this process (0: no limit)")
    p.add_argument("--vllm-fraction", type=float, default=0.2, help="share of the card kept for the Director/VLM")
    p.add_argument("--hold-vllm-share", action="store_true", help="allocate that share first (as a vLLM server "
                   "beside the studio would hold it): peaks then include it")
    p.add_argument("--image-steps", type=int, default=None, help="FLUX steps (default 8; --tiny 4)")
    p.add_argument("--video-steps", type=int, default=4, help="Wan steps of the few-step preset")
    p.add_argument("--prompt", default=PROMPT)
    p.add_argument("--shots", type=int, default=None, help="default 6 (--tiny 3)")
    p.add_argument("--languages", default="en,fr")
    p.add_argument("--music", choices=sorted(MUSIC), default="musicgen", help="the score's model")
    p.add_argument("--parallel", default="", help="one clip over several GPUs, e.g. ulysses=2 or ring=2 "
                   "(the video option parallel; --tiny: processes on the CPU)")
    args = p.parse_args(argv)
    args.parallel = parse_parallel(p, args.parallel)
    args.languages = [x for x in args.languages.split(",") if x]
    args.shots = args.shots or (3 if args.tiny else 6)
    args.image_steps = args.image_steps or (4 if args.tiny else 8)
    args.shot_seconds, args.fps = (1.0, 8) if args.tiny else (5.0, 16)
    args.width, args.height = (128, 72) if args.tiny else (1280, 720)
    if args.budget_s is None:
        args.budget_s = 1e9 if args.tiny else 540.0
    return args


def parse_parallel(p: argparse.ArgumentParser, text: str) -> dict[str, int]:
    """`ulysses=2,ring=1` as the video option's table."""
    out: dict[str, int] = {}
    for part in filter(None, (x.strip() for x in text.split(","))):
        key, _, value = part.partition("=")
        if key not in ("ulysses", "ring") or not value.isdigit():
            p.error(f"--parallel: {part!r} is not ulysses=N or ring=N")
        out[key] = int(value)
    return out


def parallel_world(parallel: dict[str, int]) -> int:
    return int(parallel.get("ulysses", 1)) * int(parallel.get("ring", 1))


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    import torch

    if not args.tiny and not torch.cuda.is_available():
        print("no CUDA GPU: full-size models need one (use --tiny to check the path on the CPU)", file=sys.stderr)
        return 2
    work = Path(args.work).resolve()
    if args.fresh and (work / "reel").exists():
        shutil.rmtree(work / "reel")
    if not args.resume and (work / "reel" / "run.json").exists():
        print(f"{work / 'reel'} already holds a reel: --resume it or --fresh", file=sys.stderr)
        return 2
    if args.out is None:
        gpu = "cpu_tiny" if args.tiny else torch.cuda.get_device_name().lower().replace(" ", "_")
        slug = "".join(c for c in gpu if c.isalnum() or c == "_")
        args.out = str(ROOT / "benchmarks" / "results" / f"studio_gpu_{slug}.json")
    b = Bench(args)
    log(f"{b.results['machine']['device']} ({b.results['machine']['card_gib']} GiB); run {b.run['run']}; "
        f"results -> {args.out}")
    from reelgraph.run import lifecycle

    try:
        profile, prep = prepare(args, work, b.device)
        b.run["prepare"] = prep
        resuming = args.resume and (b.out / "run.json").is_file()
        b.run["mode"] = "resume" if resuming else "new"
        if args.resume and not resuming:
            b.run["note"] = "resume asked for, but --work held no run: a new reel"
        kinds = needed_kinds(b) if resuming else ["image", "video", "music", "speech"]
        b.build(profile, kinds)
        b.watch.take()
        b.last_event = b.render_t0 = time.perf_counter()
        if b.committed >= b.shots_total and not kinds:
            log("the reel is already complete")
        elif resuming:
            lifecycle.resume(b.out, b.on_event)
        else:
            request = lifecycle.parse_request(**b.request_fields())
            lifecycle.generate(request, b.out, str(profile), b.on_event)
    except Stop as stop:
        b.run["stopped"] = str(stop)
        log(f"stopped: {stop}; continue with --resume")
    except Exception as e:  # recorded with the figures so far
        b.run["error"] = f"{type(e).__name__}: {e}"
        b.run["trace"] = traceback.format_exc()[-4000:]
        log(f"ERROR: {b.run['error']}")
    finally:
        if b.render_t0:
            b.run["render_s"] = round(time.perf_counter() - b.render_t0, 2)
        b.run["peak"] = b.watch.peaks()
        b.watch.close()
        b.run["process_s"] = round(b.elapsed(), 2)
        try:
            collect(b)
        except Exception as e:  # the figures of the steps stay
            b.run["collect_error"] = f"{type(e).__name__}: {e}"
        b.save()
    print(table(b.results), flush=True)
    return 1 if b.run["error"] else 0


def table(res: dict[str, Any]) -> str:
    """A short summary: runs, stages, shots, totals."""
    reel = res.get("reel") or {}
    lines = [f"{res['machine']['device']} ({res['machine']['card_gib']} GiB), vLLM share {res['vllm_fraction']}"]
    for r in res["runs"]:
        lines.append(f"run {r['run']} ({r.get('mode')}): build {r.get('build_s')} s, render {r.get('render_s')} s, "
                     f"peak device used {r.get('peak', {}).get('device_used_gib')} GiB"
                     + (f", stopped: {r['stopped']}" if r.get("stopped") else "")
                     + (f", ERROR {r['error']}" if r.get("error") else ""))
    for stage, s in (reel.get("stages_s") or {}).items():
        lines.append(f"  {stage:<8} {s:8.1f} s  peak device used {reel['stage_peak_device_used_gib'].get(stage)} GiB")
    for s in reel.get("shots") or []:
        clip = s.get("clip") or {}
        lines.append(f"  shot {s['shot']}: {s.get('wall_s')} s (keyframe {s.get('keyframe_s')}, clip {s.get('clip_s')}"
                     f" {clip.get('mode')}, critic {s.get('critic_s')}), score {s.get('score')}, "
                     f"peak {s.get('peak_device_used_gib')} GiB")
    if reel:
        lines.append(f"reel complete: {reel.get('complete')}; render {reel.get('render_s_sum')} s over "
                     f"{len(res['runs'])} run(s); peak {reel.get('peak_gib')}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
