"""A plan file's reps rewritten from a roster (io.plan_reps): only `reps:` changes."""

from __future__ import annotations

from territorial.io.plan_file import parse_plan
from territorial.io.plan_reps import with_reps

SOURCE = """\
# FY27, as the planners wrote it
name: FY27
territories:
  - id: AMER
    rule: country = 'US'   # the US only
    children:
      - id: EAST
        rule: state IN ('NY', 'NJ')
        reps: [r-1, r-2]
      - id: WEST
        rule: state = 'CA'
        reps: ['41000137']
  - id: OVERLAY
    layer: security
    rule: products LIKE '%security%'
"""


def test_reps_follow_the_roster_and_the_rest_stays_as_written() -> None:
    text = with_reps(SOURCE, {"AMER": ["boss"], "EAST": ["r-2", "r-9"], "OVERLAY": ["41000138"]})
    plan = parse_plan(text)
    assert {t.id: t.reps for t in plan.territories} == {
        "AMER": ("boss",),
        "EAST": ("r-2", "r-9"),
        "WEST": (),  # no one left in its pool: its reps go
        "OVERLAY": ("41000138",),  # an id of digits stays text
    }
    assert "# FY27, as the planners wrote it" in text and "# the US only" in text
    assert "    reps: [boss]\n    children:" in text  # added before the children
    assert with_reps(SOURCE, {"EAST": ["r-1", "r-2"], "WEST": ["41000137"]}) == SOURCE
