"""/api/v1/metrics: the KPI series of the project's dashboards, filtered and paged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.gateway.edge.bounds import IsoDateText, MetricIdQuery
from services.gateway.edge.dependencies import Caller, Limit, Offset, ReadModels, ScopedRoute, off_the_loop
from services.gateway.edge.envelope import ApiError, Page, page
from services.gateway.metrics.models import MetricPointOut
from services.gateway.metrics.queries import metrics_page

router = APIRouter(route_class=ScopedRoute, prefix="/api/v1", tags=["Metrics"])
IsoDate = Annotated[date | datetime | None, IsoDateText,
                    Query(description="ISO 8601 date, e.g. 2024-01-01 (a datetime's date is used)")]


def _as_date(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


@router.get("/metrics", response_model=Page[MetricPointOut])
async def list_metrics(caller: Caller, engine: ReadModels, limit: Limit = 100, offset: Offset = 0,
                       metric_id: MetricIdQuery = None,
                       start_date: IsoDate = None, end_date: IsoDate = None):
    start, end = _as_date(start_date), _as_date(end_date)
    if start and end and start > end:
        raise ApiError(422, "start_date: must not be after end_date")
    total, rows = await off_the_loop(engine, lambda conn: metrics_page(conn, caller.project_id, metric_id, start, end,
                                                                       limit, offset))
    return page([MetricPointOut.model_validate(row).model_dump() for row in rows], total, limit, offset)
