"""Product catalogue loading and labelled inquiry files: every bad input names its file and line."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from territorial.errors import BadInput, Location
from territorial.io.catalogue import check_product, load_catalogue, parse_catalogue, read_labelled_inquiries

FROZEN = Path(__file__).resolve().parents[1] / "data" / "relevance"

GOOD = """\
name: Acme
products:
  - id: kit
    name: Room Kit
    description: >
      A camera and microphones
      for meeting rooms.
    examples:
      - Which camera for a boardroom?
  - id: panels
    description: Booking panels by the door.
not_relevant_examples: ['Do you sell chairs?']
"""


def problem_of(text: str) -> str:
    with pytest.raises(BadInput) as caught:
        parse_catalogue(text, "cat.yaml")
    return str(caught.value)


def test_a_good_catalogue_becomes_products_in_file_order() -> None:
    catalogue = parse_catalogue(GOOD, "cat.yaml")
    assert [p.id for p in catalogue.products] == ["kit", "panels"]
    kit, panels = catalogue.products
    assert kit.name == "Room Kit" and kit.description == "A camera and microphones for meeting rooms."
    assert kit.examples == ("Which camera for a boardroom?",) and kit.line == 3
    assert panels.name == "panels" and panels.examples == () and panels.line == 10
    assert catalogue.not_relevant_examples == ("Do you sell chairs?",)
    assert catalogue.by_id["panels"] is panels


def test_the_frozen_catalogue_loads() -> None:
    catalogue = load_catalogue(FROZEN / "catalogue.yaml")
    assert len(catalogue.products) == 8
    assert all(p.description and len(p.examples) >= 4 for p in catalogue.products)


def test_yaml_syntax_error_names_line_and_column() -> None:
    message = problem_of("name: Acme\nproducts:\n  - id: kit\n    description: [unclosed\n")
    assert message.startswith("cat.yaml:") and "YAML syntax error" in message


def test_missing_description_names_the_product_and_its_line() -> None:
    message = problem_of("name: Acme\nproducts:\n  - id: kit\n    examples: [a question]\n")
    assert message == "cat.yaml:3:5 [kit]: missing required key 'description'"


def test_blank_description_and_blank_example_are_refused() -> None:
    message = problem_of("name: A\nproducts:\n  - id: kit\n    description: '  '\n    examples: ['', ok]\n")
    assert "cat.yaml:4 [kit]: description is empty" in message
    assert "cat.yaml:5 [kit]: an example question is empty" in message


def test_duplicate_product_id_names_both_lines() -> None:
    text = "name: A\nproducts:\n  - id: kit\n    description: one\n  - id: kit\n    description: two\n"
    assert problem_of(text) == "cat.yaml:5 [kit]: duplicate product id (first defined on line 3)"


def test_unknown_key_and_wrong_type_say_what_was_expected() -> None:
    message = problem_of("name: A\nproducts:\n  - id: kit\n    descripton: typo\n")
    assert (
        "cat.yaml:4:5 [kit]: unknown key 'descripton'; expected one of id, name, description, examples"
        in message
    )
    message = problem_of("name: A\nproducts:\n  - id: kit\n    description: d\n    examples: just one\n")
    assert message == "cat.yaml:5:5 [kit]: examples: expected a list, got 'just one'"
    assert "expected at least one product" in problem_of("name: A\nproducts: []\n")
    assert problem_of("- a list\n") == "cat.yaml:1: expected a mapping with name and products"


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="product catalogue not found"):
        load_catalogue(tmp_path / "nope.yaml")


def test_unknown_product_is_named_with_the_known_ones() -> None:
    catalogue = parse_catalogue(GOOD, "cat.yaml")
    check_product(catalogue, "kit", Location("routing.yaml", 4))
    with pytest.raises(BadInput) as caught:
        check_product(catalogue, "kits", Location("routing.yaml", 4))
    assert (
        str(caught.value) == "routing.yaml:4: unknown product 'kits': the catalogue cat.yaml has kit, panels"
    )


def test_labelled_file_with_an_unknown_product_names_line_and_inquiry(tmp_path: Path) -> None:
    catalogue = parse_catalogue(GOOD, "cat.yaml")
    labelled = tmp_path / "labelled.csv"
    labelled.write_text(
        'inquiry_id,text,relevant,product\nQ1,"camera for\nthe boardroom",true,kit\nQ2,hello,false,\n'
        "Q3,door panels,true,panel\n",
        encoding="utf-8",
    )
    with pytest.raises(BadInput) as caught:
        read_labelled_inquiries(labelled, catalogue)
    assert str(caught.value) == (
        f"{labelled}:5 [Q3]: unknown product 'panel': the catalogue cat.yaml has kit, panels"
    )


def test_labelled_file_refuses_bad_flags_and_products_on_irrelevant_rows(tmp_path: Path) -> None:
    catalogue = parse_catalogue(GOOD, "cat.yaml")
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("inquiry_id,text,relevant,product\nQ1,hi,maybe,\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"labelled.csv:2 \[Q1\]: relevant: expected true or false"):
        read_labelled_inquiries(labelled, catalogue)
    labelled.write_text("inquiry_id,text,relevant,product\nQ1,hi,false,kit\n", encoding="utf-8")
    with pytest.raises(BadInput, match="an irrelevant inquiry names product 'kit'"):
        read_labelled_inquiries(labelled, catalogue)
    labelled.write_text("inquiry_id,text\nQ1,hi\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"missing column\(s\) relevant, product"):
        read_labelled_inquiries(labelled, catalogue)


def test_the_frozen_labelled_set_reads_against_its_catalogue() -> None:
    catalogue = load_catalogue(FROZEN / "catalogue.yaml")
    labelled = read_labelled_inquiries(FROZEN / "inquiries.csv", catalogue)
    assert len(labelled) == 353 and len({q.inquiry_id for q in labelled}) == 353
    assert sum(q.relevant for q in labelled) == 178
    assert all(q.relevant for q in labelled if q.product_id is not None)


def test_a_blank_product_name_falls_back_to_the_id() -> None:
    catalogue = parse_catalogue(GOOD.replace("name: Room Kit", "name: '  '"), "cat.yaml")
    assert catalogue.by_id["kit"].name == "kit"


def test_a_parquet_labelled_file_with_typed_columns_reads_like_a_csv(tmp_path: Path) -> None:
    catalogue = parse_catalogue(GOOD, "cat.yaml")
    pl.DataFrame(
        {
            "inquiry_id": ["Q1", "Q2"],
            "text": ["camera?", "hello"],
            "relevant": [True, False],
            "product": ["kit", None],
        }
    ).write_parquet(tmp_path / "labelled.parquet")
    labelled = read_labelled_inquiries(tmp_path / "labelled.parquet", catalogue)
    assert [(q.inquiry_id, q.relevant, q.product_id) for q in labelled] == [
        ("Q1", True, "kit"),
        ("Q2", False, None),
    ]
