"""#24's figures: a month of real leads routed as HubSpot exports them, and the owner update back.

    .venv/bin/python benchmarks/olist_routing.py [--month 2018-05] [--keep 95]

From ../shared/data/olist-marketing-funnel, every marketing-qualified lead becomes a HubSpot contact
with what was known at its first contact (Record ID, Country/Region, Original Source, Message: the
landing page, Create Date). The Olist export is anonymous, so no contact has an e-mail, company or
website to match an account by, and the place and industry Olist records only for leads that
became sellers are left out: they would give the outcome away. Leads before the month are the
history (`Converted`: became a seller); `score train --mapping hubspot` learns from them and
suggests `fit_threshold`; the month's leads are routed with the suggested threshold that keeps
`--keep`% of converters, among 9 HubSpot users in two pools by source, and written back with
`export decisions --format hubspot`. Everything runs through the CLI.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "data" / "crm"))

from make_fixtures import DEALS, HUBSPOT_SOURCE, MQLS, digest  # noqa: E402

USERS = HERE.parent / "tests" / "data" / "crm" / "hubspot_users_crm.csv"
COMPANIES = HERE.parent / "tests" / "data" / "crm" / "hubspot_companies_inc5000.csv"
HEADER = ["Record ID", "Email", "Company Name", "Country/Region", "Original Source", "Message", "Create Date"]
INBOUND = ("Organic Search", "Direct Traffic", "Referrals", "Email Marketing")


def contact(mql: dict[str, str]) -> dict[str, str]:
    return {
        "Record ID": str(30_000_000_000 + digest(mql["mql_id"], 9)),
        "Email": "",
        "Company Name": "",
        "Country/Region": "Brazil",
        "Original Source": HUBSPOT_SOURCE[mql["origin"]],
        "Message": f"Landing page {mql['landing_page_id']}",
        "Create Date": f"{mql['first_contact_date']} 12:00",
    }


def write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def cli(folder: Path, *args: str) -> str:
    command = [
        sys.executable,
        "-m",
        "territorial.cli.main",
        "--database-url",
        f"sqlite:///{folder / 'ws.db'}",
    ]
    done = subprocess.run(
        [*command, *args], cwd=folder, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    if done.returncode != 0:
        raise SystemExit(f"`territorial {' '.join(args)}` exited {done.returncode}:\n{done.stderr}")
    return done.stdout + done.stderr


def quoted(ids: list[str]) -> str:
    return ", ".join(repr(i) for i in ids)


def suggested_threshold(trained: str, keep: int) -> int:
    """The fit_threshold `score train` suggests for keeping `keep`% of converters, from its table."""
    table = trained.split("Suggested fit_threshold", 1)[-1]
    row = next((line for line in table.splitlines() if re.search(rf"\b{keep}%", line)), None)
    numbers = re.findall(r"(?<![\d.])(\d+)(?![\d.%])", row.split(f"{keep}%", 1)[1]) if row else []
    if not numbers:
        raise SystemExit(f"score train suggested no threshold for {keep}%:\n{trained}")
    return int(numbers[0])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--month", default="2018-05", help="the month routed (YYYY-MM); earlier leads are the history"
    )
    parser.add_argument(
        "--keep", type=int, choices=(90, 95, 99), default=95, help="share of converters the threshold keeps"
    )
    options = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores")
    started = time.perf_counter()
    history = [m for m in MQLS if m["first_contact_date"] < f"{options.month}-01"]
    month = [m for m in MQLS if m["first_contact_date"].startswith(options.month)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(
            folder / "history.csv",
            [*HEADER, "Converted"],
            [{**contact(m), "Converted": str(m["mql_id"] in DEALS).lower()} for m in history],
        )
        write(folder / "contacts.csv", HEADER, [contact(m) for m in month])
        with USERS.open(newline="", encoding="utf-8") as handle:
            users = list(csv.DictReader(handle))[:9]
        write(folder / "users.csv", list(users[0]), users)
        ids = [u["User ID"] for u in users]
        cli(folder, "init")
        cli(folder, "import", "reps", "users.csv", "--mapping", "hubspot")
        cli(folder, "import", "accounts", str(COMPANIES), "--mapping", "hubspot")
        trained = cli(
            folder,
            "score",
            "train",
            "--history",
            "history.csv",
            "--label",
            "Converted",
            "--mapping",
            "hubspot",
            "--out",
            "fit.model",
            "--estimator",
            "gbm",
        )
        auc = re.search(r"ROC AUC\D*([0-9.]+)", trained)
        threshold = suggested_threshold(trained, options.keep)
        inbound = ", ".join(f"'{s}'" for s in INBOUND)
        (folder / "plan.yaml").write_text(
            "name: Olist inbound\nfields:\n  source: string\nrouting:\n  fit_model: fit.model\n"
            f"  fit_threshold: {threshold}\n"
            "territories:\n"
            f"  - id: INBOUND\n    rule: source IN ({inbound})\n    reps: [{quoted(ids[:5])}]\n"
            f"  - id: PAID\n    rule: source NOT IN ({inbound}) OR source IS NULL\n"
            f"    reps: [{quoted(ids[5:])}]\n"
        )
        cli(
            folder,
            "route",
            "contacts.csv",
            "--plan",
            "plan.yaml",
            "--mapping",
            "hubspot",
            "--out",
            "decisions.csv",
        )
        with (folder / "decisions.csv").open(newline="", encoding="utf-8") as handle:
            decisions = list(csv.DictReader(handle))
        cli(folder, "export", "decisions", "--run", "1", "--format", "hubspot", "--out-dir", "back")
        with (folder / "back" / "ContactOwnerUpdate.csv").open(newline="", encoding="utf-8") as handle:
            written = list(csv.DictReader(handle))
    won = {str(30_000_000_000 + digest(m["mql_id"], 9)) for m in month if m["mql_id"] in DEALS}
    counts = Counter(d["decision"] for d in decisions)
    total = len(decisions)
    nurtured_won = sum(1 for d in decisions if d["decision"] == "nurture" and d["lead_id"] in won)
    sellers = sum(m["mql_id"] in DEALS for m in history)
    print(f"history: {len(history):,} leads before {options.month}, {sellers:,} became sellers; ", end="")
    print(f"ROC AUC {auc.group(1) if auc else '?'} (out of fold)")
    print(f"suggested fit_threshold keeping {options.keep}% of converters: {threshold}")
    print(f"{options.month}: {total:,} leads, {len(won):,} became sellers")
    print(f"{'decision':<10} {'leads':>6} {'share':>7}")
    for outcome in ("matched", "routed", "duplicate", "nurture", "fallback"):
        print(f"{outcome:<10} {counts.get(outcome, 0):>6,} {counts.get(outcome, 0) / total:>7.1%}")
    matched, nurtured = counts.get("matched", 0) / total, counts.get("nurture", 0) / total
    print(f"matched share {matched:.1%} (the export has no e-mail, company or website to match by)")
    print(f"nurture share {nurtured:.1%}; sellers sent to nurture: {nurtured_won} of {len(won)}", end="")
    print(f" ({nurtured_won / max(len(won), 1):.1%})")
    print(f"ContactOwnerUpdate.csv: {len(written):,} rows (Record ID, Contact owner) for HubSpot's import")
    print(f"took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
