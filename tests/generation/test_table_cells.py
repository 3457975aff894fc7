"""Table cells as people read them: a column of midnights (a Date column read as datetimes) shows
dates, a column whose datetimes have times keeps them, in the spec and in the viewer's tables."""

from __future__ import annotations

import re
from datetime import date, datetime

import polars as pl
import pytest

from services.generation.cards import table_card
from tests.generation.samples import encoded, sales
from tests.generation.test_generate import completed, generate


def test_midnights_read_as_dates_and_times_are_kept():
    rows = pl.DataFrame({
        "day": [datetime(2007, 10, 1), datetime(2007, 10, 2), None],
        "stamp": [datetime(2007, 10, 1), datetime(2007, 10, 1, 13, 45), datetime(2007, 10, 3, 0, 0, 7)],
        "plain_date": [date(2007, 10, 1), date(2007, 10, 2), date(2007, 10, 3)],
        "amount": [1.0, 20517.710000000003, 0.123456]})
    card = table_card(rows, rows.columns, None)
    assert [row["day"] for row in card["rows"]] == ["2007-10-01", "2007-10-02", None]
    assert [row["stamp"] for row in card["rows"]] == ["2007-10-01T00:00:00", "2007-10-01T13:45:00",
                                                      "2007-10-03T00:00:07"]
    assert [row["plain_date"] for row in card["rows"]] == ["2007-10-01", "2007-10-02", "2007-10-03"]
    assert [row["amount"] for row in card["rows"]] == [1.0, 20517.71, 0.1235]


def test_an_empty_table_has_no_rows():
    assert table_card(pl.DataFrame({"day": []}, schema={"day": pl.Datetime}), ["day"], None)["rows"] == []


def _dated_sales(spelling: str) -> pl.DataFrame:
    frame = sales(60).with_columns(pl.col("order_date").str.to_date())
    return frame.with_columns(pl.col("order_date").dt.strftime(spelling)) if spelling else frame


@pytest.mark.parametrize(("file_format", "spelling"), [("xlsx", ""), ("csv", "%m/%d/%Y"),
                                                        ("csv", "%d %b %Y")])
async def test_the_viewer_shows_a_date_column_as_dates(client, new_project, worker, file_format, spelling):
    project = await new_project()
    content = encoded(_dated_sales(spelling), file_format)
    answer = await completed(client, project.auth, (await generate(client, project, content, f"sales.{file_format}",
                                                                   title="Dated sales")).json()["data"])
    dashboard_id = answer["dashboard_id"]
    spec = (await client.get(f"/api/v1/dashboards/{dashboard_id}", headers=project.auth)).json()["data"]["spec"]
    table = next(card for card in spec["cards"] if card["kind"] == "table")
    assert "order_date" in table["columns"]
    assert all(len(row["order_date"]) == 10 for row in table["rows"]), table["rows"]
    page = await client.get(f"/api/v1/dashboards/{dashboard_id}/view", headers=project.auth)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page.text)
    assert table["rows"][0]["order_date"] in cells and not any("T00:00:00" in cell for cell in cells)
