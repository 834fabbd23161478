"""`territorial serve`: the REST API on uvicorn, over the workspace the global options name."""

from __future__ import annotations

import socket
from typing import Annotated

import typer
import uvicorn

from territorial.cli.app import app, database_url_of, err, handled
from territorial.errors import BadInput
from territorial.services.settings import load_settings
from territorial.services.worker import job_queue
from territorial.services.workspace import workspace_for_workers

# Each worker builds the app itself (uvicorn imports it by name), over TERRITORIAL_DATABASE_URL:
# the API and the web app on one server.
APP_FACTORY = "territorial.server:create_server"
# A worker imports polars and the services before it answers uvicorn's health check: 2 s on an idle
# machine, over 5 s (uvicorn's default wait, after which it kills and restarts the worker, for ever)
# on this 2-core machine under load. A worker that is really stuck is still found, later.
WORKER_HEALTH_SECONDS = 120


@app.command("serve")
@handled
def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1, or serve_host).")
    ] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default 8000, or serve_port).")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default 1, or serve_workers).")
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies (comma-separated addresses, or *) whose X-Forwarded-For/-Proto are believed:"
            " behind a TLS proxy, session cookies are then Secure and sign-in limits count the real"
            " client's address (default 127.0.0.1).",
        ),
    ] = None,
) -> None:
    """Serve the REST API (every request signs in with `Authorization: Bearer TOKEN`) and the web
    app (users with a password sign in at /sign-in)."""
    settings = load_settings()
    host = host if host is not None else settings.serve_host
    port = port if port is not None else settings.serve_port
    workers = workers if workers is not None else settings.serve_workers
    if not 1 <= port <= 65535:
        raise BadInput.at(f"expected a port from 1 to 65535, got {port}", "--port")
    if workers < 1:
        raise BadInput.at(f"expected at least 1 worker, got {workers}", "--workers")
    workspace = workspace_for_workers(database_url_of(ctx))
    _check_free(host, port)
    if settings.redis_url is not None:  # said now, not as a worker's failed start
        queue = job_queue(settings)
        err.print(
            f"jobs go to `territorial worker` processes through {queue.url} ({queue.key})", highlight=False
        )
        queue.close()
    err.print(f"serving {workspace.name} on http://{host}:{port} with {workers} worker(s)", highlight=False)
    err.print(f"sign in to the web app at http://{host}:{port}/sign-in", highlight=False)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        timeout_worker_healthcheck=WORKER_HEALTH_SECONDS,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips or "127.0.0.1",
    )


def _check_free(host: str, port: int) -> None:
    """A port in use or an address not of this machine is the user's to fix: say so, exit 2."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as problem:
        why = problem.strerror or str(problem)
        raise BadInput.at(f"cannot listen on {host}:{port}: {why}", "--host/--port") from None
