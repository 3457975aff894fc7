"""The semantic model between the profile and the cards: what each column means, and the shape
of the table, each with the evidence that decided it (names AND values).

Decided from the one statistics pass (rows, nulls, distinct counts, min, max, mean, std) plus a
bounded sample of the first rows; nothing here reads the file again.

Kinds of column: time, calendar (year, quarter, month, weekday, day, hour, minute, clock, index),
identifier, code, coordinate, long_key, long_value, weight, additive, level, flag, dummy, ordered,
category, text, derived, constant, empty. Shapes of table: long, weighted, panel, event_log, table.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np
import polars as pl

from services.generation.columns import ColumnProfile, Semantic
from services.generation.naming import has_word, tokens
from services.generation.scalars import number
from services.generation.time_axis import (
    DAY_WORDS,
    HOUR_WORDS,
    MONTH_NAMES,
    MONTH_WORDS,
    MONTHS,
    SINCE,
    TIME,
    YEAR_WORDS,
    full_year,
    is_time_name_for_end,
    step_days,
)

GROUPABLE = ("category", "ordered", "code", "flag", "calendar")
ID_WORDS = frozenset({"id", "uuid", "guid", "key", "sku", "ref", "no", "nr", "num", "number", "rownames", "row",
                      "index", "idx", "isbn", "ssn", "phone", "email", "url", "hash"})
NAME_WORDS = frozenset({"name", "title", "label", "description", "desc", "comment", "comments", "text", "address"})
CODE_WORDS = frozenset({"zip", "zipcode", "postal", "postcode", "fips", "code", "state", "county", "country",
                        "district", "region", "province", "municipality", "category", "type", "class", "group",
                        "kind", "cat", "segment", "status", "naics", "sic", "isic", "icd"})
GROUPING_WORDS = frozenset({"by", "per", "of", "for", "in", "each"})
KIND_WORDS = frozenset({"type", "class", "category", "kind", "group", "code", "status", "segment", "tier", "cat"})
LAT_WORDS, LONG_WORDS = frozenset({"lat", "latitude"}), frozenset({"lon", "long", "lng", "longitude"})
QUARTER_WORDS = frozenset({"quarter", "qtr"})
MINUTE_WORDS = frozenset({"minute", "minutes", "mins"})
WEEKDAY_WORDS = frozenset({"weekday", "dow", "wday"})
CLOCK_WORDS = frozenset({"time", "dep", "arr", "hhmm", "clock", "departure", "arrival"})
INDEX_WORDS = frozenset({"t", "trend", "period", "seq", "sequence", "step", "tick", "obs"})
WEIGHT_NAMES = frozenset({"freq", "frequency", "n", "count", "counts", "cnt", "weight", "weights", "wt", "wgt",
                          "cases", "nobs"})
# counts, amounts, flows: they add up over every dimension. Events counted are plurals (burglaries,
# fatalities); a singular may name a rate (murder per 100,000) and stays a level.
ADDITIVE_WORDS = frozenset({
    "count", "counts", "cnt", "total", "sum", "qty", "quantity", "units", "items", "item", "pieces", "orders",
    "visits", "visitors", "sessions", "clicks", "views", "impressions", "downloads", "calls", "students",
    "teachers", "employees", "staff", "workers", "passengers", "deaths", "births", "cases", "incidents",
    "accidents", "trips", "flights", "sales", "sold", "revenue", "amount", "amnt", "amt", "cost", "costs",
    "spend", "spent", "expense", "expenses", "profit", "paid", "payment", "payments", "funded", "traffic",
    "volume", "precip", "precipitation", "rain", "rainfall", "snow", "snowfall", "bookings", "donations",
    "tickets", "emissions", "consumption", "production", "output", "exports", "imports", "gross", "net",
    "crimes", "offenses", "offences", "murders", "homicides", "robberies", "assaults", "burglaries", "thefts",
    "arrests", "collisions", "crashes", "injuries", "casualties", "fatalities", "victims", "claims", "complaints",
    "ridership", "riders", "boardings", "entries", "takings", "receipts", "turnover", "revenues", "arrivals",
    "departures", "admissions", "affected", "individuals", "persons", "people", "bill", "tip", "tips", "fare",
    "fares", "fee", "fees", "charge", "charges", "fine", "fines", "penalty", "penalties", "gsp", "gdp", "gnp", "gva",
    "budget", "budgets", "spending", "pageviews", "conversions", "signups", "installs"})
# A qualifier makes a figure an attribute of the row's thing, whatever else its name says: a customer's
# previous bookings, a loan's amount collected ever, calls per day, the average basket.
QUALIFIER_WORDS = frozenset({"previous", "prev", "prior", "ever", "since", "lifetime", "cumulative", "cum", "ytd",
                             "todate", "per", "avg", "average", "mean", "median", "pct", "percent", "ratio", "rate"})
COUNT_PREFIXES = frozenset({"num", "number", "no", "nr", "n", "nb"})
COUNTED_PLURALS = frozenset(w for w in ADDITIVE_WORDS if w.endswith("s")) | frozenset({
    "controls", "patients", "subjects", "participants", "respondents", "households", "members", "users", "customers",
    "children", "births", "animals", "plants", "trees", "eggs", "cells", "games", "wins", "losses", "goals",
    "points", "events", "records", "rows", "obs", "samples", "votes", "seats", "beds", "rooms", "stores"})
# A period named relative to now or per unit ('TrainingTimesLastYear', 'sales_per_year') is no calendar year.
RELATIVE_PERIOD_WORDS = frozenset({"last", "next", "this", "previous", "prev", "prior", "past", "per", "since", "ago"})
UNIT_FIGURES = frozenset({"cost", "costs", "price", "value", "rate", "margin", "weight", "fee"})
PER_RECORD = "a per-record figure"  # the evidence of a figure only its values classified
# Words of a per-row total: in a table of things (customers), a customer's total minutes are an attribute.
TOTAL_WORDS = frozenset({"total", "totals", "sum", "tot"})
# stocks, rates, ratios, prices, scores, per-record attributes: they average, never add up
LEVEL_WORDS = frozenset({
    "rate", "rates", "ratio", "pct", "percent", "percentage", "share", "avg", "average", "mean", "median",
    "score", "scores", "price", "prices", "index", "cpi", "temp", "temperature", "humidity", "pressure", "speed",
    "height", "weight", "mass", "length", "width", "depth", "age", "income", "inc", "salary", "wage", "wages",
    "density", "util", "utilization", "population", "pop", "balance", "bal", "inventory", "stock", "level",
    "per", "capita", "margin", "mag", "magnitude", "grade", "gpa", "bmi", "dewpt", "vis", "visibility", "hg",
    "wind", "distance", "duration", "delay", "time", "lifetime", "capacity", "size", "area",
    "earnings", "yield", "interest", "unemployment", "unemploy", "unemployed", "employed", "employment",
    "inflation", "rank", "rating", "probability", "occupancy",
    "sf", "sqft", "sq", "ft", "feet", "acres", "mm", "cm", "km", "kg", "lbs", "lb", "oz", "mph", "kmh", "mpg"})
# What people look for first: the headline measures of each kind of data, by what they measure.
# Only the order of the key measures comes from here (what a measure is decided above).
HEADLINE_WORDS: dict[str, set[str]] = {
    "money": {"price", "prices", "sales", "sale", "revenue", "revenues", "turnover", "amount", "amnt", "amt", "cost",
              "takings", "receipts", "bill", "tip", "tips", "charge", "charges", "fine", "fines", "penalty",
              "costs", "spend", "spending", "expenditure", "profit", "profits", "earnings", "income", "salary",
              "wage", "wages", "pay", "fare", "fares", "fee", "fees", "funded", "loan", "loans", "budget",
              "donations", "value"},
    "volume": {"quantity", "qty", "units", "volume", "traffic", "visitors", "visits", "passengers", "riders",
               "ridership", "orders", "bookings", "shipments", "deliveries", "downloads", "attendance",
               "enrollment", "production", "output", "consumption", "demand"},
    "incidents": {"crime", "crimes", "offense", "offenses", "offence", "offences", "violent", "violence", "murder",
                  "murders", "homicide", "homicides", "robbery", "robberies", "assault", "assaults", "burglary",
                  "burglaries", "theft", "thefts", "larceny", "arson", "arrests", "incidents", "accidents",
                  "collisions", "crashes", "injuries", "injured", "casualties", "fatalities", "deaths", "killed",
                  "victims", "cases", "infections", "claims", "complaints", "defects", "failures", "outages"},
    "durations": {"delay", "delays", "duration", "wait", "waiting", "latency", "turnaround", "time", "days"},
    "performance": {"score", "scores", "rating", "ratings", "gpa", "exam", "test", "read", "reading", "math",
                    "writing", "science", "yield", "efficiency", "accuracy", "satisfaction", "rate"},
    # flows of a site or an app (a day's users, subscribers or followers are levels: never headlines summed)
    "digital": {"sessions", "pageviews", "views", "clicks", "impressions", "conversions", "signups", "installs",
                "likes", "shares", "opens", "streams", "plays", "searches"},
    "environment": {"temp", "temperature", "precip", "precipitation", "rainfall", "snowfall", "emissions", "co2",
                    "pollution", "aqi", "ozone", "o3", "no2", "so2", "pm10", "pm25", "mag", "magnitude"},
    "economy": {"gdp", "gsp", "gnp", "gva", "unemployment", "inflation", "emp", "employment", "employed"},
    "body": {"height", "mass"},
}
KEY_WORDS = frozenset(word for words in HEADLINE_WORDS.values() for word in words)
YES = frozenset({"yes", "y", "true", "t", "1", "1.0"})
NO = frozenset({"no", "n", "false", "f", "0", "0.0"})
ORDERS = [
    list(MONTHS),
    list(MONTH_NAMES),
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    ["xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl"],
    ["strongly disagree", "disagree", "neutral", "agree", "strongly agree"],
    ["very low", "low", "medium", "high", "very high"],
    ["poor", "fair", "good", "very good", "excellent"],
    ["infant", "child", "teen", "adult", "senior"],
]
GRADE = re.compile(r"^[a-g]([1-9]|[+-])?$")
# column_types: a kind of column, or a measure with its aggregate
KIND_OVERRIDES = {"identifier": "identifier", "category": "category", "time": "time", "flag": "flag", "text": "text",
                  "weight": "weight", "code": "code", "ignore": "ignored"}
MEASURE_OVERRIDES = {"measure": "mean", "measure:sum": "sum", "measure:mean": "mean", "measure:median": "median",
                     "measure:last": "last"}


@dataclass
class TimeAxis:
    column: str  # the frame's column holding each row's moment
    sources: list[str]  # the file's columns it is read from
    start: date  # a date, or a datetime (a subclass), as the column holds them
    end: date
    step_days: float
    distinct: int
    relative: str | None = None  # "days since start": the axis counts time from a start, not dates
    relative_days: float = 1.0  # one unit of a relative axis, in days
    yearless: bool = False  # months and days of a year the file does not name: never shown with one


@dataclass
class TableModel:
    shape: str  # long | weighted | panel | event_log | table
    time: TimeAxis | None = None
    entity: str | None = None
    long_key: str | None = None
    long_value: str | None = None
    weight: str | None = None
    stock: str | None = None  # a head count per cell and period: summed within a period, the latest across
    group: str | None = None  # a panel's category of entities, when the entities are too many and bare numbers
    grain: str = "record"  # what one row is: event | entity | period | panel | long | cell | weighted
    grain_given: bool = False  # column_types' "grain" said what a row is
    fixed: list[str] = field(default_factory=list)  # a panel's measures of one value per entity: never over time
    design: list[str] = field(default_factory=list)  # an experiment's factors, crossed evenly: never counted
    evidence: list[str] = field(default_factory=list)


class Facts:
    """What the statistics pass and the sample say of one column."""

    def __init__(self, column: ColumnProfile, sample: pl.DataFrame, rows: int) -> None:
        self.column, self.rows = column, rows
        self.name = column.name
        self.values = sample[column.name].drop_nulls() if column.name in sample.columns else pl.Series([])
        self.dtype = self.values.dtype
        self.present = max(rows - column.nulls, 1)
        self.distinct = column.distinct - (1 if column.nulls else 0)
        self.unique_share = min(max(self.distinct, 0) / self.present, 1.0)

    @property
    def numeric(self) -> bool:
        return self.dtype.is_numeric()

    @cached_property
    def whole(self) -> bool:
        """Integer values, whatever the dtype says (CSV floats like 4.0 count)."""
        return self.numeric and self.values.len() > 0 and bool((self.values == self.values.round(0)).all())

    def within(self, low: float, high: float) -> bool:
        low_seen, high_seen = self.column.minimum, self.column.maximum
        return self.numeric and low_seen is not None and low <= low_seen and high_seen <= high

    @cached_property
    def lowered(self) -> set[str]:
        return {str(v).strip().lower() for v in self.values.unique().to_list()[:50]}


def classify(column: ColumnProfile, sample: pl.DataFrame, rows: int) -> Semantic:
    """The semantic type of one column, before the table's shape refines it."""
    facts = Facts(column, sample, rows)
    if column.nulls >= rows:
        return Semantic("empty", evidence=["every value is missing"])
    if facts.distinct <= 1 and rows > 1:
        return Semantic("constant", evidence=["one value in every row"])
    if column.dtype.startswith(("Date", "Datetime")) or column.name in (TIME, SINCE):
        return Semantic("time", evidence=["dates" if column.name != TIME else "calendar parts assembled"])
    for rule in (_flag, _coordinate, _calendar, _identifier, _listed, _code, _sequence, _weight, _ordered):
        found = rule(facts)
        if found is not None:
            return found
    if facts.numeric:
        return _measure(facts)
    if facts.distinct <= max(50, rows // 10) and facts.distinct <= 1000:
        return Semantic("category", evidence=[f"{facts.distinct} distinct values"])
    return Semantic("text", evidence=[f"{facts.distinct} distinct values in {rows} rows"])


def _flag(facts: Facts) -> Semantic | None:
    if facts.dtype == pl.Boolean:
        return Semantic("flag", "share", evidence=["true/false"])
    if facts.distinct == 2 and facts.values.len() > 0:
        seen = facts.lowered
        if seen <= YES | NO and seen & YES and seen & NO:
            return Semantic("flag", "share", detail=sorted(seen & YES)[0], evidence=[f"two values {sorted(seen)}"])
    return None


def _coordinate(facts: Facts) -> Semantic | None:
    if not facts.numeric:
        return None
    if has_word(facts.name, LAT_WORDS) and facts.within(-90, 90):
        return Semantic("coordinate", detail="latitude", evidence=["named latitude, within -90..90"])
    if has_word(facts.name, LONG_WORDS) and facts.within(-180, 360):
        return Semantic("coordinate", detail="longitude", evidence=["named longitude, within -180..360"])
    return None


def _calendar(facts: Facts) -> Semantic | None:
    name = facts.name
    if not facts.numeric:
        seen = facts.lowered
        weekdays = [o for o in ORDERS[2:4] if seen and seen <= set(o)]
        if weekdays or (has_word(name, WEEKDAY_WORDS) and seen):
            order = weekdays[0] if weekdays else None
            return Semantic("ordered", detail="weekday", order=order, evidence=["weekday names"])
        return None
    low, high = facts.column.minimum, facts.column.maximum
    if has_word(name, YEAR_WORDS) and not _position_name(name) and not has_word(name, RELATIVE_PERIOD_WORDS):
        if facts.whole and low is not None and full_year(pl.lit(0), int(low), int(high)) is not None:
            return Semantic("calendar", detail="year", evidence=[f"named a year, whole numbers {low}..{high}"])
    if facts.whole and low is not None and _year_prefixed(name) and 1800 <= low and high <= 2100:
        return Semantic("calendar", detail="year", evidence=[f"named for a year ('{name}'), whole numbers {low}..{high}"])
    if _position_name(name) and facts.whole and facts.within(0, 366):
        return Semantic("calendar", detail="position", evidence=[f"a position in the calendar ('{name}'): "
                                                                f"whole numbers {low}..{high}, never an amount"])
    checks = [(QUARTER_WORDS, "quarter", (1, 4)), (MONTH_WORDS, "month", (1, 12)), (DAY_WORDS, "day", (1, 31)),
              (HOUR_WORDS, "hour", (0, 24)), (MINUTE_WORDS, "minute", (0, 59)), (WEEKDAY_WORDS, "weekday", (0, 7))]
    for words, part, bounds in checks:
        if _time_spent(name, words) or (part == "minute" and not facts.whole):
            continue
        if has_word(name, words) and facts.within(*bounds):  # hours may be decimal (11.9 = 11:54)
            return Semantic("calendar", detail=part, evidence=[f"named a {part}, within {bounds[0]}..{bounds[1]}"])
    if has_word(name, CLOCK_WORDS) and facts.whole and facts.within(0, 2400) and (facts.column.maximum or 0) >= 100:
        if bool(((facts.values % 100) < 60).all()):
            return Semantic("calendar", detail="clock", evidence=["HHMM clock times: 0..2400, last two digits < 60"])
    return None


def _time_spent(name: str, words: AbstractSet[str]) -> bool:
    """'minutes_to_deliver', 'hours_worked': a unit in the plural beside other words is time spent,
    an amount; 'hour', 'pickup_hour' or 'minutes' alone is a place on the clock."""
    found = tokens(name)
    return len(found) > 1 and any(word in words and word.endswith("s") for word in found)


CALENDAR_UNITS = frozenset({"day", "week", "month", "quarter", "year", "hour", "minute", "wk", "yr", "mo"})
POSITION_NAMES = frozenset({"doy", "yday", "wday", "mday", "woy", "dow", "dayofweek", "dayofyear", "dayofmonth",
                            "weekofyear", "weekday", "weeknum", "isoweek"})


def _position_name(name: str) -> bool:
    """'day_of_year', 'week_in_month', 'doy': a place within a calendar period, not an amount."""
    words = tokens(name)
    if POSITION_NAMES & set(words):
        return True
    units = [w for w in words if w in CALENDAR_UNITS]
    return len(units) >= 2 and bool({"of", "in", "within"} & set(words))


def _year_prefixed(name: str) -> bool:
    """'yearacc', 'yearVeh', 'year_built', 'yrsold': a year of something."""
    return any(t.startswith(("year", "yr")) and not t.startswith("years") for t in tokens(name))


def _count_of(name: str) -> bool:
    """'number_of_children', 'NumCompaniesWorked', 'number_vmail_messages': a count of things, where a
    trailing number word names one ('flight_num', 'order_no')."""
    words = tokens(name)
    return len(words) > 1 and words[0] in COUNT_PREFIXES and any(w == "of" or len(w) > 3 and w.endswith("s")
                                                                  for w in words[1:])


# A count glued to its prefix ('ncases', 'nstudents', 'numorders'): a bare 'n' only before a plural
# known to be counted (nitrates and nutrients are no counts); 'num', 'nb', 'nr' before any plural.
GLUED_COUNT = re.compile(r"^(?:nb|nr|num)[a-z]{3,}s$")


def _counts_things(name: str) -> bool:
    return any(GLUED_COUNT.match(w) and w != "numbers" or w.startswith("n") and w[1:] in COUNTED_PLURALS
               for w in tokens(name))


# 'gdpPercap', 'deaths_percapita', 'goalsPergame': a figure per head or per unit of time is a rate.
PER_UNITS = frozenset({"cap", "capita", "head", "person", "day", "week", "month", "year", "hour", "game", "unit",
                       "mile", "km", "1000", "100k", "thousand", "million"})


def _per_unit(name: str) -> bool:
    return any(w.startswith("per") and w[3:] in PER_UNITS for w in tokens(name))


def _identifier(facts: Facts) -> Semantic | None:
    name, column = facts.name, facts.column
    named_id = (has_word(name, ID_WORDS) or name.lower().endswith("id") and len(name) > 3) and not _count_of(name)
    if facts.numeric and not facts.dtype.is_float() and facts.unique_share > 0.98 and column.minimum is not None:
        if column.maximum - column.minimum + 1 == facts.present:
            return Semantic("identifier", "distinct", evidence=["a row number: every integer of its range once"])
    if named_id and facts.unique_share > 0.3 and not facts.dtype.is_float():
        return Semantic("identifier", "distinct", evidence=["named an id, many distinct values"])
    if named_id and (not facts.numeric or facts.whole) and not has_word(name, ADDITIVE_WORDS | LEVEL_WORDS):
        if facts.distinct > MAX_CODES:  # a key that repeats: the movie of each rating, the plot of each capture
            return Semantic("identifier", "distinct", evidence=[f"named an id, {facts.distinct} distinct keys"])
        return Semantic("code", evidence=[f"named an id of {facts.distinct} things: a key to group by, not an amount"])
    if facts.whole and facts.distinct >= 20 and _names_a_thing(name):
        return Semantic("identifier", "distinct", evidence=[f"whole numbers naming one {name.lower()} each "
                                                            f"({facts.distinct} of them): a number with no arithmetic"])
    if not facts.numeric and facts.rows >= 10 and facts.unique_share >= 0.95 and facts.distinct > 10:
        return Semantic("identifier", "distinct", evidence=[f"text unique in {facts.unique_share:.0%} of rows"])
    if not facts.numeric and has_word(name, NAME_WORDS) and (facts.distinct > 1000 or facts.unique_share >= 0.8):
        return Semantic("identifier", "distinct", evidence=[f"names of {facts.distinct} things"])
    return None


# Things a whole number names when the column is called just that (flight 1545, store 12, chick 7):
# its number, never an amount. Counts of them are plurals (flights, stores).
THING_WORDS = frozenset({"flight", "trip", "order", "invoice", "ticket", "route", "store", "shop", "branch", "customer",
                         "client", "account", "user", "member", "patient", "subject", "participant", "case", "plot",
                         "station", "stop", "site", "vehicle", "tail", "product", "item", "movie", "film", "book",
                         "song", "track", "game", "match", "player", "team", "school", "hospital", "building", "room",
                         "device", "machine", "sensor", "bus", "train", "ride", "session", "transaction", "record",
                         "entry", "batch", "lot", "animal", "tree", "well", "household", "person", "respondent",
                         "individual", "employee", "student", "unit", "cell", "sample", "specimen", "experiment"})
MAX_CODES = 60  # a key of at most this many values groups rows (a plot, a region); more is an id


def _names_a_thing(name: str) -> bool:
    words = [t for t in tokens(name) if not t.isdigit() and t not in ID_WORDS]
    return len(words) == 1 and words[0] in THING_WORDS


def _digits(value) -> int:
    return len(str(abs(int(value))))


def _code(facts: Facts) -> Semantic | None:
    if not facts.numeric or not facts.whole or facts.column.minimum is None:
        return None
    low, high = facts.column.minimum, facts.column.maximum
    # the last word says what the number is: a payment_type is a type, whatever 'payment' says
    words = tokens(facts.name)
    kind_named = words[-1] in KIND_WORDS and not set(words) & GROUPING_WORDS  # orders_by_status counts orders
    measure_named = (has_word(facts.name, ADDITIVE_WORDS | LEVEL_WORDS) or _counts_things(facts.name)) and not kind_named
    if has_word(facts.name, CODE_WORDS) and not measure_named:
        return Semantic("code", evidence=[f"named a code or place, whole numbers {low}..{high}"])
    if low > 0 and _digits(low) == _digits(high) >= 5 and facts.unique_share > 0.1 and not measure_named:
        return Semantic("code", evidence=[f"fixed-width {_digits(low)}-digit numbers (a zip, FIPS or other code)"])
    if facts.distinct <= 10 and 0 <= low and high <= 20 and not measure_named:
        return Semantic("code", evidence=[f"{facts.distinct} small whole numbers: a category code"])
    return None


def _sequence(facts: Facts) -> Semantic | None:
    """A counter of periods (t = 1, 2, 3...): an index, not an amount."""
    low, high = facts.column.minimum, facts.column.maximum
    if not facts.whole or low is None or low not in (0, 1) or high - low + 1 != facts.distinct or facts.distinct < 10:
        return None
    monotone = bool((facts.values.diff().drop_nulls() >= 0).all())
    if has_word(facts.name, INDEX_WORDS) or monotone and not has_word(facts.name, ADDITIVE_WORDS | LEVEL_WORDS):
        return Semantic("calendar", detail="index", evidence=[f"a counter {low}..{high}"
                                                              + (", rising row by row" if monotone else "")])
    return None


SURVEY_WEIGHT_NAMES = frozenset({"weight", "weights", "wt", "wgt"})


def _weight(facts: Facts) -> Semantic | None:
    words = set(tokens(facts.name))
    if not facts.numeric or not words or not words <= WEIGHT_NAMES or (facts.column.minimum or 0) < 0:
        return None
    if words <= SURVEY_WEIGHT_NAMES and not _row_weight_spread(facts):
        return None  # a body's weight (grams of a chick, kilos of a parcel): a per-record attribute
    return Semantic("weight", "sum", evidence=["named a count or weight, never negative"])


def _row_weight_spread(facts: Facts) -> bool:
    """A sampling weight is never missing and spans orders of magnitude (one row stands for 3 people,
    another for 40,000); a body weight is missing here and there and varies within a factor of a few."""
    column = facts.column
    if column.nulls or not column.mean or column.std is None:
        return False
    return column.std / abs(column.mean) > 1.5 or (column.skew or 0) > 5


LIST_SEPARATORS = (", ", "|", "; ")
MAX_LIST_ITEMS = 60  # items a list column may name (lines, genres, kinds); more is free text


def _listed(facts: Facts) -> Semantic | None:
    """Several values in one cell ("1, 5, 8", "Comedy|Romance"): grouped by each item, never by the
    combination (a station on three lines counts on each line)."""
    if facts.numeric or facts.values.len() < 10:
        return None
    text = facts.values.cast(pl.String)
    for separator in LIST_SEPARATORS:
        listed = text.str.contains(separator, literal=True)
        if number(listed.mean()) < 0.1 or text.str.split(separator).list.len().n_unique() < 2:
            continue  # the same number of parts in every cell ("Austin, TX") is one value written in parts
        items = text.str.split(separator).explode().str.strip_chars()
        if items.n_unique() <= min(MAX_LIST_ITEMS, items.len() / 3) and number(items.str.len_chars().mean()) <= 30:
            return Semantic("category", detail="list", separator=separator, evidence=[
                f"lists of {items.n_unique()} items split by '{separator.strip()}' in {number(listed.mean()):.0%} of rows: "
                "each item counted"])
    return None


def _ordered(facts: Facts) -> Semantic | None:
    if facts.numeric or facts.values.len() == 0:
        return None
    seen = facts.lowered
    for order in ORDERS:
        if len(seen) >= 2 and seen <= set(order):
            return Semantic("ordered", detail="natural", order=order, evidence=["values of a known order"])
    if len(seen) >= 3 and all(GRADE.fullmatch(value) for value in seen):  # A..F, A1..G5, B+
        return Semantic("ordered", detail="grade", order=sorted(seen), evidence=["letter grades"])
    starts = {value: start for value in seen if (start := RANGE_START.match(value))}
    if 3 <= len(seen) <= MAX_RANGES and len(starts) == len(seen) and not all(_plain_number(v) for v in seen):
        order = sorted(seen, key=lambda v: _range_key(v, starts[v]))  # 1-9km/h, 10-24 ... 55+; under 18 first
        return Semantic("ordered", detail="ranges", order=order, evidence=["ranges, in the order of their first number"])
    return None


BELOW_WORDS = ("<", "<=", "under", "below", "less than", "up to")  # a range before its first number
ABOVE_WORDS = (">", ">=", "over", "above")
RANGE_START = re.compile(rf"^\s*({'|'.join(sorted(map(re.escape, BELOW_WORDS + ABOVE_WORDS), key=len, reverse=True))})?"
                         r"\s*[$€£]?\s*(\d+(?:\.\d+)?)")
MAX_RANGES = 30


def _plain_number(value: str) -> bool:
    return bool(re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value))


def _range_key(value: str, start: re.Match) -> tuple[float, int, str]:
    side = -1 if start.group(1) in BELOW_WORDS else 1 if start.group(1) in ABOVE_WORDS else 0
    return float(start.group(2)), side, value


def _of_one_unit(name: str) -> bool:
    """'unit_cost', 'price_per_unit': what one unit costs, never summed ('unit_sales' count units)."""
    words = tokens(name)
    return "unit" in words and bool(UNIT_FIGURES & set(words))


def _measure(facts: Facts) -> Semantic:
    name = facts.name
    if has_word(name, QUALIFIER_WORDS) or _of_one_unit(name) or _per_unit(name):
        return Semantic("level", "mean", evidence=["a qualified figure (previous, ever, per, average...): an attribute"
                                                   " of each row's thing, never a grand total"])
    if has_word(name, LEVEL_WORDS):
        return Semantic("level", "mean", evidence=["named a level, rate, price or per-record attribute"])
    if has_word(name, ADDITIVE_WORDS) or _counts_things(name):
        return Semantic("additive", "sum", evidence=["named a count, amount or flow"])
    if facts.within(0, 1) and not facts.whole:
        return Semantic("level", "mean", evidence=["a fraction within 0..1"])
    return Semantic("level", "mean", evidence=[f"{PER_RECORD} (no name says it adds up)"])


def apply_override(kind: str) -> Semantic:
    if kind in MEASURE_OVERRIDES:
        aggregate = MEASURE_OVERRIDES[kind]
        chosen = "additive" if aggregate == "sum" else "level"
        return Semantic(chosen, aggregate, evidence=[f"column_types says {kind}"], overridden=True)
    target = KIND_OVERRIDES[kind]
    counted = {"identifier": "distinct", "flag": "share", "weight": "sum"}.get(target)
    return Semantic(target, counted, evidence=[f"column_types says {kind}"], overridden=True)


# -- the table's shape -------------------------------------------------------------------------

KEY_NAMES = frozenset({"variable", "variables", "series", "indicator", "metric", "measure", "key", "var",
                       "parameter", "statistic", "item", "concept"})
VALUE_NAMES = frozenset({"value", "values", "val", "obs", "observation", "estimate", "amount", "figure"})


def table_model(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int) -> TableModel:
    """The table's shape and time axis; refines the columns' kinds in place (entity, long, weight)."""
    by_name = {c.name: c for c in columns}
    time = _time_axis(columns, sample)
    model = TableModel("table", time)
    if time:
        model.evidence.append(f"time axis {time.sources}")
    if _long(columns, sample, rows, model) or _weighted(columns, model) or _panel(columns, sample, rows, model):
        pass
    elif time:
        model.shape = "event_log"
        model.evidence.append("one row per event or observation in time")
    else:
        model.evidence.append("one row per record, no time")
    _dummies(columns, sample)
    if model.shape == "panel":
        _per_entity_figures(columns, model)
        _fixed_per_entity(columns, sample, model)
    _running_totals(columns, sample, model)
    parts = [source for source in time.sources if source != time.column] if time else []
    for source in parts:
        if source in by_name and not by_name[source].semantic.overridden:
            by_name[source].semantic = Semantic("calendar", detail="time part", evidence=["part of the time axis"])
    return model


def _time_axis(columns: list[ColumnProfile], sample: pl.DataFrame) -> TimeAxis | None:
    candidates = [c for c in columns if c.semantic.kind == "time" and c.distinct >= 3 and c.minimum is not None
                  and c.dtype.startswith(("Date", "Datetime"))]  # column_types may call a number time
    if not candidates:
        return None
    def preference(c: ColumnProfile) -> tuple:
        overridden = c.semantic.overridden
        return (overridden, not is_time_name_for_end(c.name), c.name not in (TIME, SINCE), -columns.index(c))
    chosen = max(candidates, key=preference)
    step = step_days(sample[chosen.name]) if chosen.name in sample.columns else None
    if step is None:  # the sample holds one moment: the average gap over the whole span
        step = (chosen.maximum - chosen.minimum).total_seconds() / 86400 / max(chosen.distinct - 1, 1)
    assembled = chosen.name in (TIME, SINCE) and chosen.semantic.detail
    sources = chosen.semantic.detail.split(",") if assembled and chosen.semantic.detail else [chosen.name]
    return TimeAxis(chosen.name, sources, chosen.minimum, chosen.maximum, step, chosen.distinct)


def _long(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int, model: TableModel) -> bool:
    keys = [c for c in columns if c.semantic.kind in ("category", "code") and has_word(c.name, KEY_NAMES)
            and 2 <= c.distinct <= 100]
    measures = [c for c in columns if c.semantic.is_measure]
    values = [c for c in measures if has_word(c.name, VALUE_NAMES)] or (measures if len(measures) == 1 else [])
    if not keys or not values:
        return False
    titles = [c for c in columns if c not in keys and c.dtype == "String" and has_word(c.name, NAME_WORDS)
              and c.distinct == keys[0].distinct]  # a series' title beside its code (Series_ID + Title)
    key, value = _labelled(keys + titles, sample), values[0]
    within, time = "", model.time
    if time and time.column in sample.columns and (sample.select(time.column, key.name).is_duplicated().any()
                                                   or rows < LONG_CELLS_FILLED * key.distinct * time.distinct):
        # each period holds a variable more than once (a country's, a region's), or few of them (an order's item)
        entity = _entity_of_each_row(columns, sample, rows, key, time)
        if entity is None:
            return False
        within = f" of each '{entity.name}'"  # countries x indicators x years: one row per country, variable, period
    model.shape, model.long_key, model.long_value = "long", key.name, value.name
    key.semantic = Semantic("long_key", evidence=[f"names the variable each '{value.name}' is of"])
    value.semantic = Semantic("long_value", "mean", evidence=[f"one variable per '{key.name}': never added across them"])
    for other in columns:
        if other.semantic.is_measure:
            other.semantic = Semantic("derived", evidence=[f"a figure beside '{value.name}' in a long table"])
    model.evidence.append(f"long format: '{key.name}' names the variable, '{value.name}' holds its value{within}")
    return True


LONG_CELLS_FILLED = 0.5  # the share of entity x variable x period cells a long table of entities holds


def _entity_of_each_row(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int, key: ColumnProfile,
                        time: TimeAxis) -> ColumnProfile | None:
    """The category that, beside the variable (`key`) and the period, tells the rows apart: each
    entity holds each variable once a period, in most of those cells (a country beside indicator and
    year). An id or a note unique per row tells rows apart too, and names no entity."""
    names = [key.name, time.column]
    for other in columns:
        cells = other.distinct * key.distinct * time.distinct
        if other.semantic.kind in ("category", "code") and other.semantic.detail != "alias" and other.nulls == 0 \
                and other.name in sample.columns and other.name not in names and other.name not in time.sources \
                and 2 <= other.distinct <= rows / 2 and LONG_CELLS_FILLED * cells <= rows <= 1.05 * cells \
                and not sample.select(*names, other.name).is_duplicated().any():
            return other
    return None


def _wordy(values: pl.Series) -> tuple[float, float]:
    """How much values read as words: a title ('Total Private') has small letters, a code ('CEU0000000001') none."""
    text = values.cast(pl.String)
    lettered, length = text.str.contains(r"[a-z]").mean(), text.str.len_chars().mean()
    return (number(lettered) if lettered is not None else 0.0, number(length) if length is not None else 0.0)


def one_to_one(sample: pl.DataFrame, one: str, other: str) -> bool:
    """Each value of one column goes with one value of the other, and back: two names of the same groups."""
    pairs = sample.select(one, other).unique()
    return pairs.height == pairs[one].n_unique() == pairs[other].n_unique()


def _labelled(keys: list[ColumnProfile], sample: pl.DataFrame) -> ColumnProfile:
    """Of a code and a title naming the same series (measure_cd + measure_title), the title; the code
    becomes its alias, never a second breakdown."""
    key = keys[0]
    for other in keys[1:]:
        if other.name not in sample.columns or key.name not in sample.columns:
            continue
        if one_to_one(sample, key.name, other.name):
            code, title = sorted((key, other), key=lambda c: _wordy(sample[c.name]))
            code.semantic = Semantic("code", detail="alias", evidence=[f"the code of each '{title.name}'"])
            return title
    return key


def _weighted(columns: list[ColumnProfile], model: TableModel) -> bool:
    weights = [c for c in columns if c.semantic.kind == "weight"]
    others = [c for c in columns if c not in weights and c.semantic.kind not in ("constant", "empty")]
    time_parts = set(model.time.sources) | {model.time.column} if model.time else set()
    surveyed = [w for w in weights if set(tokens(w.name)) <= SURVEY_WEIGHT_NAMES]
    if len(weights) == 1 and surveyed:  # a sampling weight: each row stands for that many, measures or not
        model.shape, model.weight = "weighted", weights[0].name
        model.evidence.append(f"sampled: each row stands for '{weights[0].name}' records (a sampling weight:"
                              " never missing, spread over orders of magnitude)")
        return True
    grouping = [c for c in others if c.name not in time_parts]
    if len(weights) == 1 and grouping and all(c.semantic.kind in GROUPABLE + ("ordered",) for c in grouping):
        if time_parts:  # cells of categories x period holding a head count: a stock, summed within a period
            weights[0].semantic = Semantic("stock", "sum", evidence=[
                "a count in each cell of categories x period: added across cells within a period, never across periods"])
            model.stock = weights[0].name
            return False
        model.shape, model.weight = "weighted", weights[0].name
        model.evidence.append(f"pre-aggregated: each row stands for '{weights[0].name}' records")
        return True
    for weight in weights:  # a count beside measures is an additive measure, not a weight
        weight.semantic = Semantic("additive", "sum", evidence=["a count column beside other measures"])
    return False


def _panel(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int, model: TableModel) -> bool:
    time = model.time
    if not time or time.column not in sample.columns or rows < 1.5 * time.distinct:
        return False  # a panel has several entities in each period
    counters = [c for c in columns if c.semantic.kind == "calendar" and c.semantic.detail == "index"]
    entities = [c for c in columns if (c.semantic.kind in ("category", "code", "identifier", "text") or c in counters)
                and c.name in sample.columns and c.distinct >= 2 and c.name not in time.sources]
    for entity in sorted(entities, key=lambda c: c.distinct):
        cells = entity.distinct * time.distinct
        if not 0.5 * cells <= rows <= 1.05 * cells:
            continue
        if sample.select(entity.name, time.column).drop_nulls().is_duplicated().any():
            continue
        model.shape, model.entity = "panel", entity.name
        model.evidence.append(f"panel: one row per '{entity.name}' ({entity.distinct}) and period"
                              f" ({time.distinct}): {rows} of {cells} cells")
        if entity.dtype.startswith(("Int", "UInt", "Float")) and entity.distinct > PANEL_LINES:
            _entities_by_group(entity, columns, sample, model)
        return True
    return False


PANEL_LINES = 6  # lines one chart draws; a panel of more bare-numbered subjects is drawn per group


def _entities_by_group(entity: ColumnProfile, columns: list[ColumnProfile], sample: pl.DataFrame,
                       model: TableModel) -> None:
    """Subjects known only by a number (chick 1..50, plot 1..24) are ids; their lines are drawn per
    the category each subject belongs to (its diet, its treatment), when one holds for all its rows."""
    entity.semantic = Semantic("identifier", "distinct", evidence=[
        f"numbers naming each of the panel's {entity.distinct} subjects"])
    groups = [c for c in columns if c.semantic.kind in ("category", "code", "ordered", "flag") and c is not entity
              and 2 <= c.distinct <= PANEL_LINES and c.name in sample.columns]
    for group in groups:
        per_entity = sample.group_by(entity.name).agg(pl.col(group.name).n_unique().alias("n"))["n"].max()
        if per_entity == 1:
            model.group = group.name
            model.evidence.append(f"each '{entity.name}' belongs to one '{group.name}': one line per '{group.name}'")
            return


RUNNING_TOTAL = "running total"
RUNNING_CANDIDATES = 40  # amounts tried as running totals of each other (a pass over the sample for each pair)


def _running_totals(columns: list[ColumnProfile], sample: pl.DataFrame, model: TableModel) -> None:
    """An amount that each row's other amount adds to (total_cases beside new_cases, an account's balance
    beside each payment), read in time order per entity on the sample: the level reached at each
    moment, never summed over time; its latest value is the headline."""
    time = model.time
    if time is None or time.column not in sample.columns:
        return
    keys = [model.entity] if model.shape == "panel" and model.entity in sample.columns else []
    flows = [c for c in columns if c.semantic.kind == "additive" and c.name in sample.columns
             and sample[c.name].dtype.is_numeric()][:RUNNING_CANDIDATES]
    totals = [c for c in columns if c.semantic.kind in ("additive", "level") and not c.semantic.overridden
              and c.name in sample.columns and sample[c.name].dtype.is_numeric()][:RUNNING_CANDIDATES]
    if not flows or not totals:
        return
    ordered = sample.with_row_index("__order").sort(*keys, time.column, "__order")
    diffs = [pl.col(total.name).cast(pl.Float64).diff() for total in totals]  # in time order, within an entity
    steps = ordered.select((diff.over(keys) if keys else diff).alias(total.name)
                           for diff, total in zip(diffs, totals, strict=True))
    added_to = ordered.select(pl.col(flow.name).cast(pl.Float64) for flow in flows)
    found: set[tuple[str, str]] = set()
    for total in totals:
        step = steps[total.name].to_numpy()
        for flow in flows:
            added = added_to[flow.name].to_numpy()
            moved = ~np.isnan(step) & ~np.isnan(added) & (added != 0)  # rows that added something
            if flow is total or (flow.name, total.name) in found or moved.sum() < 10:
                continue
            if np.mean(np.abs(step[moved] - added[moved]) <= 1e-6 * (1 + np.abs(added[moved]))) >= 0.9:
                found.add((total.name, flow.name))
                total.semantic = Semantic("level", "last", RUNNING_TOTAL, evidence=[
                    f"the running total of '{flow.name}' (each row adds it): a level at each moment"])
                model.evidence.append(f"'{total.name}' adds up '{flow.name}' row by row: its latest value leads")
                break


def _per_entity_figures(columns: list[ColumnProfile], model: TableModel) -> None:
    """In a panel, a figure of similar size in every row is per entity (per capita, per store):
    it does not add up across entities even when its name says sales."""
    for column in columns:
        semantic = column.semantic
        if semantic.kind != "additive" or semantic.overridden or column.mean in (None, 0):
            continue
        spread = (column.std or 0) / abs(column.mean)
        if spread < 0.5 and not column.dtype.startswith(("Int", "UInt")):
            column.semantic = Semantic("level", "mean", evidence=semantic.evidence + [
                f"similar in every row of the panel (spread {spread:.2f}): a per-entity figure"])


FIXED_ENTITIES = 0.95  # of the entities seen twice or more, those holding one value for the measure to be fixed


def _fixed_per_entity(columns: list[ColumnProfile], sample: pl.DataFrame, model: TableModel) -> None:
    """A measure with one value per entity in every period (a subject's weight and dose beside the
    concentration measured over time) describes the entity: a line of it over time says nothing."""
    entity = model.entity
    measures = [c.name for c in columns if c.semantic.is_measure and c.name in sample.columns and c.name != entity]
    if entity is None or entity not in sample.columns or not measures:
        return
    seen = sample.group_by(entity).agg(*(pl.col(m).drop_nulls().n_unique() for m in measures),
                                       *(pl.col(m).count().alias(f"__known {m}") for m in measures))
    for name in measures:
        known = seen.filter(pl.col(f"__known {name}") >= 2)  # an entity seen with its value twice or more
        if known.height >= 3 and number((known[name] == 1).mean()) >= FIXED_ENTITIES:
            model.fixed.append(name)
            model.evidence.append(f"'{name}' holds one value per '{entity}': an attribute of each, never drawn over time")


def _dummies(columns: list[ColumnProfile], sample: pl.DataFrame) -> None:
    """A 0/1 column that one category decides (IndDelta = airline is Delta) repeats that category."""
    groups = [c for c in columns if c.semantic.kind in ("category", "code") and c.name in sample.columns
              and 2 <= c.distinct <= min(50, sample.height // 20) and sample[c.name].null_count() == 0]
    for column in columns:
        if column.semantic.kind != "flag" or column.semantic.overridden or column.name not in sample.columns:
            continue
        if sample.height < 20:
            continue
        for group in groups:
            decided = sample.group_by(group.name).agg(pl.col(column.name).n_unique().alias("n"))["n"].max()
            if decided == 1:
                column.semantic = Semantic("dummy", evidence=[f"a 0/1 copy of '{group.name}'"])
                break


def key_score(column: ColumnProfile, rows: int, position: int, width: int) -> float:
    """How much people look for this measure: its name, how filled it is, where it stands."""
    score = 3.0 if has_word(column.name, KEY_WORDS) else 0.0
    score += 0.5 if has_word(column.name, HEADLINE_WORDS["money"]) else 0.0  # money first: price, sales, income
    score += 0.5 if column.semantic.kind == "additive" else 0.0  # amounts and counts before rates
    score -= 0.5 if has_word(column.name, QUALIFIER_WORDS) else 0.0  # a bounce rate after the sessions it divides
    score += 1.0 - column.nulls / max(rows, 1)
    score -= position / max(width, 1)
    if column.semantic.kind == "flag":
        score -= 0.5
    if column.semantic.detail == "total":  # the total beside its parts leads a wide table
        score += 2.5
    elif column.semantic.detail == "span":  # what each row lasted, from its start and end: what the pair is for
        score += 3.0
    elif column.semantic.detail == "part":
        score -= 1.0
    if column.semantic.overridden:
        score += 5.0
    return score
