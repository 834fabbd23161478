"""What `territorial serve` runs beside the API: where jobs go (its own runner, or the workers'
queue when Redis is configured) and the scheduler, started and stopped together."""

from __future__ import annotations

from dataclasses import dataclass

from territorial.services.jobs import JobRunner, JobSubmitter
from territorial.services.scheduler import Scheduler
from territorial.services.settings import Settings
from territorial.services.unit_of_work import WorkspaceStore
from territorial.services.worker import QueuedJobs, job_queue


@dataclass
class Background:
    """The serving process's jobs (submit jobs to it) and scheduler."""

    jobs: JobSubmitter
    scheduler: Scheduler | None

    def stop(self) -> None:
        """Stop the scheduler after its round, then the runner (its running jobs end interrupted)."""
        if self.scheduler is not None:
            self.scheduler.stop()
        self.jobs.stop()


def start_background(workspace: WorkspaceStore, settings: Settings, scheduler: bool = True) -> Background:
    """Start the job runner (marking jobs a previous process left unfinished interrupted), or, with
    Redis configured, send jobs to `territorial worker` processes; and, unless told not to, the
    scheduler: with several serving processes each starts one, and only the lease holder's runs
    its rounds."""
    jobs: JobSubmitter
    if settings.redis_url is not None:
        jobs = QueuedJobs(workspace, job_queue(settings))
    else:
        jobs = JobRunner(workspace, settings.job_workers).start()
    every = settings.scheduler_every
    return Background(jobs, Scheduler(workspace, every).start() if scheduler else None)
