"""The places a shot can happen in: one key per setting the renderers know, what it stands for, inside or out.

The offline Director maps the story's words to these keys; the procedural renderer draws each one; an LLM Director
may name any of them (an unknown place is drawn as a labelled fallback, never silently as another place).
"""

from __future__ import annotations

PLACES: dict[str, tuple[str, bool]] = {
    # interiors
    "kitchen": ("a kitchen", True),
    "restaurant": ("a restaurant dining room", True),
    "cafe": ("a café", True),
    "shop": ("a shop", True),
    "bookshop": ("a bookshop", True),
    "bakery": ("a bakery", True),
    "office": ("an office meeting room", True),
    "classroom": ("a classroom", True),
    "library": ("a library", True),
    "gym": ("a gym", True),
    "hospital": ("a hospital ward", True),
    "museum": ("a museum gallery", True),
    "concert_hall": ("a concert hall", True),
    "theatre": ("a theatre stage", True),
    "garage": ("a garage", True),
    "workshop": ("a workshop", True),
    "home": ("a living room", True),
    "bedroom": ("a bedroom", True),
    "laboratory": ("a laboratory", True),
    "station": ("a station platform", True),
    "warehouse": ("a warehouse", True),
    "church": ("a church", True),
    "bar": ("a bar", True),
    "cave": ("a cave", True),
    # exteriors
    "market": ("a market", False),
    "city_street": ("a city street", False),
    "harbour": ("a harbour", False),
    "coast": ("a rocky coast with a lighthouse", False),
    "sea": ("the open sea", False),
    "beach": ("a beach", False),
    "forest": ("a forest", False),
    "desert": ("a desert", False),
    "snow": ("a snowfield", False),
    "mountain": ("a mountain", False),
    "garden": ("a garden", False),
    "park": ("a park", False),
    "field": ("open fields", False),
    "farm": ("a farm", False),
    "river": ("a riverbank", False),
    "village": ("a village square", False),
    "castle": ("a castle", False),
    "rooftop": ("a rooftop", False),
    "space": ("outer space", False),
}
"""place key -> (what it stands for, interior?)"""

FALLBACK_PLACE = "field"


def place_label(key: str) -> str:
    """Words for a place key ('a kitchen'); an unknown key is shown as its own words."""
    return PLACES[key][0] if key in PLACES else key.replace("_", " ")


def is_interior(key: str) -> bool:
    """Whether a known place is indoors (unknown: outdoors)."""
    return PLACES.get(key, ("", False))[1]
