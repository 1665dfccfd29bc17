// The review page: reads the server's own API (/threads/...) and the page's read-only routes (/reel/api/...);
// approve and redo are the calls langgraph-sdk makes (a run resuming the interrupt; a state update, then a run).
"use strict";

const POLL_MS = 1500;
const state = { tid: null, info: null, runId: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

async function api(path, options = {}) {
  const init = { ...options, headers: { "content-type": "application/json" } };
  if (init.body !== undefined) init.body = JSON.stringify(init.body);
  const r = await fetch(path, init);
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(`${init.method || "GET"} ${path}: ${r.status} ${detail}`);
  }
  return r.status === 204 ? null : r.json();
}

function say(text, ok = false) {
  const box = document.getElementById("message");
  box.textContent = text || "";
  box.hidden = !text;
  box.className = ok ? "ok" : "";
}

function fileUrl(path, sha) {
  const url = `/reel/api/threads/${state.tid}/files/${path.split("/").map(encodeURIComponent).join("/")}`;
  return sha ? `${url}?v=${sha.slice(0, 12)}` : url;  // a new version of a file gets a new address
}

function hasFile(path) {
  return !!path && state.info.files.some((f) => f.path === path);
}

function video(art, attrs = {}) {
  return el("video", { src: fileUrl(art.path, art.sha256), controls: true, preload: "metadata", ...attrs });
}

// ---- the list of threads ------------------------------------------------------------------------------------
async function showThreads() {
  const threads = await api("/threads/search", { method: "POST", body: { limit: 100, sort_by: "updated_at",
                                                                           sort_order: "desc" } });
  const rows = threads.map((t) => el("tr", {},
    el("td", {}, el("a", { href: `/reel/threads/${t.thread_id}` }, t.thread_id)),
    el("td", {}, (t.values && t.values.script && t.values.script.title) || ""),
    el("td", {}, t.status), el("td", {}, t.updated_at || "")));
  const main = document.getElementById("main");
  main.replaceChildren(threads.length
    ? el("table", { class: "threads" }, el("tr", {}, el("th", {}, "thread"), el("th", {}, "title"),
                                           el("th", {}, "status"), el("th", {}, "updated")), rows)
    : el("p", {}, "No threads yet: start a run from Studio or langgraph-sdk."));
}

// ---- one thread ---------------------------------------------------------------------------------------------
function approvalOf(snapshot) {
  const found = [...(snapshot.interrupts || [])];
  for (const task of snapshot.tasks || []) found.push(...(task.interrupts || []));
  const hit = found.find((i) => i.value && i.value.kind === "approve_script");
  return hit ? hit.value : null;
}

function verdictBlock(verdict) {
  if (!verdict) return el("p", { class: "verdict meta" }, "no verdict (critic off)");
  return el("div", { class: "verdict" },
    el("span", { class: "score" }, `${Number(verdict.score).toFixed(1)}/10`), " ",
    el("span", { class: "meta" }, verdict.critic || ""),
    verdict.defects && verdict.defects.length ? el("p", { class: "defects" }, verdict.defects.join(", ")) : null,
    el("ul", { class: "reasons" }, (verdict.reasons || []).map((r) => el("li", {}, r))));
}

function takeBlock(take, kept) {
  const key = take.keyframe && take.keyframe.path;
  return el("div", { class: kept ? "take kept" : "take", dataset: { attempt: take.attempt } },
    el("div", { class: "meta" }, `take ${take.attempt}${kept ? " — kept" : ""}`),
    hasFile(take.clip.path) ? video(take.clip, { poster: hasFile(key) ? fileUrl(key, take.keyframe.sha256) : null })
      : el("p", { class: "meta" }, `${take.clip.path} is missing`),
    verdictBlock(take.verdict));
}

function redoBlock(n) {
  const note = el("input", { type: "text", placeholder: "note for the Director (optional)", "aria-label": "note" });
  const button = el("button", { class: "redo-button", onclick: () => redo(n, note.value, button) }, `Redo shot ${n}`);
  return el("div", { class: "redo" }, note, button);
}

function shotBlock(shot, values, finished) {
  const result = (values.done || []).find((r) => r.shot === shot.index);
  const current = !result && values.shot === shot.index ? values.takes || [] : [];
  const takes = result ? result.takes : current;
  return el("section", { class: "shot", dataset: { shot: shot.index } },
    el("h3", {}, `Shot ${shot.index}: ${shot.beat}`),
    el("div", { class: "meta" }, [shot.framing, shot.camera, shot.place || shot.setting, `${shot.duration} s`,
                                   shot.transition].filter(Boolean).join(" · ")),
    (shot.lines || []).length ? el("ul", { class: "reasons" },
      shot.lines.map((l) => el("li", {}, `${l.language || l.lang || ""}: ${l.text}`))) : null,
    takes.length ? el("div", { class: "takes" }, takes.map((t) => takeBlock(t, result && t.attempt === result.kept)))
      : el("p", { class: "meta" }, result ? "" : "not made yet"),
    finished ? redoBlock(shot.index) : null);
}

function reelsBlock(values) {
  const shown = [];
  if (values.final) shown.push(["final", values.final]);
  for (const [name, art] of Object.entries(values.reels || {})) {
    if (!values.final || art.path !== values.final.path) shown.push([name, art]);
  }
  const older = state.info.files.map((f) => f.path).filter((p) => /^reel_[a-z_]+\.v\d+\.mp4$/.test(p));
  if (!shown.length) return null;
  return el("section", {},
    el("h2", {}, "Reels"),
    el("div", { class: "reels" }, shown.filter(([, art]) => hasFile(art.path)).map(([name, art]) =>
      el("figure", { class: "reel", id: `reel-${name}` }, video(art), el("figcaption", {}, art.path)))),
    older.length ? el("p", { class: "meta" }, "Earlier versions: ",
      older.map((p) => [el("a", { href: fileUrl(p) }, p), " "])) : null,
    el("p", { class: "meta" }, "Subtitles: ",
      Object.values(values.subtitles || {}).map((a) => [el("a", { href: fileUrl(a.path, a.sha256) }, a.path), " "])));
}

function mastersBlock(values) {
  const masters = Object.entries(values.masters || {});
  if (!masters.length) return null;
  return el("section", {}, el("h2", {}, "Cast"), el("div", { class: "masters" }, masters.map(([slug, art]) => {
    const caption = el("figcaption", {}, slug);
    const verdict = art.path.replace(/\.png$/, "_verdict.json");
    if (hasFile(verdict)) {
      api(fileUrl(verdict)).then((v) => caption.append(` — ${Number(v.score).toFixed(1)}/10`)).catch(() => {});
    }
    const image = hasFile(art.path) ? el("img", { src: fileUrl(art.path, art.sha256), alt: slug }) : null;
    return el("figure", { class: "master" }, image, caption);
  })));
}

function approvalBlock(asked) {
  const button = el("button", { id: "approve", onclick: () => approve(button) }, "Approve the script");
  return el("section", { class: "approval" },
    el("h2", {}, "Waiting for approval"),
    el("p", {}, `“${asked.script.title}”: ${asked.script.shots.length} shot(s). Approve to render them.`),
    asked.error ? el("p", { class: "defects" }, asked.error) : null, button);
}

function render(thread, snapshot, running) {
  const values = snapshot.values || {};
  const asked = approvalOf(snapshot);
  const script = values.script || (asked && asked.script);
  const finished = !running && thread.status === "idle" && !(snapshot.next || []).length && !!values.final;
  document.getElementById("title").textContent = script ? script.title : `Thread ${state.tid}`;
  document.getElementById("status").textContent =
    `status: ${thread.status}${(snapshot.next || []).length ? ` · next: ${snapshot.next.join(", ")}` : ""}` +
    ` · run folder: ${state.info.out_dir}`;
  document.body.dataset.status = running ? "busy" : thread.status;
  document.body.dataset.finished = finished ? "yes" : "no";
  const main = document.getElementById("main");
  main.replaceChildren(
    asked && !running ? approvalBlock(asked) : el("span"),
    script ? el("p", { class: "meta" }, script.logline || "") : el("p", {}, "Nothing planned yet."),
    reelsBlock(values) || el("span"),
    mastersBlock(values) || el("span"),
    script ? el("section", { id: "shots" }, el("h2", {}, "Shots"),
      script.shots.map((s) => shotBlock(s, values, finished))) : el("span"));
}

async function showThread() {
  const [info, thread, snapshot] = await Promise.all([api(`/reel/api/threads/${state.tid}`),
    api(`/threads/${state.tid}`), api(`/threads/${state.tid}/state`)]);
  const run = state.runId ? await api(`/threads/${state.tid}/runs/${state.runId}`) : null;
  state.info = info;
  const running = thread.status === "busy" || (!!run && ["pending", "running"].includes(run.status));
  if (run && !running) state.runId = null;
  render(thread, snapshot, running);
  if (running) {
    setTimeout(() => showThread().catch((e) => say(e.message)), POLL_MS);
  } else if (run) {
    say(run.status === "error" ? "the run failed: see the server's log" : `the run ended: ${run.status}`,
        run.status !== "error");
  }
}

async function startRun(body) {
  const run = await api(`/threads/${state.tid}/runs`, { method: "POST", body: {
    assistant_id: state.info.assistant_id, context: state.info.context, multitask_strategy: "reject",
    durability: "sync", ...body } });
  state.runId = run.run_id;
  await showThread();
}

async function approve(button) {
  button.disabled = true;
  try {
    say("approving…", true);
    await startRun({ command: { resume: { approved: true } } });
  } catch (e) {
    button.disabled = false;
    say(e.message);
  }
}

async function redo(shot, note, button) {
  button.disabled = true;
  try {
    const query = new URLSearchParams({ shot: String(shot), ...(note ? { note } : {}) });
    const plan = await api(`/reel/api/threads/${state.tid}/redo-plan?${query}`);
    await api(`/threads/${state.tid}/state`, { method: "POST", body: {
      values: plan.values, as_node: plan.as_node, checkpoint_id: plan.checkpoint_id } });
    say(`redoing shot${plan.chain.length > 1 ? "s" : ""} ${plan.chain.join(", ")}…`, true);
    await startRun({ input: null });
  } catch (e) {
    button.disabled = false;
    say(e.message);
  }
}

async function main() {
  const m = location.pathname.match(/^\/reel\/threads\/([0-9a-fA-F-]{36})\/?$/);
  try {
    if (m) {
      state.tid = m[1];
      await showThread();
    } else {
      await showThreads();
    }
  } catch (e) {
    say(e.message);
  }
}

main();
