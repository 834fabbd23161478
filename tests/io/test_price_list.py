"""The price list a command reads with --price-list."""

from __future__ import annotations

from pathlib import Path

import pytest

from territorial.errors import BadInput
from territorial.io.price_list import read_price_list


def test_a_price_list_gives_each_product_its_list_price_sorted(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("product,series,sales_price\nGTX Pro,GTX,4821\nGTK 500,GTK,26768\n", encoding="utf-8")
    assert read_price_list(path).rows() == [("GTK 500", 26768.0), ("GTX Pro", 4821.0)]


def test_a_price_list_without_a_price_column_names_what_it_expected(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("product,cost\nGTX Pro,1\n", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        read_price_list(path)
    (problem,) = caught.value.problems
    assert (problem.location.file, problem.location.line, problem.location.subject) == (
        str(path),
        1,
        "--price-list",
    )
    assert "list_price or sales_price or price or unit_price" in problem.message


def test_a_product_listed_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("product,price\nGTX Pro,1\nGTX Pro,2\n", encoding="utf-8")
    with pytest.raises(BadInput):
        read_price_list(path)
