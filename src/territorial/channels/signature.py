"""Signing webhook bodies, and the check a receiver makes: `X-Territorial-Signature: sha256=HMAC(secret,
timestamp + "." + body)` with `X-Territorial-Timestamp`, accepted for five minutes."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Territorial-Signature"
TIMESTAMP_HEADER = "X-Territorial-Timestamp"
KEY_HEADER = "Idempotency-Key"
# A signed request older (or newer) than this is refused as a possible replay; a receiver that also
# keeps the Idempotency-Keys it has seen for this long refuses every replay.
REPLAY_WINDOW_SECONDS = 5 * 60


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: sha256= and the hex HMAC-SHA256 of `timestamp.body`."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """Whether a received webhook is ours and fresh: the signature matches (compared in constant time)
    and its timestamp is within REPLAY_WINDOW_SECONDS of `now` (seconds since the epoch)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > REPLAY_WINDOW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, sent, body), signature)
