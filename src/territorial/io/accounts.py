"""Read an account book (CSV or Parquet) into typed columns, inferring undeclared field types."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import polars as pl

from territorial.domain.book import AccountBook
from territorial.domain.entities import SCHEMAS, Entity
from territorial.domain.fields import (
    ACCOUNT_ID,
    DEFAULT_NULLS,
    FORMATTED_NUMBER,
    NUMBER_TEXT,
    OWNER_ID,
    FieldType,
    NullWords,
    canonical,
)
from territorial.domain.normalize import (
    COORDINATE_LIMITS,
    COUNTRY,
    EXPECTED_COORDINATE,
    formatted_numbers,
    is_postal_code,
    off_the_globe,
    postal_code_values,
)
from territorial.domain.reps import OWNER_NAME
from territorial.errors import BadInput, Location, Problem, ProblemLog
from territorial.io.crm_mappings import crm_export_hint
from territorial.io.mapped_files import read_mapped
from territorial.io.tables import RawTable
from territorial.rules.to_polars import POLARS_TYPES

MAX_REPORTED = 50
_LEADING_ZERO = r"^[+-]?0\d"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_BOOLEAN = r"^(?i:true|false)$"


def is_always_string(name: str) -> bool:
    """ZIP and postal codes are strings whatever they look like, so leading zeros survive."""
    lowered = name.lower()
    return "zip" in lowered or "postal" in lowered


def read_accounts(
    path: str | Path,
    declared: Mapping[str, FieldType] | None = None,
    fields: Collection[str] | None = None,
    null_words: NullWords = DEFAULT_NULLS,
    mapping: str | Path | None = None,
) -> AccountBook:
    """Read and type accounts (with `mapping`, as `import` maps and normalises them). With `fields`,
    only those columns (plus account_id, owner_id and the
    declared ones) are loaded: a plan reads a handful of a CRM export's many columns."""
    declared = declared or {}
    # owner_name: a report's owner, by name, for the owner_id it lacks (services.assign).
    wanted = None if fields is None else {*fields, *declared, ACCOUNT_ID, OWNER_ID, OWNER_NAME}
    if wanted is not None and any(is_postal_code(canonical(name)) for name in wanted):
        wanted.add(COUNTRY)  # a postal code is read by its country's rules
    return type_accounts(read_mapped(path, Entity.ACCOUNTS, mapping, wanted), declared, null_words=null_words)


def _crm_hint(raw: RawTable, id_column: str) -> str:
    """A CRM export read without --mapping: name the mapping that knows its id column."""
    entity = next((e for e, schema in SCHEMAS.items() if schema.id_field == id_column), None)
    return crm_export_hint(raw.header, entity) if entity is not None else ""


def type_accounts(
    raw: RawTable,
    declared: Mapping[str, FieldType],
    id_column: str = ACCOUNT_ID,
    null_words: NullWords = DEFAULT_NULLS,
) -> AccountBook:
    """Type every column; `id_column` is required, a string, and unique. Null words (NullWords)
    are read as empty, and counted per column in the book's notes."""
    columns = _canonical_columns(raw)
    if id_column not in columns:
        raise BadInput.at(
            f"the required column {id_column} is missing{_crm_hint(raw, id_column)}",
            raw.file,
            1 if raw.is_csv else None,
        )
    problems = ProblemLog(MAX_REPORTED)
    typed: list[pl.Series] = []
    schema: dict[str, FieldType] = {}
    notes: list[Problem] = []
    read_as_text: dict[str, str] = {}
    for key, name in columns.items():
        series = raw.frame.get_column(name)
        # Ids are text even when they look like numbers (HubSpot owner ids are digits).
        is_id = key in (id_column, OWNER_ID)
        wanted = FieldType.STRING if is_id else declared.get(key)
        if series.dtype == pl.String and not is_id:
            series, note = _null_words(series, wanted, null_words, raw)
            notes += note
        converted, ftype = _convert(series, wanted, raw, problems)
        if key in COORDINATE_LIMITS and ftype is FieldType.NUMBER:
            _check_coordinates(converted, key, raw, problems)
        typed.append(converted)
        schema[key] = ftype
        if ftype is FieldType.STRING and wanted is None and series.dtype == pl.String:
            reason = _why_text(converted, raw, null_words)
            if reason:
                read_as_text[key] = reason
    problems.raise_if_any()
    frame = _with_postal_codes(pl.DataFrame(typed), columns, schema)
    _check_ids(frame.get_column(columns[id_column]), raw, id_column)
    return AccountBook(
        frame,
        schema,
        columns,
        raw.file,
        raw.header,
        raw.line_of,
        1 if raw.is_csv else None,
        notes=notes,
        read_as_text=read_as_text,
    )


def _null_words(
    series: pl.Series, wanted: FieldType | None, null_words: NullWords, raw: RawTable
) -> tuple[pl.Series, list[Problem]]:
    """The column with its null words emptied: the typed ones when the column is (or, without
    them, would be inferred as) a number, date or boolean column, else only the listed ones."""
    lowered = series.str.strip_chars().str.to_lowercase()
    typed_words = null_words.typed()
    emptied = lowered.is_in(typed_words).fill_null(False)
    if not emptied.any():
        return series, []
    candidate = series.set(emptied, None)
    ftype = wanted or inferred_type(candidate, null_words)
    if ftype is FieldType.STRING:
        emptied = lowered.is_in(null_words.text()).fill_null(False)
        if not emptied.any():
            return series, []
        candidate = series.set(emptied, None)
    words = series.filter(emptied).str.strip_chars().value_counts(sort=True, name="n")
    shown = ", ".join(
        f"{w} ×{n}" for w, n in words.sort(["n", series.name], descending=[True, False]).iter_rows()
    )
    total = int(emptied.sum())
    note = Problem(
        Location(raw.file, None, None, series.name),
        f"{total} cell{'s' if total != 1 else ''} read as empty ({shown}): null words in a "
        f"{ftype} column (a plan's `default_null_words: false` keeps them as they are)"
        if ftype is not FieldType.STRING
        else f"{total} cell{'s' if total != 1 else ''} read as empty ({shown}): the plan's null_words",
    )
    return candidate, [note]


def inferred_type(text: pl.Series, null_words: NullWords = DEFAULT_NULLS) -> FieldType:
    """The type an undeclared column of text is read as: number, date or boolean when every value
    but its null words (N/A, -, null...) is one, else string. `import` asks it of custom fields, so
    that it empties their null words as a file given to `assign` has them read."""
    stripped = text.str.strip_chars()
    words = stripped.str.to_lowercase().is_in(null_words.typed()).fill_null(False)
    return _infer(stripped.set(words | (stripped == ""), None))


def _why_text(values: pl.Series, raw: RawTable, null_words: NullWords) -> str | None:
    """For a text column whose values are mostly numbers, the first that is not, and its line: why
    `employees >= 100` cannot compare it."""
    # N/A, - and the like are empties, not words that make a number column text: one 'unknown'
    # among 150, N/A, 99, -, Select is the reason, and the reason to name.
    words = values.str.strip_chars().str.to_lowercase().is_in(null_words.typed()).fill_null(False)
    values = values.set(words, None)
    present = values.drop_nulls()
    numbers = present.str.contains(NUMBER_TEXT)
    # "1,500" and "$1,200" are numbers to whoever typed them (and to import), text in a file read as it is.
    numeric = numbers | formatted_numbers(present).is_not_null()
    if present.len() == 0 or int(numeric.sum()) * 2 < present.len() or numbers.all():
        return None
    row = int((values.is_not_null() & ~values.str.contains(NUMBER_TEXT).fill_null(True)).arg_true()[0])
    why = f"{values.name} was read as text because of {values[row]!r} on {raw.where(row)}"
    plain = formatted_numbers(values.slice(row, 1))[0]
    if plain is not None:
        return f"{why}, {plain} written with a {FORMATTED_NUMBER}"
    return why


def _with_postal_codes(
    frame: pl.DataFrame, columns: dict[str, str], schema: dict[str, FieldType]
) -> pl.DataFrame:
    """Postal codes read as import reads them (2134 and 02134-1234 are the ZIP 02134 in the US),
    so that `postal_code IN ('02134')` matches a file's rows as it matches the workspace's."""
    country = frame.get_column(columns[COUNTRY]) if schema.get(COUNTRY) is FieldType.STRING else None
    return frame.with_columns(
        postal_code_values(frame.get_column(name), country)
        for key, name in columns.items()
        if is_postal_code(key) and schema[key] is FieldType.STRING
    )


def _canonical_columns(raw: RawTable) -> dict[str, str]:
    columns: dict[str, str] = {}
    for name in raw.frame.columns:
        key = canonical(name)
        if not key:
            raise BadInput.at("a column has an empty name", raw.file, 1 if raw.is_csv else None)
        if key in columns:
            raise BadInput.at(
                f"columns '{columns[key]}' and '{name}' differ only in case; field names ignore case",
                raw.file,
                1 if raw.is_csv else None,
            )
        columns[key] = name
    return columns


def _convert(
    series: pl.Series, wanted: FieldType | None, raw: RawTable, problems: ProblemLog
) -> tuple[pl.Series, FieldType]:
    if series.dtype == pl.String:
        cleaned = series.str.strip_chars()
        cleaned = (
            pl.select(pl.when(cleaned == "").then(None).otherwise(cleaned)).to_series().alias(series.name)
        )
        ftype = wanted or _infer(cleaned)
        return _from_text(cleaned, ftype, raw, problems), ftype
    if series.dtype == pl.Null:  # a Parquet column with no values at all
        ftype = wanted or FieldType.STRING
        return series.cast(POLARS_TYPES[ftype]), ftype
    native = _native_type(series)
    if native is None:
        problems.add(_problem(raw, None, series.name, f"unsupported column type {series.dtype}"))
        return series, FieldType.STRING
    if series.dtype.is_float():
        series = series.fill_nan(None)
    ftype = wanted or (FieldType.STRING if is_always_string(series.name) else native)
    if ftype is native:
        return series.cast(POLARS_TYPES[ftype]), ftype
    if ftype is FieldType.STRING:
        return _as_text(series), ftype
    problems.add(_problem(raw, None, series.name, f"declared {ftype} but the file stores {native} values"))
    return series, ftype


def _as_text(series: pl.Series) -> pl.Series:
    """Numbers stored for ids and ZIP codes, as the text they stand for: 1002.0 is '1002', and a
    ZIP stored as 2134 is '02134'."""
    if series.dtype.is_float():
        whole = series.drop_nulls()
        if (whole == whole.round(0)).all():
            series = series.cast(pl.Int64)
    text = series.cast(pl.String)
    if series.dtype.is_integer() and "zip" in series.name.lower():
        text = text.str.zfill(5)
    return text


def _native_type(series: pl.Series) -> FieldType | None:
    dtype = series.dtype
    if dtype.is_numeric():
        return FieldType.NUMBER
    if dtype == pl.Boolean:
        return FieldType.BOOLEAN
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return FieldType.DATE
    if dtype in (pl.Categorical, pl.String) or isinstance(dtype, pl.Enum):
        return FieldType.STRING
    return None


def _infer(values: pl.Series) -> FieldType:
    if is_always_string(values.name):
        return FieldType.STRING
    present = values.drop_nulls()
    if present.len() == 0:
        return FieldType.STRING
    if present.str.contains(_BOOLEAN).all():
        return FieldType.BOOLEAN
    if present.str.contains(_DATE).all() and present.str.to_date("%Y-%m-%d", strict=False).null_count() == 0:
        return FieldType.DATE
    if present.str.contains(NUMBER_TEXT).all() and not present.str.contains(_LEADING_ZERO).any():
        return FieldType.NUMBER
    return FieldType.STRING


_EXPECTED = {
    FieldType.NUMBER: "a number such as 1200 or 3.5",
    FieldType.BOOLEAN: "true or false",
    FieldType.DATE: "a date as YYYY-MM-DD",
}


def _from_text(values: pl.Series, ftype: FieldType, raw: RawTable, problems: ProblemLog) -> pl.Series:
    if ftype is FieldType.STRING:
        return values
    if ftype is FieldType.NUMBER:
        ok = values.str.contains(NUMBER_TEXT)
        converted = values.cast(pl.Float64, strict=False)
    elif ftype is FieldType.BOOLEAN:
        ok = values.str.contains(_BOOLEAN)
        converted = values.str.to_lowercase() == "true"
    else:
        converted = values.str.to_date("%Y-%m-%d", strict=False)
        ok = values.str.contains(_DATE) & converted.is_not_null()
    bad = (values.is_not_null() & ~ok.fill_null(False)).arg_true()
    shown_rows = bad.head(MAX_REPORTED)
    # "1,500" and "$1,200": import and --mapping read them; a file given as it is is read as it is.
    readable = formatted_numbers(values.gather(shown_rows)) if ftype is FieldType.NUMBER else None
    for i, row in enumerate(shown_rows.to_list()):
        shown = values[row]
        message = f"expected {_EXPECTED[ftype]}, got {shown!r}"
        if readable is not None and readable[i] is not None:
            message += (
                f"; write {readable[i]}, without a thousands separator or currency sign, or give "
                f"--mapping plain (salesforce or hubspot for their exports) to read {shown!r} as "
                f"{readable[i]}, as import does"
            )
        problems.add(_problem(raw, row, values.name, message))
    problems.total += max(0, bad.len() - MAX_REPORTED)
    return converted.alias(values.name)


def _check_coordinates(values: pl.Series, key: str, raw: RawTable, problems: ProblemLog) -> None:
    for row in off_the_globe(values, COORDINATE_LIMITS[key]).arg_true().to_list():
        expected = EXPECTED_COORDINATE[key]
        problems.add(_problem(raw, row, values.name, f"expected {expected}, got {values[row]:g}"))


def _problem(raw: RawTable, row: int | None, column: str, message: str) -> Problem:
    line = raw.line_of(row) if row is not None else (1 if raw.is_csv else None)
    return Problem(Location(raw.file, line, None, column), message)


def _check_ids(ids: pl.Series, raw: RawTable, id_column: str) -> None:
    missing = ids.is_null().arg_true()
    if missing.len():
        row = int(missing[0])
        raise BadInput.at(
            f"{id_column} is empty ({missing.len()} rows without one)",
            raw.file,
            raw.line_of(row),
            None,
            id_column,
        )
    duplicated = ids.is_duplicated()
    if duplicated.any():
        first = int(duplicated.arg_true()[0])
        value = ids[first]
        rows = (ids == value).arg_true().head(2).to_list()
        count = int(duplicated.sum())
        raise BadInput.at(
            f"duplicate {id_column} {value!r} on {raw.where(rows[0])} and {raw.where(rows[1])}"
            f" ({count} rows share an id with another row)",
            raw.file,
            raw.line_of(rows[1]),
            None,
            id_column,
        )
