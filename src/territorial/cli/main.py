"""Entry point of the `territorial` command: every command group, and what happens when a reader of
its output goes away."""

from __future__ import annotations

import os
import sys

# Each module adds its commands to the app; the order is the order `--help` lists them in.
from territorial.cli import (  # noqa: F401
    accounts,
    assign,
    audit,
    balance,
    capacity,
    coverage,
    demo,
    drift,
    export_decisions,
    forecast,
    generate,
    impact,
    jobs,
    kpis,
    notify,
    overrides,
    plan_checks,
    plans,
    quotas,
    report,
    roster,
    route,
    runs,
    score,
    serve,
    spark_job,
    users,
    worker,
    workspace,
)
from territorial.cli.app import app


def main() -> None:
    try:
        app(prog_name="territorial")
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: that is not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
