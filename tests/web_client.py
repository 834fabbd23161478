"""The web app in-process for fast tests of its route handlers: the API tests' book on SQLite (its
plan active from yesterday, so a test may activate another today), served by FastAPI's TestClient
without the job runner, and a client signed in as each user through the sign-in service."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.book import build_book
from territorial.server import create_server
from territorial.services.context import Context, system_clock
from territorial.services.sign_in import set_password, sign_in
from territorial.store.workspace import open_workspace
from territorial.web import uploads
from territorial.web.session import SESSION_COOKIE

PASSWORD = "a long enough password for tests"


@dataclass
class Signed:
    """A TestClient signed in as one user, with that session's CSRF token for its form posts."""

    client: TestClient
    csrf: str

    def post(self, path: str, **form: str) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **form}, follow_redirects=False)


@dataclass(frozen=True)
class Book:
    app: Any
    store: Any  # the workspace the app serves, for a test to set up what no page makes (a plan file)


@pytest.fixture(scope="module")
def web_book(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Book]:
    folder = tmp_path_factory.mktemp("web-client")
    url = f"sqlite:///{folder / 'workspace.db'}"
    build_book(folder, url, activated_yesterday=True)
    store = open_workspace(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(uploads, "UPLOADS", folder / "uploads")  # not the machine's temporary folder
        try:
            yield Book(create_server(store, background=False), store)
        finally:
            store.engine.dispose()


@pytest.fixture(scope="module")
def web_as(web_book: Book) -> Callable[[str], Signed]:
    made: dict[str, Signed] = {}  # one session a user: hashing a password takes a while, by design

    def signed(user: str) -> Signed:
        if user in made:
            return made[user]
        set_password(web_book.store, Context.admin("tester"), user, PASSWORD)
        new = sign_in(web_book.store, user, PASSWORD, "testclient", system_clock())
        client = TestClient(web_book.app)
        client.cookies.set(SESSION_COOKIE, new.session_id)
        made[user] = Signed(client, new.session.csrf_token)
        return made[user]

    return signed


def under(html: str, field: str) -> str:
    """The error the page shows under a form field (its `FIELD-error` element), as text."""
    found = re.search(rf'id="{re.escape(field)}-error"[^>]*>(.*?)</', html, re.S)
    assert found is not None, f"no error element for {field}"
    return found.group(1).strip()


def version_in(html: str) -> str:
    found = re.search(r'name="version" value="([^"]+)"', html)
    assert found is not None
    return found.group(1).replace("&#34;", '"')
