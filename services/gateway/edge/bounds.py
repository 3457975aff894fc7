"""Bounds on every text a caller sends: a length, and no control characters.

Checked at the edge, with a 422 that names the field, so nothing unbounded reaches an event or
a read model (PostgreSQL refuses a NUL character that SQLite stores).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, StringConstraints

from services.gateway.edge.envelope import ApiError

TITLE_CHARS = 200
NAME_CHARS = 100
SCOPE_ID_CHARS = 128  # tenant and workspace ids
IDEMPOTENCY_KEY_CHARS = 200
COLUMN_NAME_BYTES = 256  # a column name becomes part of a metric id
METRIC_ID_CHARS = 400
RESOURCE_ID = r"^[A-Za-z0-9_-]{1,128}$"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.+\-Z]*)?$")


def control_character_in(value: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in value)


def plain_line(value: str) -> str:
    if control_character_in(value):
        raise ValueError("must not contain control characters")
    return value


def _iso_date(value: object) -> object:
    if value is not None and not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date, e.g. 2024-01-01")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_CHARS), AfterValidator(plain_line)]
IsoDateText = BeforeValidator(_iso_date)
MetricIdQuery = Annotated[str | None, Query(max_length=METRIC_ID_CHARS), AfterValidator(
    lambda value: value if value is None else plain_line(value))]
ResourceId = Annotated[str, Path(pattern=RESOURCE_ID)]
TitleQuery = Annotated[str | None, Query(max_length=TITLE_CHARS, description="Titles or names containing this, any case"),
                       AfterValidator(lambda value: value if value is None else plain_line(value))]


def form_line(fields: dict[str, str], name: str, max_chars: int) -> str | None:
    """A multipart form field: one line of at most `max_chars` characters; absent or empty is None."""
    value = fields.get(name) or None
    if value is None:
        return None
    if len(value) > max_chars:
        raise ApiError(422, f"{name}: at most {max_chars} characters")
    if control_character_in(value):
        raise ApiError(422, f"{name}: must not contain control characters")
    return value


def idempotency_key(value: str | None) -> str | None:
    if not value:  # absent or empty: no idempotency, as before
        return None
    if len(value) > IDEMPOTENCY_KEY_CHARS or not value.isascii() or not value.isprintable():
        raise ApiError(422, f"Idempotency-Key: 1 to {IDEMPOTENCY_KEY_CHARS} printable ASCII characters")
    return value
