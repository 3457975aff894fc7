"""Bounds on every text a caller sends: a length, no control characters, ids of a known shape.

One validation, at the edge: the Annotated types below are used by every request model, path and
query parameter, and each rule is one regular expression that both checks the text (a 422 that
names the field and says the rule) and is the pattern the OpenAPI document shows, so the schema
says what the code does. Nothing unbounded reaches an event, a NATS subject or a read model
(PostgreSQL refuses a NUL character that SQLite stores).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic_core import PydanticCustomError, core_schema

from contracts import DASHBOARD_ID_PREFIX
from services.gateway.edge.envelope import ApiError

TITLE_CHARS = 200
NAME_CHARS = 100
DESCRIPTION_CHARS = 2000
SCOPE_ID_CHARS = 128  # tenant and workspace ids
EMAIL_CHARS = 320
IDEMPOTENCY_KEY_CHARS = 200
COLUMN_NAME_BYTES = 256  # a column name becomes part of a metric id
METRIC_ID_CHARS = 400
# No control character (Unicode category Cc): none can be shown, and PostgreSQL cannot store a NUL.
PLAIN_TEXT = r"^[^\u0000-\u001F\u007F-\u009F]*$"
RESOURCE_ID = r"^[A-Za-z0-9_-]{1,128}$"
DASHBOARD_ID = rf"^{DASHBOARD_ID_PREFIX}[A-Za-z0-9_-]{{1,120}}$"
# A tenant's own id: never with the prefix of dashboard ids, which tells the two apart in paths.
TENANT_ID = rf"^(?!{DASHBOARD_ID_PREFIX})[A-Za-z0-9][A-Za-z0-9._:@-]{{0,127}}$"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.+\-Z]*)?$")


@dataclass(frozen=True)
class Matches:
    """A string annotation: the whole text must match `pattern` (checked with Python's re, and shown
    as the OpenAPI pattern), else a 422 that says `rule`."""

    pattern: str
    rule: str

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        compiled = re.compile(self.pattern)

        def check(value: str) -> str:
            if compiled.fullmatch(value) is None:  # fullmatch: `$` alone lets a final newline through
                raise PydanticCustomError("string_rule", self.rule)
            return value

        return core_schema.no_info_after_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        documented = handler(schema)
        documented["pattern"] = self.pattern
        return documented


NoControlCharacters = Matches(PLAIN_TEXT, "must not contain control characters")
IsResourceId = Matches(RESOURCE_ID, "1 to 128 letters, digits, _ and -")
IsTenantId = Matches(TENANT_ID, f"1 to 128 letters, digits and . _ : @ -, starting with a letter or digit, "
                                f"never with {DASHBOARD_ID_PREFIX!r} (the prefix of dashboard ids)")
IsDashboardId = Matches(DASHBOARD_ID, f"a dashboard id: {DASHBOARD_ID_PREFIX!r} and 1 to 120 letters, digits, _ and -")


def _line(max_chars: int, min_chars: int = 1) -> StringConstraints:
    return StringConstraints(min_length=min_chars, max_length=max_chars)


# Body fields (and, with Query() or Path() beside them, parameters)
Name = Annotated[str, _line(NAME_CHARS), NoControlCharacters]
Title = Annotated[str, _line(TITLE_CHARS), NoControlCharacters]
Description = Annotated[str, _line(DESCRIPTION_CHARS, 0), NoControlCharacters]
ScopeId = Annotated[str, _line(SCOPE_ID_CHARS), NoControlCharacters]  # a workspace (or an iframe token's tenant)
Email = Annotated[str, _line(EMAIL_CHARS), NoControlCharacters]
Id = Annotated[str, IsResourceId]
TenantId = Annotated[str, IsTenantId]
DashboardId = Annotated[str, IsDashboardId]

# Path and query parameters
ResourceId = Annotated[str, Path(), IsResourceId]
MetricIdQuery = Annotated[Annotated[str, _line(METRIC_ID_CHARS, 0), NoControlCharacters] | None, Query()]
TitleQuery = Annotated[Annotated[str, _line(TITLE_CHARS, 0), NoControlCharacters] | None,
                       Query(description="Titles or names containing this, any case")]


def control_character_in(value: str) -> bool:
    return re.fullmatch(PLAIN_TEXT, value) is None


def _iso_date(value: object) -> object:
    if value is not None and not (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        raise ValueError("must be an ISO 8601 date, e.g. 2024-01-01")
    return value


IsoDateText = BeforeValidator(_iso_date)


def idempotency_key(value: str | None) -> str | None:
    if not value:  # absent or empty: no idempotency, as before
        return None
    if len(value) > IDEMPOTENCY_KEY_CHARS or not value.isascii() or not value.isprintable():
        raise ApiError(422, f"Idempotency-Key: 1 to {IDEMPOTENCY_KEY_CHARS} printable ASCII characters")
    return value
