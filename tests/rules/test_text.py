"""Rules as one line of text: in full for a plan file, shortened for a reason repeated on each row."""

from __future__ import annotations

from conftest import run_plan
from territorial.rules.parser import parse_rule
from territorial.rules.text import to_text


def test_long_chains_end_with_how_many_more() -> None:
    rule = parse_rule(" OR ".join(f"state = 's{i}'" for i in range(10)))
    assert to_text(rule, max_items=3) == "state = 's0' OR state = 's1' OR state = 's2' OR … 7 more"
    assert to_text(rule, max_items=None) == " OR ".join(f"state = 's{i}'" for i in range(10))
    nested = parse_rule("a = 1 AND (b = 1 OR b = 2 OR b = 3) AND c IN (1, 2, 3)")
    assert to_text(nested, max_items=2) == "a = 1 AND (b = 1 OR b = 2 OR … 1 more) AND … 1 more"


def test_a_reason_names_the_first_conditions_of_a_long_rule() -> None:
    # A rule of 800 conditions in full in every row's reason made a 1.3 GB file of 60,000 rows.
    rule = " AND ".join(f"employees > {i}" for i in range(800))
    result = run_plan(
        f'name: P\nfields: {{employees: number}}\nterritories:\n  - id: big\n    rule: "{rule}"\n',
        [{"account_id": "A1", "employees": 5000}],
    )
    (reason,) = result.rows.get_column("reason").to_list()
    assert reason.startswith("Matched big (employees > 0 AND employees > 1 AND")
    assert "… 796 more)" in reason
    assert len(reason) < 300
