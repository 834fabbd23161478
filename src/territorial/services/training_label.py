"""The outcome `score train --label` learns: a column, COLUMN=VALUE[,VALUE…], or a condition in the
rule language (`lifecycle_stage IN ('customer', 'evangelist')`), evaluated as plan rules are."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl

from territorial.domain.fields import FieldType, canonical
from territorial.engine.records import evaluation_frame
from territorial.errors import BadInput
from territorial.io.accounts import type_accounts
from territorial.io.crm_mappings import field_name
from territorial.io.tables import RawTable
from territorial.rules.ast import Expr, FieldRef, InList, fields_of, text
from territorial.rules.parser import RuleError, parse_rule
from territorial.rules.to_polars import compile_rule
from territorial.rules.types import check_rule

OPTION = "--label"
EXPECTED = (
    "expected the outcome column (1/0, yes/no, true/false), COLUMN=VALUE[,VALUE…], or a condition "
    "in the rule language, e.g. lifecycle_stage IN ('customer', 'evangelist')"
)
VALUES_SHOWN = 12  # a column's values listed when no row meets the label
ROW_ID = "_row"  # the typing needs an id; rows are numbered (as out-of-office ranges are)


@dataclass(frozen=True)
class Label:
    """The history with its outcome as a column of 1/0 (`column`), and the other columns the outcome
    was read from: they give it away, so the model must not learn from them."""

    frame: pl.DataFrame
    column: str
    read_from: list[str]


def training_label(frame: pl.DataFrame, spec: str, named: Callable[[str], str], table: RawTable) -> Label:
    """The outcome `spec` names: a column of the history as it is (the file's header, or its field
    under a mapping), else a condition in the rule language, else COLUMN=VALUE[,VALUE…] (converted
    where the column holds one of the values, case and spaces ignored: HubSpot's
    `Lifecycle Stage=Customer,Evangelist`). A condition's fields are the history's columns as fields
    (`lifecycle_stage` for HubSpot's `Lifecycle Stage`, with or without --mapping)."""
    if named(spec) in frame.columns:
        return Label(frame, named(spec), [])
    if re.fullmatch(r"[^=<>()'\s]+", spec.strip()):  # one word: a column's name, mistyped
        raise _no_column(spec, table)
    rule = _condition(spec, named, table)
    fields = _fields(frame, table)
    read = {name: fields[name] for name in sorted(fields_of(rule)) if name in fields}
    typed, schema = _typed(frame, read, rule, table)
    try:  # an unknown field is named with the closest the history has, as a rule can write it
        check_rule(rule, schema, [name for name in fields if field_name(name) == name])
    except RuleError as err:
        raise BadInput.at(f"{spec!r}: {err.message}", table.file, subject=OPTION) from None
    met = typed.select(compile_rule(rule).fill_null(False)).to_series()
    sources = list(read.values())
    if not met.any():
        seen = "; ".join(f"{_header(c, table)}'s values are: {_values(frame, c)}" for c in sources)
        raise BadInput.at(f"no row meets {spec!r}; {seen}", table.file, subject=OPTION)
    label = sources[0]  # the outcome takes the place of the column it is read from
    outcome = pl.Series(label, met.cast(pl.Int64).cast(pl.String))
    return Label(frame.with_columns(outcome), label, sources[1:])


def _condition(spec: str, named: Callable[[str], str], table: RawTable) -> Expr:
    """`spec` as a rule, or as the rule its COLUMN=VALUE[,VALUE…] shorthand stands for."""
    try:
        return parse_rule(spec)
    except RuleError as err:
        rule = _shorthand(spec, named, table)
        if rule is None:
            at = f" (at character {err.pos + 1})" if err.pos else ""
            message = f"{EXPECTED}; got {spec!r}: {err.message}{at}"
            raise BadInput.at(message, table.file, subject=OPTION) from None
        return rule


def _shorthand(spec: str, named: Callable[[str], str], table: RawTable) -> Expr | None:
    """COLUMN=VALUE[,VALUE…] as the condition it stands for (COLUMN IN ('value', …)); None when
    `spec` is not of that form."""
    column, equals, values = spec.partition("=")
    wanted = sorted({value.strip().lower() for value in values.split(",") if value.strip()})
    if not equals or not wanted or not column.strip() or "'" in spec:
        return None
    if named(column.strip()) not in table.frame.columns:
        raise _no_column(column.strip(), table)
    return InList(FieldRef(canonical(named(column.strip()))), tuple(text(value) for value in wanted))


def _no_column(column: str, table: RawTable) -> BadInput:
    """A label column the history lacks, with the columns it has (by its own headers)."""
    columns = ", ".join(table.header or table.frame.columns)
    message = f"there is no column '{column}'; columns are: {columns}; or write a condition"
    return BadInput.at(f"{message}, e.g. lifecycle_stage IN ('customer')", table.file, subject=OPTION)


def _fields(frame: pl.DataFrame, table: RawTable) -> dict[str, str]:
    """Field name -> the history's column: each column by its own name and as a field
    (`Lifecycle Stage` is `lifecycle_stage`), and under a mapping by the file's header too."""
    fields: dict[str, str] = {}
    for column in frame.columns:
        fields.setdefault(canonical(column), column)
        fields.setdefault(field_name(column), column)
    for column, header in table.sources.items():
        if column in frame.columns:
            fields.setdefault(field_name(header), column)
    return fields


def _typed(
    frame: pl.DataFrame, read: dict[str, str], rule: Expr, table: RawTable
) -> tuple[pl.DataFrame, dict[str, FieldType]]:
    """The columns the condition reads, under its field names, typed as `assign` types a file's
    columns (numbers, dates, true/false, else text), lower-cased as rules read them."""
    if not read:
        return pl.DataFrame({ROW_ID: [str(i) for i in range(frame.height)]}), {}
    # Text compared with text: COLUMN=VALUE reads its column as text, whatever it looks like.
    declared = {name: FieldType.STRING for name in read} if isinstance(rule, InList) else {}
    subset = frame.select(
        pl.int_range(pl.len()).cast(pl.String).alias(ROW_ID),
        *(pl.col(column).cast(pl.String).alias(name) for name, column in read.items()),
    )
    try:
        book = type_accounts(replace(table, frame=subset), declared, id_column=ROW_ID)
    except BadInput as err:
        raise err.under_headers({name: _header(column, table) for name, column in read.items()}) from None
    schema = {name: book.schema[name] for name in read}
    return evaluation_frame(book.frame, book.columns, book.schema, read), schema


def _header(column: str, table: RawTable) -> str:
    return table.sources.get(column, column)


def _values(frame: pl.DataFrame, column: str) -> str:
    values = sorted(frame.get_column(column).cast(pl.String).drop_nulls().unique().to_list())
    return ", ".join(values[:VALUES_SHOWN]) or "none"
