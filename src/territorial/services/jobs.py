"""Background jobs run in this process, in a thread pool, with the workspace's `jobs` table as the
truth: progress, a heartbeat, cooperative cancel, and jobs whose runner is gone marked interrupted."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, Self

from territorial.domain.jobs import FINISHED, UNFINISHED, JobState, StoredJob
from territorial.errors import BadInput, NotAllowed, NotFound
from territorial.services.context import Context, system_clock
from territorial.services.job_kinds import kind_named
from territorial.services.unit_of_work import WorkspaceStore

log = logging.getLogger(__name__)

LOCK = "jobs"  # the writing lock of the jobs table (PostgreSQL: its own advisory lock)

# How often a runner beats for its jobs, writes their progress and reads their cancel flags: a
# cancel is seen within this, and the job stops at its next progress point, so within 5 s.
HEARTBEAT_SECONDS = 1.0
# A job whose heartbeat is older than this is interrupted, by any runner that looks (the 30 s):
# thirty missed beats is no slow disk, it is a process that is gone or stuck.
SILENT_SECONDS = 30.0
PROCESS_ENDED = "its runner's process ended (a restart or a crash) while it was unfinished"


@dataclass(frozen=True)
class Timings:
    """The runner's clocks, shorter in tests."""

    heartbeat: float = HEARTBEAT_SECONDS
    silent_after: float = SILENT_SECONDS


class JobCancelled(Exception):
    """Raised at a job's progress point once it is asked to stop: the service's unit of work rolls
    back, so nothing is half-written."""


def runner_name() -> str:
    """host:pid:tag: the host and process tell whether a runner is gone (services.jobs.runner_gone)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def runner_gone(runner: str) -> bool:
    """A runner on this host whose process no longer exists: its jobs will never end by themselves.
    A runner on another host is judged by its heartbeat only."""
    host, _, rest = runner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process: alive
        return False
    return False


@dataclass
class _Held:
    """A job this runner holds: what its progress callback last heard, and whether it must stop."""

    job_id: int
    stage: str = ""
    fraction: float | None = None
    stop: str | None = None  # why it must stop: set by a cancel, the runner stopping, or losing it
    stopped_by_cancel: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, stage: str, fraction: float | None = None) -> None:
        """The job's Progress: kept in memory (the heartbeat writes it), and a progress point where a
        job asked to stop does. It never touches the database: on SQLite a service calls it inside
        its own writing transaction, and a second writer would wait for that very transaction."""
        with self.lock:
            self.stage, self.fraction = stage, fraction
            stop = self.stop
        if stop is not None:
            raise JobCancelled(stop)


class JobSubmitter(Protocol):
    """Where the serving process sends jobs: its own runner, or the queue to the workers."""

    def submit(self, kind: str, parameters: Mapping[str, Any], ctx: Context) -> int: ...

    def stop(self, wait: bool = True) -> None: ...


def checked_job(
    workspace: WorkspaceStore, kind: str, parameters: Mapping[str, Any], ctx: Context
) -> dict[str, Any]:
    """A job an admin or planner may submit, its parameters checked (BadInput, so nothing is queued);
    the parameters as they are stored."""
    if not ctx.principal.sees_everything:  # every kind writes or reads the whole workspace
        raise NotAllowed.at(f"{ctx.principal.role.value}s may not run jobs; planners and admins may", "kind")
    job_kind = kind_named(kind)
    checked = job_kind.parameters(parameters)
    job_kind.check(workspace, checked)
    stored: dict[str, Any] = checked.model_dump(mode="json")
    return stored


class JobPool:
    """Runs the jobs it holds in `workers` threads of this process. `start()` first marks interrupted
    the jobs a previous process left unfinished; a heartbeat thread then beats for the held jobs,
    writes their progress, reads their cancel flags and interrupts silent jobs of any runner."""

    def __init__(
        self,
        workspace: WorkspaceStore,
        workers: int = 2,
        timings: Timings = Timings(),
        clock: Callable[[], datetime] = system_clock,
    ) -> None:
        self.workspace = workspace
        self.name = runner_name()
        self.timings = timings
        self.clock = clock
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="territorial-job")
        self._held: dict[int, _Held] = {}
        self._held_lock = threading.Lock()
        self._stopping = threading.Event()
        self._beater = threading.Thread(target=self._beat_loop, name="territorial-heartbeat", daemon=True)

    def start(self) -> Self:
        interrupt_left_behind(self.workspace, self.clock(), self.timings.silent_after, self.name)
        self._beater.start()
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop taking jobs: running ones stop at their next progress point and, with queued ones,
        are marked interrupted (a restart would show them so anyway)."""
        self._stopping.set()
        with self._held_lock:
            held = list(self._held.values())
        for job in held:
            with job.lock:
                job.stop = job.stop or "the job runner stopped"
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if self._beater.is_alive():
            self._beater.join()
        with self._held_lock:
            left = sorted(self._held)
            self._held.clear()
        if left:
            with self.workspace.unit_of_work(write=True, lock=LOCK) as uow:
                uow.jobs.interrupt(left, self.clock(), "the job runner stopped before it ran")

    def _hold(self, job_id: int) -> None:
        with self._held_lock:
            self._held[job_id] = _Held(job_id)

    def _started(self, job_id: int) -> bool:
        """Whether the held job is running now, as this runner's: how it starts is the runner's own."""
        raise NotImplementedError

    def _run(self, job_id: int, kind: str, parameters: dict[str, Any], ctx: Context) -> None:
        with self._held_lock:
            held = self._held.get(job_id)
        if held is None:
            return
        try:
            if self._started(job_id):
                self._finish(job_id, *self._outcome(held, kind, parameters, ctx))
        except Exception:  # the runner must outlive any job; the job's row says what it can
            log.exception("job %s could not be recorded", job_id)
        finally:
            with self._held_lock:
                self._held.pop(job_id, None)

    def _outcome(
        self, held: _Held, kind: str, parameters: dict[str, Any], ctx: Context
    ) -> tuple[JobState, dict[str, Any] | None, str | None]:
        try:
            result = kind_named(kind).execute(self.workspace, ctx, parameters, held.progress)
        except JobCancelled as stopped:
            return (
                (JobState.CANCELLED if held.stopped_by_cancel else JobState.INTERRUPTED),
                None,
                str(stopped),
            )
        except BadInput as bad:
            return JobState.FAILED, None, str(bad)
        except Exception as unexpected:
            log.exception("job %s failed", held.job_id)
            return JobState.FAILED, None, f"internal error: {type(unexpected).__name__}: {unexpected}"
        return JobState.SUCCEEDED, result, None

    def _finish(self, job_id: int, state: JobState, result: dict[str, Any] | None, error: str | None) -> None:
        with self.workspace.unit_of_work(write=True, lock=LOCK) as uow:
            uow.jobs.finish(job_id, self.name, state, self.clock(), result, error)

    def _beat_loop(self) -> None:
        while not self._stopping.wait(self.timings.heartbeat):
            try:
                self.beat()
            except Exception:  # a busy or unreachable database: beat again next time
                log.exception("the job heartbeat failed")

    def beat(self) -> None:
        """One heartbeat: read the held jobs' cancel flags (a read, never waiting for a writer), then
        write their progress and heartbeat, and interrupt any runner's silent jobs."""
        with self._held_lock:
            held = dict(self._held)
        if held:
            with self.workspace.unit_of_work() as uow:
                rows = {job_id: uow.jobs.get(job_id) for job_id in held}
            for job_id, row in rows.items():
                _stop_if_asked(held[job_id], row, self.name)
        now = self.clock()
        if held:
            with self.workspace.unit_of_work(write=True, lock=LOCK) as uow:
                for job in held.values():
                    with job.lock:
                        stage, fraction = job.stage, job.fraction
                    uow.jobs.beat(job.job_id, self.name, now, fraction, stage)
        interrupt_left_behind(self.workspace, now, self.timings.silent_after, self.name)


class JobRunner(JobPool):
    """The embedded default: jobs submitted to the serving process run in its own threads."""

    def submit(self, kind: str, parameters: Mapping[str, Any], ctx: Context) -> int:
        """Queue a job for an admin or planner; its parameters are checked first, so bad ones are
        refused (BadInput) and nothing is queued. The job's id."""
        if self._stopping.is_set():
            raise RuntimeError("this job runner has stopped")
        stored = checked_job(self.workspace, kind, parameters, ctx)
        with self.workspace.unit_of_work(write=True, lock=LOCK) as uow:
            job_id = uow.jobs.add(kind, stored, ctx.actor, self.name, self.clock())
        self._hold(job_id)
        self._pool.submit(self._run, job_id, kind, stored, ctx)
        return job_id

    def _started(self, job_id: int) -> bool:
        with self.workspace.unit_of_work(write=True, lock=LOCK) as uow:
            return uow.jobs.start(job_id, self.name, self.clock())


def _stop_if_asked(held: _Held, row: StoredJob | None, runner: str) -> None:
    with held.lock:
        if held.stop is not None or row is None:
            return
        if row.cancel_requested:
            held.stop, held.stopped_by_cancel = f"cancelled at {held.stage or 'its start'}", True
        elif row.state in FINISHED or row.runner != runner:
            held.stop = f"job {row.job_id} is {row.state.value} and no longer this runner's"


def _left_behind(
    unfinished: list[StoredJob], now: datetime, silent_after: float, runner: str
) -> dict[int, str]:
    """The unfinished jobs of other runners that will never end by themselves, with why."""
    cutoff = now - timedelta(seconds=silent_after)
    found: dict[int, str] = {}
    for j in unfinished:
        if j.runner == runner or j.runner is None:
            continue  # the runner's own are beaten before it looks; nobody holds one waiting for a worker
        if j.runner and runner_gone(j.runner):
            found[j.job_id] = PROCESS_ENDED
        elif j.heartbeat_at is None or j.heartbeat_at < cutoff:
            found[j.job_id] = f"its runner fell silent for more than {silent_after:g} s"
    return found


def interrupt_left_behind(
    workspace: WorkspaceStore, now: datetime, silent_after: float = SILENT_SECONDS, runner: str = ""
) -> list[int]:
    """Mark interrupted the unfinished jobs whose runner is gone: a process on this host that no
    longer exists (a restart), or any runner silent for longer than `silent_after` seconds. It
    reads first and writes only when there is something to mark: on SQLite a write waits for any
    import under way. Their ids."""
    with workspace.unit_of_work() as uow:
        if not _left_behind(uow.jobs.list(UNFINISHED), now, silent_after, runner):
            return []
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        found = _left_behind(uow.jobs.list(UNFINISHED), now, silent_after, runner)  # as of now
        for why in sorted(set(found.values())):
            uow.jobs.interrupt([job_id for job_id, w in found.items() if w == why], now, why)
    return sorted(found)


def list_jobs(
    workspace: WorkspaceStore, ctx: Context, states: Collection[JobState] = (), limit: int = 50
) -> list[StoredJob]:
    """The newest jobs first (after marking silent ones interrupted). An admin or planner sees
    everyone's; anyone else their own."""
    interrupt_left_behind(workspace, system_clock())  # heartbeats are real time, whatever ctx says
    with workspace.unit_of_work() as uow:
        found = uow.jobs.list(states, None if ctx.principal.sees_everything else limit * 10)
    if not ctx.principal.sees_everything:
        found = [j for j in found if j.submitted_by == ctx.actor]
    return found[:limit]


def job(workspace: WorkspaceStore, ctx: Context, job_id: int) -> StoredJob:
    """One job as it stands; someone else's reads as missing to those who see only their own."""
    interrupt_left_behind(workspace, system_clock())
    with workspace.unit_of_work() as uow:
        found = uow.jobs.get(job_id)
    if found is None or not (ctx.principal.sees_everything or found.submitted_by == ctx.actor):
        raise NotFound.at(f"no job {job_id}; `territorial jobs list` shows them", "ID")
    return found


def cancel_job(workspace: WorkspaceStore, ctx: Context, job_id: int) -> StoredJob:
    """Ask a job to stop: a queued job is cancelled now; a running one stops at its next progress
    point, within 5 s. Whichever process runs it sees the flag. The job as it stands."""
    if not ctx.principal.sees_everything:  # only those who may start jobs stop them
        raise NotAllowed.at("only admins and planners run or cancel jobs", "ID")
    found = job(workspace, ctx, job_id)
    if found.state in FINISHED:
        raise BadInput.at(f"job {job_id} already {found.state.value}; nothing to cancel", "ID")
    with workspace.unit_of_work(write=True, lock=LOCK) as uow:
        uow.jobs.request_cancel(job_id, system_clock())
        cancelled = uow.jobs.get(job_id)
    assert cancelled is not None  # jobs are never deleted
    return cancelled


def wait_for(workspace: WorkspaceStore, job_id: int, timeout: float, poll: float = 0.1) -> StoredJob:
    """The job once it is finished, or as it stands after `timeout` seconds."""
    stop = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        with workspace.unit_of_work() as uow:
            found = uow.jobs.get(job_id)
        if found is None:
            raise NotFound.at(f"no job {job_id}", "ID")
        if found.state in FINISHED or time.monotonic() >= deadline:
            return found
        stop.wait(poll)
