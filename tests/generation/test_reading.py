"""Reading uploads: column types, dates included, as Polars' own inference would give them."""

from __future__ import annotations

from pathlib import Path

import orjson
import palmerpenguins
import polars as pl
import pytest
import vega_datasets

from services.generation import reading
from services.generation.choosing import choose_cards
from services.generation.profile import profile_table
from services.generation.reading import INFER_ROWS, columnar_table, scan_table

PUBLIC_CSVS = [Path(palmerpenguins.__file__).parent / "data" / name for name in ("penguins.csv", "penguins-raw.csv")] + \
    sorted((Path(vega_datasets.__file__).parent / "_data").glob("*.csv"))


@pytest.mark.parametrize("path", PUBLIC_CSVS, ids=lambda p: p.name)
def test_types_match_polars_own_date_inference_on_public_data(path: Path):
    ours = scan_table(path, "csv").collect_schema()
    polars_own = pl.scan_csv(path, infer_schema_length=INFER_ROWS, try_parse_dates=True, ignore_errors=True,
                             truncate_ragged_lines=True, encoding="utf8-lossy").collect_schema()
    assert ours == polars_own


def test_dates_and_datetimes_in_common_formats_are_typed(tmp_path: Path):
    path = tmp_path / "d.csv"
    path.write_text("slashes,day_first,spaced,zoned\n2021/01/31,31-01-2021,2021-01-31 10:00:00,2021-01-31T10:00:00Z\n"
                    "2021/02/28,28-02-2021,2021-02-28 11:30:00,2021-02-28T10:00:00Z\n")
    frame = scan_table(path, "csv").collect()
    assert frame.schema == pl.Schema({"slashes": pl.Date(), "day_first": pl.Date(), "spaced": pl.Datetime("us"),
                                      "zoned": pl.Datetime("us", "UTC")})
    assert frame["day_first"].to_list()[1].isoformat() == "2021-02-28"


def test_a_column_with_text_after_its_first_dates_stays_text(tmp_path: Path):
    """Typing it as a date would silently turn the late 'not a date' into a null."""
    path = tmp_path / "late.csv"
    path.write_text("n,when\n" + "".join(f"{i},2021-01-{i % 28 + 1:02d}\n" for i in range(500)) + "500,not a date\n")
    frame = scan_table(path, "csv").collect()
    assert frame.schema["when"] == pl.String and frame["when"][-1] == "not a date"


def test_duplicate_headers_keep_every_column(tmp_path: Path):
    path = tmp_path / "dup.csv"
    path.write_text("a,a,when\n1,x,2021-01-01\n2,y,2021-01-02\n")
    frame = scan_table(path, "csv").collect()
    assert frame.columns == ["a", "a_duplicated_0", "when"] and frame["when"].dtype == pl.Date


@pytest.mark.parametrize(("name", "text", "file_format"), [
    ("big.csv", "id,big,amount\n1,123456789012345678901234567890,5\n2,98765432109876543210987654321,7\n3,5,9\n", "csv"),
    ("big.json", '[{"big": 123456789012345678901234567890, "amount": 1}, {"big": 5, "amount": 2}]', "json"),
])
def test_integers_past_64_bits_are_read_as_numbers_and_the_spec_serializes(tmp_path: Path, name, text, file_format):
    path = tmp_path / name
    path.write_text(text)
    frame = columnar_table(path, file_format, tmp_path)
    assert frame.collect_schema()["big"] == pl.Float64
    spec = choose_cards(profile_table(frame), "t")
    assert orjson.loads(orjson.dumps(spec))["rows"] in (2, 3)


def _read_whole(path: Path, file_format: str) -> pl.DataFrame:
    return scan_table(path, file_format).collect()


@pytest.mark.parametrize("piece_bytes", [64, 97, 1 << 20])
def test_a_file_read_in_pieces_is_the_file_read_whole(tmp_path: Path, monkeypatch, piece_bytes: int):
    """Pieces end only after a whole record: a quoted field holding newlines, doubled quotes and
    separators straddles piece boundaries and still reads as one value; no row is lost or split."""
    rows = ['id,note,amount']
    for n in range(200):
        note = f'"line one\nline ""two"", {n}\nend"' if n % 3 == 0 else f"plain {n}"
        rows.append(f"{n},{note},{n * 1.5}")
    path = tmp_path / "quoted.csv"
    path.write_text("\n".join(rows))  # no newline after the last record
    monkeypatch.setattr(reading, "PIECE_BYTES", piece_bytes)
    pieces = columnar_table(path, "csv", tmp_path).collect()
    assert pieces.equals(_read_whole(path, "csv"))
    assert pieces.height == 200 and pieces["note"][3] == 'line one\nline "two", 3\nend'
    if piece_bytes < 100:
        assert len(list((tmp_path / "table").iterdir())) > 10  # it was read in pieces


@pytest.mark.parametrize("first", [False, True], ids=["inside a piece", "first in a piece"])
@pytest.mark.parametrize("flaw", [b"twelve,a", b"7,b,extra,fields", b"8", "8,caf\xe9".encode("latin-1")],
                         ids=["a value of another type", "a long line", "a short line", "invalid UTF-8"])
def test_a_piece_with_a_flaw_reads_as_the_whole_file_read_forgivingly(tmp_path: Path, monkeypatch, flaw: bytes,
                                                                      first: bool):
    """Pieces are read strictly first: a flaw in one of them (after the rows that typed the columns),
    inside it or on its first line (where a piece without the header counts its fields), is read as
    the forgiving reader reads the whole file, and the pieces without one are the same too."""
    monkeypatch.setattr(reading, "INFER_ROWS", 100)
    monkeypatch.setattr(reading, "PIECE_BYTES", 256)
    path = tmp_path / "flawed.csv"
    for line in range(150, 300):  # the first line past the typed rows that falls where the case needs it
        lines = [b"id,count,note"] + [b"%d,%d,n%d" % (n, n * 2, n) for n in range(300)]
        lines[line] = b"%d," % line + flaw
        path.write_bytes(b"\n".join(lines) + b"\n")
        if (len(b"\n".join(lines[:line])) + 1 in {start for start, _ in _cuts(path)}) == first:
            break
    pieces = columnar_table(path, "csv", tmp_path).collect()
    assert pieces.equals(_read_whole(path, "csv")) and pieces.height == 300
    assert len(list((tmp_path / "table").iterdir())) > 5


def _cuts(path: Path) -> list[tuple[int, int]]:
    cuts, start = [], 0
    for piece in reading.pieces_of(path):
        cuts.append((start, len(piece)))
        start += len(piece)
    return cuts


def test_a_tsv_and_a_header_only_file_read_in_pieces(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(reading, "PIECE_BYTES", 16)
    tsv = tmp_path / "t.tsv"
    tsv.write_text("day\tvalue\n" + "".join(f"2021-01-{d:02d}\t{d}\n" for d in range(1, 29)))
    assert columnar_table(tsv, "tsv", tmp_path).collect().equals(_read_whole(tsv, "tsv"))
    header = tmp_path / "h.csv"
    header.write_text("a,b\n")
    (tmp_path / "h").mkdir()
    assert columnar_table(header, "csv", tmp_path / "h").collect().shape == (0, 2)


def test_the_types_come_from_the_first_rows_however_long_they_are(tmp_path: Path, monkeypatch):
    """The head grows until it holds INFER_ROWS rows (a wide row, a blank line, a newline inside
    quotes), reading no more than that of a long file of short rows."""
    monkeypatch.setattr(reading, "INFER_ROWS", 50)
    monkeypatch.setattr(reading, "FIRST_HEAD_BYTES", 256)
    read: list[int] = []
    leading = reading.leading_records

    def recorded(path: Path, size: int) -> bytes:
        read.append(size)
        return leading(path, size)
    monkeypatch.setattr(reading, "leading_records", recorded)
    options = reading.csv_options("csv")
    rows = [f"{n},{'x' * 40},{n}" for n in range(2000)]
    rows[45] = "45,late,2.5"  # a float in the 46th row types the column, as every row before it is whole
    for name, lines in [("wide", rows), ("blank", [r if n % 2 else r + "\n" for n, r in enumerate(rows)]),
                        ("quoted", [f'{n},"two\nlines",{r.rsplit(",", 1)[1]}' for n, r in enumerate(rows)])]:
        path = tmp_path / f"{name}.csv"
        path.write_text("id,note,amount\n" + "\n".join(lines) + "\n")
        grown = reading.text_schema(path, options)
        with monkeypatch.context() as whole_head:
            whole_head.setattr(reading, "FIRST_HEAD_BYTES", reading.SCHEMA_BYTES)
            assert grown == reading.text_schema(path, options), name  # as if SCHEMA_BYTES were read at once
        assert grown["amount"] == (pl.Int64 if name == "blank" else pl.Float64), name  # a blank line is a row
    read.clear()
    short = tmp_path / "short.csv"
    short.write_text("id,amount\n" + "".join(f"{n},{n}\n" for n in range(200_000)))
    assert reading.text_schema(short, options) == pl.Schema({"id": pl.Int64, "amount": pl.Int64})
    assert max(read) <= 1024 < short.stat().st_size  # 51 lines of under 16 bytes: the first reads hold them


def test_the_types_come_from_the_head_of_a_file_longer_than_it(tmp_path: Path, monkeypatch):
    """Only SCHEMA_BYTES of the file are read to type it, cut after a whole record."""
    monkeypatch.setattr(reading, "SCHEMA_BYTES", 200)
    path = tmp_path / "long.csv"
    path.write_text("when,count\n" + "".join(f"2021-02-{d % 28 + 1:02d},{d}\n" for d in range(5000)))
    assert reading.text_schema(path, reading.csv_options("csv")) == pl.Schema({"when": pl.Date, "count": pl.Int64})
    assert reading.leading_records(path, 200).endswith(b"\n") and len(reading.leading_records(path, 200)) <= 200
