"""Lead routing end to end through the real CLI, on a real SQLite and a real PostgreSQL workspace."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, text

from conftest import run_cli

ACCOUNTS = """\
account_id,name,website,industry,employees,state,country,owner_id
A-1,Acme Corporation,acme.com,Manufacturing,5000,CA,US,jane
A-2,Globex Inc.,globex.com,Healthcare,800,NY,US,
A-3,Initech LLC,initech.com,Software,200,TX,US,ghost
"""

REPS = """\
rep_id,name,email,active,lead_weight,daily_lead_cap,monthly_lead_cap,skills,manager_id
jane,Jane,jane@x.com,true,1,,,industry:manufacturing,max
bob,Bob,bob@x.com,true,2,,,,max
cy,Cy,cy@x.com,true,1,1,,,max
dee,Dee,dee@x.com,true,1,,,Industry:Healthcare,max
max,Max,max@x.com,true,1,,,,
ghost,Ghost,g@x.com,false,1,,,,
"""

PLAN = """\
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

LEADS = """\
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
L-10,Ivy,ivy@initech.com,Initech,TX,US,,2026-03-05
L-11,Jo,jo@hooli.com,Hooli,CA,US,,2026-03-02
"""

EXPECTED = {
    # lead: (decision, rep, territory, matched account)
    "L-1": ("matched", "jane", None, "A-1"),
    # Same-day leads go in lead_id order (L-11 before L-2); all pointers 0: the first rep listed wins.
    "L-11": ("routed", "jane", "WEST", None),
    "L-2": ("routed", "bob", "WEST", None),
    "L-3": ("routed", "cy", "WEST", None),
    "L-4": ("routed", "bob", "WEST", None),  # bob's weight 2: his pointer is only 0.5
    "L-5": ("routed", "dee", "EAST", "A-2"),  # Globex has no owner: routed by the account's fields
    "L-6": ("fallback", None, "EAST", None),  # nobody in EAST covers retail; EAST has no manager
    "L-7": ("fallback", None, "SOUTH", None),  # SOUTH has no reps
    "L-8": ("fallback", None, None, None),  # no territory matches
    "L-9": ("duplicate", "jane", None, "A-1"),
    "L-10": ("fallback", None, "SOUTH", "A-3"),  # the owner is inactive
}


def ws(url: str, folder: Path, *args: object) -> subprocess.CompletedProcess[str]:
    return run_cli(folder, "--database-url", url, *args)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def workspace(url: str, folder: Path) -> None:
    for name, content in (
        ("accounts.csv", ACCOUNTS),
        ("reps.csv", REPS),
        ("plan.yaml", PLAN),
        ("leads.csv", LEADS),
    ):
        (folder / name).write_text(content)
    ok(ws(url, folder, "init"))
    ok(ws(url, folder, "import", "accounts", "accounts.csv"))
    ok(ws(url, folder, "import", "reps", "reps.csv"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ready SQLite workspace, built once; tests that only need to fail copy it."""
    folder = tmp_path_factory.mktemp("route-template")
    workspace(f"sqlite:///{folder / 'ws.db'}", folder)
    return folder


@pytest.fixture
def sqlite_workspace(template: Path, tmp_path: Path) -> str:
    for item in template.iterdir():
        shutil.copy(item, tmp_path / item.name)
    return f"sqlite:///{tmp_path / 'ws.db'}"


def decisions(path: Path) -> dict[str, tuple[object, ...]]:
    frame = pl.read_csv(path, infer_schema=False)
    return {
        row["lead_id"]: (row["decision"], row["rep_id"], row["territory_id"], row["matched_account_id"])
        for row in frame.iter_rows(named=True)
    }


def test_routing_a_batch_stores_every_decision_and_explains_it(workspace_url: str, tmp_path: Path) -> None:
    workspace(workspace_url, tmp_path)
    result = ok(ws(workspace_url, tmp_path, "route", "leads.csv", "--plan", "plan.yaml", "--out", "out.csv"))
    assert decisions(tmp_path / "out.csv") == EXPECTED
    header = (tmp_path / "out.csv").read_text().splitlines()[0]
    assert header.startswith("lead_id,decision,rep_id,territory_id,matched_account_id,score,reason")
    assert "stored as routing run 1" in result.stderr

    explained = ok(ws(workspace_url, tmp_path, "route", "explain", "L-6"))
    for expected in ("fallback", "lacks skill industry:retail", "queue sdr-queue", "duplicate check"):
        assert expected in explained.stdout
    missing = ws(workspace_url, tmp_path, "route", "explain", "NOPE")
    assert missing.returncode == 2 and "no routing decision is stored for lead 'NOPE'" in missing.stderr

    engine = create_engine(workspace_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM routing_decisions")).scalar_one()
            pools = connection.execute(text("SELECT territory_id FROM routing_pools ORDER BY 1")).all()
    finally:
        engine.dispose()
    assert stored == len(EXPECTED)
    assert [p[0] for p in pools] == ["EAST", "WEST"]


def test_a_second_batch_carries_on_the_pools_and_the_duplicate_window(
    workspace_url: str, tmp_path: Path
) -> None:
    workspace(workspace_url, tmp_path)
    ok(ws(workspace_url, tmp_path, "route", "leads.csv", "--plan", "plan.yaml", "--out", "first.csv"))
    (tmp_path / "more.csv").write_text(
        "lead_id,email,company,state,created\n"
        "M-1,new@one.com,One,CA,2026-03-06\n"
        "M-2,cat@hooli.com,Hooli,WA,2026-03-20\n"
        "M-3,other@two.com,Two,CA,2026-03-06\n"
    )
    ok(ws(workspace_url, tmp_path, "plan", "add", "plan.yaml"))
    ok(ws(workspace_url, tmp_path, "route", "more.csv", "--plan", "1", "--out", "second.csv"))
    second = decisions(tmp_path / "second.csv")
    # WEST pointers after batch one: jane 1, bob 1, cy 1 -> jane, then bob (listed before cy).
    assert second["M-1"] == ("routed", "jane", "WEST", None)
    assert second["M-3"] == ("routed", "bob", "WEST", None)
    assert second["M-2"][:2] == ("duplicate", "cy")  # cat@hooli.com went to cy 18 days earlier

    report = ok(ws(workspace_url, tmp_path, "route", "fairness", "--from", "2026-03-01", "--out", "fair.csv"))
    assert "Round-robin fairness" in report.stdout
    fair = pl.read_csv(tmp_path / "fair.csv").filter(pl.col("territory_id") == "WEST")
    assert dict(zip(fair["rep_id"], fair["leads"], strict=True)) == {"bob": 3, "cy": 1, "jane": 2}
    assert dict(zip(fair["rep_id"], fair["weight_share"], strict=True)) == {
        "bob": 0.5,
        "cy": 0.25,
        "jane": 0.25,
    }


def test_reps_file_and_availability_override_the_workspace(workspace_url: str, tmp_path: Path) -> None:
    workspace(workspace_url, tmp_path)
    (tmp_path / "away.csv").write_text(
        "rep_id,start,end\njane,2026-03-01,2026-03-31\nbob,2026-03-01,2026-03-02\n"
    )
    ok(
        ws(
            workspace_url,
            tmp_path,
            "route",
            "leads.csv",
            "--plan",
            "plan.yaml",
            "--reps",
            "reps.csv",
            "--availability",
            "away.csv",
            "--out",
            "out.csv",
        )
    )
    got = decisions(tmp_path / "out.csv")
    # jane is away all month: her account's lead goes to the WEST pool, where only cy is at work
    # on March 2 (capped at one lead a day); then the manager takes the rest.
    assert got["L-1"] == ("routed", "cy", "WEST", "A-1")
    assert [got[lead][:2] for lead in ("L-11", "L-2", "L-3", "L-4")] == [("fallback", "max")] * 4


@pytest.mark.parametrize(
    ("leads", "message"),
    [
        ("lead_id\nL-1\n", "a lead has no fields besides lead_id"),
        ("lead_id,state\n", "the leads file has no rows"),
        ("id,state\nL-1,CA\n", "the required column lead_id is missing"),
        ("lead_id,state,created\nL-1,CA,yesterday\n", "leads.csv"),
    ],
)
def test_bad_leads_files_are_refused_and_nothing_is_stored(
    sqlite_workspace: str, tmp_path: Path, leads: str, message: str
) -> None:
    url = sqlite_workspace
    (tmp_path / "leads.csv").write_text(leads)
    result = ws(url, tmp_path, "route", "leads.csv", "--plan", "plan.yaml", "--out", "out.csv")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert not (tmp_path / "out.csv").exists()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM routing_decisions")).scalar_one() == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("plan_extra", "files", "message"),
    [
        ("  fit_model: missing.model\n", {}, "plan.yaml:3 [routing.fit_model]: file not found"),
        ("  fit_model: broken.model\n", {"broken.model": "not a model"}, "broken.model"),
        ("  fit_threshold: 200\n", {}, "fit_threshold: expected a whole number from 0 to 100"),
        ("  fit_treshold: 20\n", {}, "did you mean 'fit_threshold'"),
        ('  customer: "stage = "\n', {}, "[routing.customer]: bad rule"),
        (
            "  cap_counts: everything\n",
            {},
            "cap_counts: expected one of 'round_robin', 'all', got 'everything'",
        ),
    ],
)
def test_bad_routing_settings_are_refused(
    sqlite_workspace: str, tmp_path: Path, plan_extra: str, files: dict[str, str], message: str
) -> None:
    url = sqlite_workspace
    (tmp_path / "plan.yaml").write_text(PLAN.replace("routing:\n", "routing:\n" + plan_extra))
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    result = ws(url, tmp_path, "route", "leads.csv", "--plan", "plan.yaml")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("away.csv", "rep_id,start\njane,2026-03-01\n", "missing the column end"),
        ("away.csv", "rep_id,start,end\njane,2026-03-09,2026-03-01\n", "away.csv:2 [end]: time off ends"),
        ("away.csv", "rep_id,start,end\nnobody,2026-03-01,2026-03-02\n", "unknown rep 'nobody'"),
    ],
)
def test_bad_availability_is_refused(
    sqlite_workspace: str, tmp_path: Path, name: str, content: str, message: str
) -> None:
    url = sqlite_workspace
    (tmp_path / name).write_text(content)
    result = ws(url, tmp_path, "route", "leads.csv", "--plan", "plan.yaml", "--availability", name)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_bad_lead_weights_in_the_reps_file_are_refused(sqlite_workspace: str, tmp_path: Path) -> None:
    url = sqlite_workspace
    (tmp_path / "bad_reps.csv").write_text(
        REPS.replace("bob,Bob,bob@x.com,true,2", "bob,Bob,bob@x.com,true,0")
    )
    result = ws(url, tmp_path, "route", "leads.csv", "--plan", "plan.yaml", "--reps", "bad_reps.csv")
    assert result.returncode == 2
    assert "bad_reps.csv:3" in result.stderr and "lead_weight" in result.stderr


def test_an_unwritable_output_is_refused_before_anything_is_stored(
    sqlite_workspace: str, tmp_path: Path
) -> None:
    (tmp_path / "folder").mkdir()
    result = ws(sqlite_workspace, tmp_path, "route", "leads.csv", "--plan", "plan.yaml", "--out", "folder")
    assert result.returncode == 2 and "this is a folder" in result.stderr
    engine = create_engine(sqlite_workspace)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM routing_runs")).scalar_one() == 0
    finally:
        engine.dispose()


def test_fairness_from_later_than_to_is_refused(tmp_path: Path) -> None:
    # It printed an empty table (exit 0), as if no lead had been routed.
    url = f"sqlite:///{tmp_path / 'territorial.db'}"
    ok(ws(url, tmp_path, "init"))
    result = ws(url, tmp_path, "route", "fairness", "--from", "2026-03-31", "--to", "2026-03-01")
    assert result.returncode == 2, result.stderr
    assert "--from: --from 2026-03-31 is later than --to 2026-03-01" in result.stderr


def test_routing_from_the_workspace_takes_the_imported_leads_not_yet_routed(
    sqlite_workspace: str, tmp_path: Path
) -> None:
    """Imported leads route as the same file would; a lead is routed once, and --since picks the
    newer ones."""
    ok(ws(sqlite_workspace, tmp_path, "import", "leads", "leads.csv"))
    first = ok(
        ws(sqlite_workspace, tmp_path, "route", "--workspace", "--plan", "plan.yaml", "--out", "a.csv")
    )
    assert decisions(tmp_path / "a.csv") == EXPECTED and "stored as routing run 1" in first.stderr
    # A plan file is stored first, as `assign` stores one, so that the run names its plan.
    assert "stored the plan as plan 1" in first.stderr
    assert "Lead plan" in ok(ws(sqlite_workspace, tmp_path, "plan", "list")).stdout
    engine = create_engine(sqlite_workspace)
    try:
        with engine.connect() as connection:
            runs = connection.execute(text("SELECT plan_id, plan_name FROM routing_runs")).all()
    finally:
        engine.dispose()
    assert [tuple(run) for run in runs] == [(1, "Lead plan")]
    again = ok(
        ws(sqlite_workspace, tmp_path, "route", "--workspace", "--plan", "plan.yaml", "--out", "b.csv")
    )
    assert "no imported leads are waiting to be routed" in again.stderr and not (tmp_path / "b.csv").exists()
    (tmp_path / "more.csv").write_text(
        "lead_id,email,company,state,created\n"
        "N-1,old@one.com,One,CA,2026-02-01\n"
        "N-2,new@two.com,Two,NY,2026-03-20\n"
    )
    ok(ws(sqlite_workspace, tmp_path, "import", "leads", "more.csv"))
    args = ["route", "--workspace", "--since", "2026-03-15", "--plan", "plan.yaml", "--out", "c.csv"]
    ok(ws(sqlite_workspace, tmp_path, *args))
    assert list(decisions(tmp_path / "c.csv")) == ["N-2"]  # N-1 is older: it waits
    both = ws(sqlite_workspace, tmp_path, "route", "leads.csv", "--workspace", "--plan", "plan.yaml")
    assert both.returncode == 2 and "either a LEADS file or --workspace" in both.stderr
    alone = ws(
        sqlite_workspace, tmp_path, "route", "leads.csv", "--since", "2026-03-01", "--plan", "plan.yaml"
    )
    assert alone.returncode == 2 and "--since" in alone.stderr


def test_routing_a_file_again_routes_only_its_new_leads_and_undo_takes_a_run_back(
    sqlite_workspace: str, tmp_path: Path
) -> None:
    """Idempotent by lead id: leads routed before keep their decision; a dry run stores nothing;
    --reroute routes again on purpose; `route undo` puts the pools back, newest run first."""

    def stored() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        engine = create_engine(sqlite_workspace)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT route_run_id, lead_id, rep_id FROM routing_decisions ORDER BY 1, 2")
                ).all()
                pools = connection.execute(
                    text("SELECT territory_id, state FROM routing_pools ORDER BY 1")
                ).all()
        finally:
            engine.dispose()
        return [tuple(r) for r in rows], [tuple(p) for p in pools]

    def route(*args: str) -> subprocess.CompletedProcess[str]:
        return ok(ws(sqlite_workspace, tmp_path, "route", *args, "--plan", "plan.yaml"))

    route("leads.csv", "--out", "a.csv")
    after_first = stored()
    (tmp_path / "more.csv").write_text(LEADS + "L-12,Kim,kim@new.com,New,CA,US,,2026-03-06\n")

    dry = route("more.csv", "--dry-run", "--out", "dry.csv")
    assert "dry run: nothing was stored" in dry.stderr and stored() == after_first
    assert decisions(tmp_path / "dry.csv")["L-12"] == ("routed", "jane", "WEST", None)

    again = route("more.csv", "--out", "b.csv")
    assert "stored as routing run 2" in again.stderr
    b = pl.read_csv(tmp_path / "b.csv", infer_schema=False)
    assert {k: v for k, v in decisions(tmp_path / "b.csv").items() if k != "L-12"} == EXPECTED
    kept = b.filter(pl.col("lead_id") != "L-12")["reason"].to_list()
    assert all(reason.startswith("already routed in run 1: ") for reason in kept)
    rows, _pools = stored()
    assert [r for r in rows if r[0] == 2] == [(2, "L-12", "jane")]  # only the new lead was stored
    assert "every lead was already routed" in route("more.csv").stderr

    rerouted = route("leads.csv", "--reroute", "--out", "c.csv")
    assert "stored as routing run 3" in rerouted.stderr
    reasons = pl.read_csv(tmp_path / "c.csv", infer_schema=False)["reason"].to_list()
    assert all(reason.startswith("rerouted on purpose (was ") for reason in reasons)

    refused = ws(sqlite_workspace, tmp_path, "route", "undo", "2")
    assert refused.returncode == 2 and "later runs (3) moved one of its pools" in refused.stderr
    assert (
        "undid routing run 3 (11 decisions" in ok(ws(sqlite_workspace, tmp_path, "route", "undo", "3")).stdout
    )
    ok(ws(sqlite_workspace, tmp_path, "route", "undo", "2"))
    assert stored() == after_first
    twice = ws(sqlite_workspace, tmp_path, "route", "undo", "2")
    assert twice.returncode == 2 and "already undone" in twice.stderr
    missing = ws(sqlite_workspace, tmp_path, "route", "undo", "9")
    assert missing.returncode == 2 and "there is no routing run 9" in missing.stderr


def test_decisions_are_exported_as_a_hubspot_contact_owner_update(
    sqlite_workspace: str, tmp_path: Path
) -> None:
    ok(ws(sqlite_workspace, tmp_path, "route", "leads.csv", "--plan", "plan.yaml"))
    result = ok(
        ws(
            sqlite_workspace,
            tmp_path,
            "export",
            "decisions",
            "--run",
            "1",
            "--format",
            "hubspot",
            "--out-dir",
            "hs",
        )
    )
    owners = pl.read_csv(tmp_path / "hs" / "ContactOwnerUpdate.csv", infer_schema=False)
    assert owners.columns == ["Record ID", "Contact owner"]
    expected = {lead: f"{rep}@x.com" for lead, (_d, rep, _t, _a) in EXPECTED.items() if rep is not None}
    assert dict(owners.iter_rows()) == expected
    assert "left out: 4 in nurture or a queue (no owner)" in result.stderr
    both = ws(sqlite_workspace, tmp_path, "export", "decisions", "--run", "1", "--since", "2026-03-01")
    assert both.returncode == 2 and "either --run ID or --since DAY" in both.stderr


CRM = Path(__file__).resolve().parents[1] / "data" / "crm"


@pytest.mark.parametrize(
    ("export", "mapping", "said"),
    [
        ("sf_users_crm.csv", "salesforce", "start with 005, Salesforce's User ids"),
        ("sf_accounts_fortune1000.csv", "salesforce", "start with 001, Salesforce's Account ids"),
        ("hubspot_companies_inc5000.csv", "hubspot", "a HubSpot export of accounts, not of leads"),
        ("hubspot_deals_crm.csv", "hubspot", "a HubSpot export of opportunities, not of leads"),
    ],
)
def test_another_objects_export_is_not_routed_as_leads(
    tmp_path: Path, export: str, mapping: str, said: str
) -> None:
    (tmp_path / "plan.yaml").write_text(PLAN)
    db = ["--database-url", f"sqlite:///{tmp_path / 'ws.db'}"]
    assert run_cli(tmp_path, *db, "init").returncode == 0
    result = run_cli(tmp_path, *db, "route", str(CRM / export), "--plan", "plan.yaml", "--mapping", mapping)
    assert result.returncode == 2, result.stderr
    assert said in result.stderr and "route takes a leads export" in result.stderr
    assert f"{export}:1" in result.stderr
