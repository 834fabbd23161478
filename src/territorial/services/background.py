"""What `territorial serve` runs beside the API: the job runner and the scheduler, started and
stopped together."""

from __future__ import annotations

from dataclasses import dataclass

from territorial.services.jobs import JobRunner
from territorial.services.scheduler import Scheduler
from territorial.services.settings import Settings
from territorial.services.unit_of_work import WorkspaceStore


@dataclass
class Background:
    """The serving process's job runner (submit jobs to it) and scheduler."""

    runner: JobRunner
    scheduler: Scheduler | None

    def stop(self) -> None:
        """Stop the scheduler after its round, then the runner (its running jobs end interrupted)."""
        if self.scheduler is not None:
            self.scheduler.stop()
        self.runner.stop()


def start_background(workspace: WorkspaceStore, settings: Settings, scheduler: bool = True) -> Background:
    """Start the job runner (marking jobs a previous process left unfinished interrupted) and, unless
    told not to, the scheduler: with several serving processes each starts one, and only the
    lease holder's runs its rounds."""
    runner = JobRunner(workspace, settings.job_workers).start()
    every = settings.scheduler_every
    return Background(runner, Scheduler(workspace, every).start() if scheduler else None)
