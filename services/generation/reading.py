"""Reading an uploaded file into a Polars DataFrame, by the format the gateway sniffed."""

from __future__ import annotations

from pathlib import Path

import polars as pl


class UnreadableFile(Exception):
    """The file is not what its first bytes promised; the message is for the user."""


def read_table(path: Path, file_format: str) -> pl.DataFrame:
    try:
        if file_format in ("csv", "tsv"):
            return pl.read_csv(path, separator="\t" if file_format == "tsv" else ",", infer_schema_length=10_000,
                               try_parse_dates=True, ignore_errors=True, truncate_ragged_lines=True,
                               encoding="utf8-lossy")
        if file_format == "ndjson":
            return pl.read_ndjson(path, infer_schema_length=10_000)
        if file_format == "json":
            return pl.read_json(path, infer_schema_length=10_000)
        if file_format == "parquet":
            return pl.read_parquet(path)
        if file_format == "xlsx":
            return pl.read_excel(path, engine="calamine")
    except pl.exceptions.PolarsError as error:
        raise UnreadableFile(f"the {file_format.upper()} file could not be read: {str(error).splitlines()[0]}") from error
    except Exception as error:  # readers of other formats raise their own types
        raise UnreadableFile(f"the {file_format.upper()} file could not be read: {error}") from error
    raise UnreadableFile(f"unsupported format {file_format}")
