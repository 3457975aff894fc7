"""The words of a column's name, as the semantic rules read them: 'Sale_Price' -> sale, price;
'IndOHare' -> ind, ohare; 'count_not_working' -> count, not, working."""

from __future__ import annotations

import re
from collections.abc import Set

_CAMEL = re.compile(r"([a-z])([A-Z])")
_SEPARATORS = re.compile(r"[^0-9a-zà-ÿ]+")


def tokens(name: str) -> list[str]:
    return [t for t in _SEPARATORS.split(_CAMEL.sub(r"\1 \2", name).lower()) if t]


def has_word(name: str, words: Set[str]) -> bool:
    return any(t in words for t in tokens(name))


def label(name: str) -> str:
    """A column's name as a title: 'Sale_Price' -> 'Sale price'."""
    return re.sub(r"[_\s]+", " ", name).strip().capitalize() or name
