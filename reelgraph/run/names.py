"""The names the studio gives files in a run folder: which folders it owns, and its scratch (partial) files.

A scratch file sits beside the file it becomes, `.<tag><stem>.<pid>.tmp<suffix>`, so that a writer that died can be
told from a live one by its pid. Only scratch names of files the studio makes, in the folders it makes, are ever
swept: anything else in a folder given as `--out` is the user's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

LANG = r"[a-z]{2}"
OWNED: dict[str, str] = {  # folder (relative to the run folder) -> the stems of the files the studio writes there
    "": rf"run|thread|summary|script|reel_picture|reel_(?:final|{LANG})(?:\.v\d+)?",
    "masters": r"[a-z0-9][a-z0-9_-]{0,47}",
    "audio": rf"music|mix_{LANG}|voice_{LANG}",
    "subtitles": LANG,
}
OWNED_PATTERNS: dict[str, str] = {  # folders named by pattern
    r"shots/shot\d{2,3}": r"take\d+(?:_key|_first|_verdict)?|kept",
    rf"audio/voice/{LANG}": r"shot\d{2,3}(?:\.fit)?",
}
TAGS = ("level-", "fit-")
_SCRATCH = re.compile(r"^\.(?P<tag>" + "|".join(TAGS) + r")?(?P<stem>[A-Za-z0-9][A-Za-z0-9_.-]*?)\.(?P<pid>\d+)"
                      r"\.tmp(?P<suffix>\.[A-Za-z0-9]+)?$")


@dataclass(frozen=True)
class Scratch:
    """A parsed scratch name: the file it becomes (stem + suffix), its writer's pid and its tag."""

    stem: str
    pid: int
    suffix: str
    tag: str


def parse_scratch(name: str) -> Scratch | None:
    """The parts of a scratch file name, or None for any other name."""
    m = _SCRATCH.match(name)
    if not m:
        return None
    return Scratch(m["stem"], int(m["pid"]), m["suffix"] or "", m["tag"] or "")


def scratch_path(final: Path, tag: str = "", suffix: str | None = None) -> Path:
    """The scratch path this process writes `final` through (`tag`: a helper file of that write, e.g. 'level-').

    `final` may itself be a scratch path: the helper is then named after the file it becomes.
    """
    if tag not in ("", *TAGS):
        raise ValueError(f"unknown scratch tag {tag!r}")
    parsed = parse_scratch(final.name)
    stem, own_suffix = (parsed.stem, parsed.suffix) if parsed else (final.stem, final.suffix)
    return final.with_name(f".{tag}{stem}.{os.getpid()}.tmp{own_suffix if suffix is None else suffix}")


def owned_stems(folder: str) -> re.Pattern[str] | None:
    """The stems of the files the studio writes in `folder` (relative, '/'-separated), or None: not its folder."""
    if folder in OWNED:
        return re.compile(rf"^(?:{OWNED[folder]})$")
    for pattern, stems in OWNED_PATTERNS.items():
        if re.fullmatch(pattern, folder):
            return re.compile(rf"^(?:{stems})$")
    return None


def owned_folders(root: Path) -> list[Path]:
    """The folders under `root` that the studio makes (and that exist, as real folders, not links)."""
    found = []
    for rel in OWNED:
        path = root / rel if rel else root
        if path.is_dir() and not path.is_symlink():
            found.append(path)
    for parent, name in (("shots", r"shot\d{2,3}"), ("audio/voice", LANG)):
        base = root / parent
        if base.is_dir() and not base.is_symlink() and not (root / parent.split("/")[0]).is_symlink():
            found += [p for p in sorted(base.iterdir())
                      if re.fullmatch(name, p.name) and p.is_dir() and not p.is_symlink()]
    return found


def is_studio_scratch(root: Path, path: Path) -> Scratch | None:
    """The parsed scratch name when `path` is a scratch file the studio itself would make there, else None."""
    parsed = parse_scratch(path.name)
    if parsed is None:
        return None
    rel = path.parent.relative_to(root).as_posix()
    stems = owned_stems("" if rel == "." else rel)
    return parsed if stems is not None and stems.match(parsed.stem) else None
