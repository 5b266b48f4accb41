"""Saving a run's outputs (Save as Dataset / Trained Model / Transform) and using them again."""

from __future__ import annotations

import pytest

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Asset, Dataset
from tests.experiments.helpers import run_now

pytestmark = pytest.mark.django_db(transaction=True)
DATA = "x,colour,y\n" + "".join(f"{i},{'red' if i % 3 else 'blue'},{int(i % 3 == 0)}\n" for i in range(40))


def training_graph():
    return {"nodes": [node("data", "enter-data-manually", data=DATA),
                      node("norm", "normalize-data", columns=["x"]),
                      node("learner", "two-class-logistic-regression"),
                      node("train", "train-model", label_column=["y"])],
            "edges": [edge("data", "dataset", "norm", "dataset"),
                      edge("norm", "transformed_dataset", "train", "dataset"),
                      edge("learner", "untrained_model", "train", "untrained_model")]}


@pytest.fixture
def trained(owner):
    return run_now(owner.workspace, training_graph(), "Colour model")


def save(api, run, node_id, port, name):
    return api.post(f"/api/runs/{run.pk}/nodes/{node_id}/outputs/{port}/save/", {"name": name}, format="json")


def test_a_trained_model_is_saved_listed_and_scores_through_the_trained_model_module(api, owner, trained):
    response = save(api, trained, "train", "trained_model", "Colour model v1")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "trained_model"
    listed = api.get("/api/assets/?kind=trained_model").json()
    assert [(a["name"], a["summary"]["learner"], a["summary"]["label"], a["experiment"]) for a in listed] == [
        ("Colour model v1", "Two-Class Logistic Regression", "y", trained.experiment_id)]
    assert set(listed[0]["summary"]["features"]) == {"x", "colour"}

    asset_id = response.json()["id"]
    transform = save(api, trained, "norm", "transformation_function", "Scale x").json()
    scoring = {"nodes": [node("data", "enter-data-manually", data=DATA),
                         node("model", "trained-model", trained_model=asset_id),
                         node("scale", "transform", transform=transform["id"]),
                         node("apply", "apply-transformation"), node("score", "score-model")],
               "edges": [edge("scale", "transformation", "apply", "transformation"),
                         edge("data", "dataset", "apply", "dataset"),
                         edge("model", "trained_model", "score", "trained_model"),
                         edge("apply", "transformed_dataset", "score", "dataset")]}
    run = run_now(owner.workspace, scoring, "Scoring with saved objects")
    scored = api.get(f"/api/runs/{run.pk}/nodes/score/outputs/scored_dataset/?limit=40").json()
    trained_scores = api.get(f"/api/runs/{trained.pk}/nodes/train/outputs/trained_model/").json()
    assert trained_scores["type"] == "TrainedModel"
    assert scored["preview"]["ColumnNames"][-2:] == ["Scored Labels", "Scored Probabilities"]
    assert scored["rows"] == 40


def test_the_saved_copy_outlives_the_run_cache_and_is_checked_on_load(api, owner, trained):
    from django.core.files.storage import default_storage

    from experiments.assets import asset_load
    from experiments.modules.framework.artifacts import ArtifactError
    from experiments.services import cache_prune

    asset = Asset.objects.get(pk=save(api, trained, "train", "trained_model", "Kept").json()["id"])
    trained.experiment.delete()
    cache_prune()
    assert asset_load(Asset.objects.get(pk=asset.pk)).label == "y"
    with default_storage.open(asset.path, "wb") as handle:
        handle.write(b"not a model")
    with pytest.raises(ArtifactError, match="'Kept' was altered or damaged"):
        asset_load(asset)


def test_a_table_output_is_saved_as_a_dataset(api, trained):
    response = save(api, trained, "norm", "transformed_dataset", "Normalised colours")
    assert response.status_code == 201 and response.json()["kind"] == "dataset"
    dataset = Dataset.objects.get(pk=response.json()["id"])
    assert dataset.source == Dataset.Source.RUN and dataset.rows == 40


@pytest.mark.parametrize(("node_id", "port", "name", "message"), [
    ("train", "trained_model", "  ", "Give the saved output a name."),
    ("learner", "untrained_model", "x", "Only datasets, trained models and transforms can be saved; "
                                       "'untrained_model' is of type UntrainedModel."),
    ("nope", "trained_model", "x", "Node nope is not part of run"),
    ("train", "nope", "x", "Node train has no output port 'nope'"),
])
def test_saving_refuses_what_cannot_be_saved_with_a_message(api, trained, node_id, port, name, message):
    response = save(api, trained, node_id, port, name)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)


def test_assets_are_private_to_the_workspace(api, outsider_api, trained):
    asset_id = save(api, trained, "train", "trained_model", "Mine").json()["id"]
    assert outsider_api.get("/api/assets/").json() == []
    assert outsider_api.get(f"/api/assets/{asset_id}/").status_code == 404
    assert save(outsider_api, trained, "train", "trained_model", "Stolen").status_code == 404
    assert api.get("/api/assets/?kind=model").status_code == 400
    assert api.patch(f"/api/assets/{asset_id}/", {"name": "Renamed"}, format="json").json()["name"] == "Renamed"
    assert api.delete(f"/api/assets/{asset_id}/").status_code == 204
    assert not Asset.objects.exists()


def test_the_trained_models_page_lists_and_deletes(owner_client, api, trained):
    asset_id = save(api, trained, "train", "trained_model", "Colour model v1").json()["id"]
    page = owner_client.get("/trained-models/").content.decode()
    assert "Colour model v1" in page and "Two-Class Logistic Regression" in page and "Colour model" in page
    response = owner_client.post("/trained-models/", {"delete": asset_id}, follow=True)
    assert "Deleted &#x27;Colour model v1&#x27;." in response.content.decode()
    assert not Asset.objects.exists()


def upload(api, name, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post("/api/datasets/", {"name": name, "file": SimpleUploadedFile(f"{name}.csv", text.encode())},
                        format="multipart")
    assert response.status_code == 201, response.json()
    return Dataset.objects.get(pk=response.json()["id"])


def test_a_dataset_in_use_is_not_deleted_its_users_are_named_and_an_unused_one_is(api, owner, outsider_api):
    from django.core.files.storage import default_storage

    from experiments.models import Experiment
    from webservices.models import Deployment, WebService

    used = upload(api, "Colours", DATA)
    twin = upload(api, "Colours again", DATA)  # the same table: one Parquet file, shared
    assert twin.path == used.path
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Uses colours", graph={
        "nodes": [node("data", "dataset", dataset=used.pk)], "edges": []})
    service = WebService.objects.create(workspace=owner.workspace, name="Colour service", kind="predictive")
    Deployment.objects.create(service=service, version=1, graph={"nodes": [], "edges": []}, resources=[
        {"Name": used.name, "Kind": "Dataset", "Node": "data", "Dataset": used.pk, "Path": used.path,
         "Sha256": used.sha256}])

    assert outsider_api.delete(f"/api/datasets/{used.pk}/").status_code == 404
    refused = api.delete(f"/api/datasets/{used.pk}/")
    assert refused.status_code == 409, refused.json()
    assert refused.json()["detail"] == ("'Colours' can't be deleted: it is used by experiment 'Uses colours', web "
                                        f"service 'Colour service' (#{service.pk}). Remove it from those first "
                                        "(delete the web service, or the node that loads it).")
    assert Dataset.objects.filter(pk=used.pk).exists() and default_storage.exists(used.path)

    assert api.delete(f"/api/datasets/{twin.pk}/").status_code == 204
    assert default_storage.exists(used.path), "the file is shared with a dataset still there"
    experiment.delete()
    service.delete()
    assert api.delete(f"/api/datasets/{used.pk}/").status_code == 204
    assert not Dataset.objects.filter(workspace=owner.workspace).exists()
    assert not default_storage.exists(used.path)
    assert api.get(f"/api/datasets/{used.pk}/").status_code == 404


def test_a_sample_dataset_is_never_deleted(api, owner):
    from experiments.datasets import samples_load

    samples_load()
    sample = Dataset.objects.filter(source=Dataset.Source.SAMPLE).first()
    response = api.delete(f"/api/datasets/{sample.pk}/")
    assert response.status_code == 403 and "sample dataset shared by every workspace" in response.json()["detail"]
    assert Dataset.objects.filter(pk=sample.pk).exists()


def test_the_datasets_page_deletes_and_explains_a_refusal(owner_client, api, owner):
    from experiments.models import Experiment

    used = upload(api, "Colours", DATA)
    Experiment.objects.create(workspace=owner.workspace, name="Uses colours",
                              graph={"nodes": [node("data", "dataset", dataset=used.pk)], "edges": []})
    page = owner_client.post(f"/datasets/{used.pk}/delete/", follow=True).content.decode()
    assert "used by experiment &#x27;Uses colours&#x27;" in page and Dataset.objects.filter(pk=used.pk).exists()
    Experiment.objects.all().delete()
    page = owner_client.post(f"/datasets/{used.pk}/delete/", follow=True).content.decode()
    assert "Deleted &#x27;Colours&#x27;." in page and not Dataset.objects.filter(pk=used.pk).exists()
