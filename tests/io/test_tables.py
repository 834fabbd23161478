"""`read_table` on what spreadsheets and CRMs write: huge cells, UTF-16 text, stray blank lines."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from territorial.errors import BadInput
from territorial.io.tables import read_table

# Over the csv module's default field limit (131,072 characters) and pyarrow's 1 MB block, as CRM
# descriptions can be.
HUGE = "x" * 2_000_000


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_huge_cell_does_not_stop_finding_a_line(tmp_path: Path) -> None:
    # The line of a bad row is found with the csv module, which refused cells over 128 KB.
    path = write(tmp_path, "accounts.csv", f'account_id,notes,employees\nA1,"{HUGE}\nmore",5\nA2,y,ten\n')
    table = read_table(path, ["account_id", "employees"])
    assert table.frame.columns == ["account_id", "employees"]
    assert table.line_of(1) == 4


def test_a_ragged_row_after_a_huge_cell_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.csv", f"account_id,notes\nA1,{HUGE}\nA2,y,extra\n")
    with pytest.raises(BadInput) as caught:
        read_table(path)
    assert "accounts.csv:3" in str(caught.value) and "found 3" in str(caught.value)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_a_bom_as_excel_saves_unicode_text(tmp_path: Path, encoding: str) -> None:
    # Excel's "Unicode Text" is UTF-16 with a byte order mark, tab-separated, in a .txt file.
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's utf-16 codec writes its own BOM
    path = write(tmp_path, "accounts.txt", f"{bom}account_id\tcity\nA1\tZürich\nA2\t東京\n", encoding)
    table = read_table(path)
    assert table.header == ["account_id", "city"]
    assert table.frame.get_column("city").to_list() == ["Zürich", "東京"]
    assert table.line_of(1) == 3


def test_utf16_comma_separated(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.csv", 'account_id,name\nA1,"Smith, Jones & Co"\n', "utf-16")
    assert read_table(path).frame.get_column("name").to_list() == ["Smith, Jones & Co"]


def test_utf16_ragged_row_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.txt", "account_id\tcity\nA1\tParis\nA2\n", "utf-16")
    with pytest.raises(BadInput) as caught:
        read_table(path)
    assert "accounts.txt:3" in str(caught.value) and "expected 2 fields" in str(caught.value)


@pytest.mark.parametrize("blank", ["   ", " \t ", "  \r"])
def test_whitespace_only_lines_are_ignored(tmp_path: Path, blank: str) -> None:
    path = write(tmp_path, "accounts.csv", f"account_id,state\nA1,NY\n{blank}\nA2,NJ\n{blank}\n")
    table = read_table(path)
    assert table.frame.get_column("account_id").to_list() == ["A1", "A2"]
    assert [table.line_of(0), table.line_of(1)] == [2, 4]


def test_a_whitespace_line_in_a_tab_separated_file_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "accounts.tsv", "account_id\tstate\tcity\nA1\tNY\tAlbany\n \t \nA2\tNJ\tNewark\n")
    table = read_table(path)
    assert table.frame.get_column("account_id").to_list() == ["A1", "A2"]
    assert table.line_of(1) == 4


def test_a_utf32_file_cut_short_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    # Found by the reader fuzz test: read as Latin-1, its names hold NULs that polars takes as "".
    data = "a,b\nu1,u2\nu2,u3\n".encode("utf-32")
    (tmp_path / "edges.csv").write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(BadInput, match="holds NUL bytes; expected a text file"):
        read_table(tmp_path / "edges.csv")


def test_a_report_footer_is_skipped_and_counted_and_lines_stay_right(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(
        '"Id","Name"\n"1","a"\n"2","b"\n\n"Grand Totals (2 records)"\n""\n'
        '"Confidential Information - Do Not Distribute"\n"Copyright (c) 2000-2026 salesforce.com, inc."\n'
    )
    table = read_table(tmp_path / "r.csv")
    assert table.frame.rows() == [("1", "a"), ("2", "b")]
    assert table.footer_rows == 3
    assert table.line_of(1) == 3


def test_a_short_row_that_is_no_footer_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("Id,Name\n1,a\nTotally wrong\n2,b\n")
    (tmp_path / "s.csv").write_text("Id,Name\n1,a\nsomething\n2,b\n")
    for name in ("r.csv", "s.csv"):  # "Totally" is not "Total": a short row, an error
        with pytest.raises(BadInput, match="expected 2 fields as in the header, found 1"):
            read_table(tmp_path / name)


def test_a_report_footer_in_a_workbook_is_skipped_and_counted(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ["Account ID", "Account Name"],
        ["001A", "Acme"],
        ["001B", "Bolt"],
        [],
        ["Grand Totals (2 records)"],
        ["Confidential Information - Do Not Distribute"],
        ["Copyright (c) 2000-2026 salesforce.com, inc."],
    ):
        sheet.append(row)
    book.save(tmp_path / "report.xlsx")
    table = read_table(tmp_path / "report.xlsx")
    assert table.frame.rows() == [("001A", "Acme"), ("001B", "Bolt")]
    assert table.footer_rows == 3


def test_a_cell_with_a_nul_is_refused_at_its_line_and_column(tmp_path: Path) -> None:
    # SQLite stored "A\x002" as "A", and PostgreSQL refuses the character: found by schemathesis.
    text = "account_id,name,state\nA1,Acme\x00Corp,NY\nA\x002,Beta,CA\nA3,C,TX\n"
    path = write(tmp_path, "accounts.csv", text)
    with pytest.raises(BadInput) as refused:
        read_table(path)
    assert [str(problem.location) for problem in refused.value.problems] == [
        f"{path}:2:2 [name]",
        f"{path}:3:1 [account_id]",
    ]
    assert "NUL character (U+0000)" in refused.value.problems[0].message
    # The same in Parquet, by row.
    pl.DataFrame({"account_id": ["A1", "B\x00"]}).write_parquet(tmp_path / "a.parquet")
    with pytest.raises(BadInput, match="NUL character") as refused:
        read_table(tmp_path / "a.parquet")
    assert str(refused.value.problems[0].location) == f"{tmp_path / 'a.parquet'}:2:1 [account_id]"
