"""Load a product catalogue YAML, and labelled inquiries that name its products, with file lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml.nodes import MappingNode

from territorial.domain.catalogue import Catalogue, Product
from territorial.errors import BadInput, Location, Problem, ProblemLog, shown
from territorial.io.tables import read_table
from territorial.io.yaml_tree import child, compose, construct, line_of, position, read_yaml_text

ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


class ProductSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    description: str
    examples: list[str] = Field(default_factory=list)


class CatalogueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str
    products: list[ProductSpec] = Field(min_length=1)
    not_relevant_examples: list[str] = Field(default_factory=list)


_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "too_short": "at least one product",
}


def load_catalogue(path: str | Path) -> Catalogue:
    return parse_catalogue(read_yaml_text(path, "product catalogue"), str(path))


def parse_catalogue(text: str, file: str = "<catalogue>") -> Catalogue:
    tree = compose(text, file, "name and products")
    data = construct(tree, file, "name and products")
    try:
        spec = CatalogueSpec.model_validate(data)
    except ValidationError as err:
        raise BadInput([_validation_problem(e, tree, file) for e in err.errors()]) from None
    return _build(spec, tree, file)


def _build(spec: CatalogueSpec, tree: MappingNode, file: str) -> Catalogue:
    problems = ProblemLog()
    seen: dict[str, int] = {}
    products = []
    raw_products = child(tree, "products")
    for index, product in enumerate(spec.products):
        raw = child(raw_products, index)
        line = line_of(raw) if raw is not None else 1
        if product.id in seen:
            problems.add(
                Problem(
                    Location(file, line, None, product.id),
                    f"duplicate product id (first defined on line {seen[product.id]})",
                )
            )
        seen.setdefault(product.id, line)
        if not product.description.strip():
            where = child(raw, "description")
            problems.add(
                Problem(
                    Location(file, line_of(where) if where is not None else line, None, product.id),
                    "description is empty; expected a few sentences on what the product is and does",
                )
            )
        for index, example in enumerate(product.examples):
            if not example.strip():
                where = child(child(raw, "examples"), index)
                problems.add(
                    Problem(
                        Location(file, line_of(where) if where is not None else line, None, product.id),
                        "an example question is empty",
                    )
                )
        products.append(
            Product(
                id=product.id,
                name=(product.name or "").strip() or product.id,
                description=" ".join(product.description.split()),
                examples=tuple(" ".join(e.split()) for e in product.examples),
                line=line,
            )
        )
    problems.raise_if_any()
    return Catalogue(
        name=spec.name,
        products=tuple(products),
        not_relevant_examples=tuple(" ".join(e.split()) for e in spec.not_relevant_examples if e.strip()),
        file=file,
    )


def check_product(catalogue: Catalogue, product_id: str, location: Location) -> None:
    """A product id named somewhere else (a labelled file, a config) must be in the catalogue."""
    if product_id not in catalogue.by_id:
        known = ", ".join(sorted(catalogue.by_id))
        raise BadInput(
            [
                Problem(
                    location,
                    f"unknown product '{product_id}': the catalogue {catalogue.file} has {known}",
                )
            ]
        )


@dataclass(frozen=True)
class LabelledInquiry:
    inquiry_id: str
    text: str
    relevant: bool
    product_id: str | None  # the product it is about; None when irrelevant or when it names none


LABEL_COLUMNS = ("inquiry_id", "text", "relevant", "product")


def read_labelled_inquiries(path: str | Path, catalogue: Catalogue) -> list[LabelledInquiry]:
    """An evaluation file: inquiry_id, text, relevant (true/false) and product (a catalogue id)."""
    table = read_table(path)
    missing = [c for c in LABEL_COLUMNS if c not in table.frame.columns]
    if missing:
        raise BadInput.at(
            f"missing column(s) {', '.join(missing)}; expected {', '.join(LABEL_COLUMNS)}", table.file, 1
        )
    labelled = []
    # Parquet keeps its types (a boolean `relevant`): read every cell as the text a CSV would give.
    cells = table.frame.select(pl.col(c).cast(pl.String) for c in LABEL_COLUMNS)
    for row, record in enumerate(cells.iter_rows()):
        inquiry_id, text, relevant, product = record
        line = table.line_of(row)
        flag = (relevant or "").strip().lower()
        if flag not in ("true", "false"):
            raise BadInput.at(
                f"relevant: expected true or false, got {relevant!r}", table.file, line, None, inquiry_id
            )
        if product:
            check_product(catalogue, product, Location(table.file, line, None, inquiry_id))
            if flag == "false":
                raise BadInput.at(
                    f"an irrelevant inquiry names product '{product}'; leave product empty",
                    table.file,
                    line,
                    None,
                    inquiry_id,
                )
        labelled.append(LabelledInquiry(str(inquiry_id), text or "", flag == "true", product or None))
    return labelled


def _validation_problem(error: Any, tree: MappingNode, file: str) -> Problem:
    """A pydantic error at the line of the deepest YAML node along its path, naming the product."""
    loc = tuple(error["loc"])
    line, column, product = position(tree, loc)
    kind = error["type"]
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        allowed = ProductSpec.model_fields if "products" in loc else CatalogueSpec.model_fields
        message = f"unknown key '{last}'; expected one of {', '.join(allowed)}"
    elif kind == "missing":
        message = f"missing required key '{last}'"
    elif kind == "string_pattern_mismatch":
        message = f"product id {shown(error['input'])} must match [A-Za-z0-9_.:-]+"
    else:
        name = last if isinstance(last, str) else ".".join(str(p) for p in loc)
        message = f"{name}: expected {_EXPECTED.get(kind, error['msg'])}, got {shown(error.get('input'))}"
    return Problem(Location(file, line, column, product), message)
