"""Running a graph in the test process, as the worker does (for tests about what a run leaves behind), or on
the real worker (for tests about what reaches it: isolation, the cache)."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from experiments.assets import run_output_record
from experiments.engine import store
from experiments.models import Experiment, NodeRun, Run
from experiments.services import run_execute, run_start
from studio.models import Workspace


def run_now(workspace: Workspace, graph: dict[str, Any], name: str = "run in test",
            experiment: Experiment | None = None) -> Run:
    """Create (or reuse) the experiment, run its whole graph synchronously, and insist it finished."""
    if experiment is None:
        experiment = Experiment.objects.create(workspace=workspace, name=name, graph=graph)
    run = Run.objects.create(experiment=experiment, graph=experiment.graph)
    NodeRun.objects.bulk_create([NodeRun(run=run, node_id=n["id"], module=n["module"])
                                 for n in experiment.graph["nodes"]])
    status = run_execute(run_id=run.pk, worker="test")
    errors = dict(run.node_runs.exclude(error="").values_list("node_id", "error"))
    assert status == "finished", errors
    run.refresh_from_db()
    return run


def run_on_worker(experiment: Experiment, timeout: float = 180) -> Run:
    """Start a run as the API does (queued for the session's Celery worker) and wait until it ends. Needs
    `django_db(transaction=True)` so that the worker sees the experiment and the test sees the results."""
    run = run_start(experiment=experiment)
    deadline = time.monotonic() + timeout
    while run.status in (Run.Status.QUEUED, Run.Status.RUNNING):
        assert time.monotonic() < deadline, f"run {run.pk} did not end within {timeout} s"
        time.sleep(0.2)
        run.refresh_from_db()
    assert run.worker.startswith("test-worker-"), f"run {run.pk} was not executed by the worker ({run.worker!r})"
    return run


def node_states(run: Run) -> dict[str, str]:
    return dict(run.node_runs.values_list("node_id", "status"))


def output_frame(run: Run, node: str, port: str = "dataset") -> pd.DataFrame:
    frame: pd.DataFrame = store.load_output(run_output_record(run, node, port)).frame
    return frame
