"""A small hand-written plan and book through the real `territorial` command, checked row by row."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import run_cli

PLAN = """\
name: FY26 North America
fields:
  employees: number
  industry: string
  strategic: boolean
territories:
  - id: named
    name: Named accounts
    rule: "strategic = TRUE"
    priority: 10
    reps: [rep_named]
  - id: east
    name: East
    rule: "state IN ('NY', 'NJ', 'MA')"
    children:
      - id: east-ent
        name: East Enterprise
        rule: "employees >= 1000"
        reps: [rep_e1, rep_e2]
      - id: east-smb
        name: East SMB
        rule: "employees < 1000"
        reps: [rep_smb]
      - id: east-retail
        name: East Retail
        rule: "industry = 'Retail'"
        reps: [rep_retail]
  - id: west
    name: West
    rule: "state IN ('CA', 'WA', 'OR')"
    reps: [rep_w]
  - id: healthcare
    name: Healthcare overlay
    layer: overlay
    rule: "industry = 'Healthcare'"
    reps: [rep_hc]
"""
WEST_LINE = 28

# A01 pool: kept by its owner.  A02 NULL industry.  A03, A11 tie east-smb/east-retail.
# A04 named account beats east-ent and east-retail on priority.  A05, A10, a09 shared in the
# east-ent pool in binary account_id order (A05, A10, a09).  A06 mixed-case overlay, west.
# A07 matches no primary territory.
ACCOUNTS = """\
account_id,name,state,employees,industry,strategic,postal_code,owner_id
A01,Acme,NY,5000,Healthcare,false,10001,rep_e2
A02,Beta,ny,250,,false,02134,
A03,Gamma,NJ,200,retail,FALSE,07001,
A04,Delta,MA,1200,RETAIL,TRUE,02110,rep_e1
A05,Epsilon,NY,3000,Software,false,10002,rep_x
A06,Zeta,CA,40,HealthCare,false,94105,
A07,Eta,TX,800,Retail,false,73301,
A10,Theta,NY,1500,,false,10003,
A11,Kappa,NJ,150,Retail,false,07002,
a09,Iota,nj,2000,Energy,false,07302,
"""

REPS = """\
rep_id,name,email,active
rep_named,Nora,nora@example.com,true
rep_e1,Eli,eli@example.com,true
rep_e2,Eve,eve@example.com,TRUE
rep_smb,Sam,sam@example.com,
rep_retail,Rita,rita@example.com,true
rep_w,Walt,walt@example.com,false
rep_hc,Hana,hana@example.com,true
"""

# account_id, layer, territory_id, rep_id, overlaps, tie  (with REPS: rep_w is inactive)
EXPECTED = [
    ("A01", "primary", "east-ent", "rep_e2", "", "false"),
    ("A01", "overlay", "healthcare", "rep_hc", "", "false"),
    ("A02", "primary", "east-smb", "rep_smb", "", "false"),
    ("A03", "primary", "east-smb", "rep_smb", "east-retail", "true"),
    ("A04", "primary", "named", "rep_named", "east-ent;east-retail", "false"),
    ("A05", "primary", "east-ent", "rep_e1", "", "false"),
    ("A06", "primary", "west", "", "", "false"),
    ("A06", "overlay", "healthcare", "rep_hc", "", "false"),
    ("A07", "primary", "", "", "", "false"),
    ("A10", "primary", "east-ent", "rep_e1", "", "false"),
    ("A11", "primary", "east-smb", "rep_smb", "east-retail", "true"),
    ("a09", "primary", "east-ent", "rep_e2", "", "false"),
]

# Key phrases of each row's reason, by (account_id, layer).
REASONS = {
    ("A01", "primary"): ["east-ent", "Kept by its current owner rep_e2"],
    ("A01", "overlay"): ["healthcare", "only rep"],
    ("A03", "primary"): ["east-retail", "tie", "set a priority"],
    ("A04", "primary"): ["Also matched east-ent, east-retail", "higher priority (10 over 0)"],
    ("A05", "primary"): ["Shared out to rep_e1", "least-loaded"],
    ("A06", "primary"): ["west", "vacant"],
    ("A07", "primary"): ["No primary territory matched"],
    ("a09", "primary"): ["Shared out to rep_e2", "least-loaded"],
}

REQUIRED_COLUMNS = ["account_id", "layer", "territory_id", "rep_id", "overlaps", "tie", "reason"]


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plan, book and reps; tests that write there use file names of their own."""
    folder = tmp_path_factory.mktemp("book")
    for name, text in [("plan.yaml", PLAN), ("accounts.csv", ACCOUNTS), ("reps.csv", REPS)]:
        (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


def assign_args(*extra: str) -> list[str]:
    return ["assign", "plan.yaml", "--accounts", "accounts.csv", "--reps", "reps.csv", *extra]


@pytest.fixture(scope="module")
def assigned(book: Path) -> subprocess.CompletedProcess[str]:
    """`assign` with the reps file, to stdout."""
    return ok(run_cli(book, *assign_args()))


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_assign_to_stdout_exact_rows(assigned: subprocess.CompletedProcess[str]) -> None:
    rows = rows_of(assigned.stdout)
    assert set(REQUIRED_COLUMNS) <= set(rows[0])
    got = [tuple(r[c] for c in REQUIRED_COLUMNS[:-1]) for r in rows]
    assert got == EXPECTED
    for r in rows:
        for phrase in REASONS.get((r["account_id"], r["layer"]), []):
            assert phrase in r["reason"], (r["account_id"], r["layer"], r["reason"])


def test_assign_stderr_summary_and_warnings(assigned: subprocess.CompletedProcess[str]) -> None:
    err = assigned.stderr
    assert "accounts: 10" in err
    assert "unassigned (primary): 1" in err
    assert "ties: 2" in err
    assert "vacant: west" in err
    assert f"plan.yaml:{WEST_LINE}" in err and "inactive reps get no accounts here: rep_w" in err


def test_assign_shows_every_rep_and_every_territory_even_empty(
    assigned: subprocess.CompletedProcess[str],
) -> None:
    """east-retail wins no account (its two ties go to east-smb): its territory and its rep are
    exactly what a planner must see, so both are listed with 0."""
    lines = assigned.stderr.splitlines()
    territory = next(line for line in lines if "east-retail" in line and "rep_retail" in line)
    assert territory.split("│")[4].strip() == "0"  # layer, territory, reps, then accounts
    by_rep = lines.index(next(line for line in lines if "Assignment by rep" in line))
    books = {cells[2].strip(): cells[3:6] for line in lines[by_rep:] if len(cells := line.split("│")) > 6}
    assert [c.strip() for c in books["rep_retail"]] == ["east-retail", "0", "0"]
    assert [c.strip() for c in books["rep_e1"]] == ["east-ent", "2", "2"]  # no workload field: 1 each
    assert "rep_w" not in books  # inactive: out of the plan
    assert "reps with no accounts: rep_retail" in assigned.stderr


def test_assign_writes_the_exception_lists(book: Path, tmp_path: Path) -> None:
    folder = tmp_path / "exceptions"
    result = ok(run_cli(book, *assign_args("--out", str(tmp_path / "out.csv"), "--exceptions", str(folder))))
    assert "exception lists in" in result.stderr and "unassigned 1, vacant 1, empty_fields 2, ties 2" in (
        result.stderr
    )

    def read(name: str) -> list[tuple[str, ...]]:
        return [tuple(row) for row in csv.reader(io.StringIO((folder / name).read_text()))]

    assert read("unassigned.csv") == [
        ("account_id", "reason"),
        ("A07", "No primary territory matched."),
    ]
    assert read("vacant.csv") == [
        ("account_id", "layer", "territory_id", "territory_name"),
        ("A06", "primary", "west", "West"),
    ]
    assert read("empty_fields.csv") == [
        ("account_id", "empty_fields", "primary_territory_id"),
        ("A02", "industry", "east-smb"),
        ("A10", "industry", "east-ent"),
    ]
    ties = read("ties.csv")
    assert [row[:3] for row in ties] == [
        ("account_id", "layer", "territory_id"),
        ("A03", "primary", "east-smb"),
        ("A11", "primary", "east-smb"),
    ]
    # The folder is made, but not its parents; that is checked before any work.
    missing = run_cli(book, *assign_args("--exceptions", str(tmp_path / "no" / "such")))
    assert missing.returncode == 2 and "does not exist; create it first" in missing.stderr
    assert missing.stdout == ""


def test_inactive_rep_warning_names_the_territory(assigned: subprocess.CompletedProcess[str]) -> None:
    err = assigned.stderr
    warning = next(line for line in err.splitlines() if "inactive reps" in line)
    assert "west" in warning, warning


def test_without_reps_file_the_plan_reps_apply(book: Path) -> None:
    result = ok(run_cli(book, "assign", "plan.yaml", "--accounts", "accounts.csv"))
    west = [r for r in rows_of(result.stdout) if r["territory_id"] == "west"]
    assert [(r["account_id"], r["rep_id"]) for r in west] == [("A06", "rep_w")]
    assert "Rep rep_w is the territory's only rep" in west[0]["reason"]


def test_parquet_out_has_boolean_tie_and_the_same_content_as_csv(
    book: Path, assigned: subprocess.CompletedProcess[str]
) -> None:
    ok(run_cli(book, *assign_args("--out", "result.parquet")))
    parquet = pl.read_parquet(book / "result.parquet")
    assert parquet.schema["tie"] == pl.Boolean
    assert parquet.get_column("tie").to_list() == [t == "true" for *_, t in EXPECTED]
    assert set(REQUIRED_COLUMNS) <= set(parquet.columns)
    from_csv = pl.read_csv(io.StringIO(assigned.stdout), infer_schema=False).fill_null("")
    as_text = parquet.with_columns(
        pl.col(c).cast(pl.String).str.to_lowercase() if t == pl.Boolean else pl.col(c).cast(pl.String)
        for c, t in parquet.schema.items()
    ).fill_null("")
    assert_frame_equal(as_text, from_csv)


def test_assign_csv_out_matches_stdout(book: Path, assigned: subprocess.CompletedProcess[str]) -> None:
    stdout = assigned.stdout
    (book / "out").mkdir(exist_ok=True)
    err = ok(run_cli(book, *assign_args("--out", "out/result.csv"))).stderr
    assert (book / "out" / "result.csv").read_text(encoding="utf-8") == stdout
    assert "wrote 12 rows to out/result.csv" in err
    assert sorted(p.name for p in (book / "out").iterdir()) == ["result.csv"], "no temporary file left"


def test_assign_is_deterministic(book: Path, assigned: subprocess.CompletedProcess[str]) -> None:
    first = assigned
    second = ok(run_cli(book, *assign_args()))
    assert first.stdout.encode() == second.stdout.encode()
    ok(run_cli(book, *assign_args("--out", "one.parquet", "--summary", "one.csv")))
    ok(run_cli(book, *assign_args("--out", "two.parquet", "--summary", "two.csv")))
    assert (book / "one.parquet").read_bytes() == (book / "two.parquet").read_bytes()
    assert (book / "one.csv").read_bytes() == (book / "two.csv").read_bytes()


def test_summary_file(book: Path) -> None:
    ok(run_cli(book, *assign_args("--summary", "summary.csv")))
    rows = rows_of((book / "summary.csv").read_text(encoding="utf-8"))
    assert {"layer", "territory_id", "accounts", "workload", "ties", "vacant"} <= set(rows[0])
    got = [(r["layer"], r["territory_id"], r["accounts"], r["ties"], r["vacant"]) for r in rows]
    assert got == [  # plan order
        ("primary", "named", "1", "0", "false"),
        ("primary", "east", "0", "0", "false"),
        ("primary", "east-ent", "4", "0", "false"),
        ("primary", "east-smb", "3", "2", "false"),
        ("primary", "east-retail", "0", "0", "false"),
        ("primary", "west", "1", "0", "true"),
        ("overlay", "healthcare", "2", "0", "false"),
    ]


def test_pool_shares_by_workload_and_null_workload_counts_zero(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: Pool\nfields:\n  employees: number\nworkload: employees\n"
        "territories:\n  - id: all\n    reps: [r1, r2]\n",
        encoding="utf-8",
    )
    (tmp_path / "accounts.csv").write_text(
        "account_id,employees,owner_id\n"
        "B1,100,r2\n"  # kept: r2 = 100
        "B2,50,\n"  # r1 = 50
        "B3,30,\n"  # r1 = 80
        "B4,,\n"  # NULL counts 0: r1 stays 80
        "B5,25,r9\n"  # owner not in the pool: r1 = 105
        "B6,1,\n",  # r2 (100 < 105)
        encoding="utf-8",
    )
    result = ok(run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv"))
    got = [(r["account_id"], r["rep_id"]) for r in rows_of(result.stdout)]
    assert got == [("B1", "r2"), ("B2", "r1"), ("B3", "r1"), ("B4", "r1"), ("B5", "r1"), ("B6", "r2")]
    assert "1 account with an empty workload, counted as 0" in result.stderr


def test_null_logic_in_rules(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: NULLs\n"
        "fields:\n  industry: string\n"
        "territories:\n"
        "  - id: everyone\n"
        "  - id: not-equal\n    layer: ne\n    rule: \"industry != 'Retail'\"\n"
        "  - id: negated\n    layer: negated\n    rule: \"NOT industry = 'Retail'\"\n"
        '  - id: empty\n    layer: isnull\n    rule: "industry IS NULL"\n'
        "  - id: not-in\n    layer: notin\n    rule: \"industry NOT IN ('Retail')\"\n"
        "  - id: not-like\n    layer: notlike\n    rule: \"industry NOT LIKE 'ret%'\"\n",
        encoding="utf-8",
    )
    (tmp_path / "accounts.csv").write_text(
        "account_id,industry\nN1,\nN2,   \nN3,RETAIL\nN4,Energy\n", encoding="utf-8"
    )
    result = ok(run_cli(tmp_path, "assign", "plan.yaml", "--accounts", "accounts.csv"))
    got = [(r["account_id"], r["layer"], r["territory_id"]) for r in rows_of(result.stdout)]
    assert got == [
        ("N1", "primary", "everyone"),
        ("N1", "isnull", "empty"),
        ("N2", "primary", "everyone"),
        ("N2", "isnull", "empty"),
        ("N3", "primary", "everyone"),
        ("N4", "primary", "everyone"),
        ("N4", "ne", "not-equal"),
        ("N4", "negated", "negated"),
        ("N4", "notin", "not-in"),
        ("N4", "notlike", "not-like"),
    ]


# ---- validate --------------------------------------------------------------------------

CHECKS_PLAN = """\
name: Checks
fields:
  industry: string
  state: string
territories:
  - id: east
    rule: "state IN ('NY', 'NJ')"
    priority: 5
    children:
      - id: east-low
        rule: "state = 'NY' AND industry = NULL"
        priority: 1
  - id: other
    rule: "industry <> NULL OR state = 'CA'"
"""


def test_validate_without_accounts_warns(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(CHECKS_PLAN, encoding="utf-8")
    out = ok(run_cli(tmp_path, "validate", "plan.yaml")).stdout
    assert "ok: 3 territories in 1 layer (primary)" in out
    priority = next(line for line in out.splitlines() if "priority 1 is below" in line)
    assert "plan.yaml:10" in priority and "east's priority 5" in priority
    null_eq = next(line for line in out.splitlines() if "industry = NULL" in line)
    assert "plan.yaml:11:44" in null_eq and "write industry IS NULL" in null_eq
    null_ne = next(line for line in out.splitlines() if "industry != NULL" in line)
    assert "plan.yaml:14:24" in null_ne and "write industry IS NOT NULL" in null_ne


def test_validate_with_accounts_lists_overlaps(book: Path) -> None:
    out = ok(run_cli(book, "validate", "plan.yaml", "--accounts", "accounts.csv")).stdout
    assert "1 account unassigned (no primary territory matches): 7 territories in 2 layers" in out
    assert "4 pairs of territories match the same accounts" in out
    pairs = [line.strip() for line in out.splitlines() if line.startswith("  primary:")]
    assert pairs[0] == "primary: east-smb & east-retail: 2 accounts"  # most shared first
    assert sorted(pairs[1:]) == [
        "primary: east-ent & east-retail: 1 account",
        "primary: named & east-ent: 1 account",
        "primary: named & east-retail: 1 account",
    ]
    assert "2 accounts missed at least one territory only because a field was empty" in out


def test_validate_with_accounts_no_overlaps(tmp_path: Path) -> None:
    (tmp_path / "plan.yaml").write_text(
        "name: Clean\nterritories:\n"
        "  - id: a\n    rule: \"state = 'NY'\"\n"
        "  - id: b\n    rule: \"state = 'CA'\"\n",
        encoding="utf-8",
    )
    (tmp_path / "accounts.csv").write_text("account_id,state\nX1,NY\nX2,CA\n", encoding="utf-8")
    out = ok(run_cli(tmp_path, "validate", "plan.yaml", "--accounts", "accounts.csv")).stdout
    assert "no overlapping territories" in out


@pytest.mark.parametrize(
    ("command", "rule"), [("assign", "industry = NULL"), ("validate", "NOT industry = NULL")]
)
def test_a_rule_that_only_compares_with_null_is_a_warning_not_a_crash(
    tmp_path: Path, command: str, rule: str
) -> None:
    (tmp_path / "plan.yaml").write_text(
        f'name: Nulls\nterritories:\n  - id: a\n    rule: "{rule}"\n  - id: b\n', encoding="utf-8"
    )
    (tmp_path / "accounts.csv").write_text("account_id,industry\nX1,Retail\nX2,\n", encoding="utf-8")
    result = ok(run_cli(tmp_path, command, "plan.yaml", "--accounts", "accounts.csv"))
    assert "is never TRUE" in result.stdout + result.stderr
    if command == "assign":
        got = [(r["account_id"], r["territory_id"]) for r in rows_of(result.stdout)]
        assert got == [("X1", "b"), ("X2", "b")]


def test_validate_counts_the_unassigned_and_strict_exits_3(book: Path) -> None:
    """A07 (TX) matches no primary territory: validate says so rather than "ok"; only --strict,
    a check the user asked for, makes it exit 3."""
    result = ok(run_cli(book, "validate", "plan.yaml", "--accounts", "accounts.csv"))
    assert "1 account unassigned (no primary territory matches): 7 territories" in result.stdout
    assert "ok:" not in result.stdout
    strict = run_cli(book, "validate", "plan.yaml", "--accounts", "accounts.csv", "--strict")
    assert strict.returncode == 3 and "1 account unassigned" in strict.stdout
    (book / "placed.csv").write_text(ACCOUNTS.replace("A07,Eta,TX", "A07,Eta,NY"))
    placed = ok(run_cli(book, "validate", "plan.yaml", "--accounts", "placed.csv", "--strict"))
    assert "ok: 7 territories" in placed.stdout
    assert "ok: 7 territories" in ok(run_cli(book, "validate", "plan.yaml", "--strict")).stdout


# ---- explain ---------------------------------------------------------------------------


def explain(folder: Path, account: str, accounts: str = "accounts.csv") -> list[str]:
    result = ok(run_cli(folder, "explain", "plan.yaml", "--accounts", accounts, "--account", account))
    return [line.strip() for line in result.stdout.splitlines()]


def test_explain_shows_true_false_unknown_and_the_resolution(book: Path) -> None:
    lines = explain(book, "A02")
    assert "Account A02" in lines
    for expected in [
        "named: strategic = TRUE → FALSE",
        "strategic = TRUE is FALSE (strategic = FALSE)",
        "east: state IN ('NY', 'NJ', 'MA') → TRUE",
        "east-ent: employees >= 1000 → FALSE",
        "employees >= 1000 is FALSE (employees = 250)",
        "east-smb: employees < 1000 → TRUE",
        "east-retail: industry = 'Retail' → UNKNOWN",
        "industry = 'Retail' is UNKNOWN (industry is empty)",
        "healthcare: industry = 'Healthcare' → UNKNOWN",
        "primary: east-smb wins. Rep: rep_smb.",
        "overlay: no territory matched.",
    ]:
        assert expected in lines, f"{expected!r} not in:\n" + "\n".join(lines)
    assert lines.index("Resolution") > lines.index("healthcare: industry = 'Healthcare' → UNKNOWN")


def test_explain_a_tie(book: Path) -> None:
    resolution = [line for line in explain(book, "A03") if line.startswith("primary:")]
    assert len(resolution) == 1
    assert resolution[0].startswith("primary: east-smb wins over east-retail on plan order, as a tie")
    assert resolution[0].endswith("Rep: rep_smb.")


def test_explain_a_named_account_winning_on_priority(book: Path) -> None:
    lines = explain(book, "A04")
    assert "named: strategic = TRUE → TRUE" in lines
    assert (
        "primary: named wins over east-ent, east-retail on higher priority (10 over 0). Rep: rep_named."
        in lines
    )


def test_explain_an_unassigned_account(book: Path) -> None:
    lines = explain(book, "A07")
    assert "east: state IN ('NY', 'NJ', 'MA') → FALSE" in lines
    assert "state IN ('NY', 'NJ', 'MA') is FALSE (state = 'TX')" in lines
    assert "primary: no territory matched." in lines
    assert not any(line.startswith("east-ent:") for line in lines), (
        "children of a FALSE parent are not visited"
    )


def test_explain_a_pool_with_its_owner(book: Path) -> None:
    assert "primary: east-ent wins. Rep: rep_e2." in explain(book, "A01")


def test_explain_with_reps_agrees_with_assign_on_a_vacant_territory(book: Path, tmp_path: Path) -> None:
    """rep_w is inactive: `assign --reps` leaves west vacant, and explain says so, from files or from
    the workspace (`--plan ID`)."""
    assert "primary: west wins. Rep: rep_w." in explain(book, "A06")
    args = ["explain", "plan.yaml", "--accounts", "accounts.csv", "--reps", "reps.csv", "--account", "A06"]
    from_files = ok(run_cli(book, *args))
    assert "primary: west wins. Rep: none (vacant)." in from_files.stdout
    assert "inactive reps get no accounts here: rep_w" in from_files.stderr
    url = f"sqlite:///{tmp_path / 'ws.db'}"
    for step in (["init"], ["import", "accounts", "accounts.csv"], ["import", "reps", "reps.csv"]):
        ok(run_cli(book, "--database-url", url, *step))
    ok(run_cli(book, "--database-url", url, "plan", "add", "plan.yaml"))
    stored = ok(run_cli(book, "--database-url", url, "explain", "--plan", "1", "--account", "A06"))
    assert "primary: west wins. Rep: none (vacant)." in stored.stdout
    both = run_cli(book, "--database-url", url, "explain", "plan.yaml", "--plan", "1", "--account", "A06")
    assert both.returncode == 2 and "give the plan once" in both.stderr


# ---- Parquet accounts ------------------------------------------------------------------


@pytest.fixture(scope="module")
def parquet_book(book: Path) -> Path:
    pl.DataFrame(
        {
            "account_id": ["P1", "P2", "P3"],
            "state": ["NY", "ny", "CA"],
            "employees": [float("nan"), 5000.0, 10.0],
            "industry": [None, "HEALTHCARE", "Retail"],
            "strategic": [False, None, True],
        }
    ).write_parquet(book / "accounts.parquet")
    return book


def test_assign_parquet_accounts_nan_is_null(parquet_book: Path) -> None:
    result = ok(run_cli(parquet_book, "assign", "plan.yaml", "--accounts", "accounts.parquet"))
    got = [tuple(r[c] for c in REQUIRED_COLUMNS[:-1]) for r in rows_of(result.stdout)]
    assert got == [
        # NaN employees is NULL: neither `>= 1000` nor `< 1000` holds, so the account stays in east.
        ("P1", "primary", "east", "", "", "false"),
        ("P2", "primary", "east-ent", "rep_e1", "", "false"),
        ("P2", "overlay", "healthcare", "rep_hc", "", "false"),
        ("P3", "primary", "named", "rep_named", "west", "false"),
    ]


def test_explain_parquet_accounts_nan_is_empty(parquet_book: Path) -> None:
    lines = explain(parquet_book, "P1", accounts="accounts.parquet")
    assert "employees >= 1000 is UNKNOWN (employees is empty)" in lines
    assert "employees < 1000 is UNKNOWN (employees is empty)" in lines
    assert any(line.startswith("primary: east wins.") for line in lines)


def test_explain_shows_values_with_brackets_as_written(tmp_path: Path) -> None:
    # CRM placeholders such as [n/a] are data, not terminal markup.
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    (tmp_path / "accounts.csv").write_text(
        "account_id,state,employees,industry,strategic\nM1,[n/a],5,[/n/a],false\n", encoding="utf-8"
    )
    lines = explain(tmp_path, "M1")
    assert "state IN ('NY', 'NJ', 'MA') is FALSE (state = '[n/a]')" in lines
    assert "industry = 'Healthcare' is FALSE (industry = '[/n/a]')" in lines


def test_the_plan_is_plan_or_plan_id_or_file_on_every_command(book: Path) -> None:
    """#18 slice 4: --plan ID|FILE everywhere; with --accounts a file run (nothing stored), without
    it the workspace's accounts and a stored run (a plan file stored first)."""
    url = f"sqlite:///{book / 'one_way.db'}"
    for step in (["init"], ["import", "accounts", "accounts.csv"]):
        ok(run_cli(book, "--database-url", url, *step))
    by_file = ok(run_cli(book, "assign", "--plan", "plan.yaml", "--accounts", "accounts.csv"))
    positional = ok(run_cli(book, "assign", "plan.yaml", "--accounts", "accounts.csv"))
    assert by_file.stdout == positional.stdout
    stored_run = ok(run_cli(book, "--database-url", url, "assign", "--plan", "plan.yaml"))
    assert "stored the plan as plan 1" in stored_run.stderr
    assert stored_run.stdout.strip() == "1"  # the run's id
    by_id = ok(run_cli(book, "--database-url", url, "assign", "--plan", "1", "--accounts", "accounts.csv"))
    assert by_id.stdout == positional.stdout  # a stored plan with a file: a file run
    assert ok(run_cli(book, "--database-url", url, "validate", "--plan", "1")).returncode == 0
    checked = run_cli(book, "validate", "--plan", "plan.yaml", "--accounts", "accounts.csv")
    assert checked.returncode == 0, checked.stderr
    neither = run_cli(book, "assign", "--accounts", "accounts.csv")
    assert neither.returncode == 2 and "give a plan" in neither.stderr
