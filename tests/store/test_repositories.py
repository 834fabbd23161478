"""The repository contract: what services may rely on, pinned on the in-memory fake, on real SQLite
and on real PostgreSQL alike. The fake implements only what is pinned here."""

from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from territorial.domain.entities import Entity
from territorial.domain.quotas import SavedQuota
from territorial.domain.stored import ImportCounts, PlanFile, StoredRunInfo
from territorial.services.unit_of_work import WorkspaceStore
from territorial.store.workspace import Workspace

NOW = datetime(2026, 3, 2, 9, 30)

REPS = pl.DataFrame(
    {
        "rep_id": ["r1", "r2", "r3"],
        "name": ["Ann", None, "Cé O'Neil, Jr."],
        "capacity": [1.0, 0.5, None],
        "start_date": [date(2024, 1, 31), None, date(1999, 12, 1)],
        "active": [True, False, True],
    }
)
REP_TYPES = {
    "rep_id": pl.String(),
    "name": pl.String(),
    "capacity": pl.Float64(),
    "start_date": pl.Date(),
    "active": pl.Boolean(),
}


def by_id(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    return frame.sort(key)


# ---- units of work ------------------------------------------------------------------------------


def test_a_reading_unit_of_work_refuses_to_write(store: WorkspaceStore) -> None:
    with store.unit_of_work() as uow, pytest.raises(RuntimeError, match="only reads"):
        uow.plans.add("P", "p.yaml", "name: P\n", NOW)


def test_a_writer_names_its_lock(store: WorkspaceStore) -> None:
    with pytest.raises(ValueError, match="names its lock"), store.unit_of_work(write=True):
        pass


def test_a_unit_of_work_commits_when_its_block_ends_and_rolls_back_on_error(store: WorkspaceStore) -> None:
    with store.unit_of_work(write=True, lock="plans") as uow:
        kept = uow.plans.add("Kept", "kept.yaml", "name: Kept\n", NOW)
    with pytest.raises(KeyError), store.unit_of_work(write=True, lock="plans") as uow:
        uow.plans.add("Lost", "lost.yaml", "name: Lost\n", NOW)
        uow.records.upsert(Entity.REPS, REPS)
        raise KeyError("stop")
    with store.unit_of_work() as uow:
        assert [p.name for p in uow.plans.list()] == ["Kept"]
        assert uow.plans.get(kept) is not None
        assert uow.records.read(Entity.REPS, REP_TYPES).height == 0


# ---- plans ---------------------------------------------------------------------------------------


def test_plans_are_kept_verbatim_with_increasing_ids(store: WorkspaceStore) -> None:
    source = "name: Tiny\n# a comment kept verbatim\nterritories:\n  - id: ALL\n"
    with store.unit_of_work(write=True, lock="plans") as uow:
        first = uow.plans.add("Tiny", "tiny.yaml", source, NOW)
        second = uow.plans.add("Tiny", "tiny.yaml", source, NOW)
    assert second == first + 1
    with store.unit_of_work() as uow:
        stored = uow.plans.get(first)
        assert stored is not None
        assert (stored.plan_id, stored.name, stored.file_name, stored.source, stored.created_at) == (
            first,
            "Tiny",
            "tiny.yaml",
            source,
            NOW,
        )
        assert [p.plan_id for p in uow.plans.list()] == [first, second]
        assert uow.plans.get(second + 1) is None
        assert uow.plans.get(2**64) is None  # beyond any id a database keeps: not there, not an error


# ---- records -------------------------------------------------------------------------------------


def test_records_round_trip_every_type_and_upsert_keeps_what_it_is_not_given(store: WorkspaceStore) -> None:
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.records.upsert(Entity.REPS, REPS)
    with store.unit_of_work() as uow:
        assert_frame_equal(by_id(uow.records.read(Entity.REPS, REP_TYPES), "rep_id"), REPS)
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.records.upsert(Entity.REPS, pl.DataFrame({"rep_id": ["r2", "r4"], "name": ["Bo", "Di"]}))
    with store.unit_of_work() as uow:
        back = by_id(uow.records.read(Entity.REPS, REP_TYPES), "rep_id")
        active = by_id(uow.records.read(Entity.REPS, {"rep_id": pl.String()}, active_only=True), "rep_id")
    assert back.get_column("name").to_list() == ["Ann", "Bo", "Cé O'Neil, Jr.", "Di"]
    assert back.get_column("capacity").to_list() == [1.0, 0.5, None, None]  # untouched columns kept
    assert back.get_column("active").to_list() == [True, False, True, True]  # new records are active
    assert active.get_column("rep_id").to_list() == ["r1", "r3", "r4"]


def test_account_custom_fields_come_back_as_text_columns_and_are_replaced_whole(
    store: WorkspaceStore,
) -> None:
    accounts = pl.DataFrame(
        {"account_id": ["A1", "A2"], "name": ["Acme", "Beta"], "region": ["East", None], "tier": [1.0, 2.5]}
    )
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.records.upsert(Entity.ACCOUNTS, accounts, ["region", "tier"])
    with store.unit_of_work() as uow:
        back = by_id(
            uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String(), "name": pl.String()}), "account_id"
        )
    assert back.select("account_id", "name", "region", "tier").rows() == [
        ("A1", "Acme", "East", "1"),  # a whole number is kept as 1, not 1.0
        ("A2", "Beta", None, "2.5"),
    ]
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.records.upsert(Entity.ACCOUNTS, pl.DataFrame({"account_id": ["A1"], "tier": ["gold"]}), ["tier"])
    with store.unit_of_work() as uow:
        back = by_id(uow.records.read(Entity.ACCOUNTS, {"account_id": pl.String()}), "account_id")
    assert back.select("account_id", "region", "tier").rows() == [("A1", None, "gold"), ("A2", None, "2.5")]


def test_some_fields_of_some_records_by_id(store: WorkspaceStore) -> None:
    accounts = pl.DataFrame(
        {"account_id": ["A1", "A'2", "A3"], "name": ["Acme", "Beta", "Cé"], "region": ["East", None, "West"]}
    )
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.records.upsert(Entity.ACCOUNTS, accounts, ["region"])
    with store.unit_of_work() as uow:
        types = {"account_id": pl.String(), "name": pl.String()}
        some = uow.records.some_fields(Entity.ACCOUNTS, types, ["region"], True, ids=["A3", "A'2", "A9"])
        none = uow.records.some_fields(Entity.ACCOUNTS, types, ["region"], True, ids=[])
    assert by_id(some, "account_id").rows() == [("A'2", "Beta", None), ("A3", "Cé", "West")]
    assert none.is_empty() and none.columns == ["account_id", "name", "region"]


def test_history_is_kept_per_record_in_order(store: WorkspaceStore) -> None:
    with store.unit_of_work(write=True, lock="import:reps") as uow:
        import_id = uow.imports.start(Entity.REPS, "reps.csv", None, NOW, 2)
        uow.records.add_history(
            pl.DataFrame(
                {
                    "import_id": [import_id] * 3,
                    "entity": ["reps", "reps", "accounts"],
                    "record_id": ["r1", "r1", "r1"],
                    "field": ["(created)", "name", "name"],
                    "old_value": [None, "Ann", "X"],
                    "new_value": [None, "Anne", "Y"],
                    "changed_at": [NOW] * 3,
                    "source_file": ["reps.csv"] * 3,
                }
            )
        )
        uow.records.add_normalizations(
            pl.DataFrame(
                {
                    "import_id": [import_id],
                    "field": ["country"],
                    "old_value": ["USA"],
                    "new_value": ["US"],
                    "rule": ["country"],
                    "rows": [3],
                }
            )
        )
    with store.unit_of_work() as uow:
        history = uow.records.history_of(Entity.REPS, "r1")
        since = uow.records.history_since(import_id)
        after = uow.records.history_since(import_id + 1)
    assert history.rows() == [("(created)", None, None), ("name", "Ann", "Anne")]
    assert since.select("entity", "record_id", "field", "new_value").rows() == [
        ("reps", "r1", "(created)", None),
        ("reps", "r1", "name", "Anne"),
        ("accounts", "r1", "name", "Y"),
    ]
    assert set(since.get_column("import_id")) == {import_id}
    assert after.height == 0


# ---- imports -------------------------------------------------------------------------------------


def test_imports_record_their_counts_and_the_latest_mapping(store: WorkspaceStore) -> None:
    with store.unit_of_work(write=True, lock="import:reps") as uow:
        first = uow.imports.start(Entity.REPS, "Users.csv", "salesforce", NOW, 10)
        uow.imports.finish(first, NOW, ImportCounts(7, 2, 1, 0))
        second = uow.imports.start(Entity.ACCOUNTS, "a.csv", "hubspot", NOW, 1)
    with store.unit_of_work() as uow:
        assert uow.imports.counts(first) == ImportCounts(7, 2, 1, 0)
        assert uow.imports.counts(second) is None  # not finished
        assert uow.imports.latest_mapping(Entity.REPS) == "salesforce"
        assert uow.imports.latest_mapping(Entity.LEADS) is None
        assert uow.imports.entity_of(first) is Entity.REPS
        assert uow.imports.entity_of(second) is None  # not finished
        assert uow.imports.entity_of(99) is None
        assert uow.imports.with_source("a.csv") == second
        assert uow.imports.with_source("b.csv") is None


# ---- assignment runs -----------------------------------------------------------------------------

RESULTS = pl.DataFrame(
    {
        "account_id": ["A2", "A1", "A1"],
        "layer": ["primary", "primary", "overlay"],
        "territory_id": [None, "EAST", "HC"],
        "territory_name": [None, "East", "Healthcare"],
        "rep_id": [None, "r1", None],
        "overlaps": ["", "WEST", ""],
        "tie": [False, True, False],
        "workload": [1.0, 2.5, 2.5],
        "reason_id": [1, 0, 0],
    },
    schema_overrides={"territory_id": pl.String, "territory_name": pl.String, "rep_id": pl.String},
)


def test_a_run_keeps_its_results_with_their_reasons(store: WorkspaceStore) -> None:
    with store.unit_of_work(write=True, lock="plans") as uow:
        plan_id = uow.plans.add("P", "p.yaml", "name: P\n", NOW)
    with store.unit_of_work(write=True, lock="assign") as uow:
        run_id = uow.runs.add(
            plan_id, NOW, 2, 1, 1, ["Matched EAST", "No primary territory matched"], RESULTS
        )
        uow.runs.finish(run_id, NOW)
    with store.unit_of_work() as uow:
        back = uow.runs.results(run_id)
        assert uow.runs.results(run_id + 1) is None
        assert uow.runs.results(2**64) is None
        info = StoredRunInfo(run_id, plan_id, NOW, NOW, accounts=2, unassigned=1, ties=1)
        assert uow.runs.list() == [info] and uow.runs.get(run_id) == info
        assert uow.runs.get(run_id + 1) is None and uow.runs.get(2**64) is None
    assert back is not None
    assert back.sort("account_id", "layer").select(
        "account_id", "layer", "rep_id", "tie", "reason"
    ).rows() == [
        ("A1", "overlay", None, False, "Matched EAST"),
        ("A1", "primary", "r1", True, "Matched EAST"),
        ("A2", "primary", None, False, "No primary territory matched"),
    ]


# ---- the routing audit ---------------------------------------------------------------------------


def decisions(*rows: tuple[Any, ...]) -> list[dict[str, Any]]:
    """lead_id, email, lead_day, rep_id, territory_id, in_pool, score for each decision."""
    return [
        {
            "lead_id": lead,
            "email": email,
            "lead_day": day,
            "decision": "routed" if rep else "fallback",
            "rep_id": rep,
            "territory_id": territory,
            "matched_account_id": None,
            "score": score,
            "relevance": None,
            "product": None,
            "queue": None if rep else "sdr",
            "in_pool": in_pool,
            "reason": f"{lead} went to {rep}",
            "path": json.dumps([{"step": "pool", "inputs": "", "outcome": str(rep)}]),
        }
        for lead, email, day, rep, territory, in_pool, score in rows
    ]


def test_routing_runs_keep_decisions_pools_and_the_duplicate_window(store: WorkspaceStore) -> None:
    first_batch = decisions(
        ("L-1", "ann@x.com", date(2026, 3, 1), "jane", "WEST", True, 80),
        ("L-2", "bob@x.com", date(2026, 3, 2), None, None, False, None),
        ("L-3", "ann@x.com", date(2026, 3, 3), "bob", "WEST", True, None),
    )
    with store.unit_of_work(write=True, lock="route") as uow:
        weights = [("WEST", "jane", 1.0), ("WEST", "bob", 2.5)]
        first = uow.routing.add_run(None, "Lead plan", "leads.csv", NOW, first_batch, weights=weights)
        uow.routing.save_pools({"WEST": {"pointers": {"jane": 1.0, "bob": 0.5}}}, NOW)
        uow.routing.finish_run(first, NOW)
    with store.unit_of_work(write=True, lock="route") as uow:
        second = uow.routing.add_run(None, "Lead plan", "route_lead", NOW, decisions(
            ("L-1", "ann@x.com", date(2026, 3, 9), "cy", "WEST", True, 20)
        ))  # fmt: skip
        uow.routing.save_pools({"EAST": {"pointers": {"dee": 1.0}}}, NOW)
    with store.unit_of_work() as uow:
        assert uow.routing.pools() == {
            "WEST": {"pointers": {"jane": 1.0, "bob": 0.5}},
            "EAST": {"pointers": {"dee": 1.0}},
        }
        earlier = uow.routing.earlier_leads(["ann@x.com", "bob@x.com", "zed@x.com"], date(2026, 3, 2))
        assert {e: (x.lead_id, x.day, x.rep_id) for e, x in earlier.items()} == {
            "ann@x.com": ("L-1", date(2026, 3, 9), "cy")  # the latest that reached a rep
        }
        path = uow.routing.decisions_for("L-1")
        assert [(d.route_run_id, d.rep_id, d.source) for d in path] == [
            (first, "jane", "leads.csv"),
            (second, "cy", "route_lead"),
        ]
        assert path[0].path == [{"step": "pool", "inputs": "", "outcome": "jane"}]
        assert uow.routing.decisions_for("L-404") == []
        assert uow.routing.routed_among(["L-1", "L-3", "L-404", "L-1"]) == {"L-1", "L-3"}
        march = uow.routing.pooled_leads(date(2026, 3, 1), date(2026, 3, 3))
        assert sorted(march.rows()) == [(first, "WEST", "bob", None), (first, "WEST", "jane", 80)]
        assert uow.routing.pooled_leads(None, None, route_run_id=second).rows() == [
            (second, "WEST", "cy", 20)
        ]
        # Each run keeps its pools' weights; a run stored without them has none.
        assert sorted(uow.routing.pool_weights(date(2026, 3, 1), date(2026, 3, 3)).rows()) == [
            (first, "WEST", "bob", 2.5),
            (first, "WEST", "jane", 1.0),
        ]
        assert uow.routing.pool_weights(None, None, route_run_id=second).is_empty()


def test_a_routing_run_is_undone_with_its_pools_put_back_and_later_runs_named(store: WorkspaceStore) -> None:
    west = {"pointers": {"jane": 1.0}}
    with store.unit_of_work(write=True, lock="route") as uow:
        first = uow.routing.add_run(None, "Lead plan", "a.csv", NOW, decisions(
            ("L-1", "ann@x.com", date(2026, 3, 1), "jane", "WEST", True, None)
        ))  # fmt: skip
        uow.routing.save_pools({"WEST": west}, NOW, first)
    with store.unit_of_work(write=True, lock="route") as uow:
        second = uow.routing.add_run(None, "Lead plan", "b.csv", NOW, decisions(
            ("L-1", "ann@x.com", date(2026, 3, 2), "bob", "WEST", True, None),
            ("L-2", None, date(2026, 3, 2), "dee", "EAST", True, None),
        ))  # fmt: skip
        uow.routing.save_pools(
            {"WEST": {"pointers": {"jane": 1.0, "bob": 1.0}}, "EAST": {"pointers": {"dee": 1.0}}}, NOW, second
        )
    with store.unit_of_work() as uow:
        latest = uow.routing.latest_decisions_for(["L-1", "L-2", "L-404"])
        assert {lead: (d.route_run_id, d.rep_id, d.source) for lead, d in latest.items()} == {
            "L-1": (second, "bob", "b.csv"),
            "L-2": (second, "dee", "b.csv"),
        }
        run = uow.routing.routing_run(first)
        assert run is not None and (run.source, run.leads, run.pools) == ("a.csv", 1, ("WEST",))
        assert run.later_runs == (second,) and run.undone_at is None
        # Every decision of the leads the run (or the days) chose, oldest first: L-1 was routed twice.
        history = uow.routing.decision_history(route_run_id=second)
        assert history.select("route_run_id", "lead_id", "rep_id").rows() == [
            (first, "L-1", "jane"),
            (second, "L-1", "bob"),
            (second, "L-2", "dee"),
        ]
        assert uow.routing.decision_history(since=date(2026, 3, 2)).height == 3
        assert uow.routing.decision_history(route_run_id=first).get_column("lead_id").to_list() == [
            "L-1",
            "L-1",
        ]
        assert uow.routing.routing_run(404) is None
    with store.unit_of_work(write=True, lock="route") as uow:
        uow.routing.undo_run(second, NOW, "ops@x.com")
    with store.unit_of_work() as uow:
        assert uow.routing.pools() == {"WEST": west}  # EAST was new in the undone run: it goes
        assert {
            lead: d.route_run_id for lead, d in uow.routing.latest_decisions_for(["L-1", "L-2"]).items()
        } == {"L-1": first}
        undone = uow.routing.routing_run(second)
        assert undone is not None and undone.undone_at == NOW and undone.later_runs == ()
        assert uow.routing.routing_run(first).later_runs == ()  # type: ignore[union-attr]
        assert uow.routing.pooled_leads(None, None, route_run_id=second).is_empty()


# ---- locks (the real databases) ------------------------------------------------------------------


def test_a_reader_neither_waits_for_a_writer_nor_blocks_one(workspace: Workspace) -> None:
    """While a writer holds the write lock, a reader reads what was committed; while a reader
    reads, a writer commits."""
    with workspace.unit_of_work(write=True, lock="plans") as uow:
        uow.plans.add("Before", "b.yaml", "name: Before\n", NOW)
    with workspace.unit_of_work(write=True, lock="plans") as writer:
        writer.plans.add("During", "d.yaml", "name: During\n", NOW)
        started = time.monotonic()
        with workspace.unit_of_work() as reader:
            assert [p.name for p in reader.plans.list()] == ["Before"]
        assert time.monotonic() - started < 5
    with workspace.unit_of_work() as reader:
        names = [p.name for p in reader.plans.list()]
        with workspace.unit_of_work(write=True, lock="plans") as writer:
            writer.plans.add("After", "a.yaml", "name: After\n", NOW)
    assert names == ["Before", "During"]
    with workspace.unit_of_work() as reader:
        assert [p.name for p in reader.plans.list()] == ["Before", "During", "After"]


def test_a_second_writer_waits_for_the_first(workspace: Workspace) -> None:
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with workspace.unit_of_work(write=True, lock="assign") as uow:
            uow.plans.add("First", "f.yaml", "name: First\n", NOW)
            holding.set()
            time.sleep(1.0)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(10)
    with workspace.unit_of_work(write=True, lock="assign") as uow:
        order.append("second started")
        uow.plans.add("Second", "s.yaml", "name: Second\n", NOW)
    thread.join()
    assert order == ["first done", "second started"]


# ---- plan lifecycle -----------------------------------------------------------------------------


def test_plans_have_states_and_a_draft_is_deleted_with_its_runs(store: WorkspaceStore) -> None:
    from territorial.domain.lifecycle import PlanState

    results = pl.DataFrame(
        {
            "account_id": ["A"],
            "layer": ["primary"],
            "territory_id": ["T"],
            "territory_name": ["T"],
            "rep_id": ["r1"],
            "overlaps": [""],
            "tie": [False],
            "workload": [1.0],
            "reason_id": [0],
        }
    )
    with store.unit_of_work(write=True, lock="plans") as uow:
        kept = uow.plans.add("Kept", "k.yaml", "name: Kept\n", NOW)
        gone = uow.plans.add("Gone", "g.yaml", "name: Gone\n", NOW)
        gone_run = uow.runs.add(gone, NOW, 1, 0, 0, ["r"], results)
        uow.baselines.save("run", gone_run, [("T", "accounts", 1.0)])
        routed = uow.routing.add_run(gone, "Gone", "leads.csv", NOW, [])
        uow.plans.set_state(kept, PlanState.ACTIVE, date(2027, 1, 4))
        uow.plans.replace_source(gone, "Gone 2", "g2.yaml", "name: Gone 2\n")
        uow.plans.keep_files(gone, [PlanFile("m.model", "0" * 64, b"\x00\xffbytes")])
        uow.plans.keep_parsed(gone, "a" * 64, b"first")
        uow.plans.keep_parsed(gone, "b" * 64, b"\x00parsed")
        uow.plans.keep_parsed(kept, "a" * 64, b"kept")
    with store.unit_of_work() as uow:
        assert uow.plans.parsed(gone, "b" * 64) == b"\x00parsed"
        assert uow.plans.parsed(gone, "a" * 64) is None  # kept under another key: stale
        assert uow.plans.parsed(kept, "a" * 64) == b"kept"
        assert uow.plans.get(gone).state is PlanState.DRAFT  # type: ignore[union-attr]
        assert uow.plans.get(gone).source == "name: Gone 2\n"  # type: ignore[union-attr]
        active = uow.plans.active()
        assert active is not None and (active.plan_id, active.effective) == (kept, date(2027, 1, 4))
        assert uow.plans.run_count(gone) == 2 and uow.plans.run_count(kept) == 0
        assert uow.plans.files(gone) == (PlanFile("m.model", "0" * 64, b"\x00\xffbytes"),)
    with store.unit_of_work(write=True, lock="plans") as uow:
        uow.plans.delete(gone)
    with store.unit_of_work() as uow:
        assert [p.plan_id for p in uow.plans.list()] == [kept]
        assert uow.runs.list() == []
        assert uow.plans.run_count(gone) == 0 and uow.plans.files(gone) == ()
        assert uow.baselines.figures("run", gone_run) is None
        assert uow.plans.parsed(gone, "b" * 64) is None and uow.plans.parsed(kept, "a" * 64) == b"kept"
        assert routed  # the routing run stays, with the plan's name


def test_activations_roster_and_live_rows_round_trip(store: WorkspaceStore) -> None:
    from territorial.domain.lifecycle import ActivationStatus, PlanState
    from territorial.store.repositories import LIVE_TYPES

    day1, day2 = date(2027, 1, 4), date(2027, 2, 1)
    with store.unit_of_work(write=True, lock="activation") as uow:
        plan = uow.plans.add("P", "p.yaml", "name: P\n", NOW)
        first = uow.activations.add(plan, day1, PlanState.DRAFT, NOW, "ann")
        second = uow.activations.add(plan, day2, PlanState.ARCHIVED, NOW, "ann", skipped_checks=True)
        uow.activations.mark(first, ActivationStatus.APPLIED, NOW)
        roster = pl.DataFrame({"territory_id": ["T", "T"], "rep_id": ["r2", "r1"], "position": [0, 1]})
        uow.roster.start(first, roster, day1)
        uow.roster.start(second, roster.head(1), day2)
        live = pl.DataFrame(
            {
                "account_id": ["A-2", "A-1", "A-1"],
                "layer": ["primary", "primary", "security"],
                "territory_id": ["T", None, "S"],
                "rep_id": ["r2", None, "r9"],
                "overlaps": ["", "", "X;Y"],
                "tie": [False, False, True],
                "reason": ["kept", "none matched", 'é, "quoted"\nnew line'],
                "cause": ["plan 1 activated"] * 3,
                "since": [day1] * 3,
                "activation_id": [first] * 3,
            },
            schema=LIVE_TYPES,
        )
        uow.live.replace(live)
        uow.live.replace(live)  # replaced whole, not added to
    with store.unit_of_work() as uow:
        assert [(a.activation_id, a.status) for a in uow.activations.on_day(day1)] == [
            (first, ActivationStatus.APPLIED)
        ]
        assert [a.activation_id for a in uow.activations.due(day2)] == [second]
        assert uow.activations.due(day1) == []
        scheduled = uow.activations.scheduled_of(plan)
        assert scheduled is not None and (scheduled.from_state, scheduled.skipped_checks) == (
            PlanState.ARCHIVED,
            True,
        )
        assert [a.activation_id for a in uow.activations.history()] == [first, second]
        assert uow.roster.current().rows() == [("T", "r2", 0)]
        stored = uow.live.rows().sort("account_id", "layer")
        assert stored.equals(live.sort("account_id", "layer"))
        some = uow.live.rows(["rep_id", "account_id"])
        assert some.columns == ["rep_id", "account_id"]
        assert sorted(some.rows(), key=str) == sorted([("r2", "A-2"), (None, "A-1"), ("r9", "A-1")], key=str)
        assert uow.live.of_account("A-1").get_column("layer").to_list() == ["primary", "security"]
        of = uow.live.rows_of(["A-1", "A-9"], ["account_id", "layer", "rep_id"]).sort("layer")
        assert of.rows() == [("A-1", "primary", None), ("A-1", "security", "r9")]
        assert uow.live.rows_of([], ["account_id"]).is_empty()
        inside = uow.live.in_territories(["S", "T", "Z"], ["account_id", "territory_id"]).sort("account_id")
        assert inside.rows() == [("A-1", "S"), ("A-2", "T")]
        per_rep = uow.live.accounts_per_rep(["T", "S"]).sort("territory_id")
        assert per_rep.rows() == [("S", "r9", 1), ("T", "r2", 1)]
        assert uow.live.accounts_per_rep([]).is_empty()
        assert uow.live.reps_in("primary").sort("account_id").rows() == [("A-1", None), ("A-2", "r2")]
    with store.unit_of_work(write=True, lock="activation") as uow:
        uow.activations.mark(second, ActivationStatus.CANCELLED)
    with store.unit_of_work() as uow:
        assert uow.activations.on_day(day2) == [] and uow.activations.scheduled_of(plan) is None


def test_roster_changes_end_and_start_rows_and_scheduled_ones_wait(store: WorkspaceStore) -> None:
    from territorial.domain.lifecycle import PlanState
    from territorial.domain.roster import RosterChangeKind, RosterChangeStatus

    day1, day2, day3 = date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1)
    with store.unit_of_work(write=True, lock="activation") as uow:
        roster = pl.DataFrame(
            {"territory_id": ["T", "T", "U"], "rep_id": ["r2", "r1", "r2"], "position": [0, 1, 0]}
        )
        plan = uow.plans.add("P", "p.yaml", "name: P\n", NOW)
        uow.roster.start(uow.activations.add(plan, day1, PlanState.DRAFT, NOW), roster, day1)
        uow.roster.end("r2", day2, ["T"])  # out of T only
        uow.roster.join(None, "T", "r3", day2)  # last in T's pool order
        uow.roster.join(None, "V", "r2", day2)  # first in an empty pool
        uow.roster.end("r1", day3)
        late = uow.roster_changes.add(RosterChangeKind.LEAVE, "r2", None, None, day3, NOW, "ann")
        soon = uow.roster_changes.add(RosterChangeKind.MOVE, "r3", "U", day3, day2, NOW, "ann")
        gone = uow.roster_changes.add(RosterChangeKind.JOIN, "r1", "U", None, day2, NOW, None)
        uow.roster_changes.mark(gone, RosterChangeStatus.CANCELLED, NOW, "cancelled by ann")
    with store.unit_of_work() as uow:
        assert uow.roster.current().rows() == [("T", "r3", 2), ("U", "r2", 0), ("V", "r2", 0)]
        assert uow.roster.history().rows() == [
            ("T", "r2", 0, day1, day2),
            ("T", "r1", 1, day1, day3),
            ("T", "r3", 2, day2, None),
            ("U", "r2", 0, day1, None),
            ("V", "r2", 0, day2, None),
        ]
        assert [c.change_id for c in uow.roster_changes.pending()] == [soon, late]
        assert [c.change_id for c in uow.roster_changes.pending(day2)] == [soon]
        [moved] = uow.roster_changes.pending(day2)
        assert (moved.kind, moved.rep_id, moved.territory_id, moved.book_until, moved.actor) == (
            RosterChangeKind.MOVE,
            "r3",
            "U",
            day3,
            "ann",
        )
        every = {c.change_id: c for c in uow.roster_changes.all()}
        assert (every[gone].status, every[gone].note, every[gone].applied_at) == (
            RosterChangeStatus.CANCELLED,
            "cancelled by ann",
            NOW,
        )
        assert list(every) == [soon, gone, late]  # by day, then id


def test_overrides_and_holds_are_kept_in_force_until_ended_and_stay_readable(store: WorkspaceStore) -> None:
    from territorial.domain.lifecycle import StoredHold, StoredOverride

    until = date(2027, 3, 1)
    with store.unit_of_work(write=True, lock="activation") as uow:
        first = uow.overrides.add("A-1", "primary", "EAST", None, "strategic account", "ann", NOW, None)
        second = uow.overrides.add("A-2", "security", None, "r2", "named", None, NOW, until)
        held = uow.holds.add("A-3", "primary", "WEST", "r1", "bob", NOW, until)
        uow.overrides.end([first], NOW, "override removed")
    with store.unit_of_work() as uow:
        assert uow.overrides.in_force() == [
            StoredOverride(second, "A-2", "security", None, "r2", "named", None, NOW, until)
        ]
        assert [(o.override_id, o.ended_at, o.end_cause) for o in uow.overrides.all()] == [
            (first, NOW, "override removed"),
            (second, None, None),
        ]
        assert uow.holds.in_force() == [StoredHold(held, "A-3", "primary", "WEST", "r1", "bob", NOW, until)]
    with store.unit_of_work(write=True, lock="activation") as uow:
        uow.holds.end([held], NOW, "hold expired")
    with store.unit_of_work() as uow:
        assert uow.holds.in_force() == [] and uow.holds.all()[0].end_cause == "hold expired"


def test_live_rows_of_some_accounts_are_put_in_place_of_theirs(store: WorkspaceStore) -> None:
    from territorial.store.repositories import LIVE_TYPES

    day = date(2027, 1, 4)

    def rows(*values: tuple[str, str, str, str]) -> pl.DataFrame:
        return pl.DataFrame(
            [
                (a, layer, "T", rep, "", False, reason, "plan 1 activated", day, 1)
                for a, layer, rep, reason in values
            ],
            schema=LIVE_TYPES,
            orient="row",
        )

    with store.unit_of_work(write=True, lock="activation") as uow:
        uow.live.replace(
            rows(
                ("A-1", "primary", "r1", "kept"),
                ("A-1", "security", "r9", "x"),
                ("A-2", "primary", "r2", "kept"),
            )
        )
        uow.live.put(["A-1"], rows(("A-1", "primary", "r2", "Overridden (named): rep r2.")))
    with store.unit_of_work() as uow:
        stored = uow.live.rows(["account_id", "layer", "rep_id", "reason"]).sort("account_id", "layer")
        assert stored.rows() == [
            ("A-1", "primary", "r2", "Overridden (named): rep r2."),  # its security row went with it
            ("A-2", "primary", "r2", "kept"),
        ]


def test_change_sets_keep_their_changed_rows_in_account_order(store: WorkspaceStore) -> None:
    from territorial.domain.lifecycle import ChangeKind

    def changed(*values: tuple[str, str | None, str | None, str]) -> pl.DataFrame:
        return pl.DataFrame(
            [(a, "primary", None, old, "T", new, cause) for a, old, new, cause in values],
            schema=dict.fromkeys(
                ["account_id", "layer", "from_territory_id", "from_rep_id", "to_territory_id", "to_rep_id"],
                pl.String,
            )
            | {"cause": pl.String},
            orient="row",
        )

    with store.unit_of_work(write=True, lock="activation") as uow:
        first = uow.changes.open(
            ChangeKind.ACTIVATION, NOW, date(2027, 1, 4), "ann", "plan 1 activated", 1, 2
        )
        uow.changes.add(
            first, changed(("b", None, "r1", "plan 1 activated"), ("a", None, "r2", "plan 1 activated"))
        )
        second = uow.changes.open(ChangeKind.HOLD, NOW, date(2027, 1, 5), "bob", "bob held a", 1, 0)
        uow.changes.add(second, changed())
    with store.unit_of_work() as uow:
        sets = uow.changes.sets()
        assert [(s.change_set_id, s.kind, s.actor, s.summary, s.changes) for s in sets] == [
            (first, ChangeKind.ACTIVATION, "ann", "plan 1 activated", 2),
            (second, ChangeKind.HOLD, "bob", "bob held a", 0),
        ]
        assert sets[0].effective == date(2027, 1, 4) and sets[0].plan_id == 1
        assert [s.change_set_id for s in uow.changes.sets(after=first)] == [second]
        rows = uow.changes.rows()
        assert rows.select("change_set_id", "account_id", "to_rep_id").rows() == [
            (first, "a", "r2"),
            (first, "b", "r1"),
        ]
        assert uow.changes.rows(rep_id="r1").get_column("account_id").to_list() == ["b"]
        assert uow.changes.rows(account_id="a").get_column("to_rep_id").to_list() == ["r2"]
        assert uow.changes.rows([second]).is_empty()


def test_the_audit_trail_chains_each_entry_to_the_last(store: WorkspaceStore) -> None:
    import json

    from territorial.domain.audit import GENESIS, sha256

    with store.unit_of_work(write=True, lock="plans") as uow:
        first = uow.audit.append({"what": "plan 1 added", "plan_id": "1"})
    with store.unit_of_work(write=True, lock="activation") as uow:
        second = uow.audit.append({"what": "plan 1 activated", "changes": "2"})
    with store.unit_of_work() as uow:
        entries = uow.audit.entries()
    assert entries == [first, second]
    assert [e.seq for e in entries] == [1, 2]
    assert json.loads(first.text) == {"what": "plan 1 added", "plan_id": "1", "seq": "1", "prev": GENESIS}
    assert json.loads(second.text)["prev"] == first.hash == sha256(first.text)
    assert second.text.startswith('{"changes":"2","prev":')  # the canonical text, kept as written


def test_change_rows_after_a_change_set_and_the_delta_exports_watermark(store: WorkspaceStore) -> None:
    from territorial.domain.lifecycle import ChangeKind
    from territorial.engine.live_changes import CHANGE_COLUMNS

    row = pl.DataFrame(
        [("a", "primary", None, None, "T", "r1", "new account")],
        schema=dict.fromkeys(CHANGE_COLUMNS, pl.String),
        orient="row",
    )
    with store.unit_of_work(write=True, lock="activation") as uow:
        assert uow.exports.last_through() is None
        first = uow.changes.open(ChangeKind.IMPORT, NOW, date(2027, 1, 4), "ann", "import 1", None, 1)
        uow.changes.add(first, row)
        second = uow.changes.open(ChangeKind.OVERRIDE, NOW, date(2027, 1, 5), "bob", "override", None, 1)
        uow.changes.add(second, row.with_columns(pl.lit("r2").alias("to_rep_id")))
        uow.exports.add(NOW, "ann", "last-export", "csv", first, 1)
        uow.exports.add(NOW, "ann", "2027-01-05", "csv", second, 1)
    with store.unit_of_work() as uow:
        assert uow.changes.rows_after(first).select("change_set_id", "to_rep_id").rows() == [(second, "r2")]
        assert uow.changes.rows_after(0).height == 2 and uow.changes.rows_after(second).is_empty()
        assert uow.exports.last_through() == second


def test_quotas_saved_for_a_period_replace_that_periods_layer_and_are_found_by_overlap(
    store: WorkspaceStore,
) -> None:
    year = (date(2027, 1, 1), date(2027, 12, 31))
    first = [
        SavedQuota("FY2027", *year, "primary", "WEST", "r2", 600.0, "ann"),
        SavedQuota("FY2027", *year, "primary", "EAST", None, 400.0, "ann"),
        SavedQuota("FY2027", *year, "overlay", "SPEC", "r9", 50.0, "ann"),
    ]
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.quotas.save(first, NOW)
    again = [SavedQuota("FY2027", *year, "primary", "WEST", "r1", 1000.0, "bob")]
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.quotas.save(again, NOW)
    with store.unit_of_work() as uow:
        assert uow.quotas.overlapping(date(2027, 12, 31), date(2028, 3, 31)) == [first[2], again[0]]
        assert uow.quotas.overlapping(date(2028, 1, 1), date(2028, 3, 31)) == []


def test_an_activations_or_runs_figures_are_kept_sorted_and_saving_again_replaces_them(
    store: WorkspaceStore,
) -> None:
    with store.unit_of_work(write=True, lock="test") as uow:
        uow.baselines.save("activation", 1, [("WEST", "workload", 12.5), ("EAST", "potential", 3.0)])
        uow.baselines.save("run", 1, [("EAST", "accounts", 1.0)])
        uow.baselines.save("run", 1, [("EAST", "accounts", 4.0), ("EAST", "segment:SMB", 4.0)])
    with store.unit_of_work() as uow:
        assert uow.baselines.figures("activation", 1) == [
            ("EAST", "potential", 3.0),
            ("WEST", "workload", 12.5),
        ]
        assert uow.baselines.figures("run", 1) == [("EAST", "accounts", 4.0), ("EAST", "segment:SMB", 4.0)]
        assert uow.baselines.figures("run", 2) is None
