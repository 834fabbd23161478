"""Table definitions. Entity tables follow `domain.entities`; the migrations create the same."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from territorial.domain.entities import SCHEMAS, Entity, EntitySchema
from territorial.domain.fields import FieldType

metadata = MetaData()

SQL_TYPES: dict[FieldType, type[TypeEngine[Any]]] = {
    FieldType.STRING: Text,
    FieldType.NUMBER: Float,
    FieldType.BOOLEAN: Boolean,
    FieldType.DATE: Date,
}

# Bookkeeping columns every entity table has beside its fields.
CUSTOM = "custom"  # accounts only: custom fields as a JSON object of their text values
ACTIVE = "active"
UPDATED_AT = "updated_at"


def _entity_table(schema: EntitySchema) -> Table:
    columns = [
        Column(
            name,
            String(255) if name == schema.id_field else SQL_TYPES[ftype](),
            primary_key=name == schema.id_field,
        )
        for name, ftype in schema.fields.items()
        if name != ACTIVE
    ]
    if schema.allows_custom:
        columns.append(Column(CUSTOM, Text, nullable=True))
    columns.append(Column(ACTIVE, Boolean, nullable=False, server_default="1"))
    columns.append(Column(UPDATED_AT, DateTime, nullable=True))
    return Table(schema.entity.value, metadata, *columns)


ENTITY_TABLES: dict[Entity, Table] = {entity: _entity_table(schema) for entity, schema in SCHEMAS.items()}

imports = Table(
    "imports",
    metadata,
    Column("import_id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(32), nullable=False),
    Column("source_file", Text, nullable=False),
    Column("mapping", String(255), nullable=True),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("actor", String(255), nullable=True),  # who ran it
    Column("inserted", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("deactivated", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
)

history = Table(
    "history",
    metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("record_id", String(255), nullable=False),
    Column("field", String(255), nullable=False),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("changed_at", DateTime, nullable=False),
    Column("source_file", Text, nullable=False),
    Index("ix_history_record", "entity", "record_id"),
)

normalizations = Table(
    "normalizations",
    metadata,
    Column("import_id", Integer, ForeignKey("imports.import_id"), primary_key=True),
    Column("field", String(255), primary_key=True),
    Column("old_value", Text, primary_key=True),
    Column("new_value", Text, nullable=True),
    Column("rule", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
)

plans = Table(
    "plans",
    metadata,
    Column("plan_id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("source", Text, nullable=False),  # the YAML, verbatim
    Column("created_at", DateTime, nullable=False),
    Column("actor", String(255), nullable=True),  # who stored it
    # draft, scheduled, active or archived (domain.lifecycle.PlanState); stored plans began as drafts.
    Column("state", String(16), nullable=False, server_default="draft"),
    Column("effective", Date, nullable=True),  # the day it took (or takes) effect, when scheduled or later
)

assignment_runs = Table(
    "assignment_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("plans.plan_id"), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("accounts", Integer, nullable=False, server_default="0"),
    Column("unassigned", Integer, nullable=False, server_default="0"),
    Column("ties", Integer, nullable=False, server_default="0"),
    Column("actor", String(255), nullable=True),  # who ran it
)

run_reasons = Table(
    "run_reasons",
    metadata,
    Column("run_id", Integer, ForeignKey("assignment_runs.run_id"), primary_key=True),
    Column("reason_id", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)

# Results are written once per run, a million or more rows at a time, and read back whole. Only an
# index on the run: on PostgreSQL a foreign key check per row made storing 1.75M rows take 8.4 s
# instead of 3.0 s. The run row and its results are written in one transaction by one function.
assignment_results = Table(
    "assignment_results",
    metadata,
    Column("run_id", Integer, nullable=False),
    Column("account_id", String(255), nullable=False),
    Column("layer", String(64), nullable=False),
    Column("territory_id", String(255), nullable=True),
    Column("territory_name", Text, nullable=True),
    Column("rep_id", String(255), nullable=True),
    Column("overlaps", Text, nullable=False),
    Column("tie", Boolean, nullable=False),
    Column("workload", Float, nullable=False),
    Column("reason_id", Integer, nullable=False),
    Index("ix_assignment_results_run", "run_id"),
)

# One row per batch of leads routed (or per lead routed in-process through `route_lead`).
routing_runs = Table(
    "routing_runs",
    metadata,
    Column("route_run_id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("plans.plan_id"), nullable=True),
    Column("plan_name", Text, nullable=False),
    Column("source", Text, nullable=False),  # the leads file, or "route_lead"
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime, nullable=True),
    Column("leads", Integer, nullable=False, server_default="0"),
    Column("actor", String(255), nullable=True),  # who routed them
    Column("undone_at", DateTime, nullable=True),  # `route undo`: its decisions are gone, the run stays
    Column("undone_by", String(255), nullable=True),
)

# The audit: every routing decision with its full path (each step, its inputs and its outcome).
routing_decisions = Table(
    "routing_decisions",
    metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("route_run_id", Integer, ForeignKey("routing_runs.route_run_id"), nullable=False),
    Column("lead_id", String(255), nullable=False),
    Column("email", String(320), nullable=True),  # lower case, for the duplicate window
    Column("lead_day", Date, nullable=False),
    Column("decision", String(16), nullable=False),
    Column("rep_id", String(255), nullable=True),
    Column("territory_id", String(255), nullable=True),
    Column("matched_account_id", String(255), nullable=True),
    Column("score", Integer, nullable=True),
    Column("relevance", Float, nullable=True),
    Column("product", Text, nullable=True),
    Column("queue", String(255), nullable=True),
    Column("in_pool", Boolean, nullable=False),  # shared by round robin: counts in the fairness report
    Column("reason", Text, nullable=False),
    Column("path", Text, nullable=False),  # JSON list of {step, inputs, outcome}
    # The lead's owner in the CRM when it was routed (as the CRM named it), and the rep that names:
    # an owner update leaves out a lead the CRM already gives to the rep it was routed to.
    Column("crm_owner", Text, nullable=True),
    Column("crm_owner_rep_id", String(255), nullable=True),
    Index("ix_routing_decisions_lead", "lead_id"),
    Index("ix_routing_decisions_rep", "rep_id"),  # a rep's or a team's leads (what they may see)
    Index("ix_routing_decisions_email", "email"),
    Index("ix_routing_decisions_day", "lead_day"),
)

# Each pool rep's lead weight in a routing run: the fairness report judges a lead by the weights in
# force when it was routed, which a reps file given to that run may have set.
routing_pool_weights = Table(
    "routing_pool_weights",
    metadata,
    Column("route_run_id", Integer, ForeignKey("routing_runs.route_run_id"), primary_key=True),
    Column("territory_id", String(255), primary_key=True),
    Column("rep_id", String(255), primary_key=True),
    Column("weight", Float, nullable=False),
)

# Where each pool a run moved stood before it (NULL: the pool was new), so `route undo` can put it back.
routing_pool_moves = Table(
    "routing_pool_moves",
    metadata,
    Column("route_run_id", Integer, ForeignKey("routing_runs.route_run_id"), primary_key=True),
    Column("territory_id", String(255), primary_key=True),
    Column("state_before", Text, nullable=True),
)

# Where each territory's round robin stands, so the next batch carries on fairly.
routing_pools = Table(
    "routing_pools",
    metadata,
    Column("territory_id", String(255), primary_key=True),
    Column("state", Text, nullable=False),  # JSON of routing.round_robin.PoolState
    Column("updated_at", DateTime, nullable=False),
)


# The files a stored plan references (its potential model, fit model and catalogue), kept with it
# so that a plan version evaluates the same everywhere; `path` as the plan writes it.
plan_files = Table(
    "plan_files",
    metadata,
    Column("plan_id", Integer, ForeignKey("plans.plan_id"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# A stored plan as parsed, kept by its activation: reading the active plan then takes no parsing of
# its YAML and rules (seconds for 5,000 territories). `key` names the source and the code that
# parsed it (services.plans); a row under another key is stale and ignored.
parsed_plans = Table(
    "parsed_plans",
    metadata,
    Column("plan_id", Integer, ForeignKey("plans.plan_id"), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# Each request to make a plan active on a day: scheduled, then applied (by `plan activate` for today,
# by `tick` for a later day) or cancelled (`plan unschedule`). At most one scheduled or applied per day.
activations = Table(
    "activations",
    metadata,
    Column("activation_id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("plans.plan_id"), nullable=False),
    Column("effective", Date, nullable=False),  # in the workspace's time zone, from 00:00
    Column("status", String(16), nullable=False),  # scheduled, applied or cancelled
    Column("from_state", String(16), nullable=False),  # the plan's state before, for unschedule
    Column("requested_at", DateTime, nullable=False),
    Column("applied_at", DateTime, nullable=True),
    Column("skipped_checks", Boolean, nullable=False, server_default="0"),
    Column("actor", String(255), nullable=True),
    Index("ix_activations_effective", "effective"),
)

# Who covers each territory, and from when to when: seeded from the active plan's `reps:` at each
# activation (position keeps the pool order, which breaks load ties); roster changes end a row
# (valid_to) and start another, so the history stays readable.
roster = Table(
    "roster",
    metadata,
    Column("roster_id", Integer, primary_key=True, autoincrement=True),
    Column("activation_id", Integer, ForeignKey("activations.activation_id"), nullable=True),
    Column("territory_id", String(255), nullable=False),
    Column("rep_id", String(255), nullable=False),
    Column("position", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),  # None: still in force
    Index("ix_roster_current", "valid_to", "territory_id"),
)

# The reasons of the live rows, each text once (written whole with the live rows at activation).
live_reasons = Table(
    "live_reasons",
    metadata,
    Column("reason_id", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
)

# The live assignment: one row per active account and layer, always equal to engine.live.live(...).
# Written whole at activation (bulk, like assignment_results: no foreign key check per row), row by
# row by later changes. `since` is the day the row's territory and rep took effect; `cause` why.
live_assignments = Table(
    "live_assignments",
    metadata,
    Column("account_id", String(255), primary_key=True),
    Column("layer", String(64), primary_key=True),
    Column("territory_id", String(255), nullable=True),
    Column("rep_id", String(255), nullable=True),
    Column("overlaps", Text, nullable=False),
    Column("tie", Boolean, nullable=False),
    Column("reason_id", Integer, nullable=False),  # live_reasons: a few thousand texts for a million rows
    Column("cause", Text, nullable=False),
    Column("since", Date, nullable=False),
    Column("activation_id", Integer, nullable=False),  # the activation that last wrote the row
    Index("ix_live_assignments_rep", "rep_id", "account_id"),  # a rep's page of accounts, in id order
    Index("ix_live_assignments_territory", "territory_id", "rep_id"),  # pool loads (an import's)
)

# Overrides and holds (#19 slice 2): one in force per account and layer (ended_at NULL); ended rows
# stay, with when and why they ended (removed, expired at a tick, ended by an activation).
overrides = Table(
    "overrides",
    metadata,
    Column("override_id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(255), nullable=False),
    Column("layer", String(64), nullable=False),
    Column("territory_id", String(255), nullable=True),  # None: the rules' territory
    Column("rep_id", String(255), nullable=True),  # None: the territory's pool picks
    Column("reason", Text, nullable=False),
    Column("actor", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("until", Date, nullable=True),  # ends at the first tick on or after this day
    Column("ended_at", DateTime, nullable=True),
    Column("end_cause", Text, nullable=True),
    Index("ix_overrides_account", "account_id"),
)

holds = Table(
    "holds",
    metadata,
    Column("hold_id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", String(255), nullable=False),
    Column("layer", String(64), nullable=False),
    Column("territory_id", String(255), nullable=True),
    Column("rep_id", String(255), nullable=False),
    Column("actor", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("until", Date, nullable=False),
    Column("ended_at", DateTime, nullable=True),
    Column("end_cause", Text, nullable=True),
    Index("ix_holds_account", "account_id"),
)

# The change log: each transaction that changed the live assignment is a change set, with one
# assignment_changes row per (account, layer) whose territory or rep it changed (written in bulk: an
# activation of a million accounts writes them all). Read by audit, feed and the delta export.
# One index besides the key, on the account: each index costs about as much as the rows it
# indexes (1,000,000 rows in SQLite: 5.6 s of CPU with the key and one index, 9.8 s with three,
# measured). A rep's changes are read from the change sets since a day: the key's first column.
change_sets = Table(
    "change_sets",
    metadata,
    Column("change_set_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("effective", Date, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("summary", Text, nullable=False),
    Column("plan_id", Integer, nullable=True),
    Column("changes", Integer, nullable=False),
)

assignment_changes = Table(
    "assignment_changes",
    metadata,
    Column("change_set_id", Integer, primary_key=True),
    Column("account_id", String(255), primary_key=True),
    Column("layer", String(64), primary_key=True),
    Column("from_territory_id", String(255), nullable=True),
    Column("from_rep_id", String(255), nullable=True),
    Column("to_territory_id", String(255), nullable=True),
    Column("to_rep_id", String(255), nullable=True),
    Column("cause", Text, nullable=False),
    Index("ix_assignment_changes_account", "account_id"),
)


# The service's users (#22): a manager or a rep is linked to the rep they are, for row-level access.
users = Table(
    "users",
    metadata,
    Column("user_name", String(255), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("rep_id", String(255), nullable=True),
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
)

# API tokens: only their SHA-256 is kept (they are 256 random bits, so a plain hash suffices), with
# the scopes that narrow their user's role, an expiry, and when they were revoked.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(255), ForeignKey("users.user_name"), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=True),
    Column("revoked_at", DateTime, nullable=True),
    Column("label", Text, nullable=True),
    UniqueConstraint("token_hash", name="uq_api_tokens_hash"),
)

# Telling reps what changed (#19 slice 7). Subscriptions: who is told about whose changes, where and how
# often (a rep's own preference, a manager's team digest, a webhook); ended rows stay.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("subscription_id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),  # email or webhook
    Column("digest", String(16), nullable=False),  # immediate, daily or weekly
    Column("rep_id", String(255), nullable=True),  # a rep's own preference
    Column("team", String(255), nullable=True),  # the manager whose team it covers
    Column("reps", Text, nullable=True),  # the reps it covers, comma-separated
    Column("destination", Text, nullable=True),  # e-mail address or webhook URL
    Column("format", String(16), nullable=True),  # webhooks: slack or json
    Column("secret", String(255), nullable=True),  # the name of a webhook secret in the settings
    Column("actor", String(255), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=True),
)

# The outbox: one item per change set, rep and recipient, written in the change's transaction; `notify`
# bundles the due items of a recipient into a message and sends it at most once (its key).
outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("message_id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("recipient", String(255), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("destination", Text, nullable=False),
    Column("state", String(16), nullable=False),  # domain.notifications.MessageState
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("next_try_at", DateTime, nullable=True),
    Column("sent_at", DateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_messages_state", "state"),
)

outbox_items = Table(
    "outbox_items",
    metadata,
    Column("item_id", Integer, primary_key=True, autoincrement=True),
    Column("change_set_id", Integer, nullable=False),
    Column("rep_id", String(255), nullable=False),
    Column("recipient", String(255), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("destination", Text, nullable=True),  # None: the rep has no e-mail address
    Column("digest", String(16), nullable=False),
    Column("due_at", DateTime, nullable=False),
    Column("state", String(16), nullable=False),  # domain.notifications.ItemState
    Column("message_id", Integer, nullable=True),
    Index("ix_outbox_items_state", "state", "due_at"),
)

# Roster changes (#19 slice 4): `rep add|leave|move` and reps imports that set a rep inactive. A
# change for today is applied at once; a later one waits, scheduled, for `tick` on its day.
roster_changes = Table(
    "roster_changes",
    metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # join, leave or move (domain.roster)
    Column("rep_id", String(255), nullable=False),
    Column("territory_id", String(255), nullable=True),  # join: the territory; move: where to
    Column("book_until", Date, nullable=True),  # move --with-book
    Column("effective", Date, nullable=False),
    Column("status", String(16), nullable=False),  # scheduled, applied or cancelled
    Column("requested_at", DateTime, nullable=False),
    Column("actor", String(255), nullable=True),
    Column("applied_at", DateTime, nullable=True),
    Column("note", Text, nullable=True),  # why it was cancelled
    Index("ix_roster_changes_effective", "status", "effective"),
)

# The audit trail (#19): one chained entry per change set and per plan edit, its canonical JSON kept
# as TEXT (JSONB would reorder its keys and rewrite its numbers, and the hash is of the text). `seq`
# is gapless, given by the append under the writer lock, not by the database.
audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("entry", Text, nullable=False),
    Column("hash", String(64), nullable=False),
)

# The delta exports (`export changes`): each one's watermark, the last change set it wrote, which
# `--since last-export` starts after.
delta_exports = Table(
    "delta_exports",
    metadata,
    Column("export_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(255), nullable=False),
    Column("since", String(64), nullable=False),  # as given: a day, an activation id, last-export
    Column("format", String(16), nullable=False),
    Column("through_change_set", Integer, nullable=False),
    Column("rows", Integer, nullable=False),
)

# Quotas allocated per period (#20 slice 3): one row per territory and rep (rep_id null: a vacant
# territory's quota). Saving a period's layer again replaces its rows; the actor says who saved them.
quotas = Table(
    "quotas",
    metadata,
    Column("quota_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(32), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("layer", String(255), nullable=False),
    Column("territory_id", String(255), nullable=False),
    Column("rep_id", String(255), nullable=True),
    Column("amount", Float, nullable=False),
    Column("actor", String(255), nullable=True),
    Column("saved_at", DateTime, nullable=False),
    Index("ix_quotas_period", "period_start", "period_end"),
)

# Each activation's and each run's per-territory workload, potential, account and segment counts (#20
# slice 5), as it made them: `drift` compares today's figures with these.
baseline_figures = Table(
    "baseline_figures",
    metadata,
    Column("kind", String(16), primary_key=True),  # activation, run
    Column("ref_id", Integer, primary_key=True),  # the activation's or run's id
    Column("territory_id", String(255), primary_key=True),
    Column("measure", String(255), primary_key=True),
    Column("value", Float, nullable=False),
)

# Web sign-in (#22 slice 5). A user's password as its argon2 hash, in a table of its own: a user of the
# API alone has none.
user_passwords = Table(
    "user_passwords",
    metadata,
    Column("user_name", String(255), ForeignKey("users.user_name"), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("set_at", DateTime, nullable=False),
)

# Browser sessions, server-side: the cookie holds a random id and only its SHA-256 is kept, so a copy
# of the database signs nobody in. The CSRF token is the session's, checked on every form post.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_name", String(255), ForeignKey("users.user_name"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("ended_at", DateTime, nullable=True),
)

# Failed sign-ins per key (`user:NAME` or `ip:ADDRESS`) in a fixed window: in the database, so that
# every worker counts the same attempts and a restart forgets nothing.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("attempt_key", String(320), primary_key=True),
    Column("window_start", DateTime, nullable=False),
    Column("failures", Integer, nullable=False),
)

# The API's Idempotency-Key (#22 slice 2): a creating POST's answer, kept per user for 24 hours, so
# that a client retrying after a lost response gets the same answer and creates nothing twice.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_name", String(255), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),  # method, path and body: another body is a 409
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),  # the JSON answer as sent
    Column("created_at", DateTime, nullable=False),
    Index("ix_idempotency_keys_created", "created_at"),
)

# Background jobs (#22 slice 3): the truth about each job for every runner that looks. A runner
# beats `heartbeat_at` while it holds a job; one silent too long is marked interrupted by any runner.
jobs = Table(
    "jobs",
    metadata,
    Column("job_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("parameters", Text, nullable=False),  # JSON, as validated when it was submitted
    Column("state", String(16), nullable=False),
    Column("progress", Float, nullable=True),
    Column("message", Text, nullable=False, server_default=""),
    Column("result", Text, nullable=True),  # JSON
    Column("error", Text, nullable=True),
    Column("submitted_by", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Column("heartbeat_at", DateTime, nullable=True),
    Column("cancel_requested", Boolean, nullable=False, server_default="0"),
    Column("runner", String(255), nullable=True),
    Index("ix_jobs_state", "state"),
)

# Leases (#22 slice 3): one row per thing only one process may do at a time (the scheduler). The
# holder renews its expiry each round; another process takes it over only once it has expired.
leases = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(255), nullable=False),
    Column("expires_at", DateTime, nullable=False),
)
