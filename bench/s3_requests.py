"""S3 requests made by one Batch Execution job (issue 20): real S3 answers each in 10-30 ms, so a chunk's
requests are latency it pays one after another. Counted server side, from the request log of the S3 server
(moto's, as tests/scale/cluster.py starts it with PostgreSQL, Redis, one web and one worker process): every
request logged from the job's start to its Finished status, by HTTP method, and those on the job's own chunk
files (`jobs/<job id>/...`, and DeleteObjects; not the listing of the folder) apart.

The job scores BENCH_S3_CHUNKS chunks (8) of BENCH_S3_CHUNK_ROWS Adult rows (500) without the label (a CSV
without quotes: the split cuts raw lines, as most machine-written CSV is cut). BENCH_S3_QUOTED=1 quotes every
field instead, so the split parses and writes Parquet chunks. BENCH_S3_SAVE=path writes the figures as JSON;
BENCH_S3_BEFORE=path reads such a file (a run on the code before a change) and prints both; BENCH_S3_LOG=path
keeps the job's slice of the server's request log.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scale import adult_lines, deploy_income, put_input  # noqa: E402
from tests.scale.cluster import Cluster, start_services  # noqa: E402

CHUNKS = int(os.environ.get("BENCH_S3_CHUNKS", "8"))
CHUNK_ROWS = int(os.environ.get("BENCH_S3_CHUNK_ROWS", "500"))
QUOTED = os.environ.get("BENCH_S3_QUOTED", "0") == "1"
METHODS = ("HEAD", "GET", "PUT", "POST", "DELETE")
# werkzeug's access log line, as moto's server writes it: 127.0.0.1 - - [date] "HEAD /bucket/key HTTP/1.1" 200 -
REQUEST = re.compile(r'"([A-Z]+) (/[^ ]*) HTTP/[\d.]+" (\d{3})')


def job_input() -> bytes:
    """CHUNKS * CHUNK_ROWS Adult rows (seeded sample) without the label; every field quoted with QUOTED."""
    lines = adult_lines()
    header = lines[0].split(",")
    keep = [i for i, column in enumerate(header) if column != "income"]
    picked = random.Random(0).choices(lines[1:], k=CHUNKS * CHUNK_ROWS)  # noqa: S311 (a seeded sample)
    rows = [[header[i] for i in keep]] + [[line.split(",")[i] for i in keep] for line in picked]
    quote = '"' if QUOTED else ""
    return ("\n".join(",".join(f"{quote}{value}{quote}" for value in row) for row in rows) + "\n").encode()


def run_job(cluster: Cluster, service: dict[str, object]) -> tuple[str, int]:
    """Submit, start and poll one job through the web process until it has finished; (job id, chunks)."""
    headers = {"Authorization": f"Bearer {service['key']}"}
    jobs = f"{cluster.webs[0].url}{service['jobs']}"
    body = {"Inputs": {"input1": {"RelativeLocation": "bench/input.csv"}},
            "Outputs": {"output1": {"RelativeLocation": "bench/scored.csv"}}}
    job = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers, timeout=60).json()
    httpx.post(f"{jobs}/{job}/start?api-version=2.0", headers=headers, timeout=60).raise_for_status()
    deadline = time.monotonic() + 600
    while (status := httpx.get(f"{jobs}/{job}?api-version=2.0", headers=headers, timeout=60).json())[
            "StatusCode"] in ("NotStarted", "Running"):
        if time.monotonic() > deadline:
            raise SystemExit(f"the job did not finish: {status}")
        time.sleep(0.2)
    if status["StatusCode"] != "Finished":
        raise SystemExit(f"the job ended {status['StatusCode']}: {status['Details']}")
    return job, CHUNKS


def counted(log: bytes, job_id: str) -> dict[str, dict[str, int]]:
    """Requests by method: all of them, and those on the job's chunk files."""
    every, scratch = Counter[str](), Counter[str]()
    plain = re.sub(r"\x1b\[[\d;]*m", "", log.decode(errors="replace"))  # werkzeug colours 4xx lines
    for method, path, _ in REQUEST.findall(plain):
        every[method] += 1
        if f"/jobs/{job_id}" in path or (method == "POST" and "?delete" in path):  # DeleteObjects: the job's
            scratch[method] += 1
    return {"all": dict(every), "scratch": dict(scratch)}


def described(counts: dict[str, int], per: int = 1) -> str:
    total = sum(counts.values())
    methods = ", ".join(f"{method} {counts.get(method, 0) / per:.3g}" for method in METHODS
                        if counts.get(method) or method != "POST")
    return f"{total / per:.3g} ({methods})"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="atelier-bench-s3-"))
    cluster = start_services(work, extra_env={"ATELIER_BES_CHUNK_ROWS": str(CHUNK_ROWS)})
    try:
        cluster.add_web()
        cluster.add_worker()
        cluster.wait_ready()
        service = deploy_income(cluster)
        put_input(cluster, service, job_input())
        log = work / "s3.log"
        if not REQUEST.search(log.read_text(errors="replace")):
            raise SystemExit(f"the S3 server logs no requests in {log}: nothing to count")
        start = log.stat().st_size
        job, chunks = run_job(cluster, service)
        time.sleep(1.0)  # the last requests' log lines
        with log.open("rb") as handle:
            handle.seek(start)
            logged = handle.read()
        figures = counted(logged, job)
        if os.environ.get("BENCH_S3_LOG"):
            Path(os.environ["BENCH_S3_LOG"]).write_bytes(logged)
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    figures["chunks"] = {"count": chunks}
    kind = "quoted CSV (Parquet chunks)" if QUOTED else "CSV without quotes (raw-line chunks)"
    print(f"one batch job of {chunks} chunks of {CHUNK_ROWS} rows, {kind}; 1 web, 1 worker, moto:")
    print(f"  the job's S3 requests: {described(figures['all'])}")
    print(f"  on its chunk files (jobs/{job}/): {described(figures['scratch'])}")
    after = described(figures["all"], chunks)
    if saved := os.environ.get("BENCH_S3_SAVE"):
        Path(saved).write_text(json.dumps(figures))
    if before := os.environ.get("BENCH_S3_BEFORE"):
        old = json.loads(Path(before).read_text())
        print(f"S3 requests per chunk: before {described(old['all'], old['chunks']['count'])} after {after}")
    else:
        print(f"S3 requests per chunk: {after}")


if __name__ == "__main__":
    main()
