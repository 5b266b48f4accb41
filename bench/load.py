"""`make load`: RRS under sustained load on the production server shape (issue 8).

The deployed income service under gunicorn with 2 uvicorn workers; wrk with 200 connections for
LOAD_SECONDS (60 by default) after a 10 s warm-up, twice: with the endpoint's MaxConcurrentCalls at 200 (no
429 may appear) and at the default 20 per process (429s are the designed answer; nothing else may be).
Prints every status code with its count, p50/p99 and throughput, and the web processes' memory after the
warm-up and at the end (flat: within 10 %). Exits non-zero when a promise is broken.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.scoring import serve, stop  # noqa: E402
from bench.service import WORK, build_service  # noqa: E402

SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "200"))
LUA = """
wrk.method = "POST"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {{}} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {{}}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %d %d\\n", k, v)) end
end
"""


def rss_mb(root: int) -> float:
    """Resident memory of the server's worker processes (gunicorn's children), summed."""
    children = subprocess.run(["pgrep", "-P", str(root)], capture_output=True, text=True).stdout.split()
    total = 0.0
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS"))
    return total


def load(url: str, script: Path, seconds: int) -> tuple[dict[int, int], str]:
    output = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                             "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    statuses = {int(code): int(count) for code, count in re.findall(r"^status (\d+) (\d+)$", output, re.M)}
    return statuses, output


def restart_during_burst(path: str, script: Path, port: int, env: dict[str, str]) -> list[str]:
    """The web processes restarted twice (gunicorn's graceful HUP: new workers, old ones finish their
    requests) during 20 s of load: no answer may be an error; refused connections are reported."""
    import signal
    import threading
    import time

    server = serve([str(Path(sys.executable).parent / "gunicorn"), "studio.asgi:application", "-k",
                    "uvicorn_worker.UvicornWorker", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "error",
                    "--graceful-timeout", "10"], port, env)

    def restarts() -> None:
        for wait in (5, 7):
            time.sleep(wait)
            os.kill(server.pid, signal.SIGHUP)

    try:
        threading.Thread(target=restarts, daemon=True).start()
        statuses, output = load(f"http://127.0.0.1:{port}{path}?api-version=2.0", script, 20)
    finally:
        stop(server)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    print(f"Two graceful restarts during 20 s at {CONNECTIONS} connections: statuses {dict(sorted(statuses.items()))}"
          f"{'; socket errors ' + socket_errors.group(1) if socket_errors else '; no socket errors'}", flush=True)
    wrong = sorted(set(statuses) - {200})
    return [f"restart: statuses {wrong}"] if wrong else []


def main() -> int:
    path, key, _, columns, row = build_service()  # sets Django up
    from studio import processes
    from webservices.models import Endpoint

    (WORK / "body.json").write_text(json.dumps({"Inputs": {"input1": {"ColumnNames": columns,
                                                                      "Values": [[str(v) for v in row]]}}}))
    script = WORK / "load.lua"
    script.write_text(LUA.format(body=WORK / "body.json", key=key))
    port = processes.free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    broken = []
    for limit in (200, 20):
        Endpoint.objects.update(max_concurrent_calls=limit, version=1)
        server = serve([str(Path(sys.executable).parent / "gunicorn"), "studio.asgi:application", "-k",
                        "uvicorn_worker.UvicornWorker", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
                        "error"], port, env)
        try:
            url = f"http://127.0.0.1:{port}{path}?api-version=2.0"
            load(url, script, 10)  # warm-up
            warm = rss_mb(server.pid)
            statuses, output = load(url, script, SECONDS)
            end = rss_mb(server.pid)
        finally:
            stop(server)
        p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
        p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
        rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
        socket_errors = re.search(r"Socket errors: (.*)", output)
        print(f"MaxConcurrentCalls {limit:>3} per process, {CONNECTIONS} connections, {SECONDS} s: "
              f"{rps.group(1) if rps else '?'} req/s, p50 {p50.group(1) if p50 else '?'}, "
              f"p99 {p99.group(1) if p99 else '?'}; statuses {dict(sorted(statuses.items()))}"
              f"{'; socket errors ' + socket_errors.group(1) if socket_errors else ''}; "
              f"web RSS {warm:.0f} MiB after warm-up, {end:.0f} MiB at the end ({(end / warm - 1) * 100:+.1f} %)",
              flush=True)
        allowed = {200} if limit == 200 else {200, 429}
        if set(statuses) - allowed:
            broken.append(f"limit {limit}: statuses {sorted(set(statuses) - allowed)} besides {sorted(allowed)}")
        if socket_errors:
            broken.append(f"limit {limit}: socket errors {socket_errors.group(1)}")
        if end > warm * 1.10:
            broken.append(f"limit {limit}: memory grew {(end / warm - 1) * 100:.1f} % (over 10 %)")
    broken += restart_during_burst(path, script, port, env)
    for problem in broken:
        print(f"BROKEN: {problem}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
