"""Lineage (issue 20), end to end with the real worker over real HTTP: an endpoint's model is followed back to
the experiment, run, node and dataset hash that made it, after a deploy, after a retrain (retraining web
service → batch job → PATCH) and after a rollback; the records are snapshots, so later edits to the experiment
do not rewrite them."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.files.storage import default_storage

from experiments.models import Asset, Dataset, Experiment
from experiments.modules.framework.registry import registry
from studio.version import STUDIO_VERSION
from tests.webservices.test_bes import wait
from tests.webservices.test_retraining import call, journey  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def lineage_of(api, service, name):
    """The Lineage of one endpoint, as GET /api/web-services/{id}/ gives it."""
    response = api.get(f"/api/web-services/{service}/")
    assert response.status_code == 200
    return {e["Name"]: e for e in response.json()["endpoints"]}[name]["Lineage"]


def retrain(facts, data: bytes) -> tuple[str, dict]:
    """Upload `data` as training/adult-full.csv and run the retraining service on it: (job id, its model's
    location for a PATCH)."""
    base, retraining = facts["base"], facts["retraining"]["endpoint"]
    trainer = {"Authorization": f"Bearer {retraining['PrimaryKey']}"}
    assert httpx.put(f"{base}/workspaces/{facts['ws']}/storage/training/adult-full.csv", content=data,
                     headers=trainer).status_code == 201
    jobs = base + urlsplit(retraining["BatchLocation"]).path
    job = httpx.post(f"{jobs}?api-version=2.0", headers=trainer, json={
        "Inputs": {"input1": {"RelativeLocation": "training/adult-full.csv"}},
        "Outputs": {"output1": {"RelativeLocation": "models/income.ilearner"},
                    "output2": {"RelativeLocation": "models/evaluation.csv"}}}).json()
    assert httpx.post(f"{jobs}/{job}/start?api-version=2.0", headers=trainer).status_code == 200
    finished = wait(jobs, trainer, job, timeout=240)
    assert finished["StatusCode"] == "Finished", finished
    return job, finished["Results"]["output1"]


def test_an_endpoints_model_leads_back_to_its_dataset_after_a_retrain_and_a_rollback(journey, api,  # noqa: F811
                                                                                       owner_client):
    service = journey["scoring"]["web_service"]
    half = Dataset.objects.get(name="Adult, first half")
    training = Experiment.objects.get(name="Income", kind=Experiment.Kind.TRAINING)
    first_run = training.runs.order_by("created").first()
    with default_storage.open(half.path, "rb") as handle:  # the recorded hash is the stored bytes' own
        assert hashlib.sha256(handle.read()).hexdigest() == half.sha256

    # Deployed: the default endpoint's model was trained by the training experiment's first run, node train.
    deployed = lineage_of(api, service, "default")
    assert (deployed["experiment"], deployed["experiment_name"], deployed["run"], deployed["node"]) == (
        training.pk, "Income", first_run.pk, "train")
    assert deployed["datasets"] == [{"id": half.pk, "name": "Adult, first half", "sha256": half.sha256}]
    assert (deployed["source"], deployed["job"], deployed["input"]) == ("deploy", None, None)
    assert deployed["modules"]["train-model"] == registry.get("train-model").version
    learner = "two-class-boosted-decision-tree"
    assert deployed["modules"][learner] == registry.get(learner).version
    assert "score-model" not in deployed["modules"]
    assert deployed["parameters"]["train"]["label_column"] == ["income"]
    assert deployed["studio_version"] == STUDIO_VERSION and deployed["resource"] == journey["resource"]
    asset = Asset.objects.get(source_run=first_run, source_node="train")
    assert deployed["model_sha256"] == asset.sha256 and asset.lineage["datasets"][0]["sha256"] == half.sha256

    # A new endpoint serves the deployed model: the same lineage.
    added = api.put(f"/api/web-services/{service}/endpoints/retrained/", {}, format="json")
    assert added.status_code == 201 and added.json()["Lineage"] == deployed

    # Retrain on the full data and PATCH the new endpoint: its model now leads to the job and its input file.
    data = journey["full"].to_csv(index=False).encode()
    job, model = retrain(journey, data)
    management = journey["management"]
    as_default = {"Authorization": f"Bearer {journey['scoring']['endpoint']['PrimaryKey']}"}
    status, body = call("PATCH", f"{management}/retrained", as_default,
                        {"Resources": [{"Name": journey["resource"], "Location": model}]})
    assert status == 200, body
    patched = lineage_of(api, service, "retrained")
    assert (patched["source"], patched["job"], patched["input"]) == ("patch", job, "training/adult-full.csv")
    assert patched["datasets"] == [{"id": None, "name": "training/adult-full.csv",
                                    "sha256": hashlib.sha256(data).hexdigest()}]
    assert (patched["experiment"], patched["run"], patched["node"]) == (training.pk, None, "train")
    assert patched["modules"]["train-model"] == registry.get("train-model").version
    assert patched["studio_version"] == STUDIO_VERSION and patched["trained"]
    assert lineage_of(api, service, "default") == deployed, "the default endpoint still serves the deployed model"

    # Later edits to the experiment (its name, its data) don't rewrite what was recorded.
    training.name = "Income, renamed"
    training.save()
    assert lineage_of(api, service, "default")["experiment_name"] == "Income"

    # Roll back to the deployed model: back to the first half of Adult and its hash.
    history = api.get(f"/api/web-services/{service}/endpoints/retrained/resources/").json()["history"]
    assert [h["how"] for h in history] == ["patch", "deploy"]
    assert api.post(f"/api/web-services/{service}/endpoints/retrained/rollback/", {"version": history[1]["id"]},
                    format="json").status_code == 200
    rolled = lineage_of(api, service, "retrained")
    assert {**rolled, "source": "deploy"} == deployed and rolled["source"] == "rollback"
    line = api.get(f"/api/web-services/{service}/endpoints/retrained/resources/").json()["lineage"]
    assert line.startswith(f"serving model '{journey['resource']}' (rolled back to), trained by run {first_run.pk}")

    # And forward again to the retrained one (a rollback too): the job and the file's hash come back with it.
    assert api.post(f"/api/web-services/{service}/endpoints/retrained/rollback/", {"version": history[0]["id"]},
                    format="json").status_code == 200
    again = lineage_of(api, service, "retrained")
    assert {**again, "source": "patch"} == patched and again["source"] == "rollback"

    # The dashboard says it in a sentence per endpoint; the Trained Models page shows the saved model's.
    page = owner_client.get(f"/web-services/{service}/").content.decode()
    day = deployed["trained"][:10]
    assert (f"serving model &#x27;{journey['resource']}&#x27;, trained by run {first_run.pk} of experiment "
            f"&#x27;Income&#x27; on dataset &#x27;Adult, first half&#x27; (sha {half.sha256[:12]}…) on {day}") in page
    assert (f"serving model &#x27;{journey['resource']}&#x27; (rolled back to), retrained by batch job {job} of the "
            f"retraining service") in page
    assert hashlib.sha256(data).hexdigest() in page  # the full hash, in the folded details
    models = owner_client.get("/trained-models/").content.decode()
    assert f'data-testid="lineage-{asset.pk}"' in models and half.sha256 in models

    # New-style: the definition's trained model pointed at the retrained file makes a new deployment, whose
    # default endpoint then serves a model trained by that job (deployed, not patched).
    definition = api.get(f"/api/web-services/{service}/definition/").json()
    key = next(k for k, v in definition["properties"]["assets"].items() if v["name"] == journey["resource"])
    definition["properties"]["assets"][key]["locationInfo"]["uri"] = (
        model["BaseLocation"] + model["RelativeLocation"] + model["SasBlobToken"])
    assert api.put(f"/api/web-services/{service}/definition/", definition, format="json").status_code == 200
    imported = lineage_of(api, service, "default")
    assert {**imported, "source": "patch"} == patched and imported["source"] == "deploy"


def test_the_openapi_schema_describes_each_endpoints_lineage(owner_client):
    schema = owner_client.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    assert {"experiment", "run", "node", "datasets", "modules", "source", "job"} <= set(
        components["Lineage"]["properties"])
    assert set(components["DatasetLineage"]["properties"]) == {"id", "name", "sha256"}
    assert components["LineageSourceEnum"]["enum"] == ["deploy", "patch", "rollback"]
    retrieve = schema["paths"]["/api/web-services/{id}/"]["get"]["responses"]["200"]
    assert retrieve["content"]["application/json"]["schema"]["$ref"].endswith("/WebService")
    assert components["Endpoint"]["properties"]["Lineage"]["allOf"][0]["$ref"].endswith("/Lineage")
