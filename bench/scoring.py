"""Single-row scoring: Atelier's RRS under the production server shape vs the same pipeline served bare.

Builds the income service in a throwaway var dir (train, Set Up, run, Deploy: the same code as the
studio), then loads each server with `wrk` (a Lua POST script) on loopback, one server at a time:

- Atelier: gunicorn with 2 uvicorn workers (docker-compose's web command), the classic RRS body;
- floor: a minimal ASGI app (uvicorn, 2 workers) calling the same fitted pipeline (bench/floor_scoring.py);
- echo: the same minimal app answering a fixed JSON without any model: the HTTP stack's ceiling;
- MLflow: `mlflow models serve` (2 workers) of the predictive experiment exported as an MLflow model (Export
  as code: the same cleaning, fitted pipeline and score columns), when an MLflow install is found at
  $ATELIER_BENCH_MLFLOW (a venv's bin/mlflow); otherwise that row says skipped.

Prints p50/p99 at concurrency 1 and 16, throughput, and the ratios Atelier/floor, Atelier/echo and
Atelier/MLflow. Every server runs with one native thread per worker process (OMP_NUM_THREADS=1).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.service import WORK, build_service  # noqa: E402  (sets the throwaway environment first)

SECONDS = os.environ.get("BENCH_SECONDS", "5")


def serve(command: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    from studio import processes

    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    if not processes.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=120):
        process.kill()
        raise SystemExit(f"server did not start: {' '.join(command)}")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def wrk(url: str, body: str, headers: dict[str, str], connections: int) -> dict[str, float]:
    script = WORK / "post.lua"
    (WORK / "body.json").write_text(body)
    lines = ['wrk.method = "POST"', f'local f = io.open("{WORK / "body.json"}", "rb")', "wrk.body = f:read('*a')",
             "f:close()"] + [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    script.write_text("\n".join(lines) + "\n")
    command = ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", "--latency", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url} answered errors under load:\n{output}")

    def ms(text: str) -> float:
        found = re.match(r"([\d.]+)(\w+)", text)
        if found is None:
            raise SystemExit(f"unexpected wrk latency {text!r}:\n{output}")
        number, unit = found.groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
            "p50": ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),  # type: ignore[union-attr]
            "p99": ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))}  # type: ignore[union-attr]


def measure(name: str, url: str, body: str, headers: dict[str, str]) -> dict[str, dict[str, float]]:
    wrk(url, body, headers, 4)  # warm every worker
    figures = {str(c): wrk(url, body, headers, c) for c in (1, 16)}
    one, sixteen = figures["1"], figures["16"]
    print(f"{name:<10} c=1 p50 {one['p50']:6.2f} ms  p99 {one['p99']:6.2f} ms  {one['rps']:7.0f} req/s | "
          f"c=16 p50 {sixteen['p50']:6.2f} ms  p99 {sixteen['p99']:6.2f} ms  {sixteen['rps']:7.0f} req/s", flush=True)
    return figures


def mlflow_model() -> Path:
    """The deployed predictive experiment as Atelier exports it (GET /api/experiments/{id}/export/?format=mlflow:
    its learned cleaning, the fitted pipeline and Score Model's columns, as an MLflow pyfunc model)."""
    import io
    import zipfile

    from experiments.export import ExportError, mlflow_zip
    from experiments.models import Experiment

    predictive = Experiment.objects.order_by("-pk").first()  # build_service's last: the predictive experiment
    assert predictive is not None
    try:
        packed = mlflow_zip(predictive)
    except ExportError as error:
        raise RuntimeError(f"could not export the predictive experiment as an MLflow model: {error}") from None
    target = WORK / "mlflow-model"
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        archive.extractall(target)
    (directory,) = [path for path in target.iterdir() if path.is_dir()]
    return directory


def main() -> None:
    from studio import processes

    path, key, model_file, columns, row = build_service()
    classic = json.dumps({"Inputs": {"input1": {"ColumnNames": columns, "Values": [[str(v) for v in row]]}},
                          "GlobalParameters": {}})
    # One native thread per worker process for every server: two workers on two cores with OpenMP's default
    # (a thread per core each, spin-waiting) is oversubscribed and would cripple the baselines, not measure them.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1"}
    python = sys.executable
    results = {}
    port = processes.free_port()
    server = serve([str(Path(python).parent / "gunicorn"), "studio.asgi:application", "-k",
                    "uvicorn_worker.UvicornWorker", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "error"],
                   port, env)
    try:
        results["atelier"] = measure("Atelier", f"http://127.0.0.1:{port}{path}?api-version=2.0", classic,
                                     {"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    finally:
        stop(server)
    port = processes.free_port()
    server = serve([python, "-m", "uvicorn", "bench.floor_scoring:app", "--workers", "2", "--port", str(port),
                    "--log-level", "error", "--no-access-log"], port, {**env, "ATELIER_BENCH_MODEL": str(model_file)})
    try:
        results["floor"] = measure("floor", f"http://127.0.0.1:{port}/", classic,
                                   {"Content-Type": "application/json"})
    finally:
        stop(server)
    port = processes.free_port()
    server = serve([python, "-m", "uvicorn", "bench.floor_scoring:echo", "--workers", "2", "--port", str(port),
                    "--log-level", "error", "--no-access-log"], port, {**env, "ATELIER_BENCH_MODEL": str(model_file)})
    try:
        results["echo"] = measure("echo", f"http://127.0.0.1:{port}/", classic, {"Content-Type": "application/json"})
    finally:
        stop(server)
    mlflow = os.environ.get("ATELIER_BENCH_MLFLOW", "")
    saved = None
    if mlflow and Path(mlflow).exists():
        try:
            saved = mlflow_model()
        except RuntimeError as error:
            print(f"MLflow     skipped: {error}")
    if saved is not None:
        port = processes.free_port()
        server = serve([mlflow, "models", "serve", "-m", str(saved), "--env-manager", "local", "-p", str(port),
                        "-w", "2"], port, {**env, "PATH": f"{Path(mlflow).parent}:{env.get('PATH', '')}"})
        try:
            body = json.dumps({"dataframe_split": {"columns": columns, "data": [row]}})
            results["mlflow"] = measure("MLflow", f"http://127.0.0.1:{port}/invocations", body,
                                        {"Content-Type": "application/json"})
        finally:
            stop(server)
    elif not mlflow:
        print("MLflow     skipped: set ATELIER_BENCH_MLFLOW to an MLflow install's bin/mlflow to include it")
    for c in ("1", "16"):
        ours = results["atelier"][c]["rps"]
        line = f"c={c}: Atelier / floor throughput {ours / results['floor'][c]['rps']:.2f}x, " \
               f"Atelier / echo {ours / results['echo'][c]['rps']:.2f}x"
        if "mlflow" in results:
            line += f", Atelier / MLflow {ours / results['mlflow'][c]['rps']:.2f}x"
        print(line)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
