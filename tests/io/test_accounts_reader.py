"""Type inference and declared types in `read_accounts`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from territorial.domain.book import AccountBook
from territorial.domain.fields import FieldType
from territorial.errors import BadInput
from territorial.io.accounts import read_accounts


def book_from(tmp_path: Path, text: str, declared: dict[str, FieldType] | None = None) -> AccountBook:
    path = tmp_path / "accounts.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return read_accounts(path, declared)


def column(
    tmp_path: Path, values: list[str], name: str = "value", declared: FieldType | None = None
) -> tuple[FieldType, list[Any]]:
    """Read a one-column book (plus account_id) and return (inferred type, values)."""
    lines = [f"account_id,{name}"] + [f"A{i},{v}" for i, v in enumerate(values)]
    book = book_from(tmp_path, "\n".join(lines) + "\n", {name.lower(): declared} if declared else None)
    key = name.strip().lower()
    return book.schema[key], book.frame.get_column(book.columns[key]).to_list()


# ---- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["5000", "3.5", "-2", "+7"], [5000.0, 3.5, -2.0, 7.0]),
        (["1e3", ".5", "0", "0.25"], [1000.0, 0.5, 0.0, 0.25]),
        (["-0.5", "10", "", "42"], [-0.5, 10.0, None, 42.0]),
    ],
)
def test_numbers(tmp_path: Path, values: list[str], expected: list[float | None]) -> None:
    ftype, got = column(tmp_path, values)
    assert ftype is FieldType.NUMBER
    assert got == expected


@pytest.mark.parametrize("values", [["0123", "456"], ["12", "007"], ["-01", "5"], ["1", "00"]])
def test_a_leading_zero_anywhere_keeps_the_column_a_string(tmp_path: Path, values: list[str]) -> None:
    ftype, got = column(tmp_path, values, name="account_code")
    assert ftype is FieldType.STRING
    assert got == values


def test_a_single_zero_and_decimals_below_one_are_still_numbers(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["0", "0.5", "12"])
    assert ftype is FieldType.NUMBER
    assert got == [0.0, 0.5, 12.0]


# (n/a is a null word: ["12", "n/a"] is a number column with one empty cell, tests/io/test_null_words.py)
@pytest.mark.parametrize("values", [["12", "unknown"], ["1,200", "5"], ["$5", "7"], ["12", "1 000"]])
def test_anything_not_a_number_keeps_the_column_a_string(tmp_path: Path, values: list[str]) -> None:
    path_values = [f'"{v}"' if "," in v else v for v in values]
    ftype, got = column(tmp_path, path_values)
    assert ftype is FieldType.STRING
    assert got == values


# ---- booleans -------------------------------------------------------------------------


def test_booleans_in_any_case(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["true", "FALSE", "True", "fAlSe", ""], name="strategic")
    assert ftype is FieldType.BOOLEAN
    assert got == [True, False, True, False, None]


@pytest.mark.parametrize("values", [["yes", "no"], ["true", "yes"], ["t", "f"]])
def test_other_flags_are_strings(tmp_path: Path, values: list[str]) -> None:
    ftype, got = column(tmp_path, values, name="strategic")
    assert ftype is FieldType.STRING
    assert got == values


def test_one_and_zero_are_numbers_not_booleans(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["1", "0"], name="strategic")
    assert ftype is FieldType.NUMBER
    assert got == [1.0, 0.0]


# ---- dates ----------------------------------------------------------------------------


def test_iso_dates(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["2024-01-31", "2025-12-01", " "], name="renewal_date")
    assert ftype is FieldType.DATE
    assert got == [date(2024, 1, 31), date(2025, 12, 1), None]


@pytest.mark.parametrize(
    "values",
    [["2024-02-30", "2024-01-01"], ["31/01/2024"], ["2024-1-5"], ["2024-01-31T10:00:00"], ["20240131"]],
)
def test_non_iso_or_impossible_dates_are_not_dates(tmp_path: Path, values: list[str]) -> None:
    ftype, _ = column(tmp_path, values, name="renewal_date")
    assert ftype is not FieldType.DATE


# ---- ZIP and postal codes -------------------------------------------------------------


@pytest.mark.parametrize("name", ["zip", "ZIP5", "postal_code", "BillingPostalCode", "shipping_zip_code"])
def test_zip_and_postal_columns_are_always_strings(tmp_path: Path, name: str) -> None:
    ftype, got = column(tmp_path, ["02134", "10001", "94105"], name=name)
    assert ftype is FieldType.STRING
    assert got == ["02134", "10001", "94105"]


def test_zip_column_without_leading_zeros_is_still_a_string(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["10001", "94105"], name="zip")
    assert ftype is FieldType.STRING
    assert got == ["10001", "94105"]


# ---- blanks ---------------------------------------------------------------------------


def test_blank_and_whitespace_cells_are_null(tmp_path: Path) -> None:
    book = book_from(tmp_path, 'account_id,industry,employees\nA1,,5\nA2,   ,\nA3," ",7\nA4,\t,8\n')
    assert book.frame.get_column("industry").to_list() == [None, None, None, None]
    assert book.frame.get_column("employees").to_list() == [5.0, None, 7.0, 8.0]
    assert book.schema["employees"] is FieldType.NUMBER


def test_string_cells_are_trimmed(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ['"  Retail "', "Energy"], name="industry")
    assert ftype is FieldType.STRING
    assert got == ["Retail", "Energy"]


def test_an_all_blank_column_is_a_string(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["", " "], name="industry")
    assert ftype is FieldType.STRING
    assert got == [None, None]


def test_whitespace_around_numbers_is_ignored(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, [" 12", "7 "])
    assert ftype is FieldType.NUMBER
    assert got == [12.0, 7.0]


# ---- account_id and names -------------------------------------------------------------


def test_account_id_is_always_a_string(tmp_path: Path) -> None:
    book = book_from(tmp_path, "account_id,employees\n001,5\n2,6\n")
    assert book.schema["account_id"] is FieldType.STRING
    assert book.frame.get_column("account_id").to_list() == ["001", "2"]


def test_names_are_canonical_and_columns_keep_their_spelling(tmp_path: Path) -> None:
    book = book_from(tmp_path, "Account_ID,Employees,Industry\nA1,5,x\n")
    assert book.schema == {
        "account_id": FieldType.STRING,
        "employees": FieldType.NUMBER,
        "industry": FieldType.STRING,
    }
    assert book.columns == {"account_id": "Account_ID", "employees": "Employees", "industry": "Industry"}
    assert book.frame.columns == ["Account_ID", "Employees", "Industry"]
    assert len(book) == 1


# ---- declared types override inference ------------------------------------------------


def test_declared_number_over_leading_zeros(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["0123", "45"], name="code", declared=FieldType.NUMBER)
    assert ftype is FieldType.NUMBER
    assert got == [123.0, 45.0]


def test_declared_string_over_numbers(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["5000", "12"], name="employees", declared=FieldType.STRING)
    assert ftype is FieldType.STRING
    assert got == ["5000", "12"]


def test_declared_string_over_booleans_and_dates(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["true", "false"], name="flag", declared=FieldType.STRING)
    assert (ftype, got) == (FieldType.STRING, ["true", "false"])
    ftype, got = column(tmp_path, ["2024-01-31"], name="since", declared=FieldType.STRING)
    assert (ftype, got) == (FieldType.STRING, ["2024-01-31"])


def test_declared_number_over_a_zip_name(tmp_path: Path) -> None:
    ftype, got = column(tmp_path, ["10001", "94105"], name="zip", declared=FieldType.NUMBER)
    assert ftype is FieldType.NUMBER
    assert got == [10001.0, 94105.0]


def test_declared_types_apply_by_canonical_name(tmp_path: Path) -> None:
    book = book_from(tmp_path, "account_id,Employees\nA1,0042\n", {"employees": FieldType.NUMBER})
    assert book.schema["employees"] is FieldType.NUMBER
    assert book.frame.get_column("Employees").to_list() == [42.0]


def test_declared_boolean_and_date(tmp_path: Path) -> None:
    book = book_from(
        tmp_path,
        "account_id,strategic,renewal\nA1,TRUE,2024-03-01\nA2,,\n",
        {"strategic": FieldType.BOOLEAN, "renewal": FieldType.DATE},
    )
    assert book.frame.get_column("strategic").to_list() == [True, None]
    assert book.frame.get_column("renewal").to_list() == [date(2024, 3, 1), None]


@pytest.mark.parametrize(
    ("ftype", "bad", "expected"),
    [
        (FieldType.NUMBER, "ten", "expected a number"),
        (FieldType.BOOLEAN, "yes", "expected true or false"),
        (FieldType.DATE, "2024-13-01", "expected a date as YYYY-MM-DD"),
    ],
)
def test_declared_type_with_a_bad_value(tmp_path: Path, ftype: FieldType, bad: str, expected: str) -> None:
    with pytest.raises(BadInput) as caught:
        column(tmp_path, ["", bad], name="field", declared=ftype)
    [problem] = caught.value.problems
    assert problem.location.line == 3  # header is line 1
    assert problem.location.subject == "field"
    assert problem.location.file is not None and problem.location.file.endswith("accounts.csv")
    assert expected in problem.message and repr(bad) in problem.message


def test_many_bad_values_are_counted(tmp_path: Path) -> None:
    lines = ["account_id,employees"] + [f"A{i},bad{i}" for i in range(60)]
    path = tmp_path / "accounts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        read_accounts(path, {"employees": FieldType.NUMBER})
    assert caught.value.total == 60
    assert len(caught.value.problems) == 50
    assert "10 more problems (60 in all)" in str(caught.value)


# ---- Parquet --------------------------------------------------------------------------


def test_parquet_keeps_its_types_and_nan_is_null(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    pl.DataFrame(
        {
            "account_id": ["A1", "A2"],
            "employees": [float("nan"), 12.0],
            "headcount": [3, None],
            "strategic": [True, None],
            "since": [date(2024, 1, 1), None],
            "zip": ["02134", "10001"],
        }
    ).write_parquet(path)
    book = read_accounts(path)
    assert book.schema == {
        "account_id": FieldType.STRING,
        "employees": FieldType.NUMBER,
        "headcount": FieldType.NUMBER,
        "strategic": FieldType.BOOLEAN,
        "since": FieldType.DATE,
        "zip": FieldType.STRING,
    }
    assert book.frame.get_column("employees").to_list() == [None, 12.0]
    assert book.frame.get_column("zip").to_list() == ["02134", "10001"]


def test_parquet_integer_account_id_becomes_a_string(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    pl.DataFrame({"account_id": [7, 8], "employees": [1.0, 2.0]}).write_parquet(path)
    book = read_accounts(path)
    assert book.frame.get_column("account_id").to_list() == ["7", "8"]


def test_parquet_declared_number_on_a_string_column(tmp_path: Path) -> None:
    path = tmp_path / "accounts.parquet"
    pl.DataFrame({"account_id": ["A1", "A2"], "employees": ["5", "x"]}).write_parquet(path)
    with pytest.raises(BadInput) as caught:
        read_accounts(path, {"employees": FieldType.NUMBER})
    [problem] = caught.value.problems
    assert problem.location.line == 2  # Parquet rows count from 1
    assert "'x'" in problem.message


def test_postal_codes_read_from_a_file_as_import_writes_them(tmp_path: Path) -> None:
    from territorial.domain.normalize import normalize

    codes = ["2134", "02134-1234", "2134.0", "2134", "k1a0b1", " 94105 ", None]
    countries = ["US", "United States", None, "DE", "CA", "USA", "US"]
    frame = pl.DataFrame(
        {"account_id": [f"A{i}" for i in range(7)], "country": countries, "postal_code": codes}
    )
    frame.write_csv(tmp_path / "a.csv")
    read = read_accounts(tmp_path / "a.csv", fields=["postal_code"]).frame["postal_code"].to_list()
    imported = normalize(frame.select("country", "postal_code"), {}).frame["postal_code"].to_list()
    assert read == imported == ["02134", "02134", "02134", "2134", "K1A 0B1", "94105", None]


def test_a_zip_stored_as_an_excel_number_is_the_zip(tmp_path: Path) -> None:
    pl.DataFrame({"account_id": ["A1"], "postal_code": [2134]}).write_excel(tmp_path / "a.xlsx")
    assert read_accounts(tmp_path / "a.xlsx").frame["postal_code"].to_list() == ["02134"]


def test_zip_columns_by_other_names_read_as_postal_codes_but_not_zip3(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("account_id,zip,billing_zip,zip3\nA1,2134,02134-1234,021\n")
    assert read_accounts(tmp_path / "a.csv").frame.rows() == [("A1", "02134", "02134", "021")]


def test_coordinates_off_the_globe_are_refused_with_their_lines(tmp_path: Path) -> None:
    text = "account_id,latitude,longitude\nA1,40.7,-74\nA2,-118.2,34\nA3,45,-200\n"
    with pytest.raises(BadInput) as refused:
        book_from(tmp_path, text)
    assert [str(problem) for problem in refused.value.problems] == [
        f"{tmp_path / 'accounts.csv'}:3 [latitude]: expected a latitude between -90 and 90, got -118.2",
        f"{tmp_path / 'accounts.csv'}:4 [longitude]: expected a longitude between -180 and 180, got -200",
    ]
