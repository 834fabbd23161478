"""The Redis queue against the machine's real Redis: ids come out oldest first, a quiet queue gives
None after its wait, what is not a job id is ignored, and an unreachable Redis is said as such."""

from __future__ import annotations

import re
import time

import pytest
import redis

from territorial.queues.redis_queue import QueueUnreachable, RedisQueue, without_password


def test_ids_come_out_oldest_first_and_a_quiet_queue_gives_none(redis_env: dict[str, str]) -> None:
    queue = RedisQueue(redis_env["TERRITORIAL_REDIS_URL"], redis_env["TERRITORIAL_REDIS_PREFIX"])
    other = RedisQueue(redis_env["TERRITORIAL_REDIS_URL"], redis_env["TERRITORIAL_REDIS_PREFIX"] + "-other")
    try:
        queue.check()
        for job_id in (3, 1, 2):
            queue.push(job_id)
        other.push(99)  # another workspace's queue on the same Redis
        assert queue.waiting() == 3
        assert [queue.take(0.1) for _ in range(3)] == [3, 1, 2]
        started = time.monotonic()
        assert queue.take(0.2) is None
        assert time.monotonic() - started >= 0.15  # it waited for one
        raw = redis.Redis.from_url(redis_env["TERRITORIAL_REDIS_URL"])
        raw.lpush(queue.key, "not-a-job")
        raw.close()
        assert queue.take(0.1) is None and queue.waiting() == 0
        assert other.take(0.1) == 99
    finally:
        queue.close()
        other.close()


def test_an_unreachable_redis_is_said_with_its_url_and_never_its_password() -> None:
    queue = RedisQueue("redis://:s3cret@127.0.0.1:1/0", "territorial")
    shown = re.escape("cannot reach Redis at redis://:***@127.0.0.1:1/0: ")
    with pytest.raises(QueueUnreachable, match=shown) as got:
        queue.push(1)
    assert "s3cret" not in str(got.value)
    with pytest.raises(QueueUnreachable):
        queue.take(0.1)
    assert without_password("redis://ops:pw@host:6379/2") == "redis://ops:***@host:6379/2"
    assert without_password("redis://host:6379") == "redis://host:6379"
