"""The worker's own limits on columns, rows and cells, for every format, whatever reached it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from services.generation import reading
from services.generation.reading import TableLimits, TableTooLarge, columnar_table
from tests.generation.samples import encoded, sales

FORMATS = ["csv", "tsv", "ndjson", "json", "parquet", "xlsx"]
LIMITS = TableLimits(max_rows=100, max_columns=6, max_cells=500)  # sales() has 6 columns


def written(tmp_path: Path, frame: pl.DataFrame, file_format: str) -> Path:
    path = tmp_path / f"upload.{file_format}"
    path.write_bytes(encoded(frame, file_format))
    return path


@pytest.mark.parametrize("file_format", FORMATS)
def test_a_table_within_the_limits_is_read(tmp_path, file_format):
    frame = columnar_table(written(tmp_path, sales(80), file_format), file_format, tmp_path, LIMITS)
    assert frame.select(pl.len()).collect().item() == 80


@pytest.mark.parametrize("file_format", FORMATS)
def test_too_many_columns_are_refused(tmp_path, file_format):
    wide = sales(10).with_columns(pl.lit(1).alias("extra"))
    with pytest.raises(TableTooLarge, match="7 columns; the limit is 6"):
        columnar_table(written(tmp_path, wide, file_format), file_format, tmp_path, LIMITS)


@pytest.mark.parametrize("file_format", FORMATS)
def test_too_many_rows_are_refused(tmp_path, file_format):
    with pytest.raises(TableTooLarge, match="101 rows; the limit is 100"):
        columnar_table(written(tmp_path, sales(101), file_format), file_format, tmp_path,
                       TableLimits(max_rows=100, max_columns=6, max_cells=10_000))


@pytest.mark.parametrize("file_format", FORMATS)
def test_too_many_cells_are_refused(tmp_path, file_format):
    with pytest.raises(TableTooLarge, match="504 cells"):
        columnar_table(written(tmp_path, sales(84), file_format), file_format, tmp_path, LIMITS)


def test_a_wide_header_is_refused_before_it_is_parsed_however_long_it_is(tmp_path, monkeypatch):
    def parse(*args):
        raise AssertionError("the header was handed to the CSV parser")

    monkeypatch.setattr(reading, "scan_table", parse)
    path = tmp_path / "wide.csv"
    path.write_bytes(b",".join(b"c%d" % n for n in range(300_000)) + b"\n" + b"1," * 299_999 + b"1\n")
    with pytest.raises(TableTooLarge, match="columns; the limit is 6"):
        columnar_table(path, "csv", tmp_path, LIMITS)
