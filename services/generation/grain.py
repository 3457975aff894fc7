"""What one row of the table is (its grain), decided from the values first and the names second,
and what that changes: an occurrence is counted, an entity's `total_*` is its attribute, a
period's bare whole numbers are counts of that period.

Grains: event (one occurrence: a stop, a bill, a rating), entity (one thing: a customer, a station),
period (one row per moment of a regular series), panel (entity x period), long (one value of one
variable), cell (a head count per cell of categories x period), weighted (pre-aggregated or sampled
rows). Decided on the statistics pass and the sample, like the rest of the semantic model.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import combinations

import numpy as np
import polars as pl

from services.generation.columns import ColumnProfile
from services.generation.naming import has_word, tokens
from services.generation.scalars import number
from services.generation.semantics import (
    ADDITIVE_WORDS,
    KEY_WORDS,
    PER_RECORD,
    QUALIFIER_WORDS,
    TOTAL_WORDS,
    Semantic,
    TableModel,
)

GRAINS = ("event", "entity", "period", "panel", "long", "cell", "weighted")
WIDE_ENTITY = 15  # columns of attributes from which a table without time describes things, not occurrences
# A yes/no (or two-valued) outcome of each row's thing, the share that matters most: churn, default, death.
OUTCOME_WORDS = frozenset({
    "churn", "churned", "attrition", "left", "quit", "exited", "dead", "died", "death", "survived", "survival",
    "default", "defaulted", "fraud", "fraudulent", "outcome", "target", "converted", "conversion", "cancelled",
    "canceled", "readmitted", "success", "successful", "won", "win", "passed", "failed", "failure", "responded",
    "response", "purchased", "subscribed", "retained", "returned", "approved", "accepted", "diagnosis", "disease"})
CROSSED = 0.8  # the share of every combination of a table's categories present, from which its rows are cells
MIN_NAMED_ROWS = 5  # a category with a value per row names things once there are this many
REGULAR = 0.5  # the share of a series' expected moments present, from which rows are periods, not events


def decide_grain(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int, model: TableModel) -> None:
    """Sets `model.grain` with its evidence, then refines the columns the grain speaks for."""
    grain, why = _grain_of(columns, sample, rows, model)
    model.grain = grain
    model.evidence.append(f"each row is {why}")
    if grain == "entity":
        _totals_are_attributes(columns)
    if grain == "period":
        _whole_numbers_are_counts(columns)
    if grain == "event" and model.time is not None:
        _prices_are_takings(columns, sample, rows)
    _counterparts_alike(columns)
    _outcomes_in_words(columns, sample)
    find_totals(columns, sample)


MENU_PRICES = 0.05  # distinct prices per row at most, for prices of a list (a menu), not of each thing sold (a house)
SOLD_QUANTITY = frozenset({"quantity", "qty", "units", "items", "pieces", "count", "volume", "n", "size", "shares",
                           "lots", "contracts"})
# A price beside these is a quote of a traded thing (a symbol's price), or of an event that sells nothing (a view).
QUOTED = frozenset({"symbol", "ticker", "isin", "cusip", "exchange", "bid", "ask"})
NOT_SALES = frozenset({"view", "views", "click", "clicks", "cart", "impression", "impressions", "visit", "search",
                       "wishlist", "remove", "removed", "quote", "listing", "listed"})
PRICE_WORDS = frozenset({"price", "prices"})


def _prices_are_takings(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int) -> None:
    """Each row one sale at its moment with no quantity beside it (a pizza sold at 16.75 on 1 January at
    11:38), at the few prices of a list: its prices add up to the takings. Beside a quantity, a price
    is what one unit costs; a price of its own on each row (a house's) is that thing's attribute."""
    if any(has_word(c.name, SOLD_QUANTITY) for c in columns if c.semantic.is_measure or c.semantic.kind == "constant"):
        return
    if any(has_word(c.name, QUOTED) for c in columns) or _events_that_sell_nothing(columns, sample):
        return
    for column in columns:
        semantic = column.semantic
        if semantic.kind == "level" and not semantic.overridden and has_word(column.name, PRICE_WORDS) \
                and not has_word(column.name, QUALIFIER_WORDS | {"unit", "list", "base", "original"}) \
                and column.distinct <= MENU_PRICES * max(rows - column.nulls, 1):
            column.semantic = Semantic("additive", "sum", evidence=semantic.evidence + [
                "each row is one sale with no quantity beside it: its prices add up to the takings"])


def _events_that_sell_nothing(columns: list[ColumnProfile], sample: pl.DataFrame) -> bool:
    """A kind of event among the rows that sells nothing (a view, a click, a cart): a log of what people
    did, where a price is the product's, never money taken."""
    for column in columns:
        if column.semantic.kind in ("category", "ordered") and column.name in sample.columns \
                and sample[column.name].dtype == pl.String:
            seen = {str(v).strip().lower() for v in sample[column.name].drop_nulls().unique().to_list()[:50]}
            if any(set(tokens(value)) & NOT_SALES for value in seen):
                return True
    return False


def _outcomes_in_words(columns: list[ColumnProfile], sample: pl.DataFrame) -> None:
    """Two values of which one names an outcome (alive or dead, approved or rejected) are a yes/no
    outcome, that value its yes: its share leads, as a flag's does."""
    for column in columns:
        if column.semantic.kind != "category" or column.semantic.overridden or column.name not in sample.columns \
                or column.distinct - (column.nulls > 0) != 2 or sample[column.name].dtype != pl.String:
            continue
        values = sorted(str(v) for v in sample[column.name].drop_nulls().unique().to_list())
        named = [v for v in values if set(tokens(v)) & OUTCOME_WORDS]
        if len(values) != 2 or not named:
            continue
        yes = next((v for v in named if set(tokens(v)) & set(tokens(column.name))), named[0])
        column.semantic = Semantic("flag", "share", detail=yes, evidence=[
            f"two values {values}: '{yes}' names an outcome, its share the measure"])


COUNTERPART_WORDS = frozenset({"actual", "actuals", "budget", "budgets", "budgeted", "forecast", "forecasted", "plan",
                               "planned", "target", "targets", "estimate", "estimated", "projected", "projection",
                               "quota", "goal"})
MAX_PARTS = 8  # columns tried as the parts of a total (every subset of them, on the sample)
SCALES = (1.0, 1e3, 1e-3, 1e2, 1e-2, 1e6, 1e-6)  # a total may be kept in thousands of its parts' units
SCREEN_ROWS = 500  # rows that rule most columns out as parts of a total before every row is read


def find_totals(columns: list[ColumnProfile], sample: pl.DataFrame) -> None:
    """A column that is the sum of others on every row of the sample (pcap = hwy + water + util; a
    Total beside twelve months, in thousands or not) is the wide table's headline; its parts are
    shown beside it, never stacked with it."""
    numbers = [c for c in columns if c.semantic.kind in ("additive", "level") and c.name in sample.columns
               and c.minimum is not None and c.minimum >= 0 and not c.semantic.overridden]
    if len(numbers) < 3:
        return
    table = _SampleNumbers(sample, [c.name for c in numbers])
    for t, total in sorted(enumerate(numbers), key=lambda item: -(item[1].mean or 0)):
        if total.semantic.detail in ("total", "part"):
            continue
        others = [n for n, c in enumerate(numbers) if n != t and c.semantic.detail != "total"]
        parts = _parts_of(*table.rows(t, others), others)
        if parts:
            names = " + ".join(numbers[p].name for p in parts)
            total.semantic.detail = "total"
            total.semantic.evidence.append(f"the sum of {names} on every row of the sample: the headline beside its parts")
            for p in parts:
                numbers[p].semantic.detail = "part"
                numbers[p].semantic.evidence.append(f"a part of '{total.name}'")


class _SampleNumbers:
    """The sample's numeric columns as one matrix, read once (300 columns took 39 s as a Series per
    pair of columns, 1000 columns hours)."""

    def __init__(self, sample: pl.DataFrame, names: list[str]) -> None:
        # what does not read as a number is missing, and so is NaN (a total of NaN has no parts)
        numbers = sample.select(names).cast(pl.Float64, strict=False).fill_nan(None)
        self.missing = numbers.select(pl.all().is_null()).to_numpy()
        self.values = numbers.fill_null(0.0).to_numpy()
        self.complete = not self.missing.any()
        if self.complete:  # every total reads the same rows: no copy per total
            self.means = self.values.mean(axis=0)

    def rows(self, total: int, others: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The total's values, a matrix holding the others' columns (by their index among the numbers)
        and the others' means (infinite for a column that is not one of them), on the rows where none
        of them is missing."""
        if self.complete:
            values, means = self.values, self.means
        else:
            values = self.values[~self.missing[:, [total, *others]].any(axis=1)]
            means = values.mean(axis=0) if len(values) else np.zeros(values.shape[1])
        kept = np.full(values.shape[1], np.inf)
        kept[others] = means[others]
        return values[:, total], values, kept


def _parts_of(target: np.ndarray, parts: np.ndarray, means: np.ndarray, others: list[int]) -> list[int]:
    """The columns (indices into `parts`) that add up to `target` on every row, if any do."""
    if target.shape[0] < 5 or not others:
        return []
    for scale in SCALES:
        goal = float(target.mean()) / scale
        # A part is at most the total on every row, so on average too; parts are never negative, so
        # when those left cannot add up to the total no subset can, and no row is read.
        candidates = np.flatnonzero(np.isfinite(means) & (means <= goal * 1.01 * (1 + 1e-9) + 1e-9))
        if float(means[candidates].sum()) < 0.99 * goal * (1 - 1e-9):
            continue
        within = [int(i) for i in _fitting(target / scale * 1.01 + 1e-9, parts, candidates)]
        for subset in _agreeing_subsets(within, means, goal):
            if _proportional(target, parts[:, subset].sum(axis=1), scale):
                return subset
    return []


def _fitting(ceiling: np.ndarray, parts: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """The candidates at most `ceiling` on every row: first on the first SCREEN_ROWS rows, which
    leave few of them, then those few on every row (1000 columns over 5000 rows: 10 s, not hours)."""
    head = (parts[:SCREEN_ROWS, candidates] <= ceiling[:SCREEN_ROWS, None]).all(axis=0)
    screened = candidates[head]
    return screened[(parts[:, screened] <= ceiling[:, None]).all(axis=0)]


def _agreeing_subsets(within: list[int], means: np.ndarray, goal: float) -> Iterator[list[int]]:
    """The subsets of parts whose means add up to the goal (else no need to add the rows up): the
    fewest parts first (a tiny rate beside them fits within rounding); past MAX_PARTS, all of them or
    all but one (twelve months beside their Total)."""
    def agrees(mean_sum: float) -> bool:
        return abs(mean_sum - goal) <= 0.01 * abs(goal)

    if len(within) <= MAX_PARTS:
        for size in range(2, len(within) + 1):
            for subset in combinations(within, size):
                if agrees(float(sum(means[i] for i in subset))):
                    yield list(subset)
        return
    whole = float(means[within].sum())
    if agrees(whole):
        yield within
    for left_out in reversed(range(len(within))):  # the order of combinations(within, len - 1)
        if agrees(whole - float(means[within[left_out]])):
            yield within[:left_out] + within[left_out + 1:]


def _proportional(target: np.ndarray, summed: np.ndarray, scale: float) -> bool:
    """target = summed x scale, within 1% on 95% of the rows (the rest rounding)."""
    present = summed > 0
    if int(present.sum()) < 5:
        return False
    ratio = target[present] / summed[present]
    return float((np.abs(ratio / scale - 1) <= 0.01).mean()) >= 0.95


def _grain_of(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int, model: TableModel) -> tuple[str, str]:
    if model.grain in GRAINS:  # column_types' "grain" said so
        return model.grain, f"one {model.grain}: column_types says so"
    if model.shape in ("long", "panel", "weighted"):
        return {"long": ("long", "one value of one variable"),
                "panel": ("panel", f"one '{model.entity}' in one period"),
                "weighted": ("weighted", f"a group of '{model.weight}' records")}[model.shape]
    if model.stock:
        return "cell", f"one cell of categories x period holding '{model.stock}', a head count"
    crossed = _crossed_cells(columns, sample, rows, model)
    if crossed:
        return "cell", crossed
    time = model.time
    named = [c for c in columns if c.semantic.kind in ("identifier", "category") and c.dtype == "String"
             and c.nulls == 0 and c.distinct >= 0.95 * rows and rows >= MIN_NAMED_ROWS]
    lasting = next((c for c in columns if c.semantic.detail == "span"), None)
    if time is not None and lasting is not None:  # a row that starts and ends is a thing or an occurrence, never a period
        if named:
            return "entity", f"one thing: '{named[0].name}' names each row once, each lasting '{lasting.name}'"
        return "event", f"one occurrence lasting '{lasting.name}'; counting them"
    if time is not None:
        per_moment = rows / max(time.distinct, 1)
        span = (_days(time.end) - _days(time.start)) if time.start is not None and time.end is not None else 0.0
        expected = span / time.step_days + 1 if time.step_days > 0 else float(time.distinct)
        coverage = time.distinct / max(expected, 1.0)
        if per_moment <= 1.05 and coverage >= REGULAR and not _to_the_second(sample, time.column):
            return "period", (f"one period: '{'+'.join(time.sources)}' is unique per row and regular "
                              f"({coverage:.0%} of its steps present); levels over time lead")
        why = f"{per_moment:.1f} rows share each moment" if per_moment > 1.05 else \
            f"'{'+'.join(time.sources)}' is nearly unique per row but irregular"
        return "event", f"one occurrence: {why}; counting them"
    if named:
        return "entity", f"one thing: '{named[0].name}' names each row once; distributions and averages lead"
    model.design = _design_of(columns, sample, rows)
    if model.design:
        return "entity", (f"one measurement of a designed experiment: {', '.join(map(repr, model.design))} hold as "
                          "many rows for each of their values; the measures compared across them lead")
    width = len([c for c in columns if c.semantic.kind not in ("constant", "empty") and not c.name.startswith("__")])
    if width >= WIDE_ENTITY or (outcome_of(columns) is not None and width >= 10):
        return "entity", f"one thing described by {width} attributes; distributions, averages and shares lead"
    return "event", "one occurrence (no time, no name per row, few attributes); counting them"


def _crossed_cells(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int, model: TableModel) -> str | None:
    """Why each row is one cell of a cross of categories (and periods) holding amounts, if it is: the
    rows are nearly every combination, each once (deaths by state, year and cause). Counting such
    rows counts the table's layout; its amounts lead."""
    keys = [c for c in columns if (c.semantic.kind in ("category", "code", "ordered")
                                   or c.semantic.kind == "calendar" and model.time is None)  # 1999 and 2000 only
            and c.name in sample.columns and c.distinct >= 2 and c.nulls == 0]
    sizes, read, names = [c.distinct for c in keys], [c.name for c in keys], [c.name for c in keys]
    if model.time is not None and model.time.column in sample.columns:
        sizes.append(model.time.distinct)
        read.append(model.time.column)
        names.append("+".join(model.time.sources))
    flows = [c.name for c in columns if c.semantic.kind == "additive"]
    cells = math.prod(sizes)
    if len(read) < 2 or not flows or not CROSSED <= rows / cells <= 1.02 or sample.select(read).is_duplicated().any():
        return None
    return f"one cell of {' x '.join(repr(n) for n in names)} ({rows} of {cells} cells, each once) holding '{flows[0]}'"


DESIGN_LEVELS = 12  # values of a factor an experiment sets (doses, varieties, blocks); more is no design
FACTOR_KINDS = ("category", "code", "ordered", "flag")


def _design_of(columns: list[ColumnProfile], sample: pl.DataFrame, rows: int) -> list[str]:
    """The factors of a designed experiment, if the rows are its measurements: every category of few
    values (a supplement, a block) holds exactly as many rows for each value, in the whole table.
    Numbers crossed evenly with one of them are factors too (doses of 0.5, 1 and 2 mg, each given
    to ten animals of each supplement). Counting such rows shows only the design."""
    if sample.height != rows or any(c.semantic.kind == "calendar" for c in columns):
        return []  # years beside the categories (countries in 1999 and 2000): a panel too short for a line
    factors = [c for c in columns if c.semantic.kind in FACTOR_KINDS and _evenly_held(c, sample)]
    if not factors or any(c.semantic.kind in FACTOR_KINDS and _few(c) and c not in factors for c in columns):
        return []
    if any(c.semantic.kind in ("category", "code", "identifier", "text") and DESIGN_LEVELS < c.distinct < rows
           for c in columns):
        return []  # a key of many things that repeat (each country's four indicators): things, not a design
    levels = [c for c in columns if c.semantic.is_measure and not c.semantic.overridden and c.distinct >= 3
              and not has_word(c.name, ADDITIVE_WORDS | KEY_WORDS)  # a headline or an amount is measured
              and _evenly_held(c, sample) and any(_crossed_evenly(sample, c, f) for f in factors)]
    if not any(c.semantic.is_measure and c not in levels for c in columns):
        return []
    for column in levels:
        column.semantic = Semantic("code", evidence=[f"{column.distinct} values set by design, crossed evenly with "
                                                     "the other factors: compared across, never an amount"])
    return [c.name for c in factors + levels]


def _few(column: ColumnProfile) -> bool:
    return column.nulls == 0 and 2 <= column.distinct <= DESIGN_LEVELS


def _evenly_held(column: ColumnProfile, sample: pl.DataFrame) -> bool:
    """As many rows for each value, and more than one (a row per month is a series, not a design)."""
    if not _few(column) or column.name not in sample.columns:
        return False
    counts = sample[column.name].value_counts()["count"]
    return counts.n_unique() == 1 and int(counts[0]) >= 2


def _crossed_evenly(sample: pl.DataFrame, column: ColumnProfile, factor: ColumnProfile) -> bool:
    cells = sample.group_by(column.name, factor.name).len()["len"]
    return cells.len() == column.distinct * factor.distinct and cells.n_unique() == 1


def _to_the_second(sample: pl.DataFrame, column: str) -> bool:
    """Moments stamped to the second (06:00:42) are when things happened; periods fall on round times."""
    if column not in sample.columns or not sample[column].dtype == pl.Datetime:
        return False
    moments = sample[column].drop_nulls()
    return moments.len() > 0 and number((moments.dt.second() != 0).mean()) > 0.5


def _days(moment) -> float:
    return moment.toordinal() + (moment.hour / 24 if hasattr(moment, "hour") else 0.0)


def outcome_of(columns: list[ColumnProfile], grain: str = "entity") -> ColumnProfile | None:
    """The yes/no outcome of each row: a two-valued column named for one; in a table of things, else
    a flag in its last column (a target is usually the last column; an occurrence's flags, and a
    thing's flags amid its other columns, are details of it: a car's automatic gearbox)."""
    two_valued = [c for c in columns if c.semantic.kind in ("flag", "category", "code") and c.distinct - (c.nulls > 0) == 2]
    named = [c for c in two_valued if has_word(c.name, OUTCOME_WORDS)]
    if named:
        return named[0]
    shown = [c for c in columns if not c.name.startswith("__") and c.semantic.kind not in ("empty", "constant")]
    last = shown[-1] if shown else None  # a target is the last column; a flag amid others is one more attribute
    return last if last is not None and last.semantic.kind == "flag" and last in two_valued and grain == "entity" \
        else None


def _totals_are_attributes(columns: list[ColumnProfile]) -> None:
    """A customer's total minutes, a company's total assets counted in its name: each thing's own
    figure, averaged across things, never the table's headline total."""
    for column in columns:
        semantic = column.semantic
        if semantic.kind == "additive" and not semantic.overridden and has_word(column.name, TOTAL_WORDS):
            flows = set(tokens(column.name)) & (ADDITIVE_WORDS - TOTAL_WORDS)
            column.semantic = Semantic("level", "mean", evidence=[
                f"'{column.name}' is each thing's own total" + (f" of {', '.join(sorted(flows))}" if flows else "")
                + ": an attribute in a table of things, averaged"])


def _whole_numbers_are_counts(columns: list[ColumnProfile]) -> None:
    """In a series of periods, a figure no name explains that holds whole numbers >= 0 counts what
    happened in each period (passengers a month): it adds up over time."""
    for column in columns:
        if _unexplained(column.semantic) and _whole_and_positive(column):
            column.semantic = Semantic("additive", "sum", evidence=[
                "whole numbers >= 0 in a series of periods: what each period counted, adding up over time"])


def _counterparts_alike(columns: list[ColumnProfile]) -> None:
    """'actual' beside 'budget', 'plan' beside 'actual_spend': a figure named only as the plan or the
    actual of a flow named as its counterpart measures the same thing, so it adds up as that one does.
    A 'target' beside unrelated flows (a label to predict beside orders) stays what it was."""
    partners = [c for c in columns if c.semantic.kind == "additive" and set(tokens(c.name)) & COUNTERPART_WORDS]
    for column in columns:
        words = set(tokens(column.name))
        partner = next((c for c in partners if c is not column), None)
        if partner is not None and _unexplained(column.semantic) and words and words <= COUNTERPART_WORDS:
            column.semantic = Semantic("additive", "sum", evidence=[
                f"'{column.name}' beside '{partner.name}', which adds up: the same figure, planned or actual"])


def _unexplained(semantic: Semantic) -> bool:
    """A figure only its values classified (no name said what it is), and no person overrode."""
    return (semantic.kind == "level" and not semantic.overridden and bool(semantic.evidence)
            and semantic.evidence[0].startswith(PER_RECORD))


def _whole_and_positive(column: ColumnProfile) -> bool:
    minimum, maximum, mean = column.minimum, column.maximum, column.mean
    if minimum is None or maximum is None or mean is None or minimum < 0 or maximum < 10:
        return False
    return column.dtype.startswith(("Int", "UInt"))
