"""Record the golden corpus: `python tests/golden/record.py [SCRIPT ...]` (all scripts by default).

Run it only on the commit whose behaviour is the reference, with that commit's `src` first on
PYTHONPATH; each script runs in a fresh temporary folder."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from golden_corpus import SCRIPTS, SCRIPTS_BY_NAME, run_script, save


def main(names: list[str]) -> None:
    import territorial

    print(f"recording with {Path(territorial.__file__).parent}", file=sys.stderr)
    for script in [SCRIPTS_BY_NAME[n] for n in names] if names else SCRIPTS:
        with tempfile.TemporaryDirectory() as folder:
            steps = run_script(script, Path(folder) / "run")
        save(script.name, steps)
        print(f"{script.name}: {len(steps)} steps", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
