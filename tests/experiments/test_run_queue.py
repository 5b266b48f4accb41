"""A run's task id decides which delivery runs it (experiments/run_queue.py, services.run_execute): republishing
after a loss can leave two messages for one run, and exactly one of them may execute it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from experiments.engine.graph import node_json as node
from experiments.models import Experiment, NodeRun, Run
from experiments.services import run_execute

pytestmark = pytest.mark.django_db


def sent_run(owner, task_id):
    graph = {"nodes": [node("data", "enter-data-manually", data="a\n1\n")], "edges": []}
    experiment = Experiment.objects.create(workspace=owner.workspace, name="once", graph=graph)
    run = Run.objects.create(experiment=experiment, graph=graph, task_id=task_id, dispatched=timezone.now())
    NodeRun.objects.create(run=run, node_id="data", module="enter-data-manually")
    return run


def test_only_the_current_task_id_runs_a_run_and_duplicates_do_nothing(owner):
    run = sent_run(owner, "current")
    assert run_execute(run_id=run.pk, worker="w", task_id="lost-then-found") == "queued", "a superseded id"
    assert run_execute(run_id=run.pk, worker="w", task_id="current") == "finished"
    finished = Run.objects.get(pk=run.pk).finished
    assert run_execute(run_id=run.pk, worker="w", task_id="current") == "finished", "delivered twice"
    assert Run.objects.get(pk=run.pk).finished == finished


def test_a_duplicate_while_it_runs_leaves_it_alone_but_its_own_message_again_means_its_worker_was_lost(owner):
    run = sent_run(owner, "current")
    Run.objects.filter(pk=run.pk).update(status=Run.Status.RUNNING, worker="w1")
    assert run_execute(run_id=run.pk, worker="w2", task_id="another") == "running"
    assert run_execute(run_id=run.pk, worker="w2", task_id="current") == "failed"
    assert Run.objects.get(pk=run.pk).error == "The worker running this experiment (w1) was lost mid-run."


def test_a_late_message_of_a_deleted_run_does_nothing(owner):
    run = sent_run(owner, "current")
    run.experiment.delete()
    assert run_execute(run_id=run.pk, worker="w", task_id="current") == "deleted"
