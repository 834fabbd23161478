"""The polars compiler on long AND/OR chains: flat expressions, with SQL's three-valued logic."""

from __future__ import annotations

import time

import polars as pl

from territorial.rules.parser import parse_rule
from territorial.rules.to_polars import compile_rule


def test_and_or_keep_sqls_unknown() -> None:
    frame = pl.DataFrame({"a": [1.0, None, None, 2.0], "b": [None, None, 5.0, 1.0]})
    either = frame.select(compile_rule(parse_rule("a > 1 OR b > 1"))).to_series().to_list()
    both = frame.select(compile_rule(parse_rule("a > 0 AND b > 0"))).to_series().to_list()
    assert either == [None, None, True, True]
    assert both == [None, None, None, True]


def test_a_long_or_chain_is_evaluated_quickly() -> None:
    # 3,200 ORs compiled to a chain of | took polars 42 s and 3.5 GB to evaluate on 1,000 accounts;
    # flat, well under a second. The bound is loose so that a busy machine does not fail it.
    rule = parse_rule(" OR ".join(f"state = 's{i}'" for i in range(3200)))
    frame = pl.DataFrame({"state": [f"s{i % 50}" for i in range(1000)]})
    started = time.perf_counter()
    matched = frame.select(compile_rule(rule)).to_series()
    assert time.perf_counter() - started < 10
    assert matched.all()
