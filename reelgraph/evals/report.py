"""report.html: one self-contained page (inline CSS, PNGs embedded as data URIs) from an eval's metrics document."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

from reelgraph.evals.plots import all_plots
from reelgraph.evals.worker import CONTACT

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;padding:3px 7px;vertical-align:top}
th{background:#f4f4f4;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#1e8449;font-weight:bold}.failed,.error,.crashed,.timeout{color:#c0392b;font-weight:bold}
pre{white-space:pre-wrap;max-width:900px;background:#fbeeee;padding:6px;font-size:12px}
.plots img{margin:4px;border:1px solid #eee}details{margin:4px 0}
"""

COLUMNS = [("shots", "shots"), ("score_mean", "score"), ("score_min", "min"), ("attempts_mean", "takes"),
           ("first_pass_rate", "1st pass"), ("identity_distance_max", "identity ↓"), ("flicker_max", "flicker ↓"),
           ("seam_max", "seam ↓"), ("shot_duration_error_max_s", "dur err s"), ("loudness_lufs", "LUFS"),
           ("true_peak_dbtp", "dBTP"), ("subtitle_offset_max_s", "sub offs s"), ("subtitle_overlap_s", "cue overlap s"),
           ("lip_share_voiced", "lips in voice"), ("lip_outside_own_lines", "lips astray ↓"), ("wall_s", "wall s"),
           ("peak_rss_mb", "peak MiB"), ("checkpoint_count", "ckpts"),
           ("checkpoint_bytes", "ckpt bytes")]


def esc(text: str) -> str:
    """HTML-escaped, with control and invisible format characters (bidi overrides, ESC, zero-width) shown as codes."""
    shown = "".join(ch if ch.isprintable() or ch in "\n\t " else f"\\u{ord(ch):04x}" for ch in str(text))
    return escape(shown)


def img(png: bytes, alt: str, width: int | None = None) -> str:
    """An `<img>` tag with the PNG embedded as a data URI."""
    size = f' width="{width}"' if width else ""
    return f'<img alt="{esc(alt)}"{size} src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return esc(str(v))


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _cell(v: Any, numeric: bool = True) -> str:
    return f'<td class="n">{_fmt(v)}</td>' if numeric else f"<td>{_fmt(v)}</td>"


def summary_section(doc: dict[str, Any]) -> str:
    """The summary table, any stray files, and the regression gate's verdict, regressions and missed targets."""
    s = doc["summary"]
    rows = [[_cell(k, False), _cell(v)] for k, v in [
        ("cases", s["cases"]), ("passed", s["passed"]), ("by status", ", ".join(f"{k}: {v}" for k, v in
                                                                                s["by_status"].items())),
        ("shots", s["shots"]), ("mean kept score", s["score_mean"]), ("first-pass acceptance", s["first_pass_rate"]),
        ("takes per shot", s["attempts_mean"]), ("wall time (s)", doc["wall_s"]), ("parallel jobs", doc["jobs"])]]
    html = "<h2>Summary</h2>" + _table(["", ""], rows)
    if doc.get("stray_files"):
        html += "<pre>files outside every case folder: " + esc(", ".join(doc["stray_files"])) + "</pre>"
    gate = doc.get("gate")
    if gate:
        verdict = '<span class="passed">passed</span>' if gate["passed"] else '<span class="failed">FAILED</span>'
        html += (f"<h2>Regression gate: {verdict}</h2><p>baseline {esc(gate['baseline'])}: {gate['checked']} "
                 f"values checked; skipped {esc(', '.join(gate['skipped']) or 'none')}; new "
                 f"{esc(', '.join(gate['new']) or 'none')}</p>")
        if gate["regressions"]:
            html += _table(["case", "metric", "baseline", "now", "allowed"], [
                [_cell(r["case"], False), _cell(r["metric"], False), _cell(r["baseline"]), _cell(r["value"]),
                 _cell(r["limit"], False)] for r in gate["regressions"]])
        if gate.get("targets_missed"):
            html += "<p>fidelity targets missed:</p>" + _table(["case", "figure", "now", "wanted"], [
                [_cell(r["case"], False), _cell(r["metric"], False), _cell(r["value"]), _cell(r["limit"], False)]
                for r in gate["targets_missed"]])
    return html


FIDELITY_COLUMNS = [("cast_recall", "cast recall"), ("cast_precision", "cast precision"),
                    ("place_accuracy", "place"), ("place_shot_share", "place shots"), ("coverage", "coverage"),
                    ("distinct_lines", "distinct lines"), ("first_pass_rate", "1st pass"),
                    ("final_pass_rate", "final pass"), ("attempts_mean", "takes"), ("constraints", "constraints")]


def _ok_cell(ok: bool | None) -> str:
    if ok is None:
        return "<td>–</td>"
    return '<td><span class="passed">ok</span></td>' if ok else '<td><span class="failed">missed</span></td>'


def fidelity_section(doc: dict[str, Any]) -> str:
    """Fidelity to the story: the overall figures against their targets, then one row per case."""
    over = doc.get("fidelity") or {}
    rows = [r for r in doc["cases"] if r.get("fidelity")]
    if not rows:
        return ""
    targets = over.get("targets", {})
    html = (f"<h2>Fidelity to the story</h2><p>{over.get('measured', 0)} of {over.get('cases', 0)} annotated cases "
            f"measured{'; not measured: ' + esc(', '.join(over['unmeasured'])) if over.get('unmeasured') else ''}</p>")
    html += _table(["figure", "overall", "target", ""], [
        [_cell(label, False), _cell(over.get("figures", {}).get(key)), _cell(targets.get(key, {}).get("target")),
         _ok_cell(targets[key]["ok"] if key in targets else None)] for key, label in FIDELITY_COLUMNS])
    body = []
    for r in rows:
        f = r["fidelity"]
        place = f"{f.get('place_main') or '–'} (wanted {', '.join(f.get('place_wanted') or []) or '–'})"
        missed = [f"{k}: {c['detail']}" for k, c in (f.get("checks") or {}).items() if not c["ok"]]
        notes = "; ".join(
            ([f"missing cast: {', '.join(f['cast_missing'])}"] if f.get("cast_missing") else [])
            + ([f"invented: {', '.join(f['cast_invented'])}"] if f.get("cast_invented") else [])
            + missed + ([f"repeated: {' | '.join(f['repeated_lines'][:3])}"] if f.get("repeated_lines") else [])
            + ([f"error: {f['error']}"] if f.get("error") else []) + ([] if f["measured"] else ["not measured"]))
        body.append([_cell(r["id"], False), _cell(f.get("language"), False),
                     *[_cell(f.get(k)) for k, _ in FIDELITY_COLUMNS], _cell(place, False), _cell(notes, False)])
    return html + _table(["case", "lang", *[label for _, label in FIDELITY_COLUMNS], "main place", "notes"], body)


def _case_row(row: dict[str, Any], folder: Path) -> list[str]:
    m = row.get("metrics") or {}
    status = f'<td><span class="{esc(row["status"])}">{esc(row["status"])}</span></td>'
    prompt = row.get("prompt_head") or ""
    prompt = prompt[:90] + ("…" if row.get("prompt_chars", 0) > 90 else "")
    name = (f"<td><b>{esc(row['id'])}</b><br><small>{esc(', '.join(row['tags']))}</small><br>"
            f"<small title=\"{row.get('prompt_chars', 0)} characters\">{esc(prompt)}</small></td>")
    cells = [name, status, _cell(", ".join(row["request"].get("languages", [])), False)]
    cells += [_cell(m.get(key)) for key, _ in COLUMNS]
    contact = folder / row["home"] / CONTACT
    cells.append(f"<td>{img(contact.read_bytes(), 'kept takes of ' + row['id'], 320)}</td>" if contact.is_file()
                 else "<td>–</td>")
    return cells


def _failure(row: dict[str, Any]) -> str:
    bad = {k: c for k, c in row["checks"].items() if not c["ok"]}
    parts = [f"<h3 id=\"{esc(row['id'])}\">{esc(row['id'])}: {esc(row['status'])}</h3>",
             f'<p>run folder: <a href="{esc(row["run_dir"])}/">{esc(row["run_dir"])}</a> · case folder: '
             f'<a href="{esc(row["home"])}/">{esc(row["home"])}</a></p>']
    if row.get("error"):
        parts.append(f"<pre>{esc(row['error'])}</pre>")
    if bad:
        parts.append("<pre>" + esc("\n".join(f"{k}: {c['detail']}" for k, c in bad.items())) + "</pre>")
    tail = row.get("traceback") or row.get("log")
    if tail:
        parts.append(f"<details><summary>log</summary><pre>{esc(tail)}</pre></details>")
    return "".join(parts)


def _details(row: dict[str, Any]) -> str:
    shots = row.get("shots") or []
    if not shots:
        return ""
    shot_rows = [[_cell(s["shot"]), _cell(s["kept"]), _cell(", ".join(_fmt(x) for x in s["scores"]), False),
                  _cell(", ".join(s["defects"]), False), _cell(s["transition"], False), _cell(s["seam"]),
                  _cell(s["flicker"]), _cell(", ".join(f"{k} {v:.2f}" for k, v in s["identity"].items()), False),
                  _cell(s["duration_s"])] for s in shots]
    langs = [[_cell(k, False), _cell(v["lufs"]), _cell(v["true_peak_dbtp"]), _cell(v["offset_max_s"]),
              _cell(v["duration_error_max_s"]), _cell(v["overlap_s"]), _cell(v["truncated_s"])]
             for k, v in (row.get("languages") or {}).items()]
    mem = (row.get("metrics") or {}).get("stage_peak_rss_mb") or {}
    stages = [[_cell(k, False), _cell((row.get("stage_seconds") or {}).get(k)), _cell(mem.get(k))]
              for k in dict.fromkeys([*(row.get("stage_seconds") or {}), *mem])]
    return (f"<details><summary>{esc(row['id'])}: {esc(row.get('title') or '')}</summary>"
            + _table(["shot", "kept", "scores", "defects", "transition", "seam", "flicker", "identity", "s"], shot_rows)
            + _table(["language", "LUFS", "dBTP", "sub offset s", "cue vs line s", "cue overlap s", "truncated s"],
                     langs)
            + _table(["stage", "seconds", "peak MiB"], stages) + "</details>")


def build_report(doc: dict[str, Any], folder: Path) -> str:
    """The HTML page for the eval in `folder`."""
    rows = doc["cases"]
    plots = "".join(img(png, name) for name, png in all_plots(rows).items())
    head = ["case", "status", "languages", *[label for _, label in COLUMNS], "kept takes"]
    table = _table(head, [_case_row(r, folder) for r in rows])
    failures = "".join(_failure(r) for r in rows if r["status"] != "passed")
    details = "".join(_details(r) for r in rows)
    title = f"reelgraph eval {doc['stamp']} ({doc['profile']}{', replay' if doc.get('replay') else ''})"
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{esc(title)}</title><style>{CSS}</style>"
            f"</head><body><h1>{esc(title)}</h1>{summary_section(doc)}<h2>Plots</h2><div class=\"plots\">{plots}"
            f"</div><h2>Cases</h2>{table}{fidelity_section(doc)}" + (f"<h2>Failures</h2>{failures}" if failures else "")
            + f"<h2>Per shot</h2>{details}</body></html>")


def write_report(doc: dict[str, Any], folder: Path) -> Path:
    """Write report.html into the eval folder and return its path."""
    path = folder / "report.html"
    path.write_text(build_report(doc, folder), encoding="utf-8")
    return path
