"""The corrections read model (every correction of a dashboard, in force or undone, and the
dashboard's corrections revision) and the API's shapes of a correction."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text

from contracts.corrections import CARD_ID, CardQuery
from contracts.generation import COLUMN_TYPES, TABLE_GRAINS
from services.gateway.edge import bounds
from services.readmodels.types import UtcDateTime

metadata = MetaData()

dashboard_corrections = Table(
    "dashboard_corrections", metadata,
    Column("correction_id", String(40), primary_key=True),
    Column("dashboard_id", String(128), nullable=False, index=True),
    Column("project_id", String(128), nullable=False),
    Column("number", Integer, nullable=False),  # its place in the dashboard's corrections, 1 first
    Column("kind", String(32), nullable=False),
    Column("card_id", Text),
    Column("detail", JSON, nullable=False),  # position, title, query or column_types
    Column("corrected_by", Text),
    Column("corrected_at", UtcDateTime(), nullable=False),
    Column("undone_by", Text),
    Column("undone_at", UtcDateTime()),
)

correction_revisions = Table(
    "correction_revisions", metadata,
    Column("dashboard_id", String(128), primary_key=True),
    Column("revision", Integer, nullable=False),  # corrections and undos so far: the next one's If-Match
)

CardId = Annotated[str, Field(pattern=CARD_ID)]
Title = bounds.Title


class _Correction(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RemoveCard(_Correction):
    kind: Literal["remove"]
    card_id: CardId


class PinCard(_Correction):
    kind: Literal["pin"]
    card_id: CardId


class MoveCard(_Correction):
    kind: Literal["move"]
    card_id: CardId
    position: int = Field(ge=0, le=1000, description="Its place among the cards, 0 first")


class ChangeQuery(_Correction):
    kind: Literal["change_query"]
    card_id: CardId
    query: CardQuery


class AddCard(_Correction):
    kind: Literal["add"]
    title: Title | None = None
    query: CardQuery


class RenameCard(_Correction):
    kind: Literal["rename"]
    card_id: CardId
    title: Title


class SetColumnTypes(_Correction):
    kind: Literal["set_column_types"]
    column_types: dict[Annotated[str, Field(min_length=1, max_length=256), bounds.NoControlCharacters],
                       Literal[COLUMN_TYPES + TABLE_GRAINS]] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=1000, description='For every later version; "grain" says what a row is')


CorrectionIn = Annotated[RemoveCard | PinCard | MoveCard | ChangeQuery | AddCard | RenameCard | SetColumnTypes,
                         Field(discriminator="kind")]


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    correction_id: str
    number: int = Field(description="Its place among the dashboard's corrections, 1 first: they apply in this order")
    kind: str
    card_id: str | None
    detail: dict = Field(description="position, title, query or column_types, as sent")
    corrected_by: str | None = Field(description="The API key id or JWT subject that made it")
    corrected_at: datetime
    undone_by: str | None
    undone_at: datetime | None = Field(description="Set once undone: later versions no longer replay it")


class CorrectionsOut(BaseModel):
    revision: int = Field(description="Send it as If-Match with the next correction: 409 if another came first")
    corrections: list[CorrectionOut]
