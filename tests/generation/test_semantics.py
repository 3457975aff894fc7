"""One small frame per semantic rule and table shape, written for the rule, with its traps:
a year column, a 0/1 flag, a FIPS code, HHMM times, a Freq column, a long table, a panel,
a partial last month."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest

from services.generation.choosing import choose_cards
from services.generation.profile import UnknownColumns, profile_table
from services.generation.semantics import TimeAxis


def kinds(frame: pl.DataFrame, **types) -> dict[str, str]:
    return {c.name: c.semantic.kind for c in profile_table(frame, types or None).columns}


def queries(frame: pl.DataFrame, **types) -> list[dict]:
    spec = choose_cards(profile_table(frame, types or None), "t")
    return [card["query"] for card in spec["cards"] if card["kind"] in ("kpi", "chart")]


def cards(frame: pl.DataFrame, **types) -> dict[str, dict]:
    return {card["id"]: card for card in choose_cards(profile_table(frame, types or None), "t")["cards"]}


def time_axis(frame: pl.DataFrame) -> TimeAxis:
    axis = profile_table(frame).model.time
    assert axis is not None, "no time axis"
    return axis


def measured(frame: pl.DataFrame, **types) -> dict[str, set[str]]:
    """Each column used as a measure, with the aggregates applied to it."""
    found: dict[str, set[str]] = {}
    for q in queries(frame, **types):
        if q["measure"]:
            found.setdefault(q["measure"], set()).add(q["aggregate"])
    return found


def test_a_plain_year_column_is_the_time_axis_never_a_measure():
    frame = pl.DataFrame({"year": list(range(2001, 2013)), "revenue": [float(n * 10) for n in range(12)]})
    profile = profile_table(frame)
    assert time_axis(frame).sources == ["year"] and profile.column("year").semantic.kind == "calendar"
    assert "year" not in measured(frame)
    trend = cards(frame)["trend-revenue"]
    assert trend["query"]["time"] == {"columns": ["year"], "unit": "year"}


def test_two_digit_years_are_last_century_and_two_years_are_no_time_axis():
    frame = pl.DataFrame({"year": [63, 64, 65, 66] * 3, "price": [1.0 + n for n in range(12)]})
    axis = time_axis(frame)
    assert axis.start.year == 1963 and axis.end.year == 1966
    compared = pl.DataFrame({"year": [1999, 2008] * 10, "hwy": [float(20 + n % 7) for n in range(20)]})
    assert profile_table(compared).model.time is None
    assert all(q["time"] is None for q in queries(compared)) and "year" not in measured(compared)


@pytest.mark.parametrize(("spelling", "first"), [
    (["2016-01-01", "2016-02-01", "2016-03-01"], datetime(2016, 1, 1)),
    (["2013/01/31", "2013/02/28", "2013/03/31"], datetime(2013, 1, 31)),
    (["Jan 1 2000", "Feb 1 2000", "Mar 1 2000"], datetime(2000, 1, 1)),
    (["1939 Jan", "1939 Feb", "1939 Mar"], datetime(1939, 1, 1)),
    (["Mar-2018", "Apr-2018", "May-2018"], datetime(2018, 3, 1)),
    (["01/15/99", "02/15/99", "03/15/99"], datetime(1999, 1, 15)),
])
def test_every_common_date_spelling_is_time(spelling, first):
    frame = pl.DataFrame({"when": spelling * 4, "amount": [float(n) for n in range(12)]})
    axis = time_axis(frame)
    assert axis.sources == ["when"] and axis.start == first


def test_decimal_years_are_time():
    frame = pl.DataFrame({"time": [1959 + n / 4 for n in range(12)], "co2": [315.0 + n for n in range(12)]})
    axis = time_axis(frame)
    assert axis.sources == ["time"] and axis.start.year == 1959 and axis.end.year == 1961


def test_year_and_month_that_belong_together_are_assembled_and_other_years_are_attributes():
    frame = pl.DataFrame({"Year_Built": [1950 + n for n in range(24)], "Mo_Sold": [n % 12 + 1 for n in range(24)],
                          "Year_Sold": [2006 + n // 12 for n in range(24)], "Sale_Price": [1e5 + n for n in range(24)]})
    profile = profile_table(frame)
    assert time_axis(frame).sources == ["Year_Sold", "Mo_Sold"]
    assert profile.column("Year_Built").semantic.kind == "calendar"
    assert not {"Year_Built", "Mo_Sold", "Year_Sold"} & set(measured(frame))


def test_the_events_own_time_is_chosen_over_its_end():
    start = date(2020, 1, 1)
    frame = pl.DataFrame({"ended": [start + timedelta(days=40 + n) for n in range(30)],
                          "started": [start + timedelta(days=n) for n in range(30)], "party": ["a", "b", "c"] * 10})
    assert time_axis(frame).sources == ["started"]


def test_a_zero_one_flag_is_a_share_never_a_sum():
    frame = pl.DataFrame({"shop": ["a", "b", "c", "d"] * 10, "returned": [1, 0, 0, 0, 1] * 8})
    assert kinds(frame)["returned"] == "flag"
    kpi = cards(frame)["kpi-returned"]
    assert kpi["query"]["aggregate"] == "share" and kpi["value"] == pytest.approx(0.4) and kpi["display"] == "40%"
    assert measured(frame)["returned"] == {"share"}


def test_yes_no_text_is_a_flag_and_a_zero_one_copy_of_a_category_is_left_alone():
    frame = pl.DataFrame({"airline": ["Delta", "United"] * 20, "is_delta": [1, 0] * 20,
                          "on_time": ["yes", "no", "yes", "yes"] * 10})
    found = kinds(frame)
    assert found["on_time"] == "flag" and found["is_delta"] == "dummy"
    assert "is_delta" not in measured(frame)
    made = cards(frame)  # flights are occurrences: counted by airline first, then their on-time share
    assert made["breakdown-airline"]["query"]["aggregate"] == "count"
    by_airline = made["breakdown-on_time-by-airline"]["vega_lite"]["data"]["values"]
    assert {row["category"]: row["value"] for row in by_airline} == {"Delta": 1.0, "United": 0.5}


def test_fips_and_zip_codes_are_codes_never_measures():
    frame = pl.DataFrame({"state_fips": [1, 2, 4, 5, 6] * 8, "zip": [10001 + 37 * n for n in range(40)],
                          "sales": [float(n % 9) for n in range(40)]})
    found = kinds(frame)
    assert found["state_fips"] == "code" and found["zip"] == "code"
    assert set(measured(frame)) == {"sales"}


def test_a_numeric_category_code_groups_and_is_never_averaged():
    frame = pl.DataFrame({"degree": [1, 2, 3] * 10, "earnings": [30000.0 + 100 * n for n in range(30)]})
    assert kinds(frame)["degree"] == "code"
    assert "degree" not in measured(frame) and cards(frame)["breakdown-degree"]["query"]["by"] == ["degree"]


def test_hhmm_clock_times_and_decimal_hours_are_calendar_parts():
    frame = pl.DataFrame({"dep_time": [517, 533, 542, 1544, 2359, 13, 1200, 905] * 5,
                          "hour": [11.9, 19.2, 7.5, 12.0, 22.9, 0.5, 13.1, 9.9] * 5,
                          "delay": [float(n % 17) for n in range(40)]})
    found = profile_table(frame)
    assert found.column("dep_time").semantic.detail == "clock" and found.column("hour").semantic.detail == "hour"
    assert set(measured(frame)) == {"delay"}


def test_time_spent_in_minutes_or_hours_is_a_measure_not_a_place_on_the_clock():
    """'minutes_to_deliver' within 0..59 and 'hours_worked' within 0..24 are amounts of time; a whole
    'minutes' beside 'hours' (a clock split over columns) and a pickup hour are calendar parts."""
    frame = pl.DataFrame({"minutes_to_deliver": [5 + (n * 7) % 50 for n in range(40)],  # whole minutes, 5..54
                          "hours_worked": [3.5 + (n * 5) % 37 / 4 for n in range(40)],
                          "pickup_hour": [n % 24 for n in range(40)],
                          "minutes": [(n * 13) % 60 for n in range(40)]})
    found = {c.name: (c.semantic.kind, c.semantic.detail) for c in profile_table(frame).columns}
    assert found["pickup_hour"] == ("calendar", "hour") and found["minutes"] == ("calendar", "minute")
    assert {"minutes_to_deliver", "hours_worked"} <= set(measured(frame))


def test_a_count_named_by_a_leading_number_word_is_no_identifier_and_a_year_qualified_by_last_no_year():
    frame = pl.DataFrame({"number_of_children": [n % 5 for n in range(60)],
                          "num_messages_sent": [(n * 7) % 45 for n in range(60)],
                          "flight_num": [100 + (n * 37) % 90 for n in range(60)],
                          "trainings_last_year": [n % 7 for n in range(60)],
                          "salary": [30000.0 + 250 * n for n in range(60)]})
    found = {c.name: c.semantic for c in profile_table(frame).columns}
    assert found["flight_num"].kind in ("code", "identifier")
    assert "named an id" not in " ".join(found["number_of_children"].evidence + found["num_messages_sent"].evidence)
    assert found["trainings_last_year"].kind != "calendar" and found["num_messages_sent"].kind == "level"


def test_coordinates_go_on_a_map_and_nowhere_else():
    frame = pl.DataFrame({"lat": [-20.4 + n / 10 for n in range(50)], "long": [181.6 - n / 10 for n in range(50)],
                          "mag": [4.0 + (n % 10) / 10 for n in range(50)]})
    assert kinds(frame)["lat"] == kinds(frame)["long"] == "coordinate"
    found = cards(frame)
    place = found.pop("map-lat-long")
    assert place["query"]["by"] == ["lat", "long"] and place["query"]["measure"] is None
    assert place["vega_lite"]["layer"][0]["data"]["url"] == "/assets/land-110m.json"  # served by Dashloom
    others = [card["query"] for card in found.values() if "query" in card]
    used = {q["measure"] for q in others} | {b for q in others for b in q["by"]}
    assert "lat" not in used and "long" not in used and "mag" in used


def test_row_numbers_named_ids_and_unique_names_are_identifiers_never_grouped():
    frame = pl.DataFrame({"rownames": list(range(1, 61)), "customer_id": [f"C{n % 20}" for n in range(60)],
                          "name": [f"Person {n}" for n in range(60)], "spend": [float(n % 13) for n in range(60)],
                          "segment": ["a", "b", "c"] * 20})
    found = kinds(frame)
    assert found["rownames"] == found["customer_id"] == found["name"] == "identifier"
    for q in queries(frame):
        assert not {"rownames", "name"} & ({q["measure"], q["split"]} | set(q["by"]))
    assert "customer_id" not in measured(frame)  # an id is never a measure, not even counted distinct


def test_a_freq_column_weighs_every_count_and_share():
    frame = pl.DataFrame({"Class": ["1st", "2nd", "1st", "2nd"], "Survived": ["No", "No", "Yes", "Yes"],
                          "Freq": [100, 300, 200, 100]})
    profile = profile_table(frame)
    assert profile.model.shape == "weighted" and profile.model.weight == "Freq"
    found = cards(frame)
    assert found["kpi-Freq"]["value"] == 700 and "rows" not in found
    people = found["breakdown-Class"]  # how many, weighted, then the share that survived
    assert people["query"]["weight"] == "Freq" and people["query"]["aggregate"] == "count"
    assert {row["category"]: row["value"] for row in people["vega_lite"]["data"]["values"]} == {"1st": 300, "2nd": 400}
    by_class = found["breakdown-Survived-by-Class"]
    assert by_class["query"]["weight"] == "Freq"
    shares = {row["category"]: row["value"] for row in by_class["vega_lite"]["data"]["values"]}
    assert shares == {"1st": pytest.approx(200 / 300), "2nd": pytest.approx(100 / 400)}


def test_a_long_table_draws_one_series_per_variable_and_never_adds_them_up():
    months = [date(2000 + n // 12, n % 12 + 1, 1) for n in range(36)]
    frame = pl.DataFrame({"date": months * 2, "variable": ["pop"] * 36 + ["rate"] * 36,
                          "value": [300000.0 + n for n in range(36)] + [5.0 + n / 10 for n in range(36)]})
    profile = profile_table(frame)
    assert profile.model.shape == "long" and (profile.model.long_key, profile.model.long_value) == ("variable", "value")
    trend = cards(frame)["trend-value-by-variable"]
    assert trend["query"]["split"] == "variable" and trend["vega_lite"]["resolve"]["scale"]["y"] == "independent"
    assert "sum" not in measured(frame).get("value", set())


def test_a_panel_draws_one_line_per_entity_and_its_kpis_are_the_latest_period():
    states = [f"S{n}" for n in range(4)]
    frame = pl.DataFrame({"state": [s for s in states for _ in range(10)], "year": list(range(1990, 2000)) * 4,
                          "rate": [float(i * 10 + y) for i in range(4) for y in range(10)]})
    profile = profile_table(frame)
    assert profile.model.shape == "panel" and profile.model.entity == "state"
    found = cards(frame)
    assert found["trend-rate-by-state"]["query"]["split"] == "state"
    kpi = found["kpi-rate"]
    assert kpi["query"]["aggregate"] == "last" and kpi["value"] == pytest.approx((9 + 19 + 29 + 39) / 4)
    assert kpi["note"].startswith("in 1999")


def test_a_per_entity_figure_in_a_panel_is_never_summed_even_when_named_sales():
    frame = pl.DataFrame({"state": [f"S{n}" for n in range(5) for _ in range(8)], "year": list(range(1980, 1988)) * 5,
                          "sales": [100.0 + (n * 7) % 23 for n in range(40)]})
    assert profile_table(frame).column("sales").semantic.kind == "level"
    assert "sum" not in measured(frame)["sales"]


def test_a_partial_last_month_is_left_out_of_the_line():
    days = [date(2022, 5, 1) + timedelta(days=n) for n in range((date(2024, 4, 10) - date(2022, 5, 1)).days + 1)]
    frame = pl.DataFrame({"day": days, "amount": [10.0 + n % 2 for n in range(len(days))]})
    spec = cards(frame)
    points = {row["period"][:7]: row["value"] for row in spec["trend-amount"]["vega_lite"]["data"]["values"]}
    expected = frame.group_by(pl.col("day").dt.strftime("%Y-%m")).agg(pl.col("amount").sum())
    assert points == {month: total for month, total in expected.iter_rows() if month != "2024-04"}  # ends 10 April
    assert "partial" in spec["trend-amount"]["rule"] and "2024-04-01" in spec["trend-amount"]["rule"]


def test_weekdays_keep_their_order_and_many_values_become_top_n_and_other():
    frame = pl.DataFrame({"day": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] * 6,
                          "city": [f"City {n % 21}" for n in range(42)], "minutes": [float(n) for n in range(42)]})
    found = cards(frame)
    days = [row["category"] for row in found["breakdown-day"]["vega_lite"]["data"]["values"]]
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    cities = [row["category"] for row in found["breakdown-city"]["vega_lite"]["data"]["values"]]
    assert len(cities) == 11 and cities[-1] == "Other (11)"


def test_letter_grades_are_ordered_and_shown_in_their_order():
    frame = pl.DataFrame({"sub_grade": ["C2", "A1", "B3", "A2", "C1", "B1"] * 5, "loan": [float(n) for n in range(30)]})
    assert kinds(frame)["sub_grade"] == "ordered"
    grades = [row["category"] for row in cards(frame)["breakdown-sub_grade"]["vega_lite"]["data"]["values"]]
    assert grades == ["A1", "A2", "B1", "B3", "C1", "C2"]


def test_amounts_sum_and_prices_average():
    frame = pl.DataFrame({"amount": [10.0, 20.0, 30.0] * 5, "unit_price": [2.0, 4.0, 6.0] * 5})
    found = cards(frame)
    assert found["kpi-amount"]["query"]["aggregate"] == "sum" and found["kpi-amount"]["value"] == 300
    assert found["kpi-unit_price"]["query"]["aggregate"] == "mean" and found["kpi-unit_price"]["value"] == 4


def test_column_types_overrule_the_inference_and_the_rules_say_so():
    frame = pl.DataFrame({"station": [101, 102, 103, 104] * 5, "pop": [float(n) for n in range(20)]})
    found = cards(frame, station="identifier", pop="measure:sum")
    assert found["kpi-pop"]["query"]["aggregate"] == "sum" and "column_types says measure:sum" in found["kpi-pop"]["rule"]
    assert "station" not in {b for q in queries(frame, station="identifier") for b in q["by"]}
    with pytest.raises(UnknownColumns, match="nope"):
        profile_table(frame, {"nope": "identifier"})


@pytest.mark.parametrize("headline", ["burglaries", "homicide_rate", "fatalities", "injured", "turnover", "fare",
                                      "wait_days", "latency", "exam_score", "co2_emissions", "ridership",
                                      "unemployment"])
def test_a_headline_measure_of_any_kind_of_data_leads_the_kpis_from_the_last_column(headline):
    """The words are a vocabulary of kinds of measure (incidents, money, volumes, durations, scores,
    the environment, the economy), not one file's columns: none of these names is in the datasets."""
    rows = 40
    frame = pl.DataFrame({**{f"x{n}": [float((k * (n + 3)) % 17) + 0.5 for k in range(rows)] for n in range(8)},
                          headline: [float(k % 13) + 0.25 for k in range(rows)]})
    kpis = [card["query"]["measure"] for card in choose_cards(profile_table(frame), "t")["cards"]
            if card["kind"] == "kpi" and card["query"]["measure"]]
    assert kpis[0] == headline


def test_counted_events_add_up_and_a_crime_figure_named_in_the_singular_averages():
    frame = pl.DataFrame({"district": ["n", "s", "e", "w"] * 10, "burglaries": [float(n % 7) for n in range(40)],
                          "assault": [float(n % 5) + 0.5 for n in range(40)]})
    assert measured(frame)["burglaries"] == {"sum"} and "sum" not in measured(frame)["assault"]


@pytest.mark.parametrize("name", ["payment_type", "vehicle_class", "customer_group", "fare_code"])
def test_a_whole_number_named_as_a_kind_of_something_is_a_code_whatever_else_its_name_says(name):
    frame = pl.DataFrame({name: [1, 2, 3, 1, 2, 1] * 20, "amount": [float(n) for n in range(120)]})
    assert kinds(frame)[name] == "code"


@pytest.mark.parametrize("name", ["payment", "type_count", "class_size_total", "orders_by_status", "count_by_type",
                                  "students_per_class"])
def test_an_amount_whose_name_holds_a_kind_word_elsewhere_is_still_an_amount(name):
    frame = pl.DataFrame({name: [1, 2, 3, 1, 2, 1] * 20, "amount": [float(n) for n in range(120)]})
    assert kinds(frame)[name] != "code"


@pytest.mark.parametrize("ranges", [["1-9km/h", "10-24", "25-39", "40-54", "55+"], ["under 18", "18-24", "25-34", "35+"],
                                    ["$0-$50k", "$50k-$100k", "$100k+"], ["<5", "5-10", ">10"]])
def test_ranges_written_as_text_are_in_the_order_of_their_first_number(ranges):
    shuffled = list(reversed(ranges))
    frame = pl.DataFrame({"band": shuffled * 20, "amount": [float(n) for n in range(20 * len(ranges))]})
    band = profile_table(frame).column("band")
    assert band.semantic.kind == "ordered" and band.semantic.order == [r.lower() for r in ranges]


def test_numbers_written_as_text_are_no_ranges():
    frame = pl.DataFrame({"level": ["1", "2", "3"] * 20, "amount": [float(n) for n in range(60)]})
    assert kinds(frame)["level"] != "ordered"


@pytest.mark.parametrize("name", ["ncases", "nStudents", "num_visits", "numorders"])
def test_a_count_glued_to_its_prefix_adds_up_and_is_no_category_code(name):
    """Small whole numbers named as counts (esoph's ncases 0..8 in each age x alcohol x tobacco cell)."""
    frame = pl.DataFrame({"band": ["a", "b", "c", "d"] * 15, name: [n % 9 for n in range(60)],
                          "score": [float(n % 13) + 0.5 for n in range(60)]})
    assert kinds(frame)[name] == "additive" and measured(frame)[name] == {"sum"}


@pytest.mark.parametrize("name", ["gdpPercap", "deaths_percapita", "ptsPerGame", "salesPerDay"])
def test_a_figure_per_head_or_per_unit_of_time_is_a_rate_never_summed(name):
    frame = pl.DataFrame({"country": ["a", "b", "c", "d"] * 15, name: [1000.0 + 37 * n for n in range(60)]})
    assert kinds(frame)[name] == "level" and "sum" not in measured(frame).get(name, {"mean"})


@pytest.mark.parametrize("name", ["numbers", "notes", "performance", "perimeter"])
def test_words_that_only_begin_like_a_count_or_a_rate_are_neither(name):
    frame = pl.DataFrame({"band": ["a", "b"] * 30, name: [float(n % 40) + 30.5 for n in range(60)]})
    assert kinds(frame)[name] == "level" and "qualified" not in profile_table(frame).column(name).semantic.evidence[0]


def test_a_panel_measure_of_one_value_per_entity_is_never_drawn_over_time():
    """A subject's weight and dose beside the concentration measured at each hour after the dose."""
    hours = [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0]
    frame = pl.DataFrame({"subject": [f"S{s}" for s in range(10) for _ in hours],
                          "weight_kg": [60.0 + 3.1 * s for s in range(10) for _ in hours],
                          "dose": [3.0 + 0.4 * (s % 4) for s in range(10) for _ in hours],
                          "hours": hours * 10,
                          "conc": [(4 + s % 3) * h * 2.718 ** (-h / 5) for s in range(10) for h in hours]})
    profile = profile_table(frame)
    assert sorted(profile.model.fixed) == ["dose", "weight_kg"]
    timed = {q["measure"] for q in queries(frame) if q["time"] is not None and q["aggregate"] != "last"}
    assert timed == {"conc"}


def _days_without_year(day_column: list[int], months: list[int]) -> pl.DataFrame:
    return pl.DataFrame({"Ozone": [float(20 + n % 17) for n in range(len(day_column))], "Month": months,
                         "Day": day_column, "Temp": [float(60 + n % 23) for n in range(len(day_column))]})


def test_months_and_days_without_a_year_are_a_time_axis_shown_without_one():
    """Daily readings from May to September of a year the file never names."""
    days = [date(2000, 5, 1) + timedelta(days=n) for n in range(153)]
    frame = _days_without_year([d.day for d in days], [d.month for d in days])
    axis = time_axis(frame)
    assert axis.sources == ["Month", "Day"] and axis.yearless
    spec = choose_cards(profile_table(frame), "t")
    trends = [card for card in spec["cards"] if card["id"].startswith("trend-")]
    assert trends and all(card["query"]["time"]["columns"] == ["Month", "Day"] for card in trends)
    assert {card["vega_lite"]["encoding"]["x"]["timeUnit"] for card in trends} == {"monthdate"}
    notes = [card["note"] for card in spec["cards"] if card["kind"] == "kpi" and card.get("note")]
    assert notes and not any("2000" in note for note in notes + [card["rule"] for card in trends])
    assert not [card for card in spec["cards"] if "weekday" in card["id"]]  # a weekday needs the year


def test_a_month_beside_days_of_the_week_is_no_time_axis():
    frame = _days_without_year([1 + n % 7 for n in range(120)], [5 + n // 30 for n in range(120)])
    assert profile_table(frame).model.time is None


def test_an_annual_series_whose_years_are_named_time_has_a_time_axis():
    frame = pl.DataFrame({"time": list(range(1871, 1971)), "value": [float(900 + n * 37 % 400) for n in range(100)]})
    axis = time_axis(frame)
    assert axis.sources == ["time"] and axis.start.year == 1871 and axis.end.year == 1970


def test_clock_times_named_time_are_no_years():
    frame = pl.DataFrame({"time": [1205 + (n * 37) % 800 for n in range(60)], "delay": [float(n % 9) for n in range(60)]})
    assert profile_table(frame).model.time is None


@pytest.mark.parametrize("months", [["January", "February", "March", "April", "May", "June"],
                                    ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]])
def test_months_by_name_beside_a_year_are_the_time_axis(months):
    frame = pl.DataFrame({"Year": [2018] * 6, "Month": months, "1 unit": [859, 882, 862, 797, 875, 867],
                          "Northeast": [111, 118, 97, 112, 137, 120]})
    axis = time_axis(frame)
    assert axis.sources == ["Year", "Month"] and (axis.start.month, axis.end.month) == (1, 6)


def test_people_out_of_work_counted_each_month_are_a_level_never_summed_over_time():
    months = [date(2000 + n // 12, n % 12 + 1, 1) for n in range(48)]
    frame = pl.DataFrame({"date": months, "unemploy": [7000 + (n * 131) % 900 for n in range(48)],
                          "pce": [5000.0 + 11 * n for n in range(48)]})
    assert "sum" not in measured(frame)["unemploy"]


def test_a_long_tables_series_are_named_by_their_title_beside_their_code():
    months = [date(2010 + n // 12, n % 12 + 1, 1) for n in range(24)]
    titles = {"CEU0000000001": "Total Private", "CEU2000000001": "Construction", "CEU3000000001": "Manufacturing"}
    frame = pl.DataFrame({"Month": months * 3, "Series_ID": [code for code in titles for _ in months],
                          "Title": [title for title in titles.values() for _ in months],
                          "Employed": [float(1000 * (i + 1) + n) for i in range(3) for n in range(24)]})
    profile = profile_table(frame)
    assert profile.model.long_key == "Title" and profile.column("Series_ID").semantic.detail == "alias"


@pytest.mark.parametrize("year", ["float year", "date as a number", "a day seen twice"])
def test_months_and_days_of_several_years_are_never_put_in_one(year):
    days = [date(2017, 1, 1) + timedelta(days=n) for n in range(730)]
    frame = _days_without_year([d.day for d in days], [d.month for d in days])
    if year == "float year":
        frame = frame.with_columns(year=pl.Series([float(d.year) for d in days]))
    elif year == "date as a number":
        frame = frame.with_columns(DATE=pl.Series([d.year * 10000 + d.month * 100 + d.day for d in days]))
    axis = profile_table(frame).model.time
    assert axis is None or not axis.yearless


def test_a_grid_of_every_month_and_31_days_reads_without_the_days_no_month_has():
    frame = pl.DataFrame([(m, d, 50.0 + m + d / 100) for m in range(1, 13) for d in range(1, 32)],
                         schema=["month", "day", "normal_tmax"], orient="row")
    profile = profile_table(frame)  # 30 February once crashed the calendar's assembly
    assert profile.model.time is not None
    days = profile.frame.select(pl.col("__time").drop_nulls().n_unique()).collect().item()
    assert days == 366


def test_a_yearless_running_total_names_its_day_without_the_placeholder_year():
    days = [date(2000, 3, 1) + timedelta(days=n) for n in range(92)]
    new = [float(5 + n % 7) for n in range(92)]
    frame = pl.DataFrame({"month": [d.month for d in days], "day": [d.day for d in days], "new_cases": new,
                          "total_cases": [sum(new[:n + 1]) for n in range(92)]})
    spec = choose_cards(profile_table(frame), "t")
    kpis = [card for card in spec["cards"] if card["kind"] == "kpi"]
    assert any(card["query"]["measure"] == "total_cases" for card in kpis)
    assert not any("2000" in (card.get("note") or "") + card["rule"] for card in kpis)


@pytest.mark.parametrize("name", ["Nitrates", "nutrients", "nanoseconds", "negatives"])
def test_words_that_begin_with_n_are_no_glued_counts(name):
    frame = pl.DataFrame({"site": ["a", "b"] * 30, name: [float(n % 40) + 0.5 for n in range(60)]})
    assert kinds(frame)[name] == "level"


def test_a_series_code_whose_title_is_empty_on_the_first_rows_still_reads():
    rows = [(code, date(2000, 1, 1) + timedelta(days=n), float(n * 37 % 101) + 0.5, title)
            for code, title, count in [("CEU01", None, 5200), ("CEU02", "Total private", 300), ("CEU03", "Goods", 300)]
            for n in range(count)]
    frame = pl.DataFrame(rows, schema=["series_id", "date", "value", "title"], orient="row", infer_schema_length=None)
    assert choose_cards(profile_table(frame), "t")["cards"]  # an empty title once failed the long table's reading
