"""How a history table's columns become model inputs: shared by the fit and the potential models."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal, ParamSpec, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

from territorial.domain.fields import canonical
from territorial.domain.normalize import is_postal_code
from territorial.errors import BadInput

Matrix = npt.NDArray[np.float64]
P = ParamSpec("P")
R = TypeVar("R")

# Web forms and CRMs store the prompt of an untouched drop-down ("Select") or a placeholder word
# instead of leaving the cell empty; treating them as a real answer would teach the model the form,
# not the lead.
MISSING_WORDS = frozenset({"", "select", "n/a", "na", "none", "null", "nan", "-", "?"})
YES_WORDS = frozenset({"yes", "y", "true", "t"})
NO_WORDS = frozenset({"no", "n", "false", "f"})
# What polars' strip_chars removes (Unicode White_Space); Python's str.strip would also remove the
# ASCII separators \x1c-\x1f, which polars keeps.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
# The numbers polars reads when it casts text to Float64; Python's float() also reads digit groups
# with "_" and non-ASCII digits, which polars does not.
NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE
)

# The forest reads its input as float32: a number beyond float32's range is no amount anyone meant,
# and is read as missing, as "inf" is.
LARGEST_NUMBER = float(np.finfo(np.float32).max)
# A category seen in fewer rows than this cannot be learned reliably; such values share one
# "other" level so that the model does not memorise single leads.
RARE_CATEGORY_ROWS = 10
# HistGradientBoosting takes at most 255 bins per feature, one of them kept for missing values.
MAX_CATEGORY_LEVELS = 200
# A date or a timestamp as HubSpot, Salesforce and ISO write them: 2018-05-01, 2018-05-01 10:02,
# 2018-05-01T10:02:11.000Z, 05/01/2018 10:02 AM. A date is never a category (every day would be a
# rare level): it becomes its day of week and, when it has times, its hour. Its age is not used: in a
# history, the age of a lead measures how long it has had to convert, which a new lead never has.
ISO_DATE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[ T](?P<hour>\d{1,2}):\d{2}(?::\d{2}(?:\.\d+)?)?(?P<half>)(?:Z|[+-]\d{2}:?\d{2})?)?"
)
US_DATE = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?: (?P<hour>\d{1,2}):\d{2}(?::\d{2})?(?: ?(?P<half>[AaPp][Mm]))?)?"
)
DATE_PARTS = ("day of week", "hour")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Target-ordered codes shrink a level's average outcome toward the overall average as if this many
# more rows had the overall average: a level seen twice cannot jump to the top of the order.
ORDER_PRIOR_ROWS = 20


@dataclass(frozen=True)
class Feature:
    """One input column as the model sees it: numeric, a yes/no flag, or a category with kept levels."""

    name: str
    kind: Literal["numeric", "flag", "category"]
    levels: tuple[str, ...] = ()
    log_scale: bool = False  # counts and durations: log1p(x) tames long tails for the linear model
    typical: float = math.nan  # encoded median (numeric) or most frequent level code (category)
    # A feature derived from a date column (`column`): its day of week or its hour (DATE_PARTS).
    # Models saved before dates were derived read these defaults: every feature is its own column.
    column: str = ""
    part: str = ""

    @property
    def other_code(self) -> int:
        return len(self.levels)

    @property
    def source(self) -> str:
        """The history column the feature is read from."""
        return self.column or self.name


def cleaned(frame: pl.DataFrame, column: str) -> pl.Series:
    """The column as stripped text, with placeholder words turned into missing values."""
    text = frame.get_column(column).cast(pl.String).str.strip_chars()
    return (
        pl.select(
            pl.when(text.str.to_lowercase().is_in(list(MISSING_WORDS)))
            .then(None)
            .otherwise(text)
            .alias(column)
        )
        .to_series()
        .alias(column)
    )


def cleaned_value(value: object) -> str | None:
    """One cell as `cleaned` gives it: stripped text, or None for an empty cell or a placeholder word.
    A value that is not text is read as `str(value)`."""
    if value is None:
        return None
    text = (value if isinstance(value, str) else str(value)).strip(WHITESPACE)
    return None if text.lower() in MISSING_WORDS else text


def number_of(text: str | None) -> float:
    """Cleaned text as a number, as `encode` reads it: NaN when it is not a finite number or is beyond
    LARGEST_NUMBER."""
    number = float(text) if text is not None and NUMBER.fullmatch(text) else math.nan
    return number if abs(number) <= LARGEST_NUMBER else math.nan


def learn_feature(frame: pl.DataFrame, column: str) -> Feature | str:
    """The feature for a column, or why it is left out.

    A column is an identifier, and left out, when its value is unique to every row and it is either
    not a number (Prospect ID, e-mail) or the first column (the id column, as `score apply` assumes).
    Other unique numbers are kept: amounts are, and so are sequence numbers (Lead Number), whose order
    is the order in which records arrived."""
    text = cleaned(frame, column)
    present = text.drop_nulls()
    if present.len() == 0:
        return "always empty"
    distinct = present.n_unique()
    if distinct == 1:
        return "the same value in every row"
    numbers = present.cast(pl.Float64, strict=False)
    # A postal code is a place, not an amount: 02134 is never "low" (the readers keep it as text).
    is_numeric = numbers.null_count() == 0 and not is_postal_code(canonical(column))
    if distinct == frame.height and (not is_numeric or column == frame.columns[0]):
        return "an identifier (unique in every row)"
    if is_numeric:
        log_scale = bool(numbers.min() >= 0) and bool(numbers.max() > 1)  # type: ignore[operator]
        return Feature(column, "numeric", log_scale=log_scale)
    lowered = set(present.str.to_lowercase().unique().to_list())
    if lowered <= YES_WORDS | NO_WORDS:
        return Feature(column, "flag")
    return Feature(column, "category", levels=_levels(present))


def _levels(present: pl.Series) -> tuple[str, ...]:
    """A category's kept levels, the most frequent first: those seen in RARE_CATEGORY_ROWS rows."""
    column = present.name
    counts = present.value_counts(name="rows").sort(["rows", column], descending=[True, False])
    kept = counts.filter(pl.col("rows") >= RARE_CATEGORY_ROWS).head(MAX_CATEGORY_LEVELS)
    return tuple(kept.get_column(column).to_list())


def date_features(frame: pl.DataFrame, column: str) -> list[Feature] | str | None:
    """A date column's features (its day of week; its hour when it has times), why it has none, or
    None when the column is not a date (every value it has must read as one)."""
    present = cleaned(frame, column).drop_nulls()
    if present.len() == 0 or present.cast(pl.Float64, strict=False).null_count() == 0:
        return None  # empty, or numbers: learn_feature says what they are
    if not all(ISO_DATE.fullmatch(v) or US_DATE.fullmatch(v) for v in present.unique().to_list()):
        return None  # a day that does not exist (2018-02-30) is read as missing, as numbers are
    features = []
    for part in DATE_PARTS:
        values = date_part_series(present, part).drop_nulls()
        if values.n_unique() < 2:
            continue
        name = f"{column} ({part})"
        if part == "hour":
            features.append(Feature(name, "numeric", column=column, part=part))
        else:
            features.append(Feature(name, "category", _levels(values), column=column, part=part))
    return features or "a date on the same day of the week in every row, without times"


def _when(text: str) -> tuple[int, int | None] | None:
    """A date's day of the week (0 is Monday) and its hour (None without a time), or None when the
    text is no date (DATE formats) or no real day or hour (2018-02-30, 25:00)."""
    found = ISO_DATE.fullmatch(text) or US_DATE.fullmatch(text)
    if found is None:
        return None
    try:
        day = date(int(found["year"]), int(found["month"]), int(found["day"]))
    except ValueError:
        return None
    if found["hour"] is None:
        return day.weekday(), None
    hour = int(found["hour"])
    if found["half"]:  # 12:30 AM is 0:30, 12:30 PM is 12:30
        hour = hour % 12 + (12 if found["half"].lower() == "pm" else 0)
    return (day.weekday(), hour) if hour < 24 else None


def date_part(text: str | None, part: str) -> str | None:
    """One cleaned cell's day of the week ("Tuesday") or hour ("10"); None when it has none."""
    when = None if text is None else _when(text)
    if when is None:
        return None
    if part == "hour":
        return None if when[1] is None else str(when[1])
    return WEEKDAYS[when[0]]


def date_part_series(text: pl.Series, part: str) -> pl.Series:
    """`date_part` of every cell, computed once per distinct value."""
    values = text.to_list()
    parts = {value: date_part(value, part) for value in set(values)}
    return pl.Series(text.name, [parts[value] for value in values], dtype=pl.String)


def feature_text(frame: pl.DataFrame, feature: Feature) -> pl.Series:
    """The feature's cleaned text in every row: its column's, or the date part derived from it."""
    if feature.source not in frame.columns:
        raise BadInput.at(f"the column '{feature.source}' that the model was trained on is missing")
    text = cleaned(frame, feature.source)
    return date_part_series(text, feature.part).alias(feature.name) if feature.part else text


def feature_value(record: Mapping[str, object], feature: Feature) -> str | None:
    """One lead's cleaned text for the feature, as `feature_text` gives it for that row."""
    if feature.source not in record:
        raise BadInput.at(f"the column '{feature.source}' that the model was trained on is missing")
    text = cleaned_value(record[feature.source])
    return date_part(text, feature.part) if feature.part else text


class Lines(Protocol):
    """Where history rows come from: a file and each row's line in it."""

    file: str

    def line_of(self, row: int) -> int: ...


def learn_features(
    frame: pl.DataFrame, target: str, exclude: Sequence[str]
) -> tuple[list[Feature], dict[str, str]]:
    """The features of every column but the target and the excluded ones, and why others were left out.
    Each feature knows its typical encoded value, which reasons compare rows with."""
    unknown = sorted(set(exclude) - set(frame.columns))
    if unknown:
        raise BadInput.at(f"cannot exclude columns that are not in the history: {', '.join(unknown)}")
    features: list[Feature] = []
    dropped: dict[str, str] = {}
    for column in frame.columns:
        if column == target or column in exclude:
            continue
        dated = date_features(frame, column)
        learned = learn_feature(frame, column) if dated is None else dated
        if isinstance(learned, list):
            features.extend(learned)
        elif isinstance(learned, Feature):
            features.append(learned)
        else:
            dropped[column] = learned
    if not features:
        raise BadInput.at("no usable feature columns remain after exclusions")
    x = encode(frame, features)
    return [_with_typical(f, x[:, i]) for i, f in enumerate(features)], dropped


def encode(frame: pl.DataFrame, features: Sequence[Feature]) -> Matrix:
    """One float column per feature; missing is NaN and categories are level codes."""
    columns: list[npt.NDArray[np.float64]] = []
    for feature in features:
        text = feature_text(frame, feature)
        if feature.kind == "numeric":
            values = text.cast(pl.Float64, strict=False).to_numpy().astype(np.float64)
            # "inf" or 1e300 is no amount anyone meant, and the forest and linear models refuse it.
            values[~(np.abs(values) <= LARGEST_NUMBER)] = math.nan
            columns.append(np.log1p(np.maximum(values, 0.0)) if feature.log_scale else values)
        elif feature.kind == "flag":
            lowered = text.str.to_lowercase()
            flag = (
                pl.select(
                    pl.when(lowered.is_in(list(YES_WORDS)))
                    .then(1.0)
                    .when(lowered.is_in(list(NO_WORDS)))
                    .then(0.0)
                    .otherwise(None)
                )
                .to_series()
                .to_numpy()
            )
            columns.append(flag.astype(np.float64))
        else:
            codes = level_codes(feature)
            other = float(feature.other_code)
            values = np.array(
                [math.nan if v is None else codes.get(v, other) for v in text.to_list()], dtype=np.float64
            )
            columns.append(values)
    if not columns:
        return np.zeros((frame.height, 0), dtype=np.float64)
    return np.column_stack(columns)


def encode_record(record: Mapping[str, object], features: Sequence[Feature]) -> Matrix:
    """One lead, field -> value as a file gives it, encoded as `encode` encodes that row of a frame
    (a 1-D array). Plain Python: a one-row frame costs polars far more than the encoding itself."""
    values = np.empty(len(features), dtype=np.float64)
    log_scaled: list[int] = []
    for index, feature in enumerate(features):
        text = feature_value(record, feature)
        if feature.kind == "numeric":
            values[index] = number_of(text)
            if feature.log_scale:
                log_scaled.append(index)
        elif feature.kind == "flag":
            lowered = None if text is None else text.lower()
            values[index] = 1.0 if lowered in YES_WORDS else 0.0 if lowered in NO_WORDS else math.nan
        else:
            values[index] = math.nan if text is None else level_codes(feature).get(text, feature.other_code)
    if log_scaled:
        # The same numpy call as `encode` makes, so that the result is the same to the last bit.
        values[log_scaled] = np.log1p(np.maximum(values[log_scaled], 0.0))
    return values


@functools.cache
def level_codes(feature: Feature) -> dict[str, float]:
    """A category's level -> code; levels not kept share the code `other_code`."""
    return {level: float(code) for code, level in enumerate(feature.levels)}


def _with_typical(feature: Feature, encoded: Matrix) -> Feature:
    present = encoded[~np.isnan(encoded)]
    if feature.kind == "category":
        codes = np.bincount(present.astype(np.int64), minlength=feature.other_code + 1)
        typical = float(np.argmax(codes))
    else:
        typical = float(np.median(present))
    return replace(feature, typical=typical)


def describe(feature: Feature, value: str | None) -> str:
    """A feature's value in plain words: "Industry is Banking", "Minutes On Site is high (300)"."""
    if value is None:
        return f"{feature.name} is not given"
    if feature.kind == "flag":
        return f"{feature.name}: {value}"
    if feature.kind == "category":
        shown = value if value in feature.levels else f"{value} (rare)"
        return f"{feature.name} is {shown}"
    number = number_of(value)
    if math.isnan(number):  # the model saw it as missing
        return f"{feature.name} is not a number ({value})"
    encoded = math.log1p(max(number, 0.0)) if feature.log_scale else number
    size = "high" if encoded > feature.typical else "low" if encoded < feature.typical else "typical"
    return f"{feature.name} is {size} ({plain_number(number)})"


def plain_number(number: float) -> str:
    return f"{number:,.0f}" if number == round(number) else f"{number:,.2f}"


def categorical_mask(features: Sequence[Feature], x: Matrix | None = None) -> list[bool] | None:
    """Which features boosted trees split as categories: those with at least two codes in the rows
    `x` they learn from (every feature's codes when `x` is not given). A category seen with one code
    only says whether a value is there (that code, or missing): as a category, scikit-learn 1.9's
    boosted trees then predict one constant far from the base rate (0.013 for every lead of 120, half
    of them converted, whose one code marked the converters) and scored such a history upside down;
    as a number with missing values they read it right. A category with no kept level always has one
    code; one with a kept level and rare ones can have one in a cross-validation fold."""
    mask = []
    for index, feature in enumerate(features):
        if x is None:
            varied = bool(feature.levels)
        else:
            column = x[:, index]
            present = column[~np.isnan(column)]
            varied = present.size > 0 and bool(np.ptp(present) > 0)
        mask.append(feature.kind == "category" and varied)
    return mask if any(mask) else None


class TargetOrderedCodes(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Renumbers each category's levels by their (shrunk) average outcome in the training rows.

    Trees that split numbers, not categories, can then reach any split between low- and high-outcome
    levels with one threshold; frequency-ordered codes would need many. Missing stays missing."""

    def __init__(self, categorical: Sequence[bool] = (), prior_rows: float = ORDER_PRIOR_ROWS) -> None:
        self.categorical = categorical
        self.prior_rows = prior_rows

    def fit(self, x: Matrix, y: npt.NDArray[Any]) -> Self:
        outcome = np.asarray(y, dtype=np.float64)
        overall = float(outcome.mean())
        self.ranks_: dict[int, Matrix] = {}
        for column, is_category in enumerate(self.categorical):
            if not is_category:
                continue
            present = ~np.isnan(x[:, column])
            codes = x[present, column].astype(np.int64)
            levels = int(codes.max()) + 1 if codes.size else 1
            rows = np.bincount(codes, minlength=levels)
            total = np.bincount(codes, weights=outcome[present], minlength=levels)
            average = (total + self.prior_rows * overall) / (rows + self.prior_rows)
            self.ranks_[column] = np.argsort(np.argsort(average, kind="stable"), kind="stable").astype(
                np.float64
            )
        return self

    def transform(self, x: Matrix) -> Matrix:
        result = np.array(x, dtype=np.float64, copy=True)
        for column, ranks in self.ranks_.items():
            present = ~np.isnan(result[:, column])
            # A level unseen in training ranks with the middle of the order.
            codes = result[present, column].astype(np.int64)
            middle = float(len(ranks) // 2)
            result[present, column] = np.where(
                codes < len(ranks), ranks[np.minimum(codes, len(ranks) - 1)], middle
            )
        return result


def linear_columns(features: Sequence[Feature]) -> ColumnTransformer:
    """One small transformer per feature for linear models, so that each output column maps back to
    its feature: categories one-hot, numbers median-filled (with a missing flag) and standardised."""
    parts: list[tuple[str, Any, list[int]]] = []
    for index, feature in enumerate(features):
        if feature.kind == "category":
            steps: Any = Pipeline(
                [
                    ("missing", SimpleImputer(strategy="constant", fill_value=-1.0)),
                    ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                ]
            )
        else:
            steps = Pipeline(
                [
                    (
                        "missing",
                        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    ),
                    ("scale", StandardScaler()),
                ]
            )
        parts.append((f"f{index}", steps, [index]))
    return ColumnTransformer(parts, verbose_feature_names_out=True)


def column_owners(columns: ColumnTransformer) -> list[int]:
    """For each output column of `linear_columns`, the index of the feature it came from."""
    return [int(name.split("__", 1)[0][1:]) for name in columns.get_feature_names_out()]


def single_threaded(method: Callable[P, R]) -> Callable[P, R]:
    """Run a fit or predict on one OpenMP thread. Boosting a few thousand rows gains little from more
    threads, and threads that spin-wait on a busy machine make it many times slower (the scoring tests
    took 250 s instead of 20 s on 2 shared cores)."""

    @functools.wraps(method)
    def limited(*args: P.args, **kwargs: P.kwargs) -> R:
        with _thread_pools().limit(limits=1, user_api="openmp"):
            return method(*args, **kwargs)

    return limited


@functools.cache
def _thread_pools() -> Any:
    """Finding the loaded thread-pool libraries takes milliseconds: once per process is enough."""
    return ThreadpoolController()
