"""The heuristic critic judges a take against its shot from real renders: a missing character, a covered face, a
recoloured character and an unlisted one are rejected with the right named defect; the revised take passes."""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelgraph.agents.critic import TakeReview
from reelgraph.agents.critic.heuristic import HeuristicCritic
from reelgraph.agents.director.brief import ShotBrief
from reelgraph.agents.director.offline import OfflineDirector as TemplateDirector
from reelgraph.backends.base import KeyframeSpec, MotionSpec
from reelgraph.backends.procedural.image import ProceduralImageBackend
from reelgraph.backends.procedural.video import ProceduralVideoBackend
from reelgraph.schema import Artifact, Character, Script, Shot, Take, Verdict

W, H = 640, 360
MARA = Character(name="Mara", slug="mara", look="tall woman, long hair, red coat",
                 palette=["#c0392b", "#1f4e79", "#f1c40f", "#ecf0f1"])
BOLT = Character(name="Bolt", slug="bolt", look="small round robot with a metal body",
                 palette=["#7f8c8d", "#2c3e50", "#00e5ff", "#e67e22"])
SHOT = Shot(index=1, beat="Mara meets Bolt.", setting="a quiet meadow", action="Mara meets Bolt.",
            characters=["mara", "bolt"], framing="medium", lighting="day")
SCRIPT = Script(title="t", logline="l", characters=[MARA, BOLT], shots=[SHOT], languages=["en"])
CLIP = Artifact(id="c", kind="clip", path="c.mp4", sha256="0" * 64)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("critic")
    images = ProceduralImageBackend()
    masters = {}
    for c in (MARA, BOLT):
        masters[c.slug] = root / f"{c.slug}.png"
        images.master(c, width=512, height=512, seed=0).save(masters[c.slug])
    return {"root": root, **masters}


def _masters(studio: dict[str, Path]) -> dict[str, Path]:
    return {"mara": studio["mara"], "bolt": studio["bolt"]}


def _render(studio: dict[str, Path], cast: list[Character], **args: object) -> Image.Image:
    spec = KeyframeSpec(prompt=SHOT.beat, setting=SHOT.setting, characters=cast, masters=_masters(studio),
                        caption=SHOT.action, **{"framing": "medium", "seed": 5, **args})  # type: ignore[arg-type]
    return ProceduralImageBackend().keyframe(spec, width=W, height=H)


def _judge(studio: dict[str, Path], image: Image.Image, name: str, shot: Shot = SHOT) -> Verdict:
    """Save the keyframe, animate a short clip from it, and judge the take against `shot`."""
    key, clip = studio["root"] / f"{name}.png", studio["root"] / f"{name}.mp4"
    image.save(key)
    ProceduralVideoBackend().animate(key, MotionSpec(prompt="p", camera="static", seconds=1.0, fps=12, width=W,
                                                     height=H), clip)
    return HeuristicCritic().judge(TakeReview(clip=clip, shot=shot, width=W, height=H, keyframe=key,
                                              masters=_masters(studio)))


def _revised_args(verdict: Verdict) -> dict:
    brief = ShotBrief(script=SCRIPT, shot=SHOT, attempt=2, seed=5, takes=[Take(shot=1, attempt=1, clip=CLIP,
                                                                                verdict=verdict)])
    return TemplateDirector().direct(brief).tool_calls[0]["args"]


def _head_box(verdict: Verdict, slug: str) -> tuple[int, int, int, int]:
    m = verdict.metrics
    x0 = (m[f"x_{slug}"] - m[f"width_{slug}"] / 2) * W
    x1 = (m[f"x_{slug}"] + m[f"width_{slug}"] / 2) * W
    y0 = max(0.0, m[f"y_{slug}"]) * H
    return round(x0), round(y0), round(x1), round(y0 + 0.18 * m[f"height_{slug}"] * H)  # the head


@pytest.fixture(scope="module")
def good(studio: dict[str, Path]) -> tuple[Image.Image, Verdict]:
    image = _render(studio, [MARA, BOLT])
    return image, _judge(studio, image, "good")


def test_a_good_take_passes(good: tuple[Image.Image, Verdict]) -> None:
    _, verdict = good
    assert verdict.score >= 7 and not verdict.defects, verdict.reasons
    assert verdict.metrics["visible_mara"] == 1 and verdict.metrics["visible_bolt"] == 1
    assert verdict.metrics["identity_mara"] > 0.78 and verdict.metrics["face_mara"] > 0.45


def test_a_missing_character_is_named_and_a_wider_recomposed_take_passes(studio: dict[str, Path]) -> None:
    verdict = _judge(studio, _render(studio, [BOLT]), "missing")
    assert verdict.score < 7 and "missing_character" in verdict.defects
    assert any(r.startswith("Mara is not visible") for r in verdict.reasons)
    args = _revised_args(verdict)
    assert args["framing"] == "wide" and args["composition"] != 0
    again = _judge(studio, _render(studio, [MARA, BOLT], framing=args["framing"], composition=args["composition"],
                                   seed=6), "missing_revised")
    assert again.score >= 7, again.reasons


def test_a_covered_face_is_named_and_another_composition_passes(studio: dict[str, Path],
                                                                good: tuple[Image.Image, Verdict]) -> None:
    image, verdict = good
    covered = image.copy()
    covered.paste((34, 70, 40), _head_box(verdict, "mara"))  # an opaque plant over Mara's head (and hair)
    bad = _judge(studio, covered, "covered")
    assert bad.score < 7 and "covered_face" in bad.defects and "missing_character" not in bad.defects
    assert any("Mara's face is covered" in r for r in bad.reasons)
    args = _revised_args(bad)
    assert args["composition"] != 0
    again = _judge(studio, _render(studio, [MARA, BOLT], composition=args["composition"], seed=6), "covered_revised")
    assert again.score >= 7, again.reasons


def test_a_recoloured_character_drifts_and_the_revised_take_passes(studio: dict[str, Path],
                                                                  good: tuple[Image.Image, Verdict]) -> None:
    image, verdict = good
    rgb = np.asarray(image).copy()
    x0, y0, x1, _ = _head_box(verdict, "mara")
    y1 = round((verdict.metrics["y_mara"] + verdict.metrics["height_mara"]) * H)
    region = rgb[y0:y1, max(0, x0):x1]
    figure = np.abs(region.astype(int) - np.median(rgb[max(0, y0 - 4):y0 + 1], axis=(0, 1))).sum(-1) > 60
    for y, x in zip(*np.nonzero(figure), strict=True):  # hue-rotate the figure's pixels, keep the lightness
        h, lum, s = colorsys.rgb_to_hls(*(region[y, x] / 255.0))
        region[y, x] = np.round(np.array(colorsys.hls_to_rgb((h + 0.5) % 1.0, lum, s)) * 255)
    bad = _judge(studio, Image.fromarray(rgb), "recoloured")
    assert bad.score < 7 and {"identity_drift", "missing_character"} & set(bad.defects)
    assert bad.metrics["identity_mara"] < 0.78
    args = _revised_args(bad)
    assert args["composition"] != 0 or args["framing"] == "medium"
    again = _judge(studio, _render(studio, [MARA, BOLT], framing=args["framing"], composition=args["composition"],
                                   seed=6), "recoloured_revised")
    assert again.score >= 7, again.reasons


def test_an_unlisted_character_is_an_extra(studio: dict[str, Path], good: tuple[Image.Image, Verdict]) -> None:
    image, _ = good
    only_bolt = SHOT.model_copy(update={"characters": ["bolt"]})
    bad = _judge(studio, image, "extra", shot=only_bolt)
    assert bad.score < 7 and "extra_character" in bad.defects
    assert any("Mara is in frame" in r for r in bad.reasons)
    nobody = _judge(studio, _render(studio, []), "empty", shot=SHOT.model_copy(update={"characters": []}))
    assert "extra_character" not in nobody.defects, nobody.reasons


def test_masters_are_still_judged(studio: dict[str, Path]) -> None:
    verdict = HeuristicCritic().judge_image(studio["mara"])
    assert verdict.score >= 7 and verdict.critic == "heuristic"
