"""Events of one dashboard generation: from the upload to the finished dashboard.

Subject: events.generation.<generation_id>
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from contracts.dashboard_ids import DASHBOARD_ID_PATTERN, canonical_dashboard_id
from contracts.envelope import Event
from contracts.upcasting import JsonObject, upcaster


class BlobRef(BaseModel):
    """A large thing kept in the blob store; events carry only its name and digest."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class GenerationOptions(BaseModel):
    allow_pdf_export: bool = False
    allow_scrollable_cards: bool = False


# What an upload's column_types may say of a column; the generation's semantic model obeys it.
COLUMN_TYPES = ("identifier", "category", "code", "time", "flag", "text", "weight", "ignore",
                "measure", "measure:sum", "measure:mean", "measure:median", "measure:last")
# ... and, under the key "grain", what one row of the table is (it decides what leads the dashboard)
GRAIN_KEY = "grain"
TABLE_GRAINS = ("event", "entity", "period", "panel", "long", "cell", "weighted")


class DashboardRequestedPayload(BaseModel):
    upload: BlobRef
    file_format: str
    title: str | None = None
    tenant_id: str | None = None
    workspace_id: str | None = None
    options: GenerationOptions = GenerationOptions()
    idempotency_key: str | None = None
    column_types: dict[str, Literal[COLUMN_TYPES + TABLE_GRAINS]] | None = Field(  # type: ignore[valid-type]
        default=None, description='Overrules the inferred type of named columns; "grain" overrules what a row is')
    dashboard_id: str | None = Field(default=None, pattern=DASHBOARD_ID_PATTERN,
                                     description="Refresh in place: the file becomes this dashboard's next version")
    requested_by: str | None = Field(default=None, description="The API key id or JWT subject that uploaded")
    cause: Literal["upload", "correction"] = Field(
        default="upload", description="An upload, or a version's file drawn again for a person's correction")


class DashboardRequested(Event):
    aggregate: ClassVar[str] = "generation"
    type: Literal["DashboardRequested"] = "DashboardRequested"
    version: Literal[2] = 2
    payload: DashboardRequestedPayload


@upcaster("DashboardRequested", from_version=1)
def _dashboard_requested_v1_to_v2(data: JsonObject) -> JsonObject:
    """v1 carried the upload as flat fields and had no premium options."""
    old = data["payload"]
    data["payload"] = {
        "upload": {"name": old["blob_name"], "sha256": old["sha256"], "size": old["size"]},
        "file_format": old.get("file_format", "csv"),
        "title": old.get("title"),
        "options": {},
    }
    return data


Stage = Literal["queued", "parsing", "profiling", "choosing", "rendering"]


class GenerationStartedPayload(BaseModel):
    worker: str


class GenerationStarted(Event):
    aggregate: ClassVar[str] = "generation"
    type: Literal["GenerationStarted"] = "GenerationStarted"
    version: Literal[1] = 1
    payload: GenerationStartedPayload


class GenerationProgressedPayload(BaseModel):
    stage: Stage
    percent: int = Field(ge=0, le=100)


class GenerationProgressed(Event):
    aggregate: ClassVar[str] = "generation"
    type: Literal["GenerationProgressed"] = "GenerationProgressed"
    version: Literal[1] = 1
    payload: GenerationProgressedPayload


class MetricPoint(BaseModel):
    date: date
    value: float


class MetricSeries(BaseModel):
    """One KPI over time; small by construction (bounded points), so it rides in the event."""

    metric_id: str
    name: str
    aggregation: Literal["sum", "mean", "count"]
    points: list[MetricPoint] = Field(max_length=5000)


class GenerationCompletedPayload(BaseModel):
    dashboard_id: str = Field(pattern=DASHBOARD_ID_PATTERN)
    dashboard_version: int = Field(default=1, ge=1, description="The version of the dashboard this generation made")
    title: str
    spec: BlobRef
    card_count: int = Field(ge=0)
    metrics: list[MetricSeries] = Field(default_factory=list, max_length=50)
    pdf: BlobRef | None = Field(default=None, description="The dashboard as a PDF, when allow_pdf_export was asked")


class GenerationCompleted(Event):
    aggregate: ClassVar[str] = "generation"
    type: Literal["GenerationCompleted"] = "GenerationCompleted"
    version: Literal[2] = 2
    payload: GenerationCompletedPayload


@upcaster("GenerationCompleted", from_version=1)
def _generation_completed_v1_to_v2(data: JsonObject) -> JsonObject:
    """v1 named the dashboard `d<generation id>`, before typed ids; each generation made its own."""
    data["payload"] = {**data["payload"], "dashboard_id": canonical_dashboard_id(data["payload"]["dashboard_id"]),
                       "dashboard_version": 1}
    return data


class GenerationFailedPayload(BaseModel):
    code: str
    reason: str = Field(description="What went wrong, in words a user can act on")


class GenerationFailed(Event):
    aggregate: ClassVar[str] = "generation"
    type: Literal["GenerationFailed"] = "GenerationFailed"
    version: Literal[1] = 1
    payload: GenerationFailedPayload
