"""A small workspace for `territorial report`: kpi_book's reps and deals, accounts with ZIP codes
(so they land in counties), an overlay layer, plan 1 active and plan 2 moving Illinois east."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import run_cli
from kpi_book import HISTORY, OPPORTUNITIES, REPS
from kpi_book import PLAN as KPI_PLAN

# A4 (TX) has no ZIP code, only coordinates: it is drawn as a point off the county map.
ACCOUNTS = """\
account_id,name,state,postal_code,lat,lon,employees,annual_revenue
A1,Acme,CA,94105,,,10,100
A2,Globex,CA,94107,,,30,300
A3,Initech,NY,10001,,,20,600
A4,Hooli,TX,,29.76,-95.37,5,50
A5,Umbrella,IL,60601,,,15,400
A6,Stark,IL,60602,,,25,200
"""
# kpi_book's plan, with a territory no rep holds and an overlay.
PLAN = (
    KPI_PLAN
    + """\
  - id: CENTRAL
    rule: state = 'IL'
  - id: SECURITY-WEST
    layer: security
    rule: state = 'CA'
    reps: [r2]
"""
)
# Plan 2 gives Illinois to EAST: A5 and A6 move from CENTRAL, carrying 600 of potential.
MOVED = PLAN.replace("rule: state = 'NY'", "rule: state in ('NY', 'IL')").replace(
    "rule: state = 'IL'", "rule: state = 'ZZ'"
)
NOW = "2027-02-15T09:00:00"  # in 2027Q1, when kpi_book's deals close
COUNTIES = {"06075", "36061", "17031"}  # San Francisco, New York, Cook


@contextmanager
def fixed_clock() -> Iterator[None]:
    previous = os.environ.get("TERRITORIAL_NOW")
    os.environ["TERRITORIAL_NOW"] = NOW
    try:
        yield
    finally:
        if previous is None:
            del os.environ["TERRITORIAL_NOW"]
        else:
            os.environ["TERRITORIAL_NOW"] = previous


def build_review_workspace(folder: Path, deals: bool = True, second_plan: bool = True) -> Path:
    """The workspace in `folder`: plan 1 activated, plan 2 stored; with `deals`, the opportunities and
    2027Q1 quotas saved for plan 1."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "accounts.csv": ACCOUNTS,
        "reps.csv": REPS,
        "plan.yaml": PLAN,
        "moved.yaml": MOVED,
        "opportunities.csv": OPPORTUNITIES,
        "history.csv": HISTORY,
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    with fixed_clock():
        steps: list[tuple[str, ...]] = [
            ("init",),
            ("import", "accounts", "accounts.csv"),
            ("import", "reps", "reps.csv"),
            ("plan", "add", "plan.yaml"),
        ]
        if second_plan:
            steps.append(("plan", "add", "moved.yaml"))
        steps.append(("plan", "activate", "1"))
        if deals:
            steps += [
                ("import", "opportunities", "opportunities.csv"),
                ("import", "opportunity_history", "history.csv"),
                ("quota", "allocate", "--target", "3000", "--period", "2027Q1", "--plan", "1", "--save"),
            ]
        for step in steps:
            done = run_cli(folder, *step)
            assert done.returncode == 0, (step, done.stdout, done.stderr)
    return folder
