"""How a completed generation's KPI series become metric points."""

from __future__ import annotations

from contracts import GenerationCompleted
from services.gateway.metrics.models import metric_points
from services.readmodels.projection import Projection, Rows

metrics = Projection("metrics", metric_points)


@metrics.on(GenerationCompleted)
def _metrics_recorded(event: GenerationCompleted, rows: Rows) -> None:
    for series in event.payload.metrics:
        for point in series.points:
            rows["metric_points"].put({
                "metric_id": series.metric_id, "date": point.date, "project_id": event.project_id,
                "dashboard_id": event.payload.dashboard_id, "name": series.name,
                "aggregation": series.aggregation, "value": point.value,
            })
