"""The bulk engine against a deliberately naive oracle written straight from the assignment spec.

Random small plans (a forest in one or more layers, tied priorities, territories without a rule,
pools of reps) and random account books are assigned by the bulk engine, under both membership
strategies (rules on distinct field values, or on every row), and every output row is compared
with what the oracle below computes account by account, territory by territory.

Only rule truth comes from the library (`to_python.compile_rule`, tested against the other
compilers elsewhere); membership, candidates, winners, overlaps, ties, unassigned rows, pools and
row order are the oracle's own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import book_of, examples
from territorial.engine import membership
from territorial.engine.assign import assign
from territorial.engine.checks import check_plan
from territorial.engine.compiled import CompiledPlan
from territorial.engine.records import prepare_record
from territorial.io.plan_file import parse_plan
from territorial.rules.parser import parse_rule
from territorial.rules.to_python import compile_rule

MAX_DEPTH = 3  # roots are depth 0
REP_POOL = ["r1", "r2", "r3", "r4"]
EXTRA_LAYERS = ["abm", "overlay"]  # one sorts before "primary", one after

# Account columns: header as written in the file -> values a cell may hold (text, as in a CSV).
STATES = ["NY", "ny", "CA", "TX", " WA ", "", None]
SEGMENTS = ["SMB", "smb", "Ent", "MM", None]
EMPLOYEES = ["0", "5", "10", "50", "100", "2.5", None]
INDUSTRIES = ["Retail", "Health", "", None]
ACTIVE = ["true", "false", "TRUE", None]
WORKLOADS = ["0", "1", "2", "0.5", "3", "1.5", None]  # halves: float sums are exact in any order
OWNERS = [*REP_POOL, "r5", "R1", "", None]
COLUMNS = {
    "State": STATES,  # headers in any case: rules name fields in lower case
    "segment": SEGMENTS,
    "Employees": EMPLOYEES,
    "industry": INDUSTRIES,
    "active": ACTIVE,
    "arr": WORKLOADS,
    "Owner_Id": OWNERS,
}
ID_ALPHABET = "aAbBzZ019_-ä"  # "a" < "a0" < "a10" < "a9" < "b" and "B" < "a" in binary order

FIELDS = "{state: string, segment: string, employees: number, industry: string, active: boolean, arr: number}"


# --- rules ---------------------------------------------------------------------------------------


def _quoted(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


ATOMS = st.one_of(
    st.builds(
        lambda vs, neg: f"state {'NOT IN' if neg else 'IN'} ({_quoted(vs)})",
        st.lists(st.sampled_from(["NY", "ca", "TX", "WA"]), min_size=1, max_size=3, unique=True),
        st.booleans(),
    ),
    st.builds(
        lambda v, op: f"segment {op} '{v}'",
        st.sampled_from(["smb", "ENT", "MM"]),
        st.sampled_from(["=", "<>"]),
    ),
    st.builds(
        lambda op, n: f"employees {op} {n}",
        st.sampled_from([">=", "<", "=", ">"]),
        st.sampled_from([0, 5, 10, 50]),
    ),
    st.builds(lambda neg: f"industry IS {'NOT ' if neg else ''}NULL", st.booleans()),
    st.builds(lambda v: f"industry = '{v}'", st.sampled_from(["retail", "Health"])),
    st.builds(lambda v: f"active = {v}", st.sampled_from(["TRUE", "FALSE"])),
    st.builds(
        lambda vs: f"account_id IN ({_quoted(vs)})",
        st.lists(st.sampled_from(["a", "B", "a10", "a9", "ä"]), min_size=1, max_size=2, unique=True),
    ),
)

RULES = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.builds(lambda a, b: f"({a}) AND ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) OR ({b})", inner, inner),
        st.builds(lambda a: f"NOT ({a})", inner),
    ),
    max_leaves=4,
)


# --- plans ---------------------------------------------------------------------------------------


@dataclass
class Node:
    id: str
    rule: str | None
    priority: int | None  # None: the key is left out (priority 0)
    reps: list[str] | None  # None: the key is left out (no reps)
    layer: str | None  # roots only; None: the key is left out (primary)
    children: list[Node]


@st.composite
def shapes(draw: st.DrawFn, depth: int) -> Node:
    has_children = depth < MAX_DEPTH and draw(st.booleans())
    children = draw(st.lists(shapes(depth + 1), min_size=1, max_size=3)) if has_children else []
    reps: list[str] | None = draw(st.lists(st.sampled_from(REP_POOL), max_size=3, unique=True))
    if not reps and draw(st.booleans()):
        reps = None  # no reps key at all, rather than `reps: []`
    return Node(
        id="",
        rule=draw(st.none() | RULES),
        priority=draw(st.none() | st.integers(-1, 2)),
        reps=reps,
        layer=None,
        children=children,
    )


def preorder(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        out.extend(preorder(node.children))
    return out


@st.composite
def plans(draw: st.DrawFn) -> tuple[list[Node], bool]:
    roots = draw(st.lists(shapes(0), min_size=2, max_size=4))
    extra = draw(st.lists(st.sampled_from(EXTRA_LAYERS), max_size=2, unique=True))
    for root in roots:
        root.layer = draw(st.sampled_from([None, "primary", *extra]))
    nodes = preorder(roots)
    # Ids whose sort order is not plan order, so that only plan order can explain a result.
    numbers = draw(st.permutations(range(len(nodes))))
    for node, number in zip(nodes, numbers, strict=True):
        node.id = f"T{number}"
    return roots, draw(st.booleans())


def plan_yaml(roots: list[Node], with_workload: bool) -> str:
    lines = ["name: property plan", f"fields: {FIELDS}"]
    if with_workload:
        lines.append("workload: arr")
    lines.append("territories:")

    def emit(node: Node, indent: str) -> None:
        lines.append(f"{indent}- id: {node.id}")
        inner = indent + "  "
        if node.layer is not None:
            lines.append(f"{inner}layer: {node.layer}")
        if node.rule is not None:
            lines.append(f"{inner}rule: {json.dumps(node.rule)}")  # a JSON string is a YAML string
        if node.priority is not None:
            lines.append(f"{inner}priority: {node.priority}")
        if node.reps is not None:
            lines.append(f"{inner}reps: [{', '.join(node.reps)}]")
        if node.children:
            lines.append(f"{inner}children:")
            for child in node.children:
                emit(child, inner + "  ")

    for root in roots:
        emit(root, "  ")
    return "\n".join(lines) + "\n"


# --- accounts ------------------------------------------------------------------------------------


@st.composite
def account_tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.text(ID_ALPHABET, min_size=1, max_size=3), min_size=5, max_size=40, unique=True))
    with_owner = draw(st.integers(0, 4)) > 0
    # Each table draws from a few of each column's values, so that rows repeat the same values
    # and the distinct-values membership strategy has something to deduplicate.
    palettes = {
        column: draw(st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True))
        for column, values in COLUMNS.items()
        if with_owner or column != "Owner_Id"
    }
    return [
        {"account_id": account_id, **{column: draw(st.sampled_from(p)) for column, p in palettes.items()}}
        for account_id in ids
    ]


# --- the oracle ----------------------------------------------------------------------------------


@dataclass
class Info:
    node: Node
    parent: int | None
    depth: int
    order: int
    layer: str
    priority: int
    reps: list[str]


def flatten(roots: list[Node]) -> list[Info]:
    out: list[Info] = []

    def walk(node: Node, parent: int | None, depth: int, layer: str) -> None:
        here = len(out)
        out.append(Info(node, parent, depth, here, layer, node.priority or 0, node.reps or []))
        for child in node.children:
            walk(child, here, depth + 1, layer)

    for root in roots:
        walk(root, None, 0, root.layer or "primary")
    return out


def blank(value: Any) -> bool:
    return value is None or str(value).strip() == ""


def oracle(
    roots: list[Node], with_workload: bool, rows: list[dict[str, Any]], typed: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """Expected (account_id, layer, territory_id, rep_id, overlaps, tie) rows, in output order.

    `rows` are the accounts as generated (text); `typed` the same accounts as the book typed them,
    used only to ask each rule for its truth value."""
    territories = flatten(roots)
    rules = [compile_rule(parse_rule(t.node.rule)) if t.node.rule else None for t in territories]
    layers = ["primary", *sorted({t.layer for t in territories} - {"primary"})]

    # 1. Membership, 2. candidates, 3. winner, overlaps, tie.
    decided: dict[tuple[str, str], tuple[int | None, str, bool]] = {}
    for row, typed_row in zip(rows, typed, strict=True):
        record = prepare_record(typed_row)
        member: list[bool] = []
        for t, rule in zip(territories, rules, strict=True):
            own = rule is None or rule(record) is True  # UNKNOWN is not TRUE
            member.append(own and (t.parent is None or member[t.parent]))
        for layer in layers:
            candidates = [
                i
                for i, t in enumerate(territories)
                if t.layer == layer
                and member[i]
                and not any(member[j] for j, c in enumerate(territories) if c.parent == i)
            ]
            if not candidates:
                if layer == "primary":
                    decided[(row["account_id"], layer)] = (None, "", False)
                continue
            ranked = sorted(
                candidates,
                key=lambda i: (-territories[i].priority, -territories[i].depth, territories[i].order),
            )
            winner, others = ranked[0], ranked[1:]
            tie = bool(others) and (territories[others[0]].priority, territories[others[0]].depth) == (
                territories[winner].priority,
                territories[winner].depth,
            )
            overlaps = ";".join(territories[i].node.id for i in others)
            decided[(row["account_id"], layer)] = (winner, overlaps, tie)

    # 5. Reps.
    by_id = {row["account_id"]: row for row in rows}

    def weight(account_id: str) -> float:
        if not with_workload:
            return 1.0
        value = by_id[account_id]["arr"]
        return 0.0 if blank(value) else float(value)

    def owner(account_id: str) -> str | None:
        value = by_id[account_id].get("Owner_Id")
        return None if blank(value) else str(value).strip()

    rep_of: dict[tuple[str, str], str | None] = {}
    for i, t in enumerate(territories):
        won = sorted(key for key, (won_by, _o, _t) in decided.items() if won_by == i)  # by account_id
        if len(t.reps) <= 1:
            for key in won:
                rep_of[key] = t.reps[0] if t.reps else None
            continue
        load = {rep: 0.0 for rep in t.reps}
        waiting = []
        for key in won:
            current = owner(key[0])
            if current in load:
                rep_of[key] = current
                load[current] += weight(key[0])
            else:
                waiting.append(key)
        for key in waiting:
            least = min(load.values())
            rep = next(r for r in t.reps if load[r] == least)
            rep_of[key] = rep
            load[rep] += weight(key[0])

    # 4. and 6. Rows: unassigned primary rows kept, by account_id (code point order is UTF-8 byte
    # order) then layer.
    out = []
    for account_id in sorted(by_id):
        for layer in layers:
            if (account_id, layer) not in decided:
                continue
            chosen, overlaps, tie = decided[(account_id, layer)]
            territory = territories[chosen].node.id if chosen is not None else None
            out.append((account_id, layer, territory, rep_of.get((account_id, layer)), overlaps, tie))
    return out


# --- the property --------------------------------------------------------------------------------

COMPARED = ["account_id", "layer", "territory_id", "rep_id", "overlaps", "tie"]


@settings(max_examples=examples(ci=50, full=200), deadline=None, derandomize=True)
@given(plan_shape=plans(), rows=account_tables())
def test_bulk_engine_matches_naive_oracle(
    plan_shape: tuple[list[Node], bool], rows: list[dict[str, Any]]
) -> None:
    roots, with_workload = plan_shape
    text = plan_yaml(roots, with_workload)
    plan = parse_plan(text, "plan.yaml")
    book = book_of(rows, plan.fields)
    check_plan(plan, book.schema)
    if plan.workload:
        column = book.frame.get_column(book.columns[plan.workload]).cast(pl.Float64)
        workload, null_count = column.fill_null(0.0).to_numpy(), column.null_count()
    else:
        workload, null_count = np.ones(len(book)), 0
    expected = oracle(roots, with_workload, rows, book.frame.to_dicts())
    for deduplicate_from in (0, 10**9):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(membership, "DEDUPLICATE_FROM_ROWS", deduplicate_from)
            result = assign(CompiledPlan(plan), book, workload, null_count)
        actual = list(result.rows.select(COMPARED).iter_rows())
        if actual != expected:
            first = next(
                (i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e),
                min(len(actual), len(expected)),
            )
            pytest.fail(
                f"DEDUPLICATE_FROM_ROWS={deduplicate_from}: {len(actual)} rows, oracle {len(expected)}; "
                f"first difference at row {first}:\n"
                f"  engine {actual[first] if first < len(actual) else None}\n"
                f"  oracle {expected[first] if first < len(expected) else None}\n"
                f"plan:\n{text}accounts: {rows}"
            )
