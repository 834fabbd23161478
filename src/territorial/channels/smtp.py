"""Sending one e-mail through an SMTP server (standard library smtplib)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from territorial.channels.errors import DeliveryFailed

# How long a silent server is waited for before the try counts as failed (and is retried).
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = None


def send_email(server: SmtpServer, message: EmailMessage) -> None:
    """Hand the message to the server. A 5xx refusal is permanent; anything else may pass later."""
    try:
        with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS) as smtp:
            if server.starttls:
                smtp.starttls()
            if server.user is not None:
                smtp.login(server.user, server.password or "")
            smtp.send_message(message)
    except smtplib.SMTPResponseException as err:
        permanent = 500 <= err.smtp_code < 600
        raise DeliveryFailed(f"SMTP {err.smtp_code}: {_text(err.smtp_error)}", permanent) from None
    except smtplib.SMTPRecipientsRefused as err:
        raise DeliveryFailed(f"recipients refused: {sorted(err.recipients)}", permanent=True) from None
    except (smtplib.SMTPException, OSError) as err:
        raise DeliveryFailed(f"SMTP server {server.host}:{server.port}: {err}") from None


def _text(raw: bytes | str) -> str:
    return raw.decode(errors="replace") if isinstance(raw, bytes) else raw
