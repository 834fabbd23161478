"""Read CSV or Parquet files into polars, keeping what is needed to name the line of a bad row."""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from territorial.errors import BadInput


@dataclass
class RawTable:
    """A file's rows as read. CSV cells are strings (or null when empty); Parquet keeps its types."""

    frame: pl.DataFrame
    file: str
    is_csv: bool
    header: list[str] = field(default_factory=list)  # every column in the file, loaded or not
    _lines: list[int] | None = field(default=None, repr=False)

    def line_of(self, row: int) -> int:
        """The physical CSV line of a 0-based data row (header = line 1), or the 1-based Parquet row."""
        if not self.is_csv:
            return row + 1
        if self._lines is None:
            self._lines = _record_lines(Path(self.file))
        return self._lines[row] if row < len(self._lines) else row + 2

    def where(self, row: int) -> str:
        return f"line {self.line_of(row)}" if self.is_csv else f"row {row + 1}"


def read_table(path: str | Path, columns: Collection[str] | None = None) -> RawTable:
    """Read a table; with `columns` (names in any case), load only those that the file has."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise BadInput.at("file not found", name)
    if path.suffix.lower() == ".parquet":
        try:
            header = list(pl.read_parquet_schema(path))
            frame = pl.read_parquet(path, columns=_wanted(header, columns))
        except (pl.exceptions.PolarsError, OSError) as err:
            raise BadInput.at(f"not a readable Parquet file: {err}", name) from None
        return RawTable(frame, name, is_csv=False, header=header)
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        raise BadInput.at("expected a .csv or .parquet file", name)
    header = _csv_header(path)
    return RawTable(_read_csv(path, header, _wanted(header, columns)), name, is_csv=True, header=header)


def _wanted(header: list[str], columns: Collection[str] | None) -> list[str]:
    if columns is None:
        return header
    lowered = {c.lower() for c in columns}
    return [c for c in header if c.strip().lower() in lowered]


def _csv_header(path: Path) -> list[str]:
    name = str(path)
    _check_utf8(path)
    header = _header(path)
    if not header:
        raise BadInput.at("the file is empty; expected a header line", name, 1)
    seen: dict[str, str] = {}
    for column in header:
        if column.strip().lower() in seen:
            first = seen[column.strip().lower()]
            problem = "appears twice" if first == column else f"and '{first}' differ only in case"
            raise BadInput.at(f"column '{column}' {problem}; field names ignore case", name, 1)
        seen[column.strip().lower()] = column
    return header


def _read_csv(path: Path, header: list[str], include: list[str]) -> pl.DataFrame:
    name = str(path)
    invalid: list[int] = []

    def count_invalid(_row: pacsv.InvalidRow) -> str:
        invalid.append(1)
        return "error"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=count_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                null_values=[""],
                include_columns=include,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        # A row with more or fewer fields than the header: find its physical line.
        _locate_csv_problem(path, len(header))
        raise BadInput.at(f"cannot read the CSV: {err}", name) from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _check_utf8(path: Path) -> None:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise BadInput.at(
            "the file is not UTF-8 text; save it as UTF-8 (in Excel: CSV UTF-8)", str(path), line
        ) from None


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle), [])


def _locate_csv_problem(path: Path, width: int) -> None:
    """Find the first row whose field count differs from the header's and report its line."""
    with path.open(newline="", encoding="utf-8-sig", errors="strict") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            if record and len(record) != width:
                raise BadInput.at(
                    f"expected {width} fields as in the header, found {len(record)}", str(path), start
                )
            start = reader.line_num + 1


def _record_lines(path: Path) -> list[int]:
    """Physical start line of each data record; quoted cells may span lines."""
    lines: list[int] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            if record:  # polars, like csv readers generally, skips blank lines
                lines.append(start)
            start = reader.line_num + 1
    return lines
