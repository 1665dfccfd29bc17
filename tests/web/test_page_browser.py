"""The review page in headless Chromium on a real `langgraph dev`: a finished thread's shots, verdicts and playing
reel; approving a paused thread from the page; redoing a shot from the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from web.conftest import thread_state

REEL = "#reel-final video"


def test_page_lists_shots_verdicts_and_plays_the_reel(dev_server: tuple[str, Path],
                                                      finished_thread: tuple[str, Path], page: Any) -> None:
    url, _ = dev_server
    thread, out = finished_thread
    page.goto(f"{url}/reel/threads/{thread}")
    page.wait_for_selector("body[data-finished=yes]", state="attached", timeout=20_000)
    script = json.loads((out / "script.json").read_text())
    assert page.inner_text("#title") == script["title"]
    assert page.eval_on_selector_all(".shot", "els => els.map(e => e.dataset.shot)") == ["1", "2"]
    for n in (1, 2):
        verdict = json.loads((out / f"shots/shot0{n}/take1_verdict.json").read_text())
        shot = page.locator(f".shot[data-shot='{n}']")
        assert script["shots"][n - 1]["beat"] in shot.locator("h3").inner_text()
        assert shot.locator(".take.kept .score").inner_text() == f"{verdict['score']:.1f}/10"
        reasons = shot.locator(".take.kept .reasons li").all_inner_texts()
        assert reasons == verdict["reasons"] and reasons
        assert shot.locator(".take.kept video").count() == 1
    page.wait_for_function(f"() => {{ const v = document.querySelector('{REEL}');"
                           " return v && v.readyState >= 1 && v.duration > 0; }", timeout=20_000)
    duration = page.evaluate(f"document.querySelector('{REEL}').duration")
    assert 1.5 <= duration <= 3.0  # two 1-second shots
    page.evaluate(f"() => {{ const v = document.querySelector('{REEL}'); v.muted = true; return v.play(); }}")
    page.wait_for_function(f"document.querySelector('{REEL}').currentTime > 0.2", timeout=20_000)
    assert page.evaluate(f"document.querySelector('{REEL}').error") is None


def test_approve_from_the_page_resumes_the_paused_thread(dev_server: tuple[str, Path],
                                                        paused_thread: tuple[str, Path], page: Any) -> None:
    url, _ = dev_server
    thread, out = paused_thread
    page.goto(f"{url}/reel/threads/{thread}")
    page.wait_for_selector("#approve", timeout=20_000)
    assert page.eval_on_selector_all(".shot", "els => els.length") == 2 and not (out / "shots").exists()
    page.click("#approve")
    page.wait_for_selector("body[data-finished=yes]", state="attached", timeout=120_000)
    assert "success" in page.inner_text("#message")
    state = thread_state(url, thread)
    assert state["next"] == [] and [r["shot"] for r in state["values"]["done"]] == [1, 2]
    assert (out / "reel_final.mp4").stat().st_size > 0
    assert page.locator(REEL).count() == 1 and page.locator("#approve").count() == 0


def test_redo_from_the_page_forks_and_renders_the_shot_again(dev_server: tuple[str, Path],
                                                            finished_thread: tuple[str, Path], page: Any) -> None:
    url, _ = dev_server
    thread, out = finished_thread
    before = thread_state(url, thread)["values"]
    old_final = (out / "reel_final.mp4").read_bytes()
    page.goto(f"{url}/reel/threads/{thread}")
    page.wait_for_selector("body[data-finished=yes]", state="attached", timeout=20_000)
    page.fill(".shot[data-shot='2'] .redo input", "smaller foxes")
    page.click(".shot[data-shot='2'] .redo-button")
    page.wait_for_selector("body[data-finished=no]", state="attached", timeout=20_000)
    page.wait_for_selector("body[data-finished=yes]", state="attached", timeout=120_000)
    after = thread_state(url, thread)["values"]
    assert [(r["shot"], r["kept"]) for r in after["done"]] == [(1, 1), (2, 2)]
    assert after["done"][0] == before["done"][0] and after["notes"] == {"2": "smaller foxes"}
    assert after["done"][1]["takes"][0]["requests"][0]["args"]["prompt"].endswith("smaller foxes")
    assert (out / "shots/shot02/take2.mp4").is_file() and (out / "reel_final.v1.mp4").read_bytes() == old_final
    assert page.locator(".shot[data-shot='2'] .take.kept").get_attribute("data-attempt") == "2"
