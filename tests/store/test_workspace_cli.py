"""The workspace through the real CLI, on real SQLite and real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
from sqlalchemy import create_engine, text

from conftest import run_cli

ACCOUNTS = """\
account_id,name,country,state,postal_code,employees,region
A1,Acme,United States,New York,2134,"1,200",East
A2,Beta,USA,california,94105-1234,50,West
A3,Gamma,US,TX,75001,$300,
"""

PLAN = """\
name: Workspace plan
territories:
  - id: EAST
    rule: region = 'East'
    reps: [r1]
  - id: BIG
    rule: employees >= 1000
    reps: [r2]
  - id: REST
    priority: -1
"""


def ws(url: str, folder: Path, *args: object) -> subprocess.CompletedProcess[str]:
    return run_cli(folder, "--database-url", url, *args)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql)).all()]
    finally:
        engine.dispose()


def test_import_normalises_upserts_and_keeps_history(workspace_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(ACCOUNTS)
    ok(ws(workspace_url, tmp_path, "init"))
    first = ok(ws(workspace_url, tmp_path, "import", "accounts", "a.csv"))
    assert "3 new" in first.stderr
    rows = query(
        workspace_url, "SELECT account_id, country, state, postal_code, employees FROM accounts ORDER BY 1"
    )
    assert rows == [
        ("A1", "US", "NY", "02134", 1200.0),
        ("A2", "US", "CA", "94105", 50.0),
        ("A3", "US", "TX", "75001", 300.0),
    ]
    again = ok(ws(workspace_url, tmp_path, "import", "accounts", "a.csv"))
    assert "0 new, 0 changed, 3 unchanged" in again.stderr
    (tmp_path / "b.csv").write_text(ACCOUNTS.replace("50,West", "75,West").replace("Gamma", "Gamma Inc"))
    ok(ws(workspace_url, tmp_path, "import", "accounts", "b.csv"))
    history = query(
        workspace_url,
        "SELECT record_id, field, old_value, new_value FROM history WHERE import_id = 3 ORDER BY 1, 2",
    )
    assert history == [("A2", "employees", "50", "75"), ("A3", "name", "Gamma", "Gamma Inc")]
    assert query(workspace_url, "SELECT count(*) FROM history WHERE import_id = 2") == [(0,)]


def test_full_sync_marks_missing_accounts_inactive_and_nothing_is_deleted(
    workspace_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(ACCOUNTS)
    (tmp_path / "b.csv").write_text("\n".join(ACCOUNTS.splitlines()[:2]) + "\n")
    ok(ws(workspace_url, tmp_path, "init"))
    ok(ws(workspace_url, tmp_path, "import", "accounts", "a.csv"))
    synced = ok(ws(workspace_url, tmp_path, "import", "accounts", "b.csv", "--full-sync"))
    assert "2 marked inactive" in synced.stderr
    assert query(workspace_url, "SELECT account_id, active FROM accounts ORDER BY 1") == [
        ("A1", True),
        ("A2", False),
        ("A3", False),
    ]
    ok(ws(workspace_url, tmp_path, "import", "accounts", "a.csv"))  # coming back reactivates
    assert query(workspace_url, "SELECT count(*) FROM accounts WHERE active") == [(3,)]


def test_bad_rows_stop_the_import_or_go_to_the_rejects_file(workspace_url: str, tmp_path: Path) -> None:
    bad = ACCOUNTS + "A4,Delta,US,NY,10001,lots,East\nA1,Dup,US,NY,10001,5,East\n"
    (tmp_path / "bad.csv").write_text(bad)
    ok(ws(workspace_url, tmp_path, "init"))
    refused = ws(workspace_url, tmp_path, "import", "accounts", "bad.csv")
    assert refused.returncode == 2
    assert "bad.csv:5" in refused.stderr and "employees" in refused.stderr and "'lots'" in refused.stderr
    assert "bad.csv:6" in refused.stderr and "line 2" in refused.stderr
    assert query(workspace_url, "SELECT count(*) FROM accounts") == [(0,)]
    skipped = ok(ws(workspace_url, tmp_path, "import", "accounts", "bad.csv", "--skip-invalid"))
    assert "2 rejected" in skipped.stderr
    rejects = pl.read_csv(tmp_path / "bad.rejects.csv", infer_schema=False)
    assert rejects.get_column("account_id").to_list() == ["A4", "A1"]
    assert "expected a number" in rejects.get_column("reason")[0]
    assert query(workspace_url, "SELECT count(*) FROM accounts") == [(3,)]


def test_db_backed_assignment_uses_custom_fields_and_exports_match_file_runs(
    workspace_url: str, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text(ACCOUNTS)
    (tmp_path / "plan.yaml").write_text(PLAN)
    ok(ws(workspace_url, tmp_path, "init"))
    ok(ws(workspace_url, tmp_path, "import", "accounts", "a.csv"))
    plan_id = ok(ws(workspace_url, tmp_path, "plan", "add", "plan.yaml")).stdout.strip()
    both = ws(workspace_url, tmp_path, "assign", "plan.yaml", "--accounts", "a.csv", "--plan", plan_id)
    assert both.returncode == 2 and "give the plan once" in both.stderr
    run_id = ok(ws(workspace_url, tmp_path, "assign", "--plan", plan_id)).stdout.strip()
    ok(
        ws(
            workspace_url,
            tmp_path,
            "export",
            "assignments",
            "--run",
            run_id,
            "--format",
            "csv",
            "--out",
            "out",
        )
    )
    stored = pl.read_csv(tmp_path / "out" / "assignments.csv", infer_schema=False)
    assert stored.select("account_id", "territory_id", "rep_id").rows() == [
        ("A1", "EAST", "r1"),  # East by a custom field; BIG also matched
        ("A2", "REST", None),
        ("A3", "REST", None),
    ]
    missing = ws(workspace_url, tmp_path, "export", "assignments", "--run", "999", "--out", "x")
    assert missing.returncode == 2 and "no assignment run with id 999" in missing.stderr


def test_two_imports_at_once_lose_and_duplicate_nothing(workspace_url: str, tmp_path: Path) -> None:
    left = "account_id,name\n" + "".join(f"L{i},left {i}\n" for i in range(3000))
    right = "account_id,name\n" + "".join(f"R{i},right {i}\n" for i in range(3000))
    (tmp_path / "l.csv").write_text(left)
    (tmp_path / "r.csv").write_text(right)
    ok(ws(workspace_url, tmp_path, "init"))
    command = [
        sys.executable,
        "-m",
        "territorial.cli.main",
        "--database-url",
        workspace_url,
        "import",
        "accounts",
    ]
    runs = [
        subprocess.Popen(
            [*command, name], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name in ("l.csv", "r.csv")
    ]
    for process in runs:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert query(workspace_url, "SELECT count(*), count(DISTINCT account_id) FROM accounts") == [(6000, 6000)]
    assert query(workspace_url, "SELECT count(*) FROM history WHERE field = '(created)'") == [(6000,)]


def test_workspace_commands_need_a_workspace(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--database-url", f"sqlite:///{tmp_path / 'none.db'}", "plan", "list")
    assert result.returncode == 2 and "territorial init" in result.stderr
