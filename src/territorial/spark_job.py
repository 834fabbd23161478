"""The file spark-submit runs: `territorial spark-job` with the arguments given after it.

    spark-submit --master yarn --files plan.yaml "$(python -m territorial.spark_job --path)" \\
        plan.yaml --accounts s3a://lake/market/ --out s3a://lake/assignments/
"""

from __future__ import annotations

import sys
from pathlib import Path

from territorial.cli.main import main


def submitted(argv: list[str]) -> None:
    """`--path` prints this file's path (for spark-submit); anything else runs the job."""
    if argv == ["--path"]:
        print(Path(__file__).resolve())
        return
    sys.argv = ["territorial spark-job", "spark-job", *argv]
    main()


if __name__ == "__main__":
    submitted(sys.argv[1:])
