"""A small book of business, reps and a plan, written to files for the service tests."""

from __future__ import annotations

from pathlib import Path

ACCOUNTS = """\
account_id,name,website,industry,employees,state,postal_code,country,owner_id,region
A-1,Acme Corporation,acme.com,Manufacturing,5000,CA,94105,US,jane,West
A-2,Globex Inc.,globex.com,Healthcare,800,NY,10001,USA,,East
A-3,Initech LLC,initech.com,Software,200,TX,73301,US,ghost,South
A-4,Hooli,hooli.com,Software,1200,WA,98101,United States,bob,West
A-5,Umbrella,umbrella.com,Healthcare,60,MA,02110,US,dee,East
A-6,Soylent,soylent.com,Manufacturing,300,OR,97201,US,cy,West
"""

REPS = """\
rep_id,name,email,active,lead_weight,skills
jane,Jane,jane@x.com,true,1,industry:manufacturing
bob,Bob,bob@x.com,true,2,
cy,Cy,cy@x.com,true,1,
dee,Dee,dee@x.com,true,1,
ghost,Ghost,g@x.com,false,1,
"""

PLAN = """\
name: Book plan
workload: employees
territories:
  - id: WEST
    rule: region = 'West'
    reps: [jane, bob, cy]
  - id: EAST
    rule: state IN ('NY', 'MA')
    reps: [dee]
  - id: SOUTH
    rule: state = 'TX'
    reps: [ghost]
"""


def write_book(folder: Path) -> dict[str, Path]:
    files = {"accounts": ACCOUNTS, "reps": REPS, "plan": PLAN}
    paths = {}
    for name, text in files.items():
        path = folder / (f"{name}.yaml" if name == "plan" else f"{name}.csv")
        path.write_text(text, encoding="utf-8")
        paths[name] = path
    return paths
