"""What every record of the film shares: strict models (unknown keys refused), clean bounded text, slugs."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 600
SLUG = r"^[a-z0-9][a-z0-9_-]{0,47}$"


def clean_text(value: str) -> str:
    """Drop control characters (keep newlines and tabs as spaces) and trim."""
    value = "".join(" " if ch in "\n\r\t" else ch for ch in value if ch.isprintable() or ch in "\n\r\t")
    return re.sub(r"\s+", " ", value).strip()


Text = Annotated[str, Field(max_length=MAX_TEXT)]


class Model(BaseModel):
    """Base for every record: unknown keys are refused so an LLM cannot smuggle fields in."""

    model_config = ConfigDict(extra="forbid")
