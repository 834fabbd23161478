"""The product catalogue: what we sell, in the words inquiry relevance compares leads with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    description: str
    examples: tuple[str, ...]  # questions a customer might ask about it
    line: int  # catalogue-file line of the product's entry


@dataclass(frozen=True)
class Catalogue:
    name: str
    products: tuple[Product, ...]
    # Inquiries this vendor gets that are not about its products ("do you sell office chairs?").
    not_relevant_examples: tuple[str, ...] = ()
    file: str = "<catalogue>"

    @cached_property
    def by_id(self) -> dict[str, Product]:
        return {p.id: p for p in self.products}
