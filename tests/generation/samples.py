"""Files as users send them, in every format we read."""

from __future__ import annotations

import io
from datetime import date, timedelta

import polars as pl


def sales(rows: int = 300) -> pl.DataFrame:
    start = date(2024, 1, 1)
    return pl.DataFrame({
        "order_id": [f"ORD-{n:06d}" for n in range(rows)],
        "order_date": [(start + timedelta(days=n % 200)).isoformat() for n in range(rows)],
        "region": [["North", "South", "East", "West"][n % 4] for n in range(rows)],
        "product": [f"Product {n % 9}" for n in range(rows)],
        "amount": [round(10 + (n * 37 % 500) * 1.5, 2) for n in range(rows)],
        "discount_rate": [(n % 7) / 20 for n in range(rows)],
    })


def encoded(frame: pl.DataFrame, file_format: str) -> bytes:
    out = io.BytesIO()
    if file_format == "csv":
        frame.write_csv(out)
    elif file_format == "tsv":
        frame.write_csv(out, separator="\t")
    elif file_format == "json":
        frame.write_json(out)
    elif file_format == "ndjson":
        frame.write_ndjson(out)
    elif file_format == "parquet":
        frame.write_parquet(out)
    elif file_format == "xlsx":
        frame.write_excel(out)
    return out.getvalue()
