"""What the profiler and the card chooser make of files nobody prepared for us."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from services.generation.choosing import choose_cards
from services.generation.profile import profile_table


def roles(frame: pl.DataFrame) -> dict[str, str]:
    return {c.name: c.role for c in profile_table(frame).columns}


def test_year_and_month_split_across_columns_become_time():
    frame = pl.DataFrame({"Year": [2022, 2022, 2023, 2023] * 5, "Month": [1, 6, 1, 6] * 5,
                          "revenue": [float(n) for n in range(20)]})
    profile = profile_table(frame)
    assert profile.time_column == "__time"
    spec = choose_cards(profile, "t")
    assert any(card["id"] == "trend-revenue" for card in spec["cards"])
    revenue = next(metric for metric in spec["metrics"] if metric["metric_id"] == "revenue")
    assert revenue["points"] and revenue["aggregation"] == "sum"


def test_dates_written_as_text_are_time():
    frame = pl.DataFrame({"when": ["03/01/2024", "15/02/2024", "28/03/2024", "09/04/2024"] * 10,
                          "sales": list(range(40))})
    assert roles(frame)["when"] == "time"


def test_identifiers_and_row_numbers_are_never_charted():
    frame = pl.DataFrame({"row": list(range(1, 101)), "customer_id": [f"C{n:04d}" for n in range(100)],
                          "spend": [float(n % 13) for n in range(100)], "segment": ["a", "b"] * 50})
    assert roles(frame)["row"] == "identifier" and roles(frame)["customer_id"] == "identifier"
    cards = choose_cards(profile_table(frame), "t")["cards"]
    queries = [card["query"] for card in cards if card["kind"] in ("kpi", "chart")]
    used = {q["measure"] for q in queries} | {col for q in queries for col in q["by"]} | {q["split"] for q in queries}
    assert "row" not in used and "customer_id" not in used and "spend" in used


def test_numbers_written_as_text_are_measures():
    frame = pl.DataFrame({"price": ["$1,200.50", "$99.00", "$15.25"] * 5, "shop": ["x", "y", "z"] * 5})
    assert roles(frame)["price"] == "measure"


def test_one_row_one_column_and_non_ascii_headers():
    assert choose_cards(profile_table(pl.DataFrame({"montant (€)": [12.5]})), "t")["cards"][0]["value"] == 1
    frame = pl.DataFrame({"Région": ["Île-de-France", "Bretagne", "Occitanie"] * 4, "Chiffre d'affaires": [1.0, 2.0, 3.0] * 4})
    spec = choose_cards(profile_table(frame), "t")
    assert any(card["id"] == "breakdown-Région" for card in spec["cards"])


def test_a_wide_file_is_summarised_not_charted_column_by_column():
    frame = pl.DataFrame({f"m{n}": [float((n * k) % 17) for k in range(50)] for n in range(300)})
    cards = choose_cards(profile_table(frame), "t")["cards"]
    assert len(cards) < 20


def test_quality_notes_name_missing_constant_and_skewed_columns():
    frame = pl.DataFrame({"a": [None] * 30 + [1.0] * 70, "same": ["x"] * 100,
                          "long_tail": [float(n % 20) for n in range(95)] + [1000.0 + n for n in range(5)]})
    notes = " ".join(profile_table(frame).quality_notes)
    assert "'a' is missing in 30%" in notes and "'same' has the same value" in notes and "'long_tail' is heavily skewed" in notes


def test_quality_notes_leave_lopsided_flags_and_counts_alone_and_keep_the_worst_few():
    """A 0/1 column or a count of items per order is skewed by nature; of many warnings the worst lead."""
    rows = 100
    frame = pl.DataFrame({"returned": [1] * 3 + [0] * (rows - 3), "item_07": [2, 1] + [0] * (rows - 2),
                          "spend": [float(n % 30) for n in range(rows)],
                          **{f"gap_{share}": [None] * share + [float(n % 7) for n in range(rows - share)]
                             for share in range(20, 90, 10)}})
    profile = profile_table(frame)
    skews = [profile.column(name).skew or 0 for name in ("returned", "item_07")]
    assert min(skews) > 2  # lopsided, yet no warning
    notes = profile.quality_notes
    assert len(notes) == 5 and not any("returned" in n or "item_07" in n for n in notes)
    assert notes[:4] == [f"'gap_{share}' is missing in {share}% of rows" for share in (80, 70, 60, 50)]
    assert notes[4] == "3 smaller warnings of the same kinds are not shown"


def test_quality_notes_say_once_what_several_columns_share():
    """Years across the columns, each as skewed, and three empty-ish columns alike: one line each,
    naming how many; a column unlike them keeps its own line."""
    rows = 200
    tail = [float(n % 20) for n in range(rows - 6)]
    frame = pl.DataFrame({**{str(year): tail + [900.0 + year % 7 + n for n in range(6)] for year in range(2000, 2012)},
                          **{f"note_{n}": [None] * (150 + n) + (["x", "y"] * 25)[:50 - n] for n in range(3)},
                          "mostly_gone": [None] * 50 + [1.0, 2.0] * 75})
    notes = profile_table(frame).quality_notes
    assert "12 columns ('2000', '2001', '2002', ...) are heavily skewed (skew 5.5)" in " ".join(notes)
    assert "3 columns ('note_0', 'note_1', 'note_2') are missing in 75% to 76% of rows" in notes
    assert "'mostly_gone' is missing in 25% of rows" in notes and len(notes) == 3


def penguins(name: str) -> pl.LazyFrame:
    """Real data nobody prepared for us: the Palmer penguins, as the palmerpenguins package ships them."""
    import palmerpenguins

    from services.generation.reading import scan_table
    return scan_table(Path(palmerpenguins.__file__).parent / "data" / name, "csv")


def test_palmer_penguins_measurements_are_averaged_and_species_broken_down():
    profile = profile_table(penguins("penguins.csv"))
    by_name = {c.name: c for c in profile.columns}
    assert {by_name[m].aggregation for m in ("bill_length_mm", "body_mass_g", "flipper_length_mm")} == {"mean"}
    cards = {card["id"]: card for card in choose_cards(profile, "Penguins")["cards"]}
    assert 4000 < cards["kpi-body_mass_g"]["value"] < 4400  # the mean body mass, not a total
    assert {"breakdown-species", "breakdown-island", "breakdown-sex"} <= set(cards)
    assert cards["rows"]["value"] == 344


def test_palmer_penguins_raw_finds_text_dates_and_sample_numbers():
    profile = profile_table(penguins("penguins-raw.csv"))
    roles = {c.name: c.role for c in profile.columns}
    assert roles["Individual ID"] == "identifier" and roles["Sample Number"] == "identifier"
    assert profile.time_column == "Date Egg"
    cards = [card["id"] for card in choose_cards(profile, "Penguins")["cards"]]
    assert "trend-Body Mass (g)" in cards and not any("Sample Number" in c for c in cards)


def vega_dataset(name: str) -> pl.LazyFrame:
    """More real data, as the vega_datasets package ships it (CSV and JSON arrays)."""
    import vega_datasets

    from services.generation.reading import scan_table
    path = Path(vega_datasets.__file__).parent / "_data" / name
    return scan_table(path, "json" if name.endswith(".json") else "csv")


def test_seattle_weather_dates_written_with_slashes_and_temperatures_averaged():
    profile = profile_table(vega_dataset("seattle-weather.csv"))
    by_name = {c.name: c for c in profile.columns}
    assert profile.time_column == "date" and by_name["weather"].role == "category"
    assert by_name["temp_max"].aggregation == "mean" and by_name["precipitation"].aggregation == "sum"
    cards = {card["id"]: card for card in choose_cards(profile, "Seattle")["cards"]}
    assert "breakdown-weather" in cards and any(card_id.startswith("trend-") for card_id in cards)
    weathers = {row["category"] for row in cards["breakdown-weather"]["vega_lite"]["data"]["values"]}
    assert weathers == {"drizzle", "rain", "sun", "snow", "fog"}


def test_stock_prices_with_month_names_are_averaged_per_symbol():
    profile = profile_table(vega_dataset("stocks.csv"))
    assert profile.time_column == "date"
    cards = {card["id"]: card for card in choose_cards(profile, "Stocks")["cards"]}
    assert profile.model.shape == "panel" and profile.model.entity == "symbol"
    assert cards["kpi-price"]["rule"].startswith("kpi.last") and cards["kpi-price"]["query"]["aggregate"] == "last"
    assert cards["trend-price-by-symbol"]["query"]["split"] == "symbol"
    symbols = {row["category"] for row in cards["breakdown-symbol"]["vega_lite"]["data"]["values"]}
    assert symbols == {"MSFT", "AMZN", "IBM", "GOOG", "AAPL"}


def test_cars_attributes_of_each_record_are_averaged_and_names_never_charted():
    profile = profile_table(vega_dataset("cars.json"))
    by_name = {c.name: c for c in profile.columns}
    assert profile.time_column == "Year"
    assert {by_name[m].aggregation for m in ("Miles_per_Gallon", "Horsepower", "Weight_in_lbs")} == {"mean"}
    cards = {card["id"]: card for card in choose_cards(profile, "Cars")["cards"]}
    assert "breakdown-Origin" in cards and not any("Name" in card_id for card_id in cards)
    everyone = vega_dataset("cars.json").collect()["Horsepower"].mean()
    assert cards["kpi-Horsepower"]["value"] == pytest.approx(everyone)  # an attribute of each car: their mean
    assert cards["kpi-Horsepower"]["query"] == {"measure": "Horsepower", "aggregate": "mean", "by": [], "time": None,
                                                "split": None, "bin": False, "weight": None}


def test_iowa_electricity_sums_generation_by_source():
    profile = profile_table(vega_dataset("iowa-electricity.csv"))
    cards = {card["id"]: card for card in choose_cards(profile, "Iowa")["cards"]}
    assert profile.time_column == "year" and cards["kpi-net_generation"]["rule"].startswith("kpi.sum")
    assert "breakdown-source" in cards


def _series(card: dict) -> dict[str, float]:
    return {point["period"][:10]: point["value"] for point in card["vega_lite"]["data"]["values"]}


def test_trends_sum_amounts_and_average_rates_per_period_of_timestamps():
    """Rows are pre-aggregated per day; the weekly points must equal a direct group-by of the rows,
    without the last week, which the data covers only in part (it ends on a Saturday)."""
    stamps = pl.datetime_range(pl.datetime(2024, 1, 1), pl.datetime(2024, 8, 31, 23), "7h", eager=True)
    n = len(stamps)
    frame = pl.DataFrame({"sold_at": stamps, "amount": [float(i % 97) if i % 11 else None for i in range(n)],
                          "unit_price": [1.0 + (i % 13) / 4 for i in range(n)]})
    cards = {card["id"]: card for card in choose_cards(profile_table(frame), "Sales")["cards"]}
    week = pl.col("sold_at").dt.truncate("1w").dt.date().cast(pl.String)
    expected = (frame.group_by(week.alias("period")).agg(pl.col("amount").sum(), pl.col("unit_price").mean())
                .filter(pl.col("period") != "2024-08-26"))
    assert _series(cards["trend-amount"]) == dict(expected.select("period", "amount").iter_rows())
    averages = _series(cards["trend-unit_price"])
    assert averages.keys() == set(expected["period"]) and len(averages) == 34
    for period, price in expected.select("period", "unit_price").iter_rows():
        assert abs(averages[period] - price) < 1e-9


def test_a_mostly_empty_column_is_never_a_breakdown():
    """Filled on a few rows only (a connection, a citation): its bars would mostly say "(missing)"."""
    rows = 200
    frame = pl.DataFrame({"kind": ["a", "b", "c", "d"] * (rows // 4),
                          "transfer": [None] * 150 + ["x", "y", "z", "w", "v"] * 10,
                          "amount": [float(n % 17) for n in range(rows)]})
    spec = choose_cards(profile_table(frame), "t")
    grouped = {col for card in spec["cards"] if card["kind"] == "chart" for col in card["query"]["by"]}
    assert "kind" in grouped and "transfer" not in grouped


def test_a_column_of_lists_is_broken_down_by_each_item():
    """ "1, 5, 8" in a cell: each line gets the row, the combination is never a category of its own."""
    lines = ["1", "2", "3", "1, 2", "2, 3", "1, 2, 3", "4", "4, 1"] * 25
    frame = pl.DataFrame({"stop": [f"S{n}" for n in range(len(lines))], "lines": lines})
    profile = profile_table(frame)
    assert profile.column("lines").semantic.separator == ", "
    card = next(card for card in choose_cards(profile, "t")["cards"] if card["id"] == "breakdown-lines")
    bars = {bar["category"]: bar["value"] for bar in card["vega_lite"]["data"]["values"]}
    assert bars == {"1": 4 * 25, "2": 4 * 25, "3": 3 * 25, "4": 2 * 25}  # stops counted on each of their lines


def test_free_text_and_places_written_in_parts_are_no_lists():
    notes = [f"note {n}, seen by {n % 97}, filed {n * 7}" for n in range(200)]
    cities, states = ["Austin", "Dallas", "Reno", "Salem"] * 50, ["TX", "TX", "NV", "OR"] * 50
    places = [f"{city}, {state}" for city, state in zip(cities, states, strict=True)]
    profile = profile_table(pl.DataFrame({"note": notes, "place": places, "kind": ["a", "b"] * 100}))
    assert profile.column("note").semantic.separator is None and profile.column("place").semantic.separator is None


def test_a_long_table_of_named_things_ranks_them_within_each_variable():
    """One row per organisation and measure: each measure ranks its own organisations (never one ranking
    averaging a communication score with a timeliness score)."""
    measures = {"M1": "Timely care", "M2": "Communication", "M3": "Courtesy"}
    orgs = [f"Clinic {chr(65 + n)}" for n in range(12)]
    rows = [(org, code, title, float(50 + (7 * i + 13 * k) % 45))
            for i, org in enumerate(orgs) for k, (code, title) in enumerate(measures.items())]
    frame = pl.DataFrame(rows, schema=["org", "measure_code", "measure", "rate"], orient="row")
    spec = choose_cards(profile_table(frame), "t")
    card = next(card for card in spec["cards"] if card["id"].startswith("ranked-"))
    assert card["query"]["by"] == ["measure", "org"] and card["query"]["aggregate"] == "mean"
    shown = card["vega_lite"]["data"]["values"]
    for title in measures.values():
        within = [bar for bar in shown if bar["measure"] == title]
        best = sorted((r[3] for r in rows if r[2] == title), reverse=True)[:5]
        assert sorted((bar["value"] for bar in within), reverse=True) == best


def test_a_code_paired_one_to_one_with_a_name_is_not_a_second_breakdown():
    """A country's two- and three-letter codes beside its name group the rows the same way."""
    names = ["France", "Spain", "Italy", "Chile", "Peru", "Japan"]
    frame = pl.DataFrame({"country_name": [names[n % 6] for n in range(120)],
                          "country_code_3": [names[n % 6][:3].upper() for n in range(120)],
                          "kind": [["retail", "online", "phone"][n % 7 % 3] for n in range(120)],
                          "amount": [float(10 + n * 7 % 31) for n in range(120)]})
    spec = choose_cards(profile_table(frame), "t")
    grouped = {tuple(card["query"]["by"]) for card in spec["cards"] if card["kind"] == "chart" and card["query"]["by"]}
    assert ("country_name",) in grouped and ("country_code_3",) not in grouped and ("kind",) in grouped
