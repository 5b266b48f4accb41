"""A saved model's lineage (issue 20): recorded when it is saved, from the run that made it, and kept as it was."""

from __future__ import annotations

import io

import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_upload
from experiments.engine.graph import node_json as node
from experiments.lineage import asset_lineage, lineage_text
from experiments.models import Asset, CacheEntry, NodeRun
from experiments.modules.framework.registry import registry
from studio.version import STUDIO_VERSION
from tests.experiments.helpers import run_now
from tests.experiments.test_assets import DATA, save, training_graph

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_saved_model_records_its_run_node_datasets_modules_and_keeps_them(api, owner):
    upload = dataset_upload(workspace=owner.workspace, name="Colours", file=io.BytesIO(DATA.encode()),
                            filename="colours.csv", created_by=None)
    graph = training_graph()
    graph["nodes"][0] = node("data", "dataset", dataset=upload.pk)
    graph["nodes"].append(node("other", "enter-data-manually", data="a\n1\n"))  # not upstream of train
    run = run_now(owner.workspace, graph, "Colour model")
    response = save(api, run, "train", "trained_model", "Colour model v1")
    assert response.status_code == 201, response.json()
    lineage = api.get(f"/api/assets/{response.json()['id']}/").json()["lineage"]
    assert (lineage["experiment"], lineage["experiment_name"], lineage["run"], lineage["node"]) == (
        run.experiment_id, "Colour model", run.pk, "train")
    assert lineage["datasets"] == [{"id": upload.pk, "name": "Colours", "sha256": upload.sha256, "node": "data"}]
    assert lineage["modules"] == {m: registry.get(m).version for m in
                                  ("dataset", "normalize-data", "two-class-logistic-regression", "train-model")}
    assert lineage["parameters"]["norm"] == {"columns": ["x"]} and "other" not in lineage["parameters"]
    assert lineage["studio_version"] == STUDIO_VERSION and lineage["trained"].startswith(str(run.finished.year))
    assert lineage_text(lineage) == (f"trained by run {run.pk} of experiment 'Colour model' on dataset 'Colours' "
                                     f"(sha {upload.sha256[:12]}…) on {run.finished:%Y-%m-%d}")

    # Later edits don't rewrite it: the experiment renamed, the dataset's record changed.
    run.experiment.name = "Renamed"
    run.experiment.save()
    type(upload).objects.filter(pk=upload.pk).update(name="Colours, edited", sha256="0" * 64)
    assert api.get(f"/api/assets/{response.json()['id']}/").json()["lineage"] == lineage


def test_a_table_made_in_the_graph_is_named_with_the_hash_of_what_the_run_stored(owner):
    run = run_now(owner.workspace, training_graph(), "Colour model")
    asset = output_save(run=run, node="train", port="trained_model", name="Colour model v1")
    (source,) = asset.lineage["datasets"]
    entry = NodeRun.objects.get(run=run, node_id="data").cache_key
    assert source == {"id": None, "name": "Enter Data Manually (data)", "node": "data",
                      "sha256": CacheEntry.objects.get(pk=entry).outputs["dataset"]["sha256"]}


def test_a_model_saved_before_lineage_was_recorded_shows_one_rebuilt_from_its_run(owner):
    run = run_now(owner.workspace, training_graph(), "Colour model")
    asset = output_save(run=run, node="train", port="trained_model", name="Colour model v1")
    recorded = asset.lineage
    Asset.objects.filter(pk=asset.pk).update(lineage={})
    rebuilt = asset_lineage(Asset.objects.get(pk=asset.pk))
    assert rebuilt.pop("reconstructed") is True
    assert rebuilt == {k: v for k, v in recorded.items() if k != "port"}
    Asset.objects.filter(pk=asset.pk).update(source_run=None)
    assert asset_lineage(Asset.objects.get(pk=asset.pk)) == {}
