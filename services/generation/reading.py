"""Reading an uploaded file as a Polars LazyFrame, by the format the gateway sniffed.

CSV, TSV, NDJSON and Parquet are scanned, never loaded whole; JSON arrays and workbooks have no
streaming reader and are read (the gateway's limits bound their size).
"""

from __future__ import annotations

import mmap
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypedDict

import polars as pl


class CsvOptions(TypedDict):
    """How every scan of a delimited file reads it: forgiving, as files people upload need."""

    separator: str
    ignore_errors: bool
    truncate_ragged_lines: bool
    encoding: Literal["utf8", "utf8-lossy"]


class UnreadableFile(Exception):
    """The file is not what its first bytes promised; the message is for the user."""


class TableTooLarge(UnreadableFile):
    """The table is over a limit of the worker's own, whatever the gateway let through."""


@dataclass(frozen=True)
class TableLimits:
    """The gateway's upload limits, enforced again where the file is read, for every format."""

    max_rows: int = 10_000_000
    max_columns: int = 1000
    max_cells: int = 200_000_000

    def check(self, rows: int, columns: int) -> None:
        if columns > self.max_columns:
            raise TableTooLarge(f"the file has {columns} columns; the limit is {self.max_columns}")
        if rows > self.max_rows:
            raise TableTooLarge(f"the file has {rows} rows; the limit is {self.max_rows}")
        if rows * columns > self.max_cells:
            raise TableTooLarge(f"the file has {rows * columns} cells ({rows} rows of {columns} columns); "
                                f"the limit is {self.max_cells}")


def csv_options(file_format: str) -> CsvOptions:
    return CsvOptions(separator="\t" if file_format == "tsv" else ",", ignore_errors=True, truncate_ragged_lines=True,
                      encoding="utf8-lossy")


INFER_ROWS = 10_000  # rows that decide a column's type; a later row that does not fit becomes null
DATE_INFER_ROWS = 100
TEMPORAL = (pl.Date, pl.Datetime)
SCHEMA_BYTES = 32 << 20  # the most of a delimited file's head that types its columns (INFER_ROWS rows of 3 KB)
FIRST_HEAD_BYTES = 1 << 20  # the first read of that head, doubled until it holds INFER_ROWS rows
PIECE_BYTES = 8 << 20  # a piece of a delimited file parsed at once (5M rows: 16 MB pieces, 60 MB more memory)
PIECES_AT_ONCE = 3


def scan_table(path: Path, file_format: str) -> pl.LazyFrame:
    if file_format in ("csv", "tsv"):
        options = csv_options(file_format)
        return pl.scan_csv(path, schema=text_schema(path, options), **options)
    if file_format == "ndjson":
        return pl.scan_ndjson(path, infer_schema_length=INFER_ROWS)
    if file_format == "parquet":
        return pl.scan_parquet(path)
    if file_format == "json":
        return pl.read_json(path, infer_schema_length=INFER_ROWS).lazy()
    if file_format == "xlsx":
        return pl.read_excel(path, engine="calamine").lazy()
    raise UnreadableFile(f"unsupported format {file_format}")


def text_schema(path: Path, options: CsvOptions) -> pl.Schema:
    """Column types from the first INFER_ROWS rows, dates included, read from the file's first bytes.

    Polars' own date inference (try_parse_dates) tries every pattern on every text value of the
    sample: over 10,000 rows it cost 0.2 s, and it ran twice per scan (5M rows: sink 1.6 s -> 1.2 s
    without it). Here the types come from a plain inference; dates are guessed on the first
    DATE_INFER_ROWS rows, then confirmed on all INFER_ROWS rows of those columns alone. Every read
    is of a bounded head of the file: Polars reads a whole file to give its first rows (5M rows,
    297 MB: 160 MB of memory for the sample, 35 MB from the head).
    """
    head = typing_head(path)
    schema = pl.Schema(pl.read_csv(head, infer_schema_length=INFER_ROWS, n_rows=INFER_ROWS, **options).schema)
    text = [name for name, dtype in schema.items() if dtype == pl.String]
    if not text:
        return schema
    guessed = pl.read_csv(head, n_rows=DATE_INFER_ROWS, try_parse_dates=True, **options).schema
    dated = {name: dtype for name in text if isinstance(dtype := guessed.get(name), TEMPORAL)}
    if dated:
        names = list(schema)
        sample = pl.read_csv(head, n_rows=INFER_ROWS, infer_schema=False, columns=[names.index(n) for n in dated],
                             **options)
        for (name, dtype), values in zip(dated.items(), sample.iter_columns(), strict=True):
            if values.str.strptime(dtype, strict=False).null_count() == values.null_count():
                schema[name] = dtype
    return schema


def typing_head(path: Path) -> bytes:
    """The records that type a delimited file: its first INFER_ROWS rows, read in growing pieces, or
    the whole records of SCHEMA_BYTES when fewer fit (a 297 MB file of short rows: 39 ms -> 3 ms).
    Each line is a row (a blank one of nulls); a head with quotes, whose newlines may be inside
    values, is read up to SCHEMA_BYTES at once."""
    size, whole = min(FIRST_HEAD_BYTES, SCHEMA_BYTES), path.stat().st_size
    while True:
        head = leading_records(path, size)
        if size >= min(SCHEMA_BYTES, whole) or (b'"' not in head and head.count(b"\n") > INFER_ROWS):
            return head
        size = SCHEMA_BYTES if b'"' in head else min(2 * size, SCHEMA_BYTES)


def leading_records(path: Path, size: int) -> bytes:
    """The file's first `size` bytes, cut after the last whole record they hold (all of a smaller file)."""
    with path.open("rb") as file:
        head = file.read(size)
        if len(head) < size:
            return head
        return records(head, final=False)[0] or head


def records(data: bytes, final: bool) -> tuple[bytes, bytes]:
    """`data` split after its last newline outside quotes: (whole records, the rest). A quote is
    escaped by doubling it, so a newline ends a record where the quotes before it are even."""
    if final:
        return data, b""
    end = data.rfind(b"\n")
    if b'"' not in data:  # memchr: a file with no quotes at all is spared counting them (8 MB: 9 ms -> 0.1 ms)
        return data[:end + 1], data[end + 1:]
    quotes = data.count(b'"', 0, end) if end >= 0 else 0
    while end >= 0 and quotes % 2:
        earlier = data.rfind(b"\n", 0, end)
        quotes -= data.count(b'"', earlier + 1, end) if earlier >= 0 else quotes
        end = earlier
    return data[:end + 1], data[end + 1:]


def columnar_table(path: Path, file_format: str, work_dir: Path, limits: TableLimits = TableLimits()) -> pl.LazyFrame:
    """The table in a form that every later query can read fast, column by column, within `limits`.

    A text file is parsed once into uncompressed Parquet beside it: every card's query then reads
    only its own columns instead of tokenising the whole text again (5M rows, 297 MB: profile and
    cards took 4.2 s over the CSV, 1.6 s with the copy included). Columns are counted before
    anything is parsed (a delimited header by its bytes), rows once they are counted cheaply: from
    the Parquet footer, or the frame a reader already holds.
    """
    if file_format in ("csv", "tsv"):
        limits.check(0, header_columns(path, b"\t" if file_format == "tsv" else b",", limits.max_columns))
    frame = scan_table(path, file_format)
    schema = frame.collect_schema()
    limits.check(0, len(schema))
    if file_format in ("csv", "tsv") and not compressed(path):
        frame = parquet_in_pieces(path, csv_options(file_format), schema, work_dir)
    elif file_format in ("csv", "tsv", "ndjson"):
        parsed = work_dir / "table.parquet"
        frame.sink_parquet(parsed, compression="uncompressed", statistics=False)
        frame = pl.scan_parquet(parsed)
    limits.check(frame.select(pl.len()).collect().item(), len(schema))
    return wide_integers_as_floats(frame)


def parquet_in_pieces(path: Path, options: CsvOptions, schema: pl.Schema, work_dir: Path) -> pl.LazyFrame:
    """A delimited file parsed PIECE_BYTES at a time, each piece of whole records into a Parquet part,
    PIECES_AT_ONCE of them in flight (Polars releases the GIL while it parses and writes).

    Polars' streaming CSV reader holds about the whole file in memory (5M rows, 297 MB: 300 MB
    above the worker's idle size); pieces keep that to a few of them. One piece at a time took
    1.7 s of that file, three at once 1.1 s, for 40 MB more.
    """
    parts = work_dir / "table"
    parts.mkdir()

    flawed = threading.Event()  # once a piece needed the forgiving reader, the rest go to it at once

    def parse(number: int, piece: bytes) -> None:
        read_piece(piece, number == 0, schema, options, flawed).write_parquet(
            parts / f"{number:06d}.parquet", compression="uncompressed", statistics=False)

    written = 0
    with ThreadPoolExecutor(PIECES_AT_ONCE) as pool:
        in_flight: deque[Future] = deque()
        for written, piece in enumerate(pieces_of(path), start=1):
            in_flight.append(pool.submit(parse, written - 1, piece))
            if len(in_flight) == PIECES_AT_ONCE:
                in_flight.popleft().result()
        for parsing in in_flight:
            parsing.result()
    return pl.scan_parquet(parts / "*.parquet") if written else pl.LazyFrame(schema=schema)


def read_piece(piece: bytes, header: bool, schema: pl.Schema, options: CsvOptions, flawed: threading.Event
               ) -> pl.DataFrame:
    """A piece read strictly first, forgivingly when that fails (and from then on, as a file with one
    flaw has more, each piece would be read twice): the same table either way (a strict read that
    succeeds met no bad value, ragged line or invalid UTF-8), and the strict reader is faster (5M
    rows: 1.0 s -> 0.83 s for the pieces of the whole file). A piece without the header counts its
    fields on its first line: a short or long one there is read as on any other line (missing
    fields empty, extra ones dropped), not as the piece's shape."""
    if not flawed.is_set():
        try:
            return pl.read_csv(piece, has_header=header, schema=schema, separator=options["separator"],
                               missing_columns="insert", extra_columns="ignore")
        except pl.exceptions.PolarsError:
            flawed.set()
    return pl.read_csv(piece, has_header=header, schema=schema, missing_columns="insert", extra_columns="ignore",
                       **options)


def pieces_of(path: Path) -> Iterator[bytes]:
    """The file in pieces of about PIECE_BYTES, each ending after a whole record.

    Cut from a memory map: each piece is copied once, from the page cache (reading blocks and
    joining each to the rest of the one before copied the file three times: 0.22 s -> 0.10 s);
    a window holding quotes is copied once more, to count them.
    A blob's file is never rewritten in place, so the map cannot shrink under the reader. Pages
    read are let go: they stay in the page cache, out of the worker's resident size.
    """
    with path.open("rb") as file:
        if not os.fstat(file.fileno()).st_size:
            return
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            start, size = 0, len(mapped)
            while start < size:
                end = _record_end(mapped, start, size)
                piece = mapped[start:end]
                # pages read through a map count in the process' resident size until they are let go
                done = start - start % mmap.PAGESIZE
                mapped.madvise(mmap.MADV_DONTNEED, done, end - done)
                yield piece
                start = end


def _record_end(mapped: mmap.mmap, start: int, size: int) -> int:
    """Where the piece that begins at `start` ends: after the last whole record within PIECE_BYTES,
    or within a longer window when one record is longer than that."""
    window = PIECE_BYTES
    while start + window < size:
        if mapped.find(b'"', start, start + window) < 0:  # no quotes: the last newline ends a record
            newline = mapped.rfind(b"\n", start, start + window)
            cut = newline + 1 - start if newline >= 0 else 0
        else:
            cut = len(records(mapped[start:start + window], final=False)[0])
        if cut:
            return start + cut
        window *= 2
    return size


def compressed(path: Path) -> bool:
    """A gzip, zlib or zstd file, which Polars decompresses whole before it reads."""
    with path.open("rb") as file:
        magic = file.read(4)
    return magic[:2] in (b"\x1f\x8b", b"\x78\x01", b"\x78\x9c", b"\x78\xda") or magic == b"\x28\xb5\x2f\xfd"


def wide_integers_as_floats(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Integers past 64 bits (a 30-digit number) become floats: every later step, and the spec's
    JSON, works in 64 bits (orjson refuses a wider integer, and the job failed on every delivery)."""
    wide = [name for name, dtype in frame.collect_schema().items() if dtype in (pl.Int128, pl.UInt128)]
    return frame.with_columns(pl.col(wide).cast(pl.Float64)) if wide else frame


def header_columns(path: Path, separator: bytes, limit: int) -> int:
    """Columns of the first line, read in pieces and counted only until they pass `limit`."""
    columns = 1
    with path.open("rb") as file:
        while piece := file.read(1 << 20):
            line = piece.split(b"\n", 1)[0]
            columns += line.count(separator)
            if len(line) < len(piece) or columns > limit:
                break
    return columns


def unreadable_as_such(work, file_format: str):
    """Run `work`; a reader's error becomes an UnreadableFile with words for the user."""
    try:
        return work()
    except pl.exceptions.PolarsError as error:
        raise UnreadableFile(f"the {file_format.upper()} file could not be read: {str(error).splitlines()[0]}") from error
    except (UnreadableFile, MemoryError):
        raise
    except Exception as error:  # readers of other formats raise their own types
        raise UnreadableFile(f"the {file_format.upper()} file could not be read: {error}") from error
