"""The Vision Critic: a vision-language model behind an OpenAI-compatible server (vLLM), through LangChain.

A take is shown as K frames sampled from its clip (first, last, evenly spaced: `sample_indices`), each a base64 PNG
image part after its frame number, plus the masters of the characters in frame (and the previous shot's last frame
when the shot continues it). The verdict comes back through structured output (`with_structured_output`,
method "json_schema" → vLLM guided decoding) as a `VerdictReply` — score 0–10, defects from the studio's fixed
vocabulary, reasons, and the frames it means (only frames that were shown) — parsed strictly and validated by
pydantic. An invalid reply is sent back once with the error; a second invalid one is a CriticError, never a pass.
"""

from __future__ import annotations

import base64
import io
import logging
import time
from pathlib import Path
from typing import Annotated, Any, get_args

import numpy as np
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata
from pydantic import BaseModel, ConfigDict, Field

from reelgraph.agents.critic import TakeReview
from reelgraph.agents.critic.base import SAMPLES, sample_indices
from reelgraph.agents.llm.served import ServedAgent
from reelgraph.agents.llm.structured import Invalid, ask_with_repair, invoke_structured, render, reply_text
from reelgraph.config import AgentConfig
from reelgraph.errors import BackendError, CriticError
from reelgraph.schema import TakeDefect, Verdict, clean_text

log = logging.getLogger(__name__)

IMAGE_SIDE = 448  # longest side of a frame sent to the model (Qwen-VL: ~16x9 patches of 28 px at 16:9)
MASTER_SIDE = 336
DEFECT_MEANING: dict[str, str] = {
    "underexposed": "too dark to read the picture",
    "overexposed": "blown-out highlights, washed out",
    "low_contrast": "flat, grey, subjects do not separate from the background",
    "blurry": "soft or smeared where it should be sharp",
    "flicker": "brightness or colour jumps between frames",
    "identity_drift": "a character's face, build, colours or wardrobe differ from their master",
    "frozen": "nothing moves although the shot calls for motion",
    "off_brief": "the picture does not show the shot's beat, setting, characters or camera",
    "extra_limbs": "extra or missing limbs, fingers or heads; broken anatomy",
    "text_artifacts": "garbled letters, watermarks or captions in the picture",
    "seam_mismatch": "the first frame does not continue the previous shot's last frame",
}


class VerdictReply(BaseModel):
    """What the Vision Critic must return (validated; then turned into a Verdict)."""

    model_config = ConfigDict(extra="forbid")

    score: float = Field(ge=0, le=10, description="0 unusable … 10 ready for the film")
    defects: list[TakeDefect] = Field(max_length=len(get_args(TakeDefect)), description="named defects seen")
    reasons: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(min_length=1, max_length=6)
    frames: list[int] = Field(min_length=1, max_length=SAMPLES * 2, description="frame numbers the verdict means")


def verdict_schema(frames: list[int]) -> dict[str, Any]:
    """VerdictReply's JSON schema with the frame numbers limited to those shown."""
    schema = VerdictReply.model_json_schema()
    schema["properties"]["frames"]["items"] = {"type": "integer", "enum": sorted(set(frames))}
    schema["properties"]["frames"]["maxItems"] = len(set(frames))
    schema["required"] = ["score", "defects", "reasons", "frames"]
    schema["title"] = "Verdict"
    return schema


def png_part(rgb: np.ndarray, side: int) -> dict[str, Any]:
    """An RGB array as an OpenAI image content part (base64 PNG data URL), its longest side at most `side`."""
    from PIL import Image

    img = Image.fromarray(np.ascontiguousarray(rgb.astype(np.uint8)))
    img.thumbnail((side, side))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}


def _image(path: Path) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except OSError as e:
        raise CriticError(f"critic cannot read {path.name}: {e}") from e


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


class VLMCritic(ServedAgent):
    """A critic that is a vision-language model behind an OpenAI-compatible server (see `reelgraph serve critic`)."""

    role = "critic"

    def __init__(self, config: AgentConfig, frames: int = SAMPLES, send_images: bool = True):
        super().__init__(config)
        self.frames = frames
        self.send_images = send_images  # False: each image becomes a text note (text-only models; tests)

    @property
    def name(self) -> str:
        """The served model's name (recorded in each verdict)."""
        return self.config.model or getattr(self.llm, "model_name", None) or "vlm"

    def system(self) -> SystemMessage:
        """The system prompt: the critic's task and the defect vocabulary with what each defect means."""
        defects = "\n".join(f"  - {d}: {DEFECT_MEANING.get(d, d)}" for d in get_args(TakeDefect))
        return SystemMessage(render("critic.md", "system", defects=defects))

    def take_messages(self, review: TakeReview, script_title: str = "") -> tuple[list[BaseMessage], list[int]]:
        """The request for one take: the brief, K sampled frames, the masters in frame; and the frames shown."""
        from reelgraph.media.ffmpeg import decode_frames

        scale = min(1.0, IMAGE_SIDE / max(review.width, review.height))
        w, h = (max(2, round(review.width * scale / 2) * 2), max(2, round(review.height * scale / 2) * 2))
        try:
            frames = decode_frames(review.clip, width=w, height=h)
        except BackendError as e:
            raise CriticError(f"critic cannot read {review.clip.name}: {e}") from e
        if len(frames) < 1:
            raise CriticError(f"critic: {review.clip.name} has no frames")
        idx = sample_indices(len(frames), self.frames)
        shot = review.shot
        parts: list[str | dict[str, Any]] = [_text(render(
            "critic.md", "take", index=shot.index, title=script_title, beat=shot.beat, setting=shot.setting,
            action=shot.action, camera=shot.camera, framing=shot.framing, lighting=shot.lighting,
            characters=", ".join(shot.characters) or "none", count=len(idx), total=len(frames)))]
        for i in idx:
            parts += [_text(render("critic.md", "frame", number=i)), png_part(frames[i], IMAGE_SIDE)]
        for slug, path in review.masters.items():
            if slug in shot.characters:
                parts += [_text(render("critic.md", "master", slug=slug)), png_part(_image(path), MASTER_SIDE)]
        if review.previous_last_frame is not None:
            parts += [_text(render("critic.md", "previous")), png_part(review.previous_last_frame, IMAGE_SIDE)]
        parts.append(_text(render("critic.md", "take-end", frames=", ".join(map(str, idx)))))
        return [self.system(), HumanMessage(content=parts)], idx

    def judge(self, review: TakeReview) -> Verdict:
        """The model's verdict on one take, from its sampled frames and the masters in frame."""
        messages, idx = self.take_messages(review)
        return self._verdict(messages, idx, f"shot {review.shot.index}")

    def judge_image(self, image: Path) -> Verdict:
        """The model's verdict on a still (a character master)."""
        parts: list[str | dict[str, Any]] = [
            _text(render("critic.md", "still", subject=image.stem)), _text(render("critic.md", "frame", number=0)),
            png_part(_image(image), MASTER_SIDE), _text(render("critic.md", "take-end", frames="0"))]
        return self._verdict([self.system(), HumanMessage(content=parts)], [0], f"still {image.name}")

    @staticmethod
    def _without_images(messages: list[BaseMessage]) -> list[BaseMessage]:
        """The messages with every image part replaced by a text note of its size (for text-only servers)."""
        out: list[BaseMessage] = []
        for m in messages:
            if isinstance(m.content, list):
                parts = [p if not isinstance(p, dict) or p.get("type") != "image_url" else
                         _text(f"[image: PNG, {len(p['image_url']['url']) * 3 // 4} bytes]") for p in m.content]
                m = m.model_copy(update={"content": parts})
            out.append(m)
        return out

    def _verdict(self, messages: list[BaseMessage], shown: list[int], what: str) -> Verdict:
        """Ask for the verdict; repair once; a second invalid reply is a CriticError."""
        from reelgraph.serving.vllm_server import server_errors

        if not self.send_images:
            messages = self._without_images(messages)
        runnable = self.llm.with_structured_output(verdict_schema(shown), method="json_schema", include_raw=True)

        def ask(msgs: list[BaseMessage], round_: int) -> AIMessage:
            t0 = time.perf_counter()
            try:
                with server_errors(self.role, self.config, CriticError):
                    raw = invoke_structured(runnable, msgs)
            except CriticError as e:
                if "not a multimodal model" in str(e):
                    raise CriticError(f"{e} — the Vision Critic needs a vision-language model (e.g. Qwen3-VL): "
                                      "serve one with `reelgraph serve critic --model PATH`") from e
                raise
            usage: UsageMetadata | dict[str, Any] = raw.usage_metadata or {}
            self.calls.append({"what": what if round_ == 1 else f"{what} repair",
                               "seconds": round(time.perf_counter() - t0, 3),
                               "input_tokens": usage.get("input_tokens"), "output_tokens": usage.get("output_tokens")})
            return raw

        def accept(raw: AIMessage) -> Verdict:
            reply = VerdictReply.model_validate_json(reply_text(raw))
            unknown = sorted(set(reply.frames) - set(shown))
            if unknown:
                raise Invalid(f"frames {unknown} were not shown; use only {shown}")
            return Verdict(score=reply.score, defects=list(dict.fromkeys(reply.defects)),
                           reasons=[clean_text(r) for r in reply.reasons], frames=sorted(set(reply.frames)),
                           critic=self.name)

        return ask_with_repair(
            ask, messages, accept, repair=lambda e: render("critic.md", "repair", error=e),
            echo=lambda raw: reply_text(raw)[:4000], max_tokens=self.config.max_tokens, what=f"critic {what}",
            fail=lambda e: CriticError(f"the Vision Critic's verdict on {what} is still invalid after a repair: {e}"))
