"""/api/v1/metrics: the KPI series of the project's dashboards, filtered and paged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from services.gateway.edge.bounds import IsoDateText, MetricIdQuery
from services.gateway.edge.dependencies import Caller, Limit, Offset, ReadModels, off_the_loop
from services.gateway.edge.envelope import ApiError, Page, page
from services.gateway.metrics.models import MetricPointOut, metric_points

router = APIRouter(prefix="/api/v1", tags=["Metrics"])
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
    conditions = [metric_points.c.project_id == caller.project_id]
    if metric_id is not None:
        conditions.append(metric_points.c.metric_id == metric_id)
    if start is not None:
        conditions.append(metric_points.c.date >= start)
    if end is not None:
        conditions.append(metric_points.c.date <= end)
    def read(conn):
        total = conn.execute(select(func.count()).select_from(metric_points).where(*conditions)).scalar_one()
        return total, conn.execute(select(metric_points).where(*conditions)
                                   .order_by(metric_points.c.metric_id, metric_points.c.date)
                                   .limit(limit).offset(offset)).all()

    total, rows = await off_the_loop(engine, read)
    return page([MetricPointOut.model_validate(row).model_dump() for row in rows], total, limit, offset)
