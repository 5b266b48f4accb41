"""A node's output log (classic "View output log"): what a module printed, warned and logged, with its error,
traceback and timings, captured on the real worker (a Celery prefork child) and served by the run API."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator

import pytest

from experiments.engine.graph import node_json as node
from experiments.engine.output import NodeOutput, as_text, captured
from experiments.models import Experiment
from studio import processes
from studio.celery import app as celery_app
from tests.conftest import LOG_DIR, WorkerController, service_env
from tests.experiments.helpers import run_on_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
INCLUDE = "tests.experiments.engine.noisy_module"


# --- The capture itself --------------------------------------------------------------------------


def test_capture_keeps_stdout_stderr_warnings_and_log_lines_in_order_and_restores_the_streams():
    output = NodeOutput(limit=10_000)
    before = (sys.stdout, sys.stderr, warnings.showwarning)
    with captured(output):
        print("one")
        print("two", file=sys.stderr)
        warnings.warn("watch out", RuntimeWarning, stacklevel=1)
        output.line("log", "logged")
        print("three")
    assert (sys.stdout, sys.stderr, warnings.showwarning) == before
    assert [entry["stream"] for entry in output.entries] == ["stdout", "stderr", "warning", "log", "stdout"]
    warned = output.entries[2]["text"]
    assert "test_output_log.py:" in warned and "RuntimeWarning: watch out" in warned
    assert as_text(output.entries).splitlines()[:2] == ["[stdout] one", "[stderr] two"]


def test_the_log_is_bounded_and_says_where_it_was_cut():
    output = NodeOutput(limit=1024)
    with captured(output):
        for number in range(1000):
            print(f"line {number}")
    kept = "".join(entry["text"] for entry in output.entries if entry["stream"] == "stdout")
    assert len(kept.encode()) == 1024 and kept.startswith("line 0\n")
    assert output.entries[-1] == {"stream": "atelier", "text": "\n[The output log was cut at 1 KiB; what came after "
                                                               "is not kept.]\n"}


# --- On the real worker --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noisy_worker(celery_worker_process: WorkerController) -> Iterator[None]:
    """A worker that also knows the noisy test module (celery --include), in place of the session's worker."""
    celery_worker_process.stop()
    command = [*processes.worker_command(concurrency=1, name=f"noisy-worker-{os.getpid()}@%h"), "--include", INCLUDE]
    # The name must start with test-worker- for run_on_worker's check that the worker ran it.
    command[command.index("-n") + 1] = f"test-worker-noisy-{os.getpid()}@%h"
    managed = processes.ManagedProcess("noisy-worker", command, service_env(), LOG_DIR / "noisy-worker.log").start()
    try:
        if not processes.wait_until(lambda: bool(celery_app.control.ping(timeout=0.5)) or not managed.running(),
                                    timeout=90) or not managed.running():
            pytest.fail(f"The noisy worker did not start; see {LOG_DIR / 'noisy-worker.log'}")
        yield
    finally:
        managed.stop()


@pytest.fixture
def noisy(noisy_worker: None) -> Iterator[None]:
    from tests.experiments.engine import noisy_module

    noisy_module.register()
    yield
    noisy_module.unregister()


def test_a_failing_modules_prints_warnings_log_lines_error_and_traceback_reach_its_output_log(api, owner, noisy):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Noisy",
                                           graph={"nodes": [node("n1", "noisy-test-module")], "edges": []})
    run = run_on_worker(experiment)
    assert run.status == "failed"
    log = api.get(f"/api/runs/{run.pk}/nodes/n1/log/").json()
    assert log["status"] == "failed" and log["module"] == "noisy-test-module"
    assert log["error"] == "ValueError: the noisy module gave up"
    assert log["traceback"].startswith("Traceback (most recent call last):")
    assert 'noisy_module.py", line' in log["traceback"] and "in execute" in log["traceback"]
    assert "executor.py" not in log["traceback"]  # the engine's own frames say nothing to the user
    streams = {entry["stream"]: entry["text"] for entry in log["entries"]}
    assert streams["stdout"].startswith("printed line 0: xxx")
    assert streams["stderr"] == "to stderr\n"
    assert "UserWarning: the noisy module warns" in streams["warning"]
    assert streams["log"] == "a line the module logged\n"
    assert [e["stream"] for e in log["entries"]] == ["stdout", "stderr", "warning", "log"]
    assert log["queued"] <= log["started"] <= log["finished"] and log["duration_ms"] is not None
    # The run's status keeps its fields and gains the node's timings.
    state = api.get(f"/api/runs/{run.pk}/").json()["nodes"]["n1"]
    assert state["error"] == log["error"] and state["traceback"] == log["traceback"]
    assert state["started"] == log["started"] and state["finished"] == log["finished"]


def test_a_module_that_prints_too_much_keeps_the_start_of_its_log_and_finishes(api, owner, noisy):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Chatty", graph={
        "nodes": [node("n1", "noisy-test-module", fail=False, lines=6000)], "edges": []})  # ~450 KB printed
    run = run_on_worker(experiment)
    assert run.status == "finished"
    log = api.get(f"/api/runs/{run.pk}/nodes/n1/log/").json()
    assert log["entries"][0]["text"].startswith("printed line 0: ")
    assert len(log["entries"][0]["text"].encode()) == 256 * 1024
    assert log["entries"][-1]["stream"] == "atelier" and "cut at 256 KiB" in log["entries"][-1]["text"]


def test_a_node_taken_from_the_cache_shows_the_log_of_the_run_that_computed_it(api, owner, noisy):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Twice", graph={
        "nodes": [node("n1", "noisy-test-module", fail=False)], "edges": []})
    first, second = run_on_worker(experiment), run_on_worker(experiment)
    assert second.node_runs.get().status == "cached"
    log = api.get(f"/api/runs/{second.pk}/nodes/n1/log/").json()
    assert log["status"] == "cached" and log["reused_from"]["run"] == first.pk
    assert log["entries"] == api.get(f"/api/runs/{first.pk}/nodes/n1/log/").json()["entries"]
    assert log["entries"][0]["text"].startswith("printed line 0")
    # Which worker computed it: the first run's (this one computed nothing; the run itself names its own).
    assert log["worker"] == first.worker and first.worker.startswith("test-worker-")
    state = api.get(f"/api/runs/{second.pk}/").json()
    assert state["worker"] == second.worker and state["nodes"]["n1"]["worker"] is None
    assert api.get(f"/api/runs/{first.pk}/").json()["nodes"]["n1"]["worker"] == first.worker


SCRIPT = '''import sys, warnings
def azureml_main(dataframe1=None, dataframe2=None):
    print("hello from the script")
    print("to stderr", file=sys.stderr)
    warnings.warn("script warning")
    return 1 / 0
'''


def test_a_scripts_printed_output_and_its_own_traceback_reach_the_output_log(api, owner, noisy):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Script", graph={
        "nodes": [node("py", "execute-python-script", python_script=SCRIPT)], "edges": []})
    run = run_on_worker(experiment)
    assert run.status == "failed"
    log = api.get(f"/api/runs/{run.pk}/nodes/py/log/").json()
    assert log["error"].startswith("The Python script failed at line 6 of the script: ZeroDivisionError")
    assert log["parameter"] == "python_script"
    assert log["traceback"].startswith("Traceback (most recent call last):\n")
    assert 'File "script.py", line 6, in azureml_main' in log["traceback"]
    assert "language.py" not in log["traceback"]  # the script's traceback, not the worker's
    streams = {entry["stream"]: entry["text"] for entry in log["entries"]}
    assert streams["stdout"] == "hello from the script\n"
    assert "to stderr" in streams["stderr"] and "UserWarning: script warning" in streams["stderr"]


def test_the_log_of_a_node_not_in_the_run_is_a_404_naming_it(api, owner, noisy):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Noisy",
                                           graph={"nodes": [node("n1", "noisy-test-module")], "edges": []})
    run = run_on_worker(experiment)
    response = api.get(f"/api/runs/{run.pk}/nodes/n9/log/")
    assert response.status_code == 404 and response.json()["detail"] == f"Node n9 is not part of run {run.pk}."


def test_an_outsider_cannot_read_a_runs_log(outsider_api, owner, noisy):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Noisy",
                                           graph={"nodes": [node("n1", "noisy-test-module")], "edges": []})
    run = run_on_worker(experiment)
    assert outsider_api.get(f"/api/runs/{run.pk}/nodes/n1/log/").status_code == 404
