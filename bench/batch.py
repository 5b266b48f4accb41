"""Batch scoring of a large file: Atelier's BES (one worker process, then two) vs pandas + scikit-learn
predict in one process on the same rows, with each worker's peak memory.

Builds the income service in a throwaway var dir, writes BENCH_BATCH_ROWS rows (1,000,000 by default,
sampled from the Adult data) to the workspace storage, and runs the same job with a Celery worker of
concurrency 1 and then 2 against a private Redis. Prints rows/s, the ratio to the in-process baseline, the
speed-up from one to two worker processes, the peak RSS (VmHWM) of the worker processes, and the CPU time the
workers used (how many cores they had: on a shared machine two processes may not get two).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.service import WORK, build_service  # noqa: E402  (sets the throwaway environment first)
from studio import processes  # noqa: E402

ROWS = int(os.environ.get("BENCH_BATCH_ROWS", "1000000"))
REDIS_PORT = processes.free_port()
os.environ["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"


def peak_rss_mb(root: int) -> float:
    """The largest VmHWM among the worker's processes (the pool children do the scoring)."""
    pids = [root] + [int(p) for p in subprocess.run(["pgrep", "-P", str(root)], capture_output=True,
                                                      text=True).stdout.split()]
    peaks = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")]
    return max(peaks, default=0.0)


def worker_cpu_seconds(root: int) -> tuple[float, float]:
    """CPU time (user + system) the worker's main process, and its pool processes, have used so far."""
    children = [int(p) for p in subprocess.run(["pgrep", "-P", str(root)], capture_output=True,
                                               text=True).stdout.split()]
    used = []
    for pids in ([root], children):
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        used.append(ticks / os.sysconf("SC_CLK_TCK"))
    return used[0], used[1]


def run_job(endpoint, concurrency: int) -> tuple[float, float, tuple[float, ...]]:
    from webservices.batch import job_start, job_submit
    from webservices.models import BatchJob

    worker = subprocess.Popen(processes.worker_command(concurrency=concurrency, name=f"bench{concurrency}@%h",
                                                       loglevel="WARNING"),
                              cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        time.sleep(8)  # the worker imports the module library and connects
        job = job_submit(endpoint=endpoint, body={
            "Inputs": {"input1": {"RelativeLocation": "bench/input.csv"}},
            "Outputs": {"output1": {"RelativeLocation": f"bench/scored-{concurrency}.csv"}}})
        cpu = worker_cpu_seconds(worker.pid)
        began = time.perf_counter()
        job_start(job)
        while (job := BatchJob.objects.get(pk=job.pk)).status in ("NotStarted", "Running"):
            time.sleep(0.5)
        took = time.perf_counter() - began
        cpu = tuple(after - before for after, before in zip(worker_cpu_seconds(worker.pid), cpu, strict=True))
        if job.status != "Finished":
            raise SystemExit(f"the batch job ended {job.status}: {job.details}")
        return took, peak_rss_mb(worker.pid), cpu
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)


def main() -> None:
    redis = processes.start_redis(REDIS_PORT, WORK / "redis")
    try:
        build_service()
        import pandas as pd
        from django.core.files.storage import default_storage

        from experiments.datasets import dataset_table
        from experiments.models import Dataset
        from experiments.modules.framework.artifacts import TrainedModel
        from experiments.modules.training import feature_frame
        from webservices import storage
        from webservices.models import Endpoint

        endpoint = Endpoint.objects.select_related("service__current").get()
        adult = dataset_table(Dataset.objects.get(name__startswith="Adult")).frame.drop(columns=["income"])
        rows = adult.sample(ROWS, replace=True, random_state=0)
        path = WORK / "input.csv"
        rows.to_csv(path, index=False)
        with path.open("rb") as handle:
            storage.write(endpoint.service.workspace_id, "bench/input.csv", handle,
                          by=storage.Accessor(endpoint.service_id))  # as the storage PUT with its key
        print(f"input: {ROWS:,} rows, {path.stat().st_size / 2**20:.0f} MiB CSV", flush=True)

        resource = next(r for r in endpoint.service.current.resources if r["Kind"] == "TrainedModel")
        model = TrainedModel.from_bytes(default_storage.open(resource["Path"], "rb").read())
        began = time.perf_counter()
        frame = pd.read_csv(path)
        model.estimator.predict_proba(feature_frame(frame, model.features))
        baseline = ROWS / (time.perf_counter() - began)
        print(f"pandas + scikit-learn in one process: {baseline:,.0f} rows/s", flush=True)

        results = {}
        for concurrency in (1, 2):
            load = os.getloadavg()[0]
            took, rss, cpu = run_job(endpoint, concurrency)
            results[concurrency] = ROWS / took
            print(f"BES, {concurrency} worker process(es): {results[concurrency]:,.0f} rows/s "
                  f"({took:.1f} s), peak worker RSS {rss:.0f} MiB; CPU {sum(cpu):.1f} s = {sum(cpu) / took:.2f} "
                  f"cores of {os.cpu_count()} (pool {cpu[1]:.1f} s, main process {cpu[0]:.1f} s; load average "
                  f"{load:.2f} before)", flush=True)
        print(f"BES (1 worker) / in-process: {results[1] / baseline:.2f}x; speed-up 1 -> 2 workers: "
              f"{results[2] / results[1]:.2f}x")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
