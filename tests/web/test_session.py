"""Posted forms: a field holding a NUL character is refused with 400 naming the field, before any
database sees it (PostgreSQL refuses NUL in text, and answered 500)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from territorial.server import create_server
from territorial.store.workspace import init_workspace


def test_a_nul_in_a_form_field_is_refused_naming_the_field(tmp_path: Path) -> None:
    workspace = init_workspace(f"sqlite:///{tmp_path / 'ws.db'}")
    try:
        with TestClient(create_server(workspace, background=False), base_url="https://testserver") as client:
            form = client.get("/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            posted = {"csrf_token": token.group(1), "user_name": "pa\x00m", "password": "secret"}
            refused = client.post("/sign-in", data=posted)
            assert refused.status_code == 400
            assert "The field <code>user_name</code> holds a NUL character" in refused.text
            # Without the NUL, the same form is an ordinary failed sign-in.
            client.cookies.clear()
            form = client.get("/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token is not None
            wrong = client.post("/sign-in", data={**posted, "csrf_token": token.group(1), "user_name": "pam"})
            assert wrong.status_code == 401
    finally:
        workspace.engine.dispose()
