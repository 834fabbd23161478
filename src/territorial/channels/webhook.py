"""Posting one webhook (standard library urllib): JSON, with its idempotency key and, given a secret,
signed (channels.signature)."""

from __future__ import annotations

import urllib.error
import urllib.request

from territorial.channels.errors import DeliveryFailed
from territorial.channels.signature import KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

TIMEOUT_SECONDS = 30
# Answers that say the same request may pass later: timeouts, too many requests, the server's faults.
RETRYABLE = {408, 425, 429}


def post(url: str, body: bytes, key: str, secret: str | None, timestamp: int) -> None:
    """POST the body; a 2xx answer is delivery. A 4xx (but RETRYABLE) refusal is permanent."""
    headers = {"Content-Type": "application/json", KEY_HEADER: key, "User-Agent": "territorial"}
    if secret is not None:
        headers[TIMESTAMP_HEADER] = str(timestamp)
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            answer.read()
    except urllib.error.HTTPError as err:
        permanent = 400 <= err.code < 500 and err.code not in RETRYABLE
        raise DeliveryFailed(f"{url} answered {err.code} {err.reason}", permanent) from None
    except ValueError as err:  # a URL the HTTP client cannot send to: it never will
        raise DeliveryFailed(f"{url}: {err}", permanent=True) from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise DeliveryFailed(f"{url}: {reason}") from None
