"""Run every benchmark script in bench/ in turn and print their figures (`make bench`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# load.py is `make load` (minutes long), not part of `make bench`.
NOT_BENCHMARKS = {"run.py", "floor_app.py", "floor_scoring.py", "service.py", "__init__.py", "load.py"}


def main() -> int:
    failures = 0
    for script in sorted(path for path in HERE.glob("*.py") if path.name not in NOT_BENCHMARKS):
        print(f"== {script.stem} ==", flush=True)
        failures += subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
