"""Beyond one machine (issue 19): BES rows/s with 1, 2 and 4 worker processes on PostgreSQL + S3 (each worker
a "host" with its own var dir, as tests/scale runs them) against the embedded default (SQLite and local files
on one machine, one worker of concurrency 1, 2, 4), and RRS requests/s with 1 and 2 web processes on
PostgreSQL + S3.

Both set-ups come from tests/scale/cluster.py. The income service is built through the HTTP API (upload,
train, Set Up, run, Deploy); the batch job scores BENCH_SCALE_ROWS Adult rows (200,000 by default) in chunks of
BENCH_SCALE_CHUNK_ROWS (25,000: eight chunks, enough for four workers), timed from its start to Finished as a
client polling its status sees it. RRS: `wrk` with a 1-row body for BENCH_SCALE_SECONDS (5) per figure, 8
connections in all (with two web processes, one wrk per process, 4 connections each, figures added).
The last line printed is the summary `make test-scale` ends with. On a machine with few cores the figures
measure how the processes share them, not how hosts would add up: the cores and load average are printed.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.scale.cluster import Cluster, income_graph, start_services  # noqa: E402

ROWS = int(os.environ.get("BENCH_SCALE_ROWS", "200000"))
CHUNK_ROWS = int(os.environ.get("BENCH_SCALE_CHUNK_ROWS", "25000"))
SECONDS = int(os.environ.get("BENCH_SCALE_SECONDS", "5"))
WORKERS = [int(n) for n in os.environ.get("BENCH_SCALE_WORKERS", "1,2,4").split(",")]
WORK = Path(tempfile.mkdtemp(prefix="atelier-bench-scale-"))


def adult_lines() -> list[str]:
    return gzip.decompress((ROOT / "experiments/sample_data/adult-census-income.csv.gz").read_bytes()).decode() \
        .splitlines()


def finished(http: httpx.Client, run_id: int) -> None:
    deadline = time.monotonic() + 600
    while (run := http.get(f"/api/runs/{run_id}/").json())["status"] in ("queued", "running"):
        if time.monotonic() > deadline:
            raise SystemExit(f"run {run_id} did not finish: {run}")
        time.sleep(0.3)
    if run["status"] != "finished":
        raise SystemExit(f"run {run_id} ended {run['status']}: {run.get('error')}")


def deploy_income(cluster: Cluster) -> dict[str, Any]:
    """Train the income experiment on 5,000 Adult rows, Set Up, run and Deploy, through web 1's API."""
    lines = adult_lines()
    with cluster.webs[0].client(cluster.token) as http:
        http.timeout = httpx.Timeout(120)
        dataset = http.post("/api/datasets/", data={"name": "Income"}, files={
            "file": ("income.csv", ("\n".join(lines[:5001]) + "\n").encode(), "text/csv")}).json()
        training = http.post("/api/experiments/", json={"name": "Income", "graph": income_graph(dataset["id"])})
        training.raise_for_status()
        finished(http, http.post(f"/api/experiments/{training.json()['id']}/run/").json()["run"])
        setup = http.post(f"/api/experiments/{training.json()['id']}/setup-web-service/", json={"kind": "predictive"})
        setup.raise_for_status()
        predictive = setup.json()["experiment"]
        finished(http, http.post(f"/api/experiments/{predictive}/run/").json()["run"])
        deployed = http.post(f"/api/experiments/{predictive}/deploy/", json={})
        deployed.raise_for_status()
    endpoint = deployed.json()["endpoint"]
    header = lines[0].split(",")
    keep = [i for i, column in enumerate(header) if column != "income"]
    rows = [[line.split(",")[i] for i in keep] for line in lines[-50:]]
    return {"key": endpoint["PrimaryKey"], "path": urlsplit(endpoint["ApiLocation"]).path + "/execute",
            "jobs": urlsplit(endpoint["BatchLocation"]).path, "workspace": urlsplit(endpoint["ApiLocation"]).path
            .split("/")[2], "columns": [header[i] for i in keep], "rows": rows}


def batch_input() -> bytes:
    """ROWS Adult rows (sampled with replacement, seeded), without the label, as CSV."""
    lines = adult_lines()
    header = lines[0].split(",")
    keep = [i for i, column in enumerate(header) if column != "income"]
    picked = random.Random(0).choices(lines[1:], k=ROWS)  # noqa: S311 (a seeded sample, not a secret)
    return ("\n".join([",".join(header[i] for i in keep)]
                      + [",".join(values[i] for i in keep) for values in (line.split(",") for line in picked)])
            + "\n").encode()


def cpu_seconds(cluster: Cluster) -> dict[str, float]:
    """CPU time (user + system) used so far by each kind of process of the cluster, summed over each process
    group (a worker's pool) and over the children of its leader (PostgreSQL's backends): where a job's time
    went. Processes that ended meanwhile are not counted."""
    groups = {"workers": {h.managed.pid for h in cluster.workers}, "web": {h.managed.pid for h in cluster.webs},
              **{m.name: {m.pid} for m in cluster.services if m.name in ("postgres", "s3", "redis")}}
    used = dict.fromkeys(groups, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for name, pids in groups.items():
            if int(fields[2]) in pids or int(fields[1]) in pids:  # its group, or its parent (PostgreSQL's backends)
                used[name] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return used


def rows_per_second(cluster: Cluster, service: dict[str, Any], label: str) -> float:
    """One batch job over the input, started through web 1; rows/s from its start to Finished, and the CPU
    seconds each kind of process used meanwhile."""
    web, key = cluster.webs[0].url, service["key"]
    headers = {"Authorization": f"Bearer {key}"}
    jobs = web + service["jobs"]
    body = {"Inputs": {"input1": {"RelativeLocation": "bench/input.csv"}},
            "Outputs": {"output1": {"RelativeLocation": f"bench/scored-{label}.csv"}}}
    job = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers, timeout=60).json()
    cpu = cpu_seconds(cluster)
    began = time.perf_counter()
    httpx.post(f"{jobs}/{job}/start?api-version=2.0", headers=headers, timeout=60).raise_for_status()
    while (status := httpx.get(f"{jobs}/{job}?api-version=2.0", headers=headers, timeout=60).json())[
            "StatusCode"] in ("NotStarted", "Running"):
        time.sleep(0.1)
    took = time.perf_counter() - began
    if status["StatusCode"] != "Finished":
        raise SystemExit(f"the batch job ({label}) ended {status['StatusCode']}: {status['Details']}")
    used = {name: seconds - cpu[name] for name, seconds in cpu_seconds(cluster).items()}
    print(f"  {label}: {took:.1f} s; CPU s " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items()),
          flush=True)
    return ROWS / took


def wrk(url: str, key: str, body: str, connections: int, name: str) -> subprocess.Popen[str]:
    (WORK / f"{name}.json").write_text(body)
    script = WORK / f"{name}.lua"
    script.write_text("\n".join(['wrk.method = "POST"', f'local f = io.open("{WORK / name}.json", "rb")',
                                 "wrk.body = f:read('*a')", "f:close()",
                                 'wrk.headers["Content-Type"] = "application/json"',
                                 f'wrk.headers["Authorization"] = "Bearer {key}"']) + "\n")
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "-s", str(script), url],
                            stdout=subprocess.PIPE, text=True)


def requests_per_second(cluster: Cluster, service: dict[str, Any], webs: int) -> float:
    """8 connections in all, spread over the first `webs` web processes (one wrk each, at the same time)."""
    import json

    body = json.dumps({"Inputs": {"input1": {"ColumnNames": service["columns"], "Values": service["rows"][:1]}},
                       "GlobalParameters": {}})
    urls = [f"{web.url}{service['path']}?api-version=2.0" for web in cluster.webs[:webs]]
    for url in urls:  # warm: the endpoint compiled and cached in each process
        httpx.post(url, content=body, headers={"Authorization": f"Bearer {service['key']}",
                                               "Content-Type": "application/json"}, timeout=60).raise_for_status()
    runs = [wrk(url, service["key"], body, 8 // webs, f"rrs-{index}") for index, url in enumerate(urls)]
    total = 0.0
    for run in runs:
        output, _ = run.communicate(timeout=SECONDS + 60)
        if re.search(r"Non-2xx or 3xx responses: (\d+)", output):
            raise SystemExit(f"errors under load:\n{output}")
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return total


def put_input(cluster: Cluster, service: dict[str, Any], data: bytes) -> None:
    put = httpx.put(f"{cluster.webs[0].url}/workspaces/{service['workspace']}/storage/bench/input.csv", content=data,
                    headers={"Authorization": f"Bearer {service['key']}"}, timeout=600)
    put.raise_for_status()


def embedded(data: bytes) -> dict[int, float]:
    """SQLite and local files: one web process, one worker of concurrency N (restarted for each N)."""
    cluster = start_services(WORK / "embedded", production=False, extra_env={"ATELIER_BES_CHUNK_ROWS": str(CHUNK_ROWS)})
    figures = {}
    try:
        cluster.add_web()
        cluster.add_worker(concurrency=1)
        cluster.wait_ready()
        service = deploy_income(cluster)
        put_input(cluster, service, data)
        concurrency = 1
        for count in WORKERS:
            if count != concurrency:
                cluster.workers.pop().managed.stop()
                cluster.add_worker(f"worker-c{count}", concurrency=count)
                cluster.wait_ready()
                concurrency = count
            load = os.getloadavg()[0]
            figures[count] = rows_per_second(cluster, service, f"embedded-{count}")
            print(f"BES embedded (SQLite + local files), 1 worker of concurrency {count}: {figures[count]:,.0f} "
                  f"rows/s (load average {load:.2f} before)", flush=True)
    finally:
        cluster.stop()
    return figures


def production(data: bytes) -> tuple[dict[int, float], dict[int, float]]:
    """PostgreSQL + S3: workers added one host at a time (1, 2, then 4), then RRS on 1 and 2 web processes."""
    cluster = start_services(WORK / "production", extra_env={"ATELIER_BES_CHUNK_ROWS": str(CHUNK_ROWS)})
    bes, rrs = {}, {}
    try:
        cluster.add_web()
        cluster.add_worker()
        cluster.wait_ready()
        service = deploy_income(cluster)
        put_input(cluster, service, data)
        for count in WORKERS:
            while len(cluster.workers) < count:
                cluster.add_worker()
            cluster.wait_ready()
            load = os.getloadavg()[0]
            bes[count] = rows_per_second(cluster, service, f"production-{count}")
            print(f"BES PostgreSQL + S3, {count} worker process(es) with their own var dirs: {bes[count]:,.0f} rows/s "
                  f"(load average {load:.2f} before)", flush=True)
        while len(cluster.workers) > 1:  # RRS does not use the workers: leave the cores to the web processes
            cluster.workers.pop().managed.stop()
        cluster.add_web()
        cluster.wait_ready()
        for webs in (1, 2):
            load = os.getloadavg()[0]
            rrs[webs] = requests_per_second(cluster, service, webs)
            print(f"RRS PostgreSQL + S3, {webs} web process(es), 8 connections, 1-row calls: {rrs[webs]:,.0f} req/s "
                  f"(load average {load:.2f} before)", flush=True)
    finally:
        cluster.stop()
    return bes, rrs


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (scripts/ensure-system-packages.sh wrk)")
    started = time.monotonic()
    print(f"{ROWS:,} rows in chunks of {CHUNK_ROWS:,}; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    data = batch_input()
    try:
        default = embedded(data)
        bes, rrs = production(data)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)

    def listed(figures: dict[int, float]) -> str:
        return " / ".join(f"{figures[n]:,.0f}" for n in WORKERS)

    workers = "/".join(map(str, WORKERS))
    print(f"scale figures ({ROWS:,} rows, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"{time.monotonic() - started:.0f} s): BES rows/s with {workers} workers: PostgreSQL + S3 {listed(bes)}, "
          f"embedded {listed(default)}; RRS req/s with 1 / 2 web processes: {rrs[1]:,.0f} / {rrs[2]:,.0f}",
          flush=True)


if __name__ == "__main__":
    main()
