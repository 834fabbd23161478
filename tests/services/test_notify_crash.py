"""At most once through a crash, on SQLite and PostgreSQL: `territorial notify` killed (SIGKILL) while
its webhook receiver stalls leaves the message `unknown`; the next `notify` does not send it again,
`notify --failed` lists it and `notify --resend ID` sends it again with the same key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from receivers import webhook_receiver
from workspace_books import write_book

from conftest import CTX, fresh_database, run_cli
from territorial.domain.entities import Entity
from territorial.domain.notifications import MessageState, WebhookFormat
from territorial.services.activation import activate_plan
from territorial.services.imports import import_records
from territorial.services.notify import failures, notify
from territorial.services.plans import add_plan
from territorial.services.subscriptions import add_webhook
from territorial.store.workspace import init_workspace

SECRET = "crash-test-secret"


@pytest.fixture(params=["sqlite", "postgresql"])
def workspace_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.mark.slow  # 12-16 s each under load: a process of its own, and the CLI twice
def test_a_notify_killed_mid_send_leaves_the_message_unknown_and_never_sends_it_by_itself(
    workspace_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TERRITORIAL_WEBHOOK_SECRETS", json.dumps({"sales": SECRET}))
    monkeypatch.setenv("TERRITORIAL_NOW", CTX.now().isoformat())
    with webhook_receiver(SECRET, lambda: CTX.now().timestamp()) as hook:
        workspace = init_workspace(workspace_url)
        paths = write_book(tmp_path)
        import_records(workspace, CTX, Entity.REPS, paths["reps"])
        import_records(workspace, CTX, Entity.ACCOUNTS, paths["accounts"])
        add_webhook(workspace, CTX, hook.url, ["jane"], None, WebhookFormat.JSON, "sales")
        activate_plan(workspace, CTX, add_plan(workspace, CTX, paths["plan"]))

        hook.stall = True
        command = [sys.executable, "-m", "territorial.cli.main", "--database-url", workspace_url, "notify"]
        process = subprocess.Popen(command, cwd=tmp_path, env=os.environ.copy(), stderr=subprocess.PIPE)
        try:
            if not hook.arrived.wait(60):
                pytest.fail(f"notify never reached the receiver: {process.communicate(timeout=5)[1]!r}")
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == -signal.SIGKILL
        hook.stall = False
        hook.release.set()

        with workspace.unit_of_work() as uow:
            (cut,) = uow.outbox.messages([MessageState.SENDING])
        again = notify(workspace, CTX)
        assert (again.unknown, again.sent, again.failed) == ([cut.message_id], [], [])
        assert [m.message_id for m in failures(workspace).messages] == [cut.message_id]
        assert notify(workspace, CTX).sent == []

        listed = run_cli(tmp_path, "--database-url", workspace_url, "notify", "--failed")
        assert "unknown" in listed.stdout and "was cut short" in listed.stdout, listed.stdout
        # A minute later: the receiver took the stalled request once released, and refuses the very
        # same signed request again as a replay; the resend is signed anew, with the same key.
        monkeypatch.setenv("TERRITORIAL_NOW", (CTX.now() + timedelta(minutes=1)).isoformat())
        resent = run_cli(tmp_path, "--database-url", workspace_url, "notify", "--resend", cut.message_id)
        assert resent.returncode == 0, resent.stderr
        assert f"message {cut.message_id}: sent" in resent.stderr
        # The stalled request was answered once released, then the resend: both carry the one key.
        assert hook.keys()[-1] == cut.key and set(hook.keys()) == {cut.key}
        with workspace.unit_of_work() as uow:
            sent = uow.outbox.message(cut.message_id)
        assert sent is not None and (sent.state, sent.attempts) == (MessageState.SENT, 2)
        workspace.engine.dispose()
