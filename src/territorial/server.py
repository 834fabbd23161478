"""What `territorial serve` runs: the REST API and the web app on one application. Neither face
imports the other; this is where they meet."""

from __future__ import annotations

from fastapi import FastAPI

from territorial.api.app import create_app
from territorial.services.unit_of_work import WorkspaceStore
from territorial.web.app import mount_web


def create_server(workspace: WorkspaceStore | None = None) -> FastAPI:
    """The API over a workspace (default: TERRITORIAL_DATABASE_URL's), with the web app's pages."""
    app = create_app(workspace)
    mount_web(app)
    return app
