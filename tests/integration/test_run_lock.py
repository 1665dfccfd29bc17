"""One run folder, one writer: a second writer is refused while the first lives; a killed one leaves no stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from reel_helpers import ROOT, cli

from reelgraph.run.lock import LOCK_FILE, run_lock

SMALL = ["--shots", "1", "--seconds", "1", "--width", "128", "--height", "72", "--fps", "8", "--no-critic"]


def test_second_writer_is_refused_then_allowed(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert cli("generate", "--prompt", "A dog on a beach", "--out", str(out), *SMALL).returncode == 0
    with run_lock(out):
        busy = cli("resume", "--out", str(out))
        assert busy.returncode == 2 and "in use by another reelgraph run" in busy.stderr
        assert f"pid {os.getpid()}" in busy.stderr
    assert cli("resume", "--out", str(out)).returncode == 0


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    out = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from reelgraph.run.lock import run_lock\n"
                               "with run_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
                               str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    refused = cli("generate", "--prompt", "A dog on a beach", "--out", str(out), *SMALL)
    assert refused.returncode == 2 and "in use" in refused.stderr
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (out / LOCK_FILE).exists()  # the file stays; the lock went with the process
    time.sleep(0.1)
    proc = cli("generate", "--prompt", "A dog on a beach", "--out", str(out), *SMALL)
    assert proc.returncode == 0, proc.stderr[-2000:]
