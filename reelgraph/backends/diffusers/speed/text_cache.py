"""Prompt embeddings computed once per prompt (``text_cache``): the latest few kept, least recently used dropped."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class TextCache:
    """Prompt embeddings by (text, max length), least recently used dropped past `size` entries."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[tuple[str, int], Any] = OrderedDict()

    def embed(self, pipe: Any, text: str, max_len: int, device: Any) -> Any:
        """The prompt embeddings of `text`, encoded by `pipe` on a miss."""
        key = (text, int(max_len))
        if self.size and key in self._items:
            self.hits += 1
            self._items.move_to_end(key)
            return self._items[key]
        self.misses += 1
        embeds, _ = pipe.encode_prompt(prompt=text, negative_prompt=None, do_classifier_free_guidance=False,
                                       num_videos_per_prompt=1, max_sequence_length=int(max_len), device=device)
        if self.size:
            self._items[key] = embeds
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return embeds

    def clear(self) -> None:
        """Drop every cached embedding."""
        self._items.clear()
