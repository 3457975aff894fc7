"""The metric points read model: each KPI series of each dashboard, one row per day."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Date, Float, MetaData, String, Table, Text

metadata = MetaData()

metric_points = Table(
    "metric_points", metadata,
    Column("metric_id", Text, primary_key=True),
    Column("date", Date, primary_key=True),
    Column("project_id", String(128), nullable=False, index=True),
    Column("dashboard_id", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("aggregation", String(16), nullable=False),
    Column("value", Float, nullable=False),
)


class MetricPointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    metric_id: str
    name: str
    dashboard_id: str
    aggregation: str
    date: date
    value: float
