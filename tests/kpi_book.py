"""A small book with a plan, reps and deals whose KPIs and fairness are worked out by hand."""

from __future__ import annotations

from pathlib import Path

# WEST holds A1 and A2 (r1), EAST holds A3 (r2); A4 in TX is in no territory. r2 carries twice r1's
# capacity. Workload is employees, potential annual revenue.
ACCOUNTS = """\
account_id,name,state,employees,annual_revenue
A1,Acme,CA,10,100
A2,Globex,CA,30,300
A3,Initech,NY,20,600
A4,Hooli,TX,5,50
"""
REPS = """\
rep_id,name,manager_id,capacity,regional_office
r1,Ada,m1,1,West
r2,Bo,m1,2,East
"""
PLAN = """\
name: KPI plan
workload: employees
potential: annual_revenue
territories:
  - id: WEST
    rule: state = 'CA'
    reps: [r1]
  - id: EAST
    rule: state = 'NY'
    reps: [r2]
"""
# In 2027Q1: r1 wins o1 (100, 10 days) and o2 (300, 30 days); r2 loses o3 (200) and wins o4 (400,
# 20 days) on r1's account A1; o5 has no account. o6 and o7 are open; o8 closed in 2026.
OPPORTUNITIES = """\
opportunity_id,account_id,rep_id,stage,amount,created,closed,won,is_closed
o1,A1,r1,Won,100,2027-01-01,2027-01-11,true,true
o2,A2,r1,Won,300,2027-01-01,2027-01-31,true,true
o3,A3,r2,Lost,200,2027-01-01,2027-02-01,false,true
o4,A1,r2,Won,400,2027-02-01,2027-02-21,true,true
o5,,r2,Lost,100,2027-01-01,2027-03-01,false,true
o6,A3,r2,Proposal,1000,2027-01-01,2027-04-30,false,false
o7,A4,r1,Proposal,500,2027-01-01,2027-05-30,false,false
o8,A2,r1,Won,999,2026-10-01,2026-11-01,true,true
"""
# The stage history: of the closed deals, o1 and o3 went through Proposal (one won of two).
HISTORY = """\
history_id,opportunity_id,changed,stage
h1,o1,2027-01-01,Proposal
h2,o3,2027-01-01,Proposal
h3,o6,2027-01-01,Proposal
"""


def write_kpi_book(folder: Path) -> dict[str, Path]:
    texts = {
        "accounts.csv": ACCOUNTS,
        "reps.csv": REPS,
        "plan.yaml": PLAN,
        "opportunities.csv": OPPORTUNITIES,
        "history.csv": HISTORY,
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return {name.split(".")[0]: folder / name for name in texts}
