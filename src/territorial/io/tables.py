"""Read CSV or Parquet files into polars, keeping what is needed to name the line of a bad row."""

from __future__ import annotations

import csv
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from territorial.errors import BadInput, Location, Problem, ProblemLog
from territorial.io.text_encoding import utf16_text

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
DELIMITERS = ",;\t|"
# Excel on Windows writes CSV in Windows-1252; Latin-1 accepts any byte sequence at all.
ENCODINGS = ("utf-8", "cp1252", "latin-1")

# The csv module (used only to find the line of a bad row; pyarrow reads the data) refuses a cell
# over 128 KB by default, and CRM exports hold descriptions of several MB.
csv.field_size_limit(2**31 - 1)
# pyarrow's block size is a 32-bit count of bytes.
_MAX_BLOCK = 2**31 - 1


@dataclass
class RawTable:
    """A file's rows as read. CSV cells are strings (or null when empty); Parquet keeps its types."""

    frame: pl.DataFrame
    file: str
    is_csv: bool
    header: list[str] = field(default_factory=list)  # every column in the file, loaded or not
    delimiter: str = ","
    encoding: str = "utf-8"
    is_excel: bool = False
    footer_rows: int = 0  # a formatted report's footer lines, skipped (Grand Totals, Copyright...)
    # Under a mapping, the file column each field came from ("lead_id" <- "Record ID"), for messages.
    sources: dict[str, str] = field(default_factory=dict)
    _lines: list[int] | None = field(default=None, repr=False)

    def line_of(self, row: int) -> int:
        """The physical CSV line of a 0-based data row (header = line 1), the Excel row number
        (header = row 1), or the 1-based Parquet row."""
        if self.is_excel:
            return row + 2
        if not self.is_csv:
            return row + 1
        if self._lines is None:
            self._lines = _record_lines(Path(self.file), len(self.header), self.delimiter, self.encoding)
        return self._lines[row] if row < len(self._lines) else row + 2

    def where(self, row: int) -> str:
        return f"line {self.line_of(row)}" if self.is_csv else f"row {self.line_of(row)}"


def read_table(path: str | Path, columns: Collection[str] | None = None) -> RawTable:
    """Read a table; with `columns` (names in any case), load only those that the file has."""
    return _without_nul(_read_any(path, columns))


# A NUL character ends a string in SQLite's C interface and PostgreSQL refuses it in text, so a cell
# holding one would be stored cut short ("A\x002" as "A") or not at all: refused where its line is known.
NUL = "\x00"
NUL_SHOWN = 20


def _without_nul(table: RawTable) -> RawTable:
    text = [name for name, dtype in table.frame.schema.items() if dtype == pl.String]
    hits = [
        (row, name)
        for name in text
        for row in table.frame.get_column(name).str.contains(NUL, literal=True).arg_true().to_list()
    ]
    if not hits:
        return table
    log = ProblemLog(NUL_SHOWN)
    message = "holds a NUL character (U+0000), which no workspace can store; expected text without it"
    for row, name in sorted(hits, key=lambda hit: (hit[0], table.header.index(hit[1]))):
        where = Location(table.file, table.line_of(row), table.header.index(name) + 1, name)
        log.add(Problem(where, message))
    raise BadInput(log.problems, log.total)


def _read_any(path: str | Path, columns: Collection[str] | None) -> RawTable:
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise BadInput.at("file not found", name)
    if not path.is_file():
        raise BadInput.at("this is a folder, not a file", name)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_excel(path, columns)
    if suffix == ".parquet":
        try:
            header = list(pl.read_parquet_schema(path))
            _check_header(header, name, None)
            frame = pl.read_parquet(path, columns=_wanted(header, columns))
        except (pl.exceptions.PolarsError, OSError) as err:
            raise BadInput.at(f"not a readable Parquet file: {err}", name) from None
        return RawTable(frame, name, is_csv=False, header=header)
    if suffix not in CSV_SUFFIXES:
        raise BadInput.at("expected a .csv, .tsv, .xlsx or .parquet file", name)
    encoding, text = _decoded(path)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    if not first_line.strip():
        raise BadInput.at("the file is empty; expected a header line", name, 1)
    delimiter = "\t" if suffix == ".tsv" else _sniff_delimiter(first_line)
    if text.count('"') % 2:  # a stray quote would swallow the rest of the file
        _locate_open_quote(path, delimiter, encoding)
    header = _header(path, delimiter, encoding)
    _check_header(header, name, 1)
    frame, footer = _read_csv(path, header, _wanted(header, columns), delimiter, encoding)
    return RawTable(
        frame, name, is_csv=True, header=header, delimiter=delimiter, encoding=encoding, footer_rows=footer
    )


def _read_excel(path: Path, columns: Collection[str] | None) -> RawTable:
    """The first sheet, every cell as text (as a CSV export would give it)."""
    name = str(path)
    try:
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0)
    except Exception as err:
        raise BadInput.at(f"not a readable Excel workbook: {err}", name) from None
    header = frame.columns
    _check_header(header, name, 1)
    frame, footer = _without_footer(frame)
    frame = frame.select(_wanted(header, columns)).with_columns(
        # A date cell comes as "2026-03-02 00:00:00": the date, as a CSV export would write it.
        pl.all().cast(pl.String).str.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00(\.0+)?$", "$1")
    )
    return RawTable(frame, name, is_csv=False, header=header, is_excel=True, footer_rows=footer)


def _without_footer(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """A report saved as a workbook: its last rows hold one cell (Grand Totals, Copyright...) or
    none; they are left out and counted, as in a CSV."""
    end = frame.height
    footer = 0
    while end > 0:
        cells = [str(v) for v in frame.row(end - 1) if v is not None and str(v).strip()]
        if len(cells) > 1 or (cells and not _is_footer(cells[0])):
            break
        footer += bool(cells)
        end -= 1
    return frame.head(end), footer


def _wanted(header: list[str], columns: Collection[str] | None) -> list[str]:
    if columns is None:
        return header
    lowered = {c.lower() for c in columns}
    return [c for c in header if c.strip().lower() in lowered]


def _check_header(header: list[str], name: str, line: int | None) -> None:
    seen: dict[str, str] = {}
    for column in header:
        key = column.strip().lower()
        if not key:
            raise BadInput.at("a column has an empty name", name, line)
        if "\x00" in column:  # UTF-32, or a binary file, read as text: names that are not names
            raise BadInput.at(
                f"the column name {column!r} holds NUL bytes; expected a text file "
                "(save it as CSV UTF-8 or UTF-16)",
                name,
                line,
            )
        if key in seen:
            first = seen[key]
            problem = "appears twice" if first == column else f"and '{first}' differ only in case"
            raise BadInput.at(f"column '{column}' {problem}; field names ignore case", name, line)
        seen[key] = column


def _read_csv(
    path: Path, header: list[str], include: list[str], delimiter: str, encoding: str
) -> tuple[pl.DataFrame, int]:
    """The rows, and how many lines of a report's footer were skipped."""
    footer = 0

    def stop(row: pacsv.InvalidRow) -> str:
        # A whitespace-only line (often the last, from an editor) is as empty as a blank one, and
        # a formatted report's footer line is not a row.
        nonlocal footer
        if _is_footer(row.text):
            footer += 1
            return "skip"
        return "skip" if _is_blank(row.text) else "error"

    def read(block_size: int | None) -> pa.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=header, skip_rows=1, encoding=encoding, block_size=block_size
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=stop
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                null_values=[""],
                include_columns=include,
            ),
        )

    try:
        try:
            table = read(None)
        except pa.ArrowInvalid as err:
            if "straddl" not in str(err):
                raise
            # A cell larger than pyarrow's 1 MB block (CRM descriptions run to several MB): read the
            # file as one block, twice its size since UTF-16 may grow by half as UTF-8.
            table = read(min(2 * path.stat().st_size + 1, _MAX_BLOCK))
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        # A row with more or fewer fields than the header: find its physical line.
        _locate_csv_problem(path, len(header), delimiter, encoding)
        raise BadInput.at(f"cannot read the CSV: {err}", str(path)) from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame, footer


# The lines a Salesforce formatted report (and most BI exports) end with: not rows of data.
_FOOTER = re.compile(
    r'^\s*"?\s*(grand totals?\b|totals?\b|subtotals?\b|confidential information|copyright\b|©|'
    r"\(c\)\s*\d{4}|generated by\b|filtered by\b)",
    re.IGNORECASE,
)


def _is_blank(text: str) -> bool:
    """Spaces, tabs and empty quotes only ("" on a line of its own, as a report writes it)."""
    return not text.replace('"', "").strip()


def _is_footer(text: str) -> bool:
    return bool(_FOOTER.match(text))


def _decoded(path: Path) -> tuple[str, str]:
    """The file's text encoding and its text."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BadInput.at(f"cannot read the file: {err.strerror}", str(path)) from None
    text = utf16_text(data, str(path))
    if text is not None:
        return "utf-16", text
    for encoding in ENCODINGS:
        try:
            return encoding, data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def _sniff_delimiter(first_line: str) -> str:
    """The most frequent of , ; tab | in the header line (outside quotes), comma on a tie."""
    outside = first_line.split('"')[::2]
    counts = {d: sum(part.count(d) for part in outside) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _locate_open_quote(path: Path, delimiter: str, encoding: str) -> None:
    with path.open(newline="", encoding=_python_encoding(encoding)) as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        start = 1
        try:
            for _record in reader:
                start = reader.line_num + 1
        except csv.Error:
            raise BadInput.at(
                'a quoted cell starting on this line is never closed; end it with " '
                '(write "" for a quote inside it)',
                str(path),
                start,
            ) from None


def _python_encoding(encoding: str) -> str:
    return "utf-8-sig" if encoding == "utf-8" else encoding


def _header(path: Path, delimiter: str, encoding: str) -> list[str]:
    with path.open(newline="", encoding=_python_encoding(encoding)) as handle:
        return next(csv.reader(handle, delimiter=delimiter), [])


def _locate_csv_problem(path: Path, width: int, delimiter: str, encoding: str) -> None:
    """Find the first row whose field count differs from the header's and report its line."""
    with path.open(newline="", encoding=_python_encoding(encoding)) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            if record and len(record) != width and not _skipped(record, width, delimiter):
                raise BadInput.at(
                    f"expected {width} fields as in the header, found {len(record)}", str(path), start
                )
            start = reader.line_num + 1


def _record_lines(path: Path, width: int, delimiter: str, encoding: str) -> list[int]:
    """Physical start line of each data record; quoted cells may span lines. Blank and
    whitespace-only lines are skipped, as the reader skips them."""
    lines: list[int] = []
    with path.open(newline="", encoding=_python_encoding(encoding)) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            if record and not _skipped(record, width, delimiter):
                lines.append(start)
            start = reader.line_num + 1
    return lines


def _skipped(record: list[str], width: int, delimiter: str) -> bool:
    """A line that is not a whole row and that the reader skips (see `stop`): blank, or a footer."""
    text = delimiter.join(record)
    return len(record) != width and (_is_blank(text) or _is_footer(text))
