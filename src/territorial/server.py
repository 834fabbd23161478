"""What `territorial serve` runs: the REST API and the web app on one application, and the background
work of the serving process (the job runner and the scheduler). Neither face imports the other; this
is where they meet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from territorial.api.app import create_app
from territorial.services.background import start_background
from territorial.services.settings import load_settings
from territorial.services.unit_of_work import WorkspaceStore
from territorial.web.app import mount_web


def create_server(workspace: WorkspaceStore | None = None, background: bool = True) -> FastAPI:
    """The API over a workspace (default: TERRITORIAL_DATABASE_URL's), with the web app's pages and,
    unless told not to, the job runner and the scheduler, started with the app and stopped with it
    (each worker process starts its own; only one runs the scheduler's rounds at a time)."""
    app = create_app(workspace)
    mount_web(app)
    if background:
        serving = app.router.lifespan_context

        @asynccontextmanager
        async def with_background(started: FastAPI) -> AsyncIterator[None]:
            started.state.background = start_background(started.state.workspace, load_settings())
            try:
                async with serving(started):
                    yield
            finally:
                started.state.background.stop()

        app.router.lifespan_context = with_background
    return app
