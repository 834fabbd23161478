"""Real receivers on loopback for the notification tests: an SMTP server (aiosmtpd) that keeps every
message, and an HTTP server that checks each webhook's signature, refuses replays and can stall."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from territorial.channels.signature import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server received: (envelope recipients, parsed message), in order."""

    port: int
    received: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class Hook:
    """What the webhook receiver accepted and refused. `secret` None: it takes unsigned (Slack) posts.
    `answer`: the status it gives a good post; `stall`: it keeps the request open until released."""

    secret: str | None
    clock: Callable[[], float]
    url: str = ""
    accepted: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    answer: int = 200
    stall: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    signatures: set[str] = field(default_factory=set)

    def check(self, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        if self.secret is None:
            return self.answer, "ok"
        signature = headers.get(SIGNATURE_HEADER, "")
        if not verify(self.secret, headers.get(TIMESTAMP_HEADER, ""), body, signature, self.clock()):
            return 401, "bad signature or outside the replay window"
        if signature in self.signatures:
            return 409, "replayed"
        self.signatures.add(signature)
        return self.answer, "ok"

    def keys(self) -> list[str]:
        return [headers[KEY_HEADER] for headers, _body in self.accepted]


@contextmanager
def webhook_receiver(secret: str | None, clock: Callable[[], float]) -> Iterator[Hook]:
    hook = Hook(secret, clock)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name: value for name, value in self.headers.items()}
            hook.arrived.set()
            if hook.stall:
                hook.release.wait(60)
            status, why = hook.check(headers, body)
            if status == 200:
                hook.accepted.append((headers, body))
            elif why != "ok":  # not ours, or a replay (an answer the test asked for is no refusal)
                hook.refused.append((status, why))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(why.encode())

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    # A short poll: shutdown() waits for it, once per test.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.release.set()
        server.shutdown()
        server.server_close()
