"""The webhook signature a receiver checks: the body and timestamp signed with the secret, fresh for
five minutes."""

from __future__ import annotations

import hashlib
import hmac

from territorial.channels.signature import REPLAY_WINDOW_SECONDS, sign, verify

BODY = b'{"key":"abc"}'


def test_the_signature_is_the_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, BODY) == f"sha256={expected}"


def test_verify_accepts_a_fresh_signature_and_refuses_edits_other_secrets_and_stale_ones() -> None:
    sent = 1700000000
    signature = sign("k", sent, BODY)
    assert verify("k", str(sent), BODY, signature, now=sent + REPLAY_WINDOW_SECONDS)
    assert not verify("k", str(sent), BODY + b" ", signature, now=sent)
    assert not verify("other", str(sent), BODY, signature, now=sent)
    assert not verify("k", str(sent + 1), BODY, signature, now=sent)
    assert not verify("k", str(sent), BODY, signature, now=sent + REPLAY_WINDOW_SECONDS + 1)
    assert not verify("k", str(sent), BODY, signature, now=sent - REPLAY_WINDOW_SECONDS - 1)
    assert not verify("k", "yesterday", BODY, signature, now=sent)
