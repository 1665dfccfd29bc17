"""The Vision Critic: the request it builds (frames, masters, images) and its verdicts through a real vLLM server.

vLLM's CPU build from the registry cannot serve a vision-language model here: its Qwen2-VL / LLaVA modules import
transformers' image processors, which need torchvision, and the registry's torchvision is a CUDA build that does not
load beside the CPU torch. So the images are checked where they are built, and the verdict path (structured output,
parsing, frame checks, repair, errors) runs against the tiny text server with each image replaced by a text note.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reelgraph_serving_support import MODEL_NAME, TinyServer, record

from reelgraph.agents.critic import TakeReview
from reelgraph.agents.critic.base import SAMPLES, sample_indices
from reelgraph.agents.critic.vlm import VerdictReply, VLMCritic, verdict_schema
from reelgraph.config import AgentConfig
from reelgraph.errors import CriticError
from reelgraph.media.ffmpeg import encode_frames
from reelgraph.schema import Shot

pytestmark = pytest.mark.timeout(1800)


def _review(tmp_path: Path, frames: int = 12) -> TakeReview:
    clip = tmp_path / "take1.mp4"
    encode_frames((np.full((90, 160, 3), 20 + 15 * i, np.uint8) for i in range(frames)), clip, fps=8, width=160,
                  height=90)
    masters = {}
    for slug, colour in (("mara", (200, 40, 40)), ("bolt", (40, 40, 200))):
        masters[slug] = tmp_path / f"{slug}.png"
        Image.new("RGB", (512, 512), colour).save(masters[slug])
    shot = Shot(index=2, beat="Mara meets the robot", setting="a pier", action="they wave", characters=["mara"])
    return TakeReview(clip=clip, shot=shot, width=160, height=90, masters=masters,
                      previous_last_frame=np.zeros((90, 160, 3), np.uint8))


def _critic(server: TinyServer | None, images: bool = False, **kw: object) -> VLMCritic:
    """A VLM critic on the tiny server; without `images` each image goes as a text note (a text-only model)."""
    url = server.url if server else "http://127.0.0.1:9/v1"
    settings = {"model": MODEL_NAME, "temperature": 0.0, "max_tokens": 256, "timeout": 60.0, "max_retries": 1, **kw}
    return VLMCritic(AgentConfig(kind="vlm", base_url=url, **settings), send_images=images)


def test_the_request_shows_sampled_frames_and_the_masters_in_frame(tmp_path: Path) -> None:
    critic = _critic(None, images=True)
    messages, shown = critic.take_messages(_review(tmp_path))
    assert shown == sample_indices(12, SAMPLES) and shown[0] == 0 and shown[-1] == 11
    parts = messages[1].content
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(images) == len(shown) + 1 + 1  # the frames, Mara's master (Bolt is not in frame), the previous frame
    texts = " ".join(p["text"] for p in parts if p["type"] == "text")
    assert all(f"Frame {i}:" in texts for i in shown) and "master of mara" in texts and "bolt" not in texts
    assert "Mara meets the robot" in texts and "previous shot" in texts
    first = images[0]["image_url"]["url"]
    assert first.startswith("data:image/png;base64,")
    frame = Image.open(io.BytesIO(base64.b64decode(first.split(",", 1)[1])))
    assert frame.format == "PNG" and frame.size == (160, 90)
    for defect in ("identity_drift", "extra_limbs", "text_artifacts", "flicker", "off_brief"):
        assert defect in messages[0].content
    schema = verdict_schema(shown)
    assert schema["properties"]["frames"]["items"]["enum"] == shown
    with pytest.raises(ValueError):
        VerdictReply.model_validate({"score": 11, "defects": ["blurry"], "reasons": ["x"], "frames": [0]})
    with pytest.raises(ValueError):
        VerdictReply.model_validate({"score": 5, "defects": ["ugly"], "reasons": ["x"], "frames": [0]})


def test_a_verdict_comes_back_validated_through_the_server(server: TinyServer, tmp_path: Path) -> None:
    critic = _critic(server)
    review = _review(tmp_path)
    verdict = critic.judge(review)
    shown = sample_indices(12, SAMPLES)
    assert 0 <= verdict.score <= 10 and verdict.critic == MODEL_NAME
    assert verdict.frames and set(verdict.frames) <= set(shown) and verdict.reasons
    still = critic.judge_image(review.masters["mara"])
    assert still.frames == [0] and still.critic == MODEL_NAME
    assert len(critic.calls) == 2  # no repair needed
    record("critic", [{**c, "kind": "take verdict (8 images sent as text notes)" if i == 0 else "still verdict"}
                      for i, c in enumerate(critic.calls)])


def test_an_invalid_verdict_is_repaired_once_then_a_critic_error(server: TinyServer, tmp_path: Path) -> None:
    critic = _critic(server, max_tokens=16)  # the verdict is cut: invalid JSON, twice
    with pytest.raises(CriticError, match="still invalid after a repair") as err:
        critic.judge(_review(tmp_path))
    assert "max_tokens=16" in str(err.value)
    assert [c["what"] for c in critic.calls] == ["shot 2", "shot 2 repair"]


def test_images_to_a_text_only_model_are_a_clear_critic_error(server: TinyServer, tmp_path: Path) -> None:
    critic = VLMCritic(AgentConfig(kind="vlm", base_url=server.url, model=MODEL_NAME, max_retries=0))
    with pytest.raises(CriticError, match="not a multimodal model") as err:
        critic.judge(_review(tmp_path))
    assert "reelgraph serve critic" in str(err.value)


def test_critic_server_down_is_a_critic_error(tmp_path: Path) -> None:
    from reelgraph.serving.vllm_server import free_port

    critic = VLMCritic(AgentConfig(kind="vlm", base_url=f"http://127.0.0.1:{free_port()}/v1", model="m",
                                   max_retries=0))
    with pytest.raises(CriticError, match="cannot reach the critic's server") as err:
        critic.judge(_review(tmp_path))
    assert "reelgraph serve critic --model PATH" in str(err.value)
