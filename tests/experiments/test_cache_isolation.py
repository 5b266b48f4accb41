"""The run cache on the real worker (issue 14, finding 1): no workspace reuses another's results, a changed
source is read again, and a module with side effects (Export Data) does its work on every run.

Runs go through the queue to the session's Celery worker, where the cache is used: a route test could not
see what flows through it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Experiment
from studio.storage import storage_path
from tests.experiments.helpers import node_states, output_frame, run_on_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def storage_files() -> Iterator[list[str]]:
    """Storage names written by the test, deleted afterwards (the worker shares the storage)."""
    written: list[str] = []
    yield written
    for name in written:
        if default_storage.exists(name):
            default_storage.delete(name)


def put_file(written: list[str], workspace_id: str, path: str, data: bytes) -> None:
    """A file in a workspace's storage, where Import Data reads and Export Data writes."""
    name = storage_path(workspace_id, path)
    if default_storage.exists(name):
        default_storage.delete(name)
    assert default_storage.save(name, ContentFile(data)) == name
    written.append(name)


def import_graph(path: str) -> dict[str, object]:
    return {"nodes": [node("import", "import-data", data_source="Workspace storage", path=path),
                      node("text", "convert-to-csv")],
            "edges": [edge("import", "dataset", "text", "dataset")]}


def experiment_in(persona, graph: dict[str, object]) -> Experiment:
    return Experiment.objects.create(workspace=persona.workspace, name="cache story", graph=graph,
                                     created_by=persona.user)


def test_another_workspace_never_gets_rows_of_a_file_it_does_not_have(owner, outsider, worker, storage_files):
    put_file(storage_files, owner.workspace.pk, "shared/name.csv", b"secret\nowner-only\n")
    first = run_on_worker(experiment_in(owner, import_graph("shared/name.csv")))
    assert node_states(first) == {"import": "finished", "text": "finished"}
    assert output_frame(first, "import")["secret"].tolist() == ["owner-only"]

    theirs = run_on_worker(experiment_in(outsider, import_graph("shared/name.csv")))

    assert theirs.status == "failed"
    assert node_states(theirs) == {"import": "failed", "text": "skipped"}
    failed = theirs.node_runs.get(node_id="import")
    assert failed.error == "There is no file 'shared/name.csv' in the workspace storage"
    assert failed.cache_key == "" and "owner-only" not in failed.log


def test_the_same_pure_graph_in_two_workspaces_shares_no_cache_entry(owner, outsider, worker):
    graph = {"nodes": [node("data", "enter-data-manually", data="a\n1\n2\n"), node("text", "convert-to-csv")],
             "edges": [edge("data", "dataset", "text", "dataset")]}
    mine = run_on_worker(experiment_in(owner, graph))
    theirs = run_on_worker(experiment_in(outsider, graph))
    again = run_on_worker(Experiment.objects.get(pk=theirs.experiment_id))

    assert node_states(mine) == node_states(theirs) == {"data": "finished", "text": "finished"}
    keys = lambda run: dict(run.node_runs.values_list("node_id", "cache_key"))  # noqa: E731
    assert not set(keys(mine).values()) & set(keys(theirs).values())
    assert node_states(again) == {"data": "cached", "text": "cached"} and keys(again) == keys(theirs)


def test_a_changed_file_is_imported_again_and_an_unchanged_one_comes_from_the_cache(owner, worker, storage_files):
    put_file(storage_files, owner.workspace.pk, "in/data.csv", b"a\n1\n2\n")
    experiment = experiment_in(owner, import_graph("in/data.csv"))
    first = run_on_worker(experiment)
    unchanged = run_on_worker(experiment)
    put_file(storage_files, owner.workspace.pk, "in/data.csv", b"a\n3\n4\n")  # same size, other bytes
    changed = run_on_worker(experiment)

    assert node_states(first) == {"import": "finished", "text": "finished"}
    assert node_states(unchanged) == {"import": "cached", "text": "cached"}
    assert node_states(changed) == {"import": "finished", "text": "finished"}
    assert output_frame(changed, "import")["a"].tolist() == [3, 4]
    assert output_frame(changed, "text", "results_dataset")["a"].tolist() == ["3", "4"]


def test_export_data_writes_its_file_on_every_run(owner, worker, storage_files):
    graph = {"nodes": [node("data", "enter-data-manually", data="a,b\n1,x\n"),
                       node("export", "export-data", path="exports/out.csv")],
             "edges": [edge("data", "dataset", "export", "dataset")]}
    experiment = experiment_in(owner, graph)
    exported = storage_path(owner.workspace.pk, "exports/out.csv")
    storage_files.append(exported)
    first = run_on_worker(experiment)
    assert node_states(first) == {"data": "finished", "export": "finished"}
    default_storage.delete(exported)

    again = run_on_worker(experiment)

    assert node_states(again) == {"data": "cached", "export": "finished"}
    with default_storage.open(exported, "rb") as handle:
        assert handle.read() == b"a,b\n1,x\n"
