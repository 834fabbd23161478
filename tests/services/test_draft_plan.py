"""The draft plan use case (services.draft_plan): rules by state, ZIP and id, checked by assigning
the accounts with the draft before it is written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import run_cli
from territorial.errors import BadInput
from territorial.io.accounts import read_accounts
from territorial.services.draft_plan import check_draft

# Texas and Oklahoma accounts with a state but no ZIP code: the draft of #17's 198 KB listed ids.
ACCOUNTS = (
    "account_id,lat,lon,state\n"
    + "".join(f"A-{i:02d},{32.7 + i * 0.01},{-97.0 - i * 0.01},TX\n" for i in range(12))
    + "".join(f"B-{i:02d},{35.4 + i * 0.01},{-97.5 - i * 0.01},OK\n" for i in range(8))
)

WRONG_DRAFT = """\
name: wrong
fields: {state: string}
territories:
  - id: T-001
    rule: state = 'TX' AND account_id NOT IN ('A-03')
  - id: T-002
    rule: state = 'OK'
"""


def test_the_draft_is_written_by_state_and_assigning_with_it_gives_the_alignment(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    result = run_cli(
        tmp_path,
        *("balance", "--accounts", "accounts.csv", "--k", "2", "--metric", "workload=0.5"),
        *("--out", "alignment.csv", "--plan-out", "plan.yaml"),
    )
    assert result.returncode == 0, result.stderr
    plan = (tmp_path / "plan.yaml").read_text()
    assert "fields: {state: string}" in plan
    assert "rule: >-\n      state IN ('OK')\n" in plan and "rule: >-\n      state IN ('TX')\n" in plan
    assigned = run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv", "--out", "run.csv")
    assert assigned.returncode == 0, assigned.stderr
    run = pl.read_csv(tmp_path / "run.csv").select("account_id", "territory_id")
    alignment = pl.read_csv(tmp_path / "alignment.csv").select(account_id="id", territory_id="territory_id")
    assert run.sort("account_id").equals(alignment.sort("account_id"))


def test_a_draft_that_puts_an_account_elsewhere_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    book = read_accounts(tmp_path / "accounts.csv")
    aligned = ["T-001"] * 12 + ["T-002"] * 8
    check_draft(WRONG_DRAFT.replace(" AND account_id NOT IN ('A-03')", ""), book, aligned)
    with pytest.raises(BadInput) as refused:
        check_draft(WRONG_DRAFT, book, aligned)
    assert str(refused.value) == (
        f"{tmp_path / 'accounts.csv'}:5 [A-03]: the draft plan puts account A-03 in no territory, the "
        "alignment in T-001; nothing was written (please report this with the accounts file)"
    )
