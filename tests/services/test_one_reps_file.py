"""One reps file means the same to every command: route, balance and capacity read its weights,
caps, active flags, homes and both forms of skills alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from conftest import CTX
from fake_workspace import FakeWorkspace
from territorial.services.balance import BalanceOptions, balance_files
from territorial.services.capacity import CapacityRequest, plan_capacity
from territorial.services.routing import open_router, route_file

REPS = """\
rep_id,name,active,lead_weight,daily_lead_cap,latitude,longitude,home_postal_code,capacity,skills
ana,Ana,yes,2,3,40.71,-74.0,,1,"Spanish, industry: Healthcare"
bo,Bo,no,1,,,,02134,1,
cy,Cy,true,1,,,,94105,0.5,language:spanish
"""

ACCOUNTS = """\
account_id,name,postal_code,employees,skills,owner_id
A-1,Acme,10001,100,Healthcare,ana
A-2,Beta,94105,100,Spanish,cy
A-3,Gamma,02134,100,,bo
A-4,Delta,94107,100,,cy
A-5,Eta,10002,100,,ana
A-6,Zeta,94110,100,spanish,cy
"""

PLAN = """\
name: One pool
territories:
  - id: ALL
    reps: [ana, bo, cy]
    lead_skills: [industry, language]
"""

LEADS = """\
lead_id,email,company,industry,language,created
L-1,a@x.com,X,Healthcare,,2026-03-02
L-2,b@x.com,X,healthcare,,2026-03-02
L-3,c@x.com,X,,Spanish,2026-03-02
L-4,d@x.com,X,,spanish,2026-03-02
L-5,e@x.com,X,Retail,,2026-03-02
"""


def write(folder: Path) -> None:
    for name, text in (
        ("reps.csv", REPS),
        ("accounts.csv", ACCOUNTS),
        ("plan.yaml", PLAN),
        ("leads.csv", LEADS),
    ):
        (folder / name).write_text(text)


def test_route_reads_weights_caps_active_and_field_skills(tmp_path: Path) -> None:
    write(tmp_path)
    workspace = FakeWorkspace()
    router = open_router(workspace, tmp_path / "plan.yaml", tmp_path / "reps.csv")
    assert any("inactive reps get no accounts here: bo" in str(w) for w in router.warnings)
    batch = route_file(workspace, CTX, router, tmp_path / "leads.csv", today=date(2026, 3, 2))
    chosen = {d.lead_id: d.rep_id for d in batch.decisions}
    # industry:healthcare is Ana's alone; Spanish (bare for Ana, language:spanish for Cy) is both's.
    assert chosen["L-1"] == chosen["L-2"] == "ana"
    assert {chosen["L-3"], chosen["L-4"]} == {"ana", "cy"}
    # Ana's daily cap of 3 is reached by L-1..L-3 or L-4; a retail lead needs a skill nobody holds.
    assert chosen["L-5"] is None
    assert "bo" not in chosen.values()


def test_balance_reads_capacity_homes_active_and_bare_skills(tmp_path: Path) -> None:
    write(tmp_path)
    run = balance_files(
        BalanceOptions(
            accounts=tmp_path / "accounts.csv", reps=tmp_path / "reps.csv", metrics={"accounts": 0.9}
        )
    )
    territories = run.territories
    assert territories.rep_ids == ["ana", "cy"]  # bo is inactive
    assert territories.capacity.tolist() == [1.0, 0.5]
    assert territories.home[0].tolist() == [40.71, -74.0]
    assert round(float(territories.home[1][0]), 1) == 37.8  # Cy's home ZIP 94105
    owner = dict(run.table.select("id", "rep_id").iter_rows())
    assert owner["A-1"] == "ana"  # needs Healthcare: industry:healthcare serves it
    assert {owner["A-2"], owner["A-6"]} <= {"ana", "cy"}  # Spanish: both serve it


def test_capacity_counts_only_active_current_reps(tmp_path: Path) -> None:
    write(tmp_path)
    run = plan_capacity(
        CapacityRequest(
            accounts=tmp_path / "accounts.csv", reps=tmp_path / "reps.csv", workload="employees", by=[]
        )
    )
    assert run.headcount.table.get_column("current_reps").to_list() == [2]  # ana and cy; bo is inactive
    assert pl.Series(run.headcount.table.get_column("accounts")).to_list() == [6]
