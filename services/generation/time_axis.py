"""Time wherever it hides: dates in any common spelling, calendar parts spread over columns,
two-digit and decimal years; then a grain that draws a readable line, and partial periods.

Everything here is decided on the bounded sample and turned into Polars expressions that the
one statistics pass and the card queries evaluate; nothing reads the file again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from services.generation.naming import tokens
from services.generation.scalars import bounds, number

TIME = "__time"  # the assembled time axis, when calendar parts are spread over columns
# (format, suffix appended before parsing): "1939 Jan" and "Mar-2018" name no day, chrono needs one
TEXT_DATE_FORMATS = [
    ("%Y-%m-%d", ""), ("%Y/%m/%d", ""), ("%Y-%m-%d %H:%M:%S", ""), ("%Y-%m-%dT%H:%M:%S", ""),
    ("%Y-%m-%d %H:%M", ""), ("%d/%m/%Y", ""), ("%m/%d/%Y", ""), ("%d.%m.%Y", ""), ("%d-%m-%Y", ""),
    ("%m/%d/%Y %H:%M", ""), ("%d/%m/%Y %H:%M", ""),
    ("%b %d %Y", ""), ("%b %d, %Y", ""), ("%B %d %Y", ""), ("%B %d, %Y", ""), ("%d %b %Y", ""), ("%d %B %Y", ""),
    ("%d-%b-%Y", ""), ("%d-%b-%y", ""), ("%m/%d/%y", ""), ("%d/%m/%y", ""), ("%y-%m-%d", ""),
    ("%Y %b %d", " 1"), ("%Y %B %d", " 1"), ("%b %Y %d", " 1"), ("%B %Y %d", " 1"),
    ("%b-%Y-%d", "-1"), ("%b-%y-%d", "-1"), ("%Y-%m-%d", "-1"), ("%Y/%m/%d", "/1"), ("%Y%m%d", ""),
]
YEAR_WORDS = {"year", "yr", "yyyy", "yy", "jahr", "annee", "ano", "año", "fy"}
MONTH_WORDS = {"month", "mo", "mon", "mm", "monat", "mois", "mes", "mth"}
DAY_WORDS = {"day", "dd", "dom", "tag", "jour", "dia", "día"}
HOUR_WORDS = {"hour", "hr", "hh", "hours", "stunde"}
UNITS = ["day", "week", "month", "quarter", "year"]
UNIT_DAYS = {"day": 1, "week": 7, "month": 30.44, "quarter": 91.3, "year": 365.25}
TRUNCATE = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}
MAX_POINTS = 60  # a line of more periods than this reads as noise on a card


def text_date(sample: pl.Series) -> pl.Expr | None:
    """The expression that parses a text column as dates, if one format reads 95% of the sample."""
    present = sample.drop_nulls()
    if present.len() == 0 or number(present.str.len_chars().max()) > 40:
        return None
    if present.str.contains(r"^\d+(\.\d+)?$").all():  # plain numbers are not dates, even as %Y%m%d
        return None
    if (quarters := quarter_date(sample)) is not None:
        return quarters
    head = present.head(20)
    for fmt, suffix in TEXT_DATE_FORMATS:
        if (head + suffix).str.strptime(pl.Datetime, fmt, strict=False).null_count() > head.len() // 10:
            continue  # a quick no on the first values spares parsing the whole sample
        text = present + suffix if suffix else present
        parsed = text.str.strptime(pl.Datetime, fmt, strict=False)
        if parsed.null_count() <= present.len() * 0.05 and _years_within(parsed, 1000, 2200):
            column = pl.col(sample.name)
            source = column + pl.lit(suffix) if suffix else column
            return _with_century(source.str.strptime(pl.Datetime, fmt, strict=False), fmt).alias(sample.name)
    return None


# "1998 Q1", "1998Q1", "1998-Q1", "Q1 1998", "Q1-1998"; a bare "2014" among them is its year's start
_QUARTER_YEAR = r"^\s*(\d{4})\s*[-/ ]?\s*[Qq]([1-4])\s*$"
_YEAR_QUARTER = r"^\s*[Qq]([1-4])\s*[-/ ]?\s*(\d{4})\s*$"
_YEAR = r"^\s*(\d{4})\s*$"


def quarter_date(sample: pl.Series) -> pl.Expr | None:
    """Quarters spelled as text, as the first day of each quarter, if they are 95% of the sample."""
    present = sample.drop_nulls().cast(pl.String)
    spelled = present.str.contains(_QUARTER_YEAR) | present.str.contains(_YEAR_QUARTER)
    if present.len() == 0 or not spelled.any() or number((spelled | present.str.contains(_YEAR)).mean()) < 0.95:
        return None
    text = pl.col(sample.name).cast(pl.String)
    year = pl.coalesce(text.str.extract(_QUARTER_YEAR, 1), text.str.extract(_YEAR_QUARTER, 2),
                       text.str.extract(_YEAR, 1)).cast(pl.Int32, strict=False)
    quarter = pl.coalesce(text.str.extract(_QUARTER_YEAR, 2), text.str.extract(_YEAR_QUARTER, 1),
                          pl.lit("1")).cast(pl.Int32, strict=False)
    return pl.when(year.is_between(1000, 2200)).then(pl.datetime(year, (quarter - 1) * 3 + 1, 1)).alias(sample.name)


EPOCH_WORDS = frozenset({"timestamp", "time", "date", "datetime", "ts", "epoch", "unix", "created", "updated", "at",
                         "when", "moment"})
_EPOCH_SECONDS = (1e8, 4.2e9)  # 1973 .. 2103
_EPOCH_MILLISECONDS = (1e11, 4.2e12)


def epoch_time(sample: pl.Series) -> pl.Expr | None:
    """Unix epoch seconds or milliseconds, in a whole-number column named like a moment."""
    values = sample.drop_nulls()
    if not values.dtype.is_numeric() or values.len() < 3 or not EPOCH_WORDS & set(tokens(sample.name)):
        return None
    if not bool((values == values.round(0)).all()):
        return None
    least, most = bounds(values)
    column = pl.col(sample.name).cast(pl.Int64, strict=False)
    if _EPOCH_SECONDS[0] <= least and most <= _EPOCH_SECONDS[1]:
        return pl.from_epoch(column, time_unit="s").alias(sample.name)
    if _EPOCH_MILLISECONDS[0] <= least and most <= _EPOCH_MILLISECONDS[1]:
        return pl.from_epoch(column, time_unit="ms").alias(sample.name)
    return None


SINCE = "__since"  # a relative time axis (days since start, age in weeks), as moments from a fixed origin
ORIGIN = datetime(2000, 1, 1)
RELATIVE_UNITS = {"day": 1.0, "days": 1.0, "week": 7.0, "weeks": 7.0, "month": 30.44, "months": 30.44,
                  "year": 365.25, "years": 365.25, "hour": 1 / 24, "hours": 1 / 24}
CALENDAR_RANGES = {"hour": 24, "day": 31, "week": 53, "month": 12}
RELATIVE_WORDS = frozenset({"time", "t", "elapsed", "since", "age", "start", "baseline", "study", "trial", "in", "of"})


@dataclass
class RelativeTime:
    """A column counting time from a start of its own: Time 0, 2, 4... days of a chick's life."""

    column: str
    unit: str  # day, week, month, year, hour; "step" when the name says none
    days: float  # one unit, in days

    @property
    def label(self) -> str:
        return f"{self.unit}s since start" if self.unit != "step" else "time since start"

    @property
    def evidence(self) -> str:
        return f"'{self.column}' counts {self.label}: a relative time axis"

    @property
    def expression(self) -> pl.Expr:
        elapsed = pl.col(self.column).cast(pl.Float64) * self.days * 86400
        return (pl.lit(ORIGIN) + pl.duration(seconds=elapsed)).alias(SINCE)


def relative_time(sample: pl.DataFrame) -> RelativeTime | None:
    """A numeric column named for elapsed time whose few values (>= 0) recur row after row, as
    when every subject is measured at the same steps; a duration of each record varies instead."""
    for name, dtype in sample.schema.items():
        words = set(tokens(name))
        units = [w for w in tokens(name) if w in RELATIVE_UNITS]
        if not dtype.is_numeric() or not words or not words <= RELATIVE_WORDS | set(RELATIVE_UNITS):
            continue
        if words == {"age"} or not (units or words & {"time", "t", "elapsed", "since"}):
            continue  # an age alone is a person's attribute
        values = sample[name].drop_nulls()
        if values.len() < 10 or number(values.min()) < 0:
            continue
        if len(words) == 1 and units and units[0] in CALENDAR_RANGES and number(values.max()) <= CALENDAR_RANGES[units[0]]:
            continue  # 'hour' 0..23, 'day' 1..31: a part of the calendar, not time since a start
        distinct = values.n_unique()
        if 4 <= distinct <= 400 and distinct <= values.len() / 3:
            unit = units[0].rstrip("s") if units else "step"
            return RelativeTime(name, unit, RELATIVE_UNITS.get(unit, 1.0))
    return None


def _years_within(moments: pl.Series, low: int, high: int) -> bool:
    earliest, latest = bounds(moments.dt.year())
    return low <= earliest and latest <= high


def _with_century(parsed: pl.Expr, fmt: str) -> pl.Expr:
    """A two-digit year that lands in the future belongs to the last century (63 -> 1963)."""
    if "%y" not in fmt:
        return parsed
    future = parsed.dt.year() > date.today().year
    return pl.when(future).then(parsed.dt.offset_by("-100y")).otherwise(parsed)


def full_year(column: pl.Expr, low: int, high: int) -> pl.Expr | None:
    """A year column as four digits: 1977 stays; 63..92 becomes 1963..1992; None if not years.
    Early years of the common era stay as they are when the column reaches the second millennium
    (an ice core every 20 years from 20 to 2000)."""
    if 1 <= low and 1000 <= high <= 2200:
        return column
    if 0 <= low and high <= 99:
        this_year = date.today().year % 100
        return column + pl.when(column > this_year).then(1900).otherwise(2000)
    return None


@dataclass
class CalendarParts:
    """Columns that together name a moment: a year, maybe a month, a day, an hour."""

    year: str | None  # None: months and days of a year the file does not name (May to September)
    month: str | None = None
    day: str | None = None
    hour: str | None = None
    month_named: bool = False  # 'January' or 'Jan', not 1

    @property
    def columns(self) -> list[str]:
        return [c for c in (self.year, self.month, self.day, self.hour) if c]

    def expression(self, year_low: int, year_high: int) -> pl.Expr | None:
        if self.year is None:
            year: pl.Expr | None = pl.lit(YEARLESS)
        else:
            year = full_year(pl.col(self.year).cast(pl.Int32, strict=False), year_low, year_high)
        if year is None:
            return None
        month = pl.col(self.month).cast(pl.Int32, strict=False) if self.month else pl.lit(1)
        if self.month and self.month_named:
            month = pl.col(self.month).str.strip_chars().str.to_lowercase().str.slice(0, 3).replace_strict(
                MONTH_NUMBERS, default=None, return_dtype=pl.Int32)
        day = pl.col(self.day).cast(pl.Int32, strict=False) if self.day else pl.lit(1)
        hour = pl.col(self.hour).cast(pl.Int32, strict=False).clip(0, 23) if self.hour else pl.lit(0)
        # the month's first day plus the days after it: 30 February runs into March, and is no day
        moment = pl.datetime(year, month.clip(1, 12), 1) + pl.duration(days=day.clip(1, 31) - 1, hours=hour)
        valid = month.is_between(1, 12) & day.is_between(1, 31) & (moment.dt.month() == month)
        return pl.when(valid).then(moment).alias(TIME)


def _part(name: str, words: set[str]) -> list[str] | None:
    """The other words of a calendar part's name: 'Year_Sold' -> ['sold']; None if not that part."""
    found = tokens(name)
    return [t for t in found if t not in words] if any(t in words for t in found) else None


def _in_range(sample: pl.DataFrame, name: str, low: int, high: int) -> bool:
    values = sample[name].drop_nulls()
    if values.len() == 0 or not values.dtype.is_numeric():
        return False
    least, most = bounds(values)
    return bool((values == values.round(0)).all()) and low <= least and most <= high


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")
MONTH_NUMBERS = {name: n for n, name in enumerate(MONTHS, start=1)}


def _month_names(sample: pl.DataFrame, name: str) -> bool:
    """'January' ... 'September', or 'Jan', 'Feb': months by name."""
    values = sample[name].drop_nulls()
    if values.dtype != pl.String or values.len() == 0:
        return False
    seen = {str(v).strip().lower() for v in values.unique().to_list()}
    return seen <= set(MONTH_NAMES) or seen <= set(MONTHS)


def _year_like(sample: pl.DataFrame, name: str) -> bool:
    values = sample[name].drop_nulls()
    if _part(name, YEAR_WORDS) is None or not values.dtype.is_integer() or values.len() == 0:
        return False
    least, most = bounds(values)
    return full_year(pl.lit(0), int(least), int(most)) is not None


# The year a month and a day without one are placed in: a leap year, so that 29 February is a day.
# The axis shows them without it (TimeAxis.yearless).
YEARLESS = 2000


def yearless_parts(sample: pl.DataFrame) -> CalendarParts | None:
    """Columns named just month and day, with no year anywhere (daily readings from May to September):
    a time axis within one year, each day on one row. The days must reach the end of a month, or they
    may be weekdays; a year in any spelling (2018.0, 20170101 named date) means several years."""
    month = next((n for n in sample.columns if _part(n, MONTH_WORDS) == [] and _in_range(sample, n, 1, 12)), None)
    day = next((n for n in sample.columns if _part(n, DAY_WORDS) == [] and _in_range(sample, n, 1, 31)), None)
    if month is None or day is None or bounds(sample[day].drop_nulls())[1] < 28:
        return None
    if any(_part(n, YEAR_WORDS | {"date"}) is not None for n in sample.columns):
        return None
    if sample.select(month, day).drop_nulls().is_duplicated().any():
        return None  # a day seen twice: several years, places or series of one calendar
    return CalendarParts(None, month, day)


def calendar_parts(sample: pl.DataFrame) -> CalendarParts | None:
    """Year + month (+ day (+ hour)) whose names agree ('Year_Sold' + 'Mo_Sold'); or a lone year."""
    years = [n for n in sample.columns if _year_like(sample, n)]
    best = None
    for year in years:
        rest = _part(year, YEAR_WORDS)
        same = [n for n in sample.columns if n != year]
        month = next((n for n in same if _part(n, MONTH_WORDS) == rest and _in_range(sample, n, 1, 12)), None)
        named = month is None
        month = month or next((n for n in same if _part(n, MONTH_WORDS) == rest and _month_names(sample, n)), None)
        if month is None:
            continue
        day = next((n for n in same if _part(n, DAY_WORDS) == rest and _in_range(sample, n, 1, 31)), None)
        hour = next((n for n in same if _part(n, HOUR_WORDS) == rest and _in_range(sample, n, 0, 23)), None) if day else None
        parts = CalendarParts(year, month, day, hour, month_named=named)
        if best is None or len(parts.columns) > len(best.columns):
            best = parts
    if best is None:
        plain = [n for n in years if _part(n, YEAR_WORDS) == []]  # a column named just 'year'
        best = CalendarParts(plain[0]) if len(plain) == 1 else None
    if best is None:
        timed = [n for n in sample.columns if _years_named_time(sample, n)]
        best = CalendarParts(timed[0]) if len(timed) == 1 else None
    return best


def _years_named_time(sample: pl.DataFrame, name: str) -> bool:
    """A column named just 'time' counting years one step at a time (an annual series: 1871, 1872...).
    Clock times (HHMM) repeat and jump; years of a series rise by the same step in every row."""
    values = sample[name].drop_nulls()
    if tokens(name) != ["time"] or not values.dtype.is_integer() or values.len() < 3:
        return False
    least, most = bounds(values)
    steps = values.diff().drop_nulls()
    return 1000 <= least and most <= 2200 and steps.n_unique() == 1 and steps[0] >= 1


def decimal_year(sample: pl.Series) -> pl.Expr | None:
    """1959.25 as a date: a float column named like time, holding years with fractions."""
    values = sample.drop_nulls()
    if not values.dtype.is_float() or values.len() < 3 or not {"year", "time", "date"} & set(tokens(sample.name)):
        return None
    least, most = bounds(values)
    if not (1700 <= least and most <= 2200) or (values == values.round(0)).all():
        return None
    column = pl.col(sample.name)
    whole = column.floor().cast(pl.Int32)
    twelfths = (values - values.floor()) * 12
    if bool(((twelfths - twelfths.round(0)).abs() < 0.01).all()):  # 1949.0833: February, not 31 January
        month = ((column - whole) * 12).round(0).cast(pl.Int32) + 1
        return pl.datetime(whole, month.clip(1, 12), 1).alias(sample.name)
    start = pl.datetime(whole, 1, 1)
    return (start + pl.duration(days=((column - whole) * 365.25).round(0).cast(pl.Int64))).alias(sample.name)


def grain(start, end, step_days: float, max_points: int = MAX_POINTS) -> str:
    """The finest unit no finer than the data's own step that gives at most `max_points` periods."""
    span = (_as_datetime(end) - _as_datetime(start)).total_seconds() / 86400 if start and end else 0
    for unit in UNITS:
        if UNIT_DAYS[unit] < step_days * 0.85:  # finer than the data: months are 28 to 31 days
            continue
        if span / UNIT_DAYS[unit] <= max_points:
            return unit
    return "year"


def period_end(start: datetime, unit: str) -> datetime:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


def partial_periods(first: dict, last: dict, unit: str, step_days: float) -> list[datetime]:
    """The first and last periods the data covers only in part (their data starts late or ends early)."""
    partial = []
    step = timedelta(days=max(step_days, 1 / 24))
    if first["earliest"] is not None and _as_datetime(first["earliest"]) - _as_datetime(first["period"]) >= step:
        partial.append(first["period"])
    end = period_end(_as_datetime(last["period"]), unit)
    if last["latest"] is not None and end - _as_datetime(last["latest"]) > step * 1.5:
        partial.append(last["period"])
    return partial


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)


def step_days(sample: pl.Series) -> float | None:
    """The data's own step: the commonest gap between its distinct moments (daily, monthly, yearly)."""
    moments = sample.drop_nulls().cast(pl.Datetime).unique().sort()
    gaps = moments.diff().drop_nulls().dt.total_seconds() / 86400
    gaps = gaps.filter(gaps > 0)
    return number(gaps.mode().min()) if gaps.len() else None


def is_time_name_for_end(name: str) -> bool:
    """'end', 'closed_at', 'updated': the moment an event stopped or was edited, not when it happened."""
    return bool({"end", "ended", "ends", "finish", "finished", "close", "closed", "until", "expiry", "expires",
                 "updated", "modified", "birth", "dob", "born", "due"} & set(tokens(name)))

