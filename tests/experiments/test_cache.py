"""Cache keys and the housekeeping command."""

import pandas as pd
import pytest
from django.core.management import call_command

from experiments.engine import store
from experiments.engine.cache import cache_key
from experiments.models import CacheEntry, Experiment, NodeRun, Run
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.ports import PortType


def test_cache_key_changes_with_any_part_and_only_then():
    base = {"module": "split-data", "version": 1, "params": {"a": 1, "b": [1, 2]}, "inputs": {"dataset": "k:p"},
            "workspace": "a" * 32}
    assert cache_key(**base) == cache_key(**{**base, "params": {"b": [1, 2], "a": 1}})
    for change in [{"version": 2}, {"params": {"a": 2, "b": [1, 2]}}, {"inputs": {"dataset": "k2:p"}},
                   {"module": "add-rows"}, {"fingerprint": "sha"}, {"workspace": "b" * 32}]:
        assert cache_key(**{**base, **change}) != cache_key(**base)


@pytest.mark.django_db
def test_prune_cache_removes_unreferenced_entries_and_orphan_files(owner, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    table = DataTable(pd.DataFrame({"a": [1]}))
    kept = CacheEntry.objects.create(key="a" * 64, module="m", outputs={
        "dataset": store.save_output("a" * 64, "dataset", PortType.DATA_TABLE, table)})
    gone = CacheEntry.objects.create(key="b" * 64, module="m", outputs={
        "dataset": store.save_output("b" * 64, "dataset", PortType.DATA_TABLE, table)})
    orphan = store.save_output("c" * 64, "dataset", PortType.DATA_TABLE, table)
    experiment = Experiment.objects.create(workspace=owner.workspace, name="x")
    run = Run.objects.create(experiment=experiment, graph={"nodes": [], "edges": []})
    NodeRun.objects.create(run=run, node_id="n1", module="m", cache_key=kept.key)

    call_command("prune_cache")

    assert list(CacheEntry.objects.values_list("key", flat=True)) == [kept.key]
    assert store.output_exists(kept.outputs["dataset"])
    assert not store.output_exists(gone.outputs["dataset"])
    assert not store.output_exists(orphan)


def test_a_stored_output_whose_bytes_changed_is_refused(settings, tmp_path):
    from experiments.modules.framework.artifacts import ArtifactError

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    record = store.save_output("d" * 64, "dataset", PortType.DATA_TABLE, DataTable(pd.DataFrame({"a": [1]})))
    assert store.load_output(record).frame["a"].tolist() == [1]
    (tmp_path / record["path"]).write_bytes(DataTable(pd.DataFrame({"a": [2]})).to_parquet())
    with pytest.raises(ArtifactError, match="altered or damaged"):
        store.load_output(record)
