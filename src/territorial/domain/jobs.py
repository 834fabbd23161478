"""Background jobs as the workspace keeps them: what was asked, how far it got, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its runner stopped (a restart, a crash) or fell silent


# A job in one of these states is over: nothing changes it again.
FINISHED = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.INTERRUPTED})
UNFINISHED = frozenset({JobState.QUEUED, JobState.RUNNING})


@dataclass(frozen=True)
class StoredJob:
    job_id: int
    kind: str
    parameters: dict[str, Any]
    state: JobState
    progress: float | None  # 0 … 1, or None while the stage cannot say
    message: str  # the stage, in words
    result: dict[str, Any] | None  # what it made: a run id, an output path
    error: str | None  # why it failed, located as the command line would say it
    submitted_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    cancel_requested: bool
    runner: str | None  # the runner that holds it: host:pid:tag
