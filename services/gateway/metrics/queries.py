"""What the metrics route reads of its read model: functions of a Connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Connection, Row, func, select

from services.gateway.metrics.models import metric_points


def metrics_page(conn: Connection, project_id: str, metric_id: str | None, start: date | None, end: date | None,
                 limit: int, offset: int) -> tuple[int, Sequence[Row]]:
    """The project's points (of one metric, between two dates, when asked), by metric then date; and their total."""
    conditions = [metric_points.c.project_id == project_id]
    if metric_id is not None:
        conditions.append(metric_points.c.metric_id == metric_id)
    if start is not None:
        conditions.append(metric_points.c.date >= start)
    if end is not None:
        conditions.append(metric_points.c.date <= end)
    total = conn.execute(select(func.count()).select_from(metric_points).where(*conditions)).scalar_one()
    return total, conn.execute(select(metric_points).where(*conditions)
                               .order_by(metric_points.c.metric_id, metric_points.c.date)
                               .limit(limit).offset(offset)).all()
