"""Update Resource's dry run (webservices/dry_run.py) runs in a child process with limits.

A package can pass every check (this studio's signature, only types this studio writes) and still be hostile
in its data: a decision tree whose node points back at itself loops forever when it predicts. Scored in the web
process, it would hang it; in the dry run's child it is stopped by the CPU and wall-clock limits, the PATCH is
refused with the reason, and nothing changes.
"""

from __future__ import annotations

import ctypes
import io
import os
import time

import pytest
from django.core.files.storage import default_storage

from experiments.modules.framework.artifacts import TrainedModel
from tests.webservices.test_hostile_models import small_service
from webservices import storage
from webservices.dry_run import in_child
from webservices.endpoints import EndpointError, endpoint_put, resource_history, resource_patch

MIB = 2**20


def test_work_that_returns_passes():
    assert in_child(lambda: None, seconds=30, memory=256 * MIB) is None


def test_an_error_is_reported_with_its_message():
    def fails():
        raise ValueError("the sample row has no column 'age'")

    assert in_child(fails, seconds=30, memory=256 * MIB) == "ValueError: the sample row has no column 'age'"


def test_the_work_runs_in_another_process_and_changes_nothing_here(tmp_path):
    touched: list[int] = []

    def work():
        touched.append(os.getpid())
        (tmp_path / "pid").write_text(str(os.getpid()))

    assert in_child(work, seconds=30, memory=256 * MIB) is None
    assert touched == [] and int((tmp_path / "pid").read_text()) != os.getpid()


def test_a_loop_is_stopped_by_the_time_limits():
    def loop():
        while True:
            pass

    started = time.monotonic()
    problem = in_child(loop, seconds=1, memory=256 * MIB)
    assert problem is not None and "ATELIER_DRY_RUN_SECONDS" in problem, problem
    assert time.monotonic() - started < 30  # generous: it is stopped, not waited for


def test_work_that_waits_is_killed_at_the_wall_clock_deadline():
    problem = in_child(lambda: time.sleep(600), seconds=1, memory=256 * MIB)
    assert problem == "it did not finish within 1 s (ATELIER_DRY_RUN_SECONDS)"


def test_memory_beyond_the_limit_is_refused():
    problem = in_child(lambda: bytearray(2**30), seconds=30, memory=128 * MIB)
    assert problem == "it needed more memory than a dry run may use (134,217,728 bytes, ATELIER_DRY_RUN_MEMORY_BYTES)"


def test_a_crash_is_reported_and_leaves_this_process_running():
    problem = in_child(lambda: ctypes.string_at(0), seconds=30, memory=256 * MIB)
    assert problem == "it stopped on signal SIGSEGV"


@pytest.mark.django_db(transaction=True)
def test_a_signed_model_of_trusted_types_that_loops_is_refused_by_the_dry_run(api, owner, settings):
    settings.ATELIER_DRY_RUN_SECONDS = 2
    service, _ = small_service(api, owner, learner="two-class-decision-forest")
    endpoint = endpoint_put(service=service, name="retrained", body={}).endpoint
    resource = next(r for r in service.current.resources if r["Kind"] == "TrainedModel")
    model = TrainedModel.from_bytes(default_storage.open(resource["Path"], "rb").read())
    tree = model.estimator.named_steps["learner"].estimators_[0].tree_
    tree.children_left[0] = tree.children_right[0] = 0  # the root's children: the root itself
    ws = str(owner.workspace.pk)
    storage.write(ws, "models/looping.ilearner", io.BytesIO(model.to_bytes()))  # signed, every type trusted
    TrainedModel.described(storage.read_bytes(ws, "models/looping.ilearner"), require_signature=True)
    before = resource_history(endpoint)
    location = "models/looping.ilearner"
    body = {"Resources": [{"Name": resource["Name"], "Location": {
        "RelativeLocation": location, "SasBlobToken": storage.sas_token(ws, location)}}]}
    with pytest.raises(EndpointError, match=r"can't score this service's sample rows: it (used more than 2 s of CPU|"
                                            r"did not finish within 2 s) \(ATELIER_DRY_RUN_SECONDS\)"):
        resource_patch(endpoint=endpoint, body=body)
    assert resource_history(endpoint) == before
