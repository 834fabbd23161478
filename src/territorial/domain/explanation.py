"""Why an account is where it is: the territories visited with each rule's result, and the answer
in each layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LayerAnswer:
    layer: str
    territory_id: str | None  # None: no territory in this layer
    overlaps: tuple[str, ...]  # the other candidates, in resolution order
    tie: bool
    candidate_reps: tuple[str, ...]  # the owner when in the pool, else the territory's reps


@dataclass
class Visit:
    territory_id: str
    name: str
    depth: int
    rule: str | None
    result: str  # TRUE, FALSE or UNKNOWN
    because: list[str] = field(default_factory=list)  # deciding sub-conditions, with the account's values


@dataclass
class Explanation:
    account_id: str
    visits: list[Visit]
    answers: dict[str, LayerAnswer]
    resolution: list[str]
    # On the workspace with a plan active: each layer's steps (rules, hold, override, pool) in
    # order, and the live row with its cause.
    live: list[str] = field(default_factory=list)
