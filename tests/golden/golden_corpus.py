# ruff: noqa: E501 (a command line reads best on one line)
"""The golden corpus: the README's commands on the demo data and `tests/data`, with what each printed
to stdout, the files it wrote and its exit code, recorded before the service-layer rework (f804ccf).

`record.py` writes `corpus/<script>.json`; `test_golden.py` runs the same scripts and compares.
Commands run in-process (typer's runner) in a folder of their own, one script's steps in order.
stderr is not compared: it carries progress and wording that may change. What is normalised, and
why, is in `normalise`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
CORPUS = Path(os.environ.get("GOLDEN_CORPUS", HERE / "corpus"))
DATA = HERE.parent / "data"
# Text outputs up to this size are kept verbatim (a diff shows what changed); larger ones, and
# binary files, by their SHA-256.
VERBATIM_BYTES = 20_000
# Workspace databases hold timestamps and are compared through what commands print and export.
NOT_OUTPUTS = (".db", ".db-wal", ".db-shm", ".db-journal")
# Timestamps are when the corpus ran, not what the command computed.
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?")
# The seconds a balance took, in its report.
SECONDS = re.compile(r'("seconds": )[0-9.e+-]+')
# A trained model's bytes hold floats whose last bits depend on the CPU: a boosted-tree model
# trained on a machine with AVX-512 differed in its bytes (and so its id) from the recorded one,
# while every figure it printed and every score it gave agreed. So a model file is kept by its
# header (what it is and predicts), its id is not compared, and what the model does is compared
# through the figures and scores the steps print and write.
MODEL_ID = re.compile(r"\bmodel [0-9a-f]{16}\b")
MODEL_SUFFIX = ".model"
MODEL_HEADER_KEPT = ("magic", "format", "estimator", "label", "target")
# Keys a balance report gained after the corpus was recorded (#17: what each metric was read as,
# the warnings, the compactness weight, the move penalty and owners who are no rep, how accounts
# were located, each territory's name). They are checked by tests/cli/test_balance_columns.py,
# test_balance_continuity.py, test_balance_locating.py and test_balance_names.py; here the report
# is compared on the keys it had, which must be unchanged, value and order.
ADDED_REPORT_KEYS = ("metrics", "warnings", "location")
ADDED_REPORT_TOTALS = ("weight", "move_penalty", "owner_not_a_rep")
ADDED_TERRITORY_KEYS = ("name",)
# The column alignment.csv gained last (#17), for the same reason: the columns it had are compared.
ADDED_ALIGNMENT_COLUMN = "territory_name"


@dataclass
class Script:
    name: str
    steps: list[str]  # command lines after `territorial`, split as a shell would
    files: dict[str, str] = field(default_factory=dict)  # file name -> its text
    copies: dict[str, Path] = field(default_factory=dict)  # file name -> a file to copy in
    prepare: Callable[[Path], None] | None = None  # writes generated inputs


# ---- inputs ---------------------------------------------------------------------------------------
# Written out here rather than imported from other tests, so the corpus's inputs never change under it.

TUTORIAL_PLAN = """\
name: FY27 North America
fields: {employees: number, annual_revenue: number, postal_code: string, strategic: boolean}
workload: employees
territories:
  - id: AMER
    rule: country IN ('US', 'CA')
    children:
      - id: AMER-EAST
        rule: state IN ('NY', 'NJ', 'MA', 'CT')
        reps: [rep-001]
        children:
          - id: AMER-EAST-HC
            name: East Healthcare
            rule: industry = 'Healthcare' AND employees >= 1000
            priority: 10
            reps: [rep-002, rep-003]
  - id: NAMED
    rule: strategic = TRUE OR account_id IN ('A-17', 'A-99')
    priority: 100
    reps: [rep-900]
  - id: SEC-OVERLAY
    layer: security
    rule: products LIKE '%security%'
    reps: [rep-500]
"""

TUTORIAL_ACCOUNTS = """\
account_id,name,country,state,industry,employees,postal_code,strategic,products,owner_id
A-1,Acme Health,US,NY,Healthcare,5000,02134,false,analytics;security,rep-003
A-2,Beta Retail,US,TX,,250,75001,false,,
A-3,Gamma Care,US,MA,Healthcare,1200,02110,false,security,
A-4,Delta Soft,US,NJ,Software,80,07001,false,,rep-001
A-5,Epsilon Med,US,CT,Healthcare,3000,06101,false,,
A-17,Zeta Corp,CA,ON,Energy,900,K1A 0B1,false,security,
A-20,Eta Foods,US,NY,Retail,40,10001,true,,
A-21,Theta Labs,MX,,Software,,,false,,
"""

TUTORIAL_REPS = """\
rep_id,name,email,active
rep-001,Ann,ann@example.com,true
rep-002,Bo,bo@example.com,true
rep-003,Cy,cy@example.com,false
rep-500,Dee,dee@example.com,true
rep-900,Eve,eve@example.com,true
"""

BAD_RULE_PLAN = """\
name: Broken
territories:
  - id: EAST
    rule: state IN ('NY' 'NJ')
  - id: WEST
    rule: employes > 10
"""

CRM_PLAN = """\
name: Fortune accounts by Census region
territories:
  - id: WEST
    rule: state IN ('CA', 'WA', 'OR', 'NV', 'AZ', 'CO', 'UT')
    reps: [0055g0000000002AAA]
  - id: REST
    priority: -1
    reps: [0055g0000000001AAA, 0055g0000000003AAA]
"""

ROUTE_ACCOUNTS = """\
account_id,name,website,industry,employees,state,country,owner_id,latitude,longitude
A-1,Acme Corporation,acme.com,Manufacturing,5000,CA,US,jane,37.77,-122.42
A-2,Globex Inc.,globex.com,Healthcare,800,NY,US,,40.71,-74.0
A-3,Initech LLC,initech.com,Software,200,TX,US,ghost,30.27,-97.74
A-4,Hooli,hooli.com,Software,1200,WA,US,bob,47.61,-122.33
A-5,Umbrella,umbrella.com,Healthcare,60,MA,US,dee,42.36,-71.06
A-6,Soylent,soylent.com,Manufacturing,300,OR,US,cy,45.52,-122.68
"""

ROUTE_REPS = """\
rep_id,name,email,active,lead_weight,daily_lead_cap,monthly_lead_cap,skills,manager_id,latitude,longitude
jane,Jane,jane@x.com,true,1,,,industry:manufacturing,max,37.0,-122.0
bob,Bob,bob@x.com,true,2,,,,max,47.0,-122.0
cy,Cy,cy@x.com,true,1,1,,,max,45.0,-122.0
dee,Dee,dee@x.com,true,1,,,Industry:Healthcare,max,42.0,-71.0
max,Max,max@x.com,true,1,,,,,40.0,-74.0
ghost,Ghost,g@x.com,false,1,,,,,30.0,-97.0
"""

ROUTE_PLAN = """\
name: Lead plan
routing:
  duplicate_window_days: 30
  fallback_queue: sdr-queue
territories:
  - id: WEST
    rule: state IN ('CA', 'WA', 'OR')
    reps: [jane, bob, cy]
    manager: max
  - id: EAST
    rule: state IN ('NY', 'MA')
    reps: [dee, bob]
    lead_skills: [industry]
  - id: SOUTH
    rule: state = 'TX'
"""

ROUTE_LEADS = """\
lead_id,first_name,email,company,state,country,industry,created
L-1,Ann,ann@acme.com,Acme,CA,US,,2026-03-02
L-2,Ben,ben@gmail.com,Someone Else,CA,US,,2026-03-02
L-3,Cat,cat@hooli.com,Hooli,WA,US,,2026-03-02
L-4,Dan,dan@hooli.com,Hooli,WA,US,,2026-03-02
L-5,Eve,eve@globex.com,Globex,NY,US,Healthcare,2026-03-03
L-6,Fay,fay@foo.com,Foo,NY,US,Retail,2026-03-04
L-7,Gus,gus@bar.com,Bar,TX,US,,2026-03-04
L-8,Hal,hal@baz.com,Baz,ZZ,US,,2026-03-04
L-9,Ann,ann@acme.com,Acme,CA,US,,2026-03-10
L-10,Ivy,ivy@initech.com,Initech,TX,US,,
L-11,Jo,jo@hooli.com,Hooli,CA,US,,2026-03-02
L-12,Kim,kim@new.com,Newco,OR,US,Manufacturing,2026-03-06
L-13,Lu,lu@new2.com,Newco Two,MA,US,Healthcare,2026-03-06
"""

AVAILABILITY = """\
rep_id,start,end
jane,2026-03-05,2026-03-09
dee,2026-03-01,2026-03-03
"""

BALANCE_REPS = """\
rep_id,name,active,latitude,longitude,capacity,skills
jane,Jane,true,37.0,-122.0,1,
bob,Bob,true,47.0,-122.0,1,Healthcare
cy,Cy,true,45.0,-122.0,0.5,
dee,Dee,true,42.0,-71.0,1,
max,Max,true,40.0,-74.0,1,
ghost,Ghost,false,30.0,-97.0,1,
"""


def _grid_units(folder: Path) -> None:
    """A 10×10 grid of units with two activities; the edges file joins grid neighbours."""
    rng = np.random.default_rng(11)
    rows, edges = ["id,x,y,calls,revenue"], ["a,b"]
    for x in range(10):
        for y in range(10):
            rows.append(f"U{x}-{y},{x},{y},{rng.integers(1, 20)},{rng.integers(100, 900)}")
            if x < 9:
                edges.append(f"U{x}-{y},U{x + 1}-{y}")
            if y < 9:
                edges.append(f"U{x}-{y},U{x}-{y + 1}")
    (folder / "units.csv").write_text("\n".join(rows) + "\n")
    (folder / "edges.csv").write_text("\n".join(edges) + "\n")


def _scoring_inputs(folder: Path) -> None:
    """A lead history with a known signal, deals with account fields, and 40 real inquiries; the
    models/ folder the README's train-potential writes into (outputs never create folders)."""
    (folder / "models").mkdir()
    rng = np.random.default_rng(7)
    n = 300
    visits = rng.poisson(5, n)
    source = rng.choice(["Referral", "Ads", "Organic"], n)
    chance = 1 / (1 + np.exp(-(visits - 5) * 0.8 - (source == "Referral") * 1.5))
    converted = (rng.random(n) < chance).astype(int)
    pl.DataFrame(
        {
            "lead_id": [f"L{i:04d}" for i in range(n)],
            "visits": visits,
            "source": source,
            "stage_after": np.where(converted == 1, "won", "lost"),
            "converted": converted,
        }
    ).write_csv(folder / "history.csv")
    m = 200
    employees = rng.integers(10, 5000, m)
    industry = rng.choice(["Software", "Retail", "Energy"], m)
    stage = rng.choice(["Won", "Lost"], m)
    value = np.round(employees * 3.0 + (industry == "Software") * 4000 + rng.normal(0, 500, m), 2)
    pl.DataFrame(
        {
            "opportunity_id": [f"O{i:04d}" for i in range(m)],
            "employees": employees,
            "industry": industry,
            "deal_stage": stage,
            "close_value": value,
        }
    ).write_csv(folder / "deals.csv")
    inquiries = pl.read_csv(DATA / "relevance" / "inquiries.csv", infer_schema=False)
    inquiries.head(40).write_csv(folder / "inquiries.csv")
    shutil.copy(DATA / "relevance" / "catalogue.yaml", folder / "catalogue.yaml")


CRM = DATA / "crm"

SCRIPTS = [
    Script(
        "tutorial",
        files={
            "plan.yaml": TUTORIAL_PLAN,
            "accounts.csv": TUTORIAL_ACCOUNTS,
            "reps.csv": TUTORIAL_REPS,
            "broken.yaml": BAD_RULE_PLAN,
        },
        steps=[
            "validate plan.yaml",
            "validate plan.yaml --accounts accounts.csv",
            "assign plan.yaml --accounts accounts.csv --out assignments.csv",
            "assign plan.yaml --accounts accounts.csv --out assignments.parquet",
            "assign plan.yaml --accounts accounts.csv --reps reps.csv --summary territories.csv",
            "assign plan.yaml --accounts accounts.csv --reps reps.csv",
            "explain plan.yaml --accounts accounts.csv --account A-2",
            "explain plan.yaml --accounts accounts.csv --account A-1",
            "explain plan.yaml --accounts accounts.csv --account A-404",
            "validate broken.yaml",
            "assign broken.yaml --accounts accounts.csv",
            "assign plan.yaml --accounts missing.csv",
            "assign --plan 1 --accounts accounts.csv",
        ],
    ),
    Script(
        "generate",
        steps=[
            "generate accounts --n 20000 --seed 1 --out accounts.parquet",
            "generate plan --territories 500 --seed 1 --out plan.yaml",
            "validate plan.yaml --accounts accounts.parquet",
            "assign plan.yaml --accounts accounts.parquet --out assignments.parquet --summary territories.csv",
            "explain plan.yaml --accounts accounts.parquet --account A-000001",
            "capacity --accounts accounts.parquet --hours-per-rep 1600 --utilisation 0.8 --by segment,region --out headcount.csv",
        ],
    ),
    Script(
        "workspace",
        files={"plan.yaml": CRM_PLAN},
        copies={
            "Accounts.csv": CRM / "sf_accounts_fortune1000.csv",
            "Users.csv": CRM / "sf_users_crm.csv",
            "Opportunities.csv": CRM / "sf_opportunities_crm.csv",
            "contacts.csv": CRM / "hubspot_contacts_olist.csv",
            "Leads.csv": CRM / "sf_leads_olist.csv",
            "companies.csv": CRM / "hubspot_companies_inc5000.csv",
            "bad_numbers.csv": CRM / "bad_numbers_sf_accounts.csv",
            "custom.csv": CRM / "custom_accounts_fortune1000.csv",
            "custom_mapping.yaml": CRM / "custom_accounts_mapping.yaml",
        },
        steps=[
            "plan list",
            "init",
            "import accounts Accounts.csv --mapping salesforce",
            "import reps Users.csv --mapping salesforce",
            "import opportunities Opportunities.csv --mapping salesforce",
            "import leads contacts.csv --mapping hubspot",
            "import leads Leads.csv --mapping salesforce",
            "import accounts Accounts.csv --mapping salesforce",
            "import accounts bad_numbers.csv --mapping salesforce",
            "import accounts bad_numbers.csv --mapping salesforce --skip-invalid",
            "import accounts custom.csv --mapping custom_mapping.yaml",
            "plan add plan.yaml",
            "plan list",
            "assign --plan 1 --out run1.csv --summary run1_territories.csv",
            "assign --plan 7",
            "export assignments --run 1 --format salesforce --rep-ids-from salesforce --out export",
            "export assignments --run 1 --format csv --out export-csv",
            "export assignments --run 1 --format parquet --out export-parquet",
            "export assignments --run 1 --format hubspot --out export-hubspot",
            "export assignments --run 9 --format csv --out export-none",
            "db upgrade",
            "import accounts companies.csv --mapping hubspot --full-sync",
            "assign --plan 1",
            "capacity --workspace --what-if-reps +1 --time-limit 20",
        ],
    ),
    Script(
        "routing",
        files={
            "accounts.csv": ROUTE_ACCOUNTS,
            "reps.csv": ROUTE_REPS,
            "plan.yaml": ROUTE_PLAN,
            "leads.csv": ROUTE_LEADS,
            "out_of_office.csv": AVAILABILITY,
            "balance_reps.csv": BALANCE_REPS,
            "two_reps.csv": "rep_id,latitude,longitude\njane,37.0,-122.0\ndee,42.0,-71.0\n",
        },
        steps=[
            "init",
            "import accounts accounts.csv",
            "import reps reps.csv",
            "plan add plan.yaml",
            "route leads.csv --plan plan.yaml --out decisions.csv --date 2026-03-05",
            "route explain L-4",
            "route explain L-9 --all",
            "route leads.csv --plan 1 --reps reps.csv --availability out_of_office.csv --out decisions2.csv --date 2026-03-05",
            "route explain L-1 --all",
            "route explain L-404",
            "route fairness --from 2026-03-01 --to 2026-03-31 --out fairness.csv",
            "route fairness --reps reps.csv",
            "route leads.csv --plan plan.yaml --date 2026-03-20",
            "route leads.csv --plan 99 --date 2026-03-20",
            "assign --plan 1 --out run.csv",
            "balance --workspace --plan 1 --reps balance_reps.csv --max-moves 0.5 --metric workload=0.9 --out alignment.csv --report report.json --plan-out draft.yaml",
            "balance --accounts accounts.csv --reps two_reps.csv --plan plan.yaml --workload 'employees / 1000 + 1' --metric workload=0.9 --metric accounts=0.9 --out alignment2.csv --report report2.json --plan-out draft2.yaml",
            "capacity --workspace --reps balance_reps.csv --what-if-reps +2 --time-limit 20",
        ],
    ),
    Script(
        "balance",
        prepare=_grid_units,
        steps=[
            "balance --units units.csv --edges edges.csv --k 5 --metric calls=0.05 --metric revenue=0.05 --contiguous --out alignment.csv --report report.json",
            "balance --units units.csv --k 4 --metric calls=0.1 --plan-out draft.yaml --out alignment2.csv",
            "balance --units units.csv --edges edges.csv --k 2 --metric nope=0.1",
            "balance --units units.csv --k 3 --metric calls=0.0001",
        ],
    ),
    Script(
        "scoring",
        prepare=_scoring_inputs,
        steps=[
            "score train --history history.csv --label converted --exclude-columns stage_after --estimator gbm --out fit.model",
            "score apply history.csv --model fit.model --out scored.csv",
            "score train --history history.csv --label converted --estimator forest --out x.model",
            "score train-potential --history deals.csv --only deal_stage=Won --target close_value --exclude-columns opportunity_id --out models/deal_value.model",
            "score relevance inquiries.csv --catalogue catalogue.yaml --text text --id inquiry_id --out relevance.csv",
        ],
    ),
    Script(
        "demo",
        steps=[
            "demo --out demo",
            "--database-url sqlite:///demo/territorial.db export assignments --run 1 --format salesforce --rep-ids-from salesforce --out export-sf",
            "--database-url sqlite:///demo/territorial.db route fairness",
            "--database-url sqlite:///demo/territorial.db plan list",
            "balance --accounts demo/accounts.csv --k 12 --workload work-index --adjacency county --contiguous --out alignment.csv --report report.json",
        ],
    ),
]

SCRIPTS_BY_NAME = {script.name: script for script in SCRIPTS}


# ---- running ----------------------------------------------------------------------------------------


def prepare(script: Script, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in script.files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
    for name, source in script.copies.items():
        shutil.copy(source, folder / name)
    if script.prepare is not None:
        script.prepare(folder)


def _fingerprints(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(NOT_OUTPUTS)
    }


def normalise(text: str, folder: Path) -> str:
    """The run's own folder as <cwd>, timestamps as <timestamp>, and a balance's seconds as 0."""
    for spelling in {str(folder.resolve()), str(folder)}:
        text = text.replace(spelling, "<cwd>")
    text = TIMESTAMP.sub("<timestamp>", text)
    text = MODEL_ID.sub("model <model id>", text)
    return SECONDS.sub(r"\g<1>0", text)


def _kept(path: Path, folder: Path) -> Any:
    data = path.read_bytes()
    if path.suffix == MODEL_SUFFIX:
        header = json.loads(data.split(b"\n", 1)[0])
        return {"model": {key: header[key] for key in MODEL_HEADER_KEPT if key in header}}
    data = _as_recorded(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text or len(data) > VERBATIM_BYTES:
        if text is not None and "\x00" not in text:
            digest = hashlib.sha256(normalise(text, folder).encode()).hexdigest()
            return {"sha256": digest, "lines": text.count("\n")}
        return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    return normalise(text, folder).split("\n")


def _as_recorded(data: bytes) -> bytes:
    """A balance report without the keys added since the corpus was recorded, written as the
    product writes it (indent 2, a final newline); an alignment without its added last column,
    written as the product writes CSV; any other file as it is."""
    first_line = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first_line.startswith("id,territory_id,") and first_line.endswith("," + ADDED_ALIGNMENT_COLUMN):
        table = pl.read_csv(data, infer_schema=False).drop(ADDED_ALIGNMENT_COLUMN)
        return table.write_csv().encode()
    try:
        report = json.loads(data)
    except ValueError:
        return data
    if (
        not isinstance(report, dict)
        or not isinstance(report.get("totals"), dict)
        or "territories" not in report
    ):
        return data
    for key in ADDED_REPORT_KEYS:
        report.pop(key, None)
    for key in ADDED_REPORT_TOTALS:
        report["totals"].pop(key, None)
    for territory in report["territories"]:
        for key in ADDED_TERRITORY_KEYS:
            territory.pop(key, None)
    return (json.dumps(report, indent=2) + "\n").encode()


def invoke(argv: list[str], folder: Path) -> tuple[int, str, str]:
    """The `territorial` command in this process, in `folder`: exit code, stdout and stderr."""
    from typer.testing import CliRunner

    from territorial.cli.main import app

    previous = Path.cwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(
            app, argv, env={"COLUMNS": "200", "TERRITORIAL_DATABASE_URL": None}, catch_exceptions=False
        )
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def run_script(script: Script, folder: Path) -> list[dict[str, Any]]:
    prepare(script, folder)
    steps = []
    before = _fingerprints(folder)
    for line in script.steps:
        argv = shlex.split(line)
        code, stdout, stderr = invoke(argv, folder)
        after = _fingerprints(folder)
        written = sorted(name for name, digest in after.items() if before.get(name) != digest)
        steps.append(
            {
                "argv": argv,
                "exit_code": code,
                "stdout": normalise(stdout, folder).split("\n"),
                "files": {name: _kept(folder / name, folder) for name in written},
                # Kept to show how messages changed; not compared.
                "stderr": normalise(stderr, folder).split("\n"),
            }
        )
        before = after
    return steps


def corpus_file(name: str) -> Path:
    return CORPUS / f"{name}.json"


def save(name: str, steps: list[dict[str, Any]]) -> None:
    CORPUS.mkdir(exist_ok=True)
    corpus_file(name).write_text(json.dumps(steps, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load(name: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = json.loads(corpus_file(name).read_text(encoding="utf-8"))
    return steps
