"""Running a graph in the test process, as the worker does (for tests about what a run leaves behind)."""

from __future__ import annotations

from typing import Any

from experiments.models import Experiment, NodeRun, Run
from experiments.services import run_execute
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
