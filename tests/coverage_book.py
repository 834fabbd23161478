"""A small book whose penetration, coverage gaps and drift are worked out by hand (on kpi_book's plan,
reps and deals)."""

from __future__ import annotations

from pathlib import Path

from kpi_book import write_kpi_book

# kpi_book's accounts with ZIPs, owners and segments, and A5 (NY, no deal) and A6 (WA: no territory).
# WEST: A1, A2 (potential 400, workload 40); EAST: A3, A5 (potential 800, workload 28).
ACCOUNTS = """\
account_id,name,state,employees,annual_revenue,postal_code,owner_id,segment
A1,Acme,CA,10,100,94103,r1,SMB
A2,Globex,CA,30,300,94103,r1,ENT
A3,Initech,NY,20,600,10001,r2,ENT
A4,Hooli,TX,5,50,73301,,SMB
A5,Umbrella,NY,8,200,10001,r2,SMB
A6,Wayne,WA,1,70,98101,,SMB
"""
# A month later: A3 doubled its employees (EAST's workload 28 → 48) and A1's CRM owner became r2, a rep
# outside WEST's pool.
CHANGED = ACCOUNTS.replace("A3,Initech,NY,20,", "A3,Initech,NY,40,").replace(
    "A1,Acme,CA,10,100,94103,r1,", "A1,Acme,CA,10,100,94103,r2,"
)
MARKET = "area,potential\n94103,1000\n10001,2000\n60601,900\n2110,300\n"


def write_coverage_book(folder: Path) -> dict[str, Path]:
    files = write_kpi_book(folder)
    (folder / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    (folder / "changed.csv").write_text(CHANGED, encoding="utf-8")
    (folder / "market.csv").write_text(MARKET, encoding="utf-8")
    return {**files, "changed": folder / "changed.csv", "market": folder / "market.csv"}
