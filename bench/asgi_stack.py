"""How much the studio's ASGI stack (uvicorn -> Channels router -> Django middleware -> view) costs.

Each server runs the same way (uvicorn, one process, on loopback) and takes the same load from `wrk`
(Debian's package; `make bench` installs it): first the raw ASGI floor, then the studio's /login/ page
(template, CSRF, sessions) and an anonymous /api/me/ (DRF's authentication path, a JSON 401). Figures
are requests/s, latency and the ratio to the floor measured in the same run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from studio import processes

SECONDS = os.environ.get("BENCH_SECONDS", "5")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")


def serve(command: list[str], port: int) -> processes.ManagedProcess:
    quiet = {**os.environ, "LOG_LEVEL": "ERROR"}
    managed = processes.ManagedProcess("server", command, quiet).start()
    if not processes.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=30):
        managed.stop()
        raise SystemExit(f"server did not start: {command}")
    return managed


def wrk(url: str) -> dict[str, str]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"50%\s+(\S+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    assert rate and p50 and p99, output
    return {"rate": rate.group(1), "p50": p50.group(1), "p99": p99.group(1),
            "non2xx": errors.group(1) if errors else "0"}


def measure(label: str, command: list[str], port: int, path: str, floor: float | None) -> float:
    managed = serve(command, port)
    try:
        wrk(f"http://127.0.0.1:{port}{path}")  # warm-up
        figures = wrk(f"http://127.0.0.1:{port}{path}")
    finally:
        managed.stop()
    rate = float(figures["rate"])
    ratio = f"  {rate / floor:5.2f}x floor" if floor else ""
    print(f"{label:<34} {rate:8.0f} req/s  p50 {figures['p50']:>8}  p99 {figures['p99']:>8}{ratio}", flush=True)
    return rate


def studio_command(port: int) -> list[str]:
    return [*processes.asgi_command(host="127.0.0.1", port=port), "--log-level", "warning", "--no-access-log"]


def main() -> None:
    print(f"wrk: 1 thread, {CONNECTIONS} connections, {SECONDS} s per figure; one uvicorn process each")
    port = processes.free_port()
    floor_command = [sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--port", str(port),
                     "--log-level", "warning", "--no-access-log"]
    floor = measure("raw ASGI floor", floor_command, port, "/", None)
    port = processes.free_port()
    measure("studio /login/ (template page)", studio_command(port), port, "/login/", floor)
    port = processes.free_port()
    measure("studio /api/me/ (DRF, JSON 401)", studio_command(port), port, "/api/me/", floor)


if __name__ == "__main__":
    main()
