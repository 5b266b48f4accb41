"""Reading an upload: what the line check (issue 18, item 3) costs next to the whole read.

Writes the Adult sample 30 times over (about 1 M rows, 105 MB) to a temporary directory and prints the time of
table_files.line_check on it (numpy's count: the file has no quotes), of the csv module's count (what a file with
quotes gets), and of parse_upload as a whole (both pandas passes, the Parquet write). BENCH_UPLOAD_COPIES sets
the number of copies.
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

COPIES = int(os.environ.get("BENCH_UPLOAD_COPIES", "30"))


def timed(what: str, action) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    print(f"{what:<44} {time.perf_counter() - started:6.2f} s", flush=True)


def main() -> None:
    import django

    django.setup()
    from experiments.modules.framework.table_files import Lines, _exact_lines, line_check
    from experiments.uploads import parse_upload

    sample = gzip.decompress((ROOT / "experiments/sample_data/adult-census-income.csv.gz").read_bytes())
    header, _, body = sample.partition(b"\n")
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as workdir:
        path = Path(workdir) / "adult.csv"
        with path.open("wb") as out:
            out.write(header + b"\n" + body * COPIES)
        fields = header.count(b",") + 1
        rows = body.count(b"\n") * COPIES
        print(f"{path.stat().st_size / 2**20:.0f} MiB, {rows} rows")
        timed("line_check (numpy, no quotes in the file)", lambda: line_check(str(path), ",", fields))
        timed("the csv module's count (a file with quotes)",
              lambda: _exact_lines(str(path), ",", Lines(fields), False, True))
        timed("parse_upload, the whole read",
              lambda: parse_upload(path, "adult.csv", Path(workdir)))


if __name__ == "__main__":
    main()
