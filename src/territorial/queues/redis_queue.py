"""Job ids on a Redis list: submitting pushes one, a worker takes the oldest, waiting a little when
there is none. Only ids travel: the workspace's jobs table says what each job is and who runs it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis

log = logging.getLogger(__name__)

# Connecting to a Redis that is not there fails after this, instead of the system's minutes.
CONNECT_SECONDS = 2.0
# An answer slower than this is a Redis gone silent (a broken network, not a busy server): taking
# waits well below it.
ANSWER_SECONDS = 10.0


class QueueUnreachable(Exception):
    """Redis did not answer: the ids pushed meanwhile are lost, and found again in the jobs table."""


class RedisQueue:
    """The queue `{prefix}:jobs` on the Redis at `url`."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = without_password(url)
        self.key = f"{prefix}:jobs"
        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=CONNECT_SECONDS, socket_timeout=ANSWER_SECONDS
        )

    def check(self) -> None:
        """Raise QueueUnreachable, saying why, unless Redis answers."""
        with _reaching(self.url):
            self._redis.ping()

    def push(self, job_id: int) -> None:
        with _reaching(self.url):
            self._redis.lpush(self.key, str(job_id))

    def take(self, wait: float) -> int | None:
        """The oldest id, waiting up to `wait` seconds (less than ANSWER_SECONDS) for one; None if
        none came."""
        with _reaching(self.url):
            found = self._redis.brpop([self.key], timeout=wait)
        if found is None:
            return None
        raw = found[1]
        text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
        if not text.isdigit():  # not ours: someone else's use of the key
            log.warning("ignored %r on %s: not a job id", text, self.key)
            return None
        return int(text)

    def waiting(self) -> int:
        """How many ids wait in the queue."""
        with _reaching(self.url):
            return int(self._redis.llen(self.key))

    def close(self) -> None:
        self._redis.close()


@contextmanager
def _reaching(url: str) -> Iterator[None]:
    """Redis's connection and timeout errors as QueueUnreachable, naming the URL."""
    try:
        yield
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        raise QueueUnreachable(f"cannot reach Redis at {url}: {error}") from error


def without_password(url: str) -> str:
    """The URL as it may be shown: a password in it (redis://:secret@host) is not."""
    scheme, sep, rest = url.partition("://")
    credentials, at, place = rest.rpartition("@")
    return f"{scheme}{sep}{credentials.partition(':')[0]}{':***' if ':' in credentials else ''}{at}{place}"
