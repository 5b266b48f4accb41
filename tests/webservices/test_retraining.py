"""Retraining and endpoint management (issue 7), end to end over real HTTP with the real worker.

Train the income model on half of Adult; deploy the predictive and the retraining service; add an endpoint
`retrained`; retrain on the full data as a batch job; PATCH `retrained` with the returned .ilearner. The
calls below are written from SPEC §3 alone (httpx, no project imports), as an outside client would.
"""

from __future__ import annotations

import io
import time
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from experiments.datasets import dataset_store, dataset_table, samples_load
from experiments.models import Dataset, Experiment
from experiments.modules.framework.datatable import DataTable, Role
from studio import processes
from tests.conftest import LOG_DIR, service_env
from tests.experiments.helpers import run_now
from tests.experiments.test_correctness import TREE_ENCODING, fit_by_hand, pipeline_graph, split
from tests.webservices.test_bes import wait
from tests.webservices.test_deploy import deploy, setup

pytestmark = pytest.mark.django_db(transaction=True)
ADULT = "Adult Census Income Binary Classification dataset"


def score(url, key, rows):
    body = {"Inputs": {"input1": {"ColumnNames": list(rows.columns),
                                  "Values": [[str(v) for v in row] for row in rows.itertuples(index=False)]}},
            "GlobalParameters": {}}
    response = httpx.post(f"{url}?api-version=2.0", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert response.status_code == 200, response.text
    return [float(row[-1]) for row in response.json()["Results"]["output1"]["value"]["Values"]]


def call(method, url, headers, body=None):
    response = httpx.request(method, url, json=body, headers=headers, timeout=60)
    return response.status_code, (response.json() if response.content else None)


@pytest.fixture
def journey(api, owner, studio_server, worker):
    samples_load([ADULT])
    full = dataset_table(Dataset.objects.get(name=ADULT)).frame
    half = dataset_store(table=DataTable(full.iloc[: len(full) // 2].reset_index(drop=True), {"income": Role.LABEL}),
                         name="Adult, first half", workspace=owner.workspace, source="upload")
    graph = pipeline_graph(half.pk, "two-class-boosted-decision-tree", "income",
                           [("clean", "clean-missing-data", {"cleaning_mode": "Replace with mode"})])
    training = Experiment.objects.create(workspace=owner.workspace, name="Income", graph=graph)
    run_now(owner.workspace, training.graph, experiment=training)
    predictive = Experiment.objects.get(pk=setup(api, training).json()["experiment"])
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    scoring = deploy(api, predictive).json()
    assert setup(api, training, kind="retraining").status_code == 200
    training.refresh_from_db()
    run_now(owner.workspace, training.graph, experiment=training)
    retraining = deploy(api, training).json()
    services = {s["id"]: s for s in api.get("/api/web-services/").json()}
    assert services[retraining["web_service"]]["kind"] == "retraining"
    base = studio_server.url
    return {"full": full, "base": base, "ws": owner.workspace.pk, "scoring": scoring, "retraining": retraining,
            "resource": services[scoring["web_service"]]["resources"][0]["Name"],
            "management": f"{base}/workspaces/{owner.workspace.pk}/webservices/{scoring['web_service']}/endpoints"}


def reference(full):
    """The same training by hand: fill with the mode, the seeded 70 % split, the same boosted trees."""
    cleaned = full.fillna({c: full[c].mode().iloc[0] for c in full.columns})
    train, _ = split(cleaned)
    estimator = HistGradientBoostingClassifier(max_leaf_nodes=20, min_samples_leaf=10, learning_rate=0.2,
                                               max_iter=100, early_stopping=False, random_state=0)
    return fit_by_hand(train, train.head(1), "income", TREE_ENCODING, estimator)[0]


def test_retrain_patch_an_endpoint_roll_back_and_refusals(journey, api):
    full, base, ws = journey["full"], journey["base"], journey["ws"]
    default_key = journey["scoring"]["endpoint"]["PrimaryKey"]
    default_url = base + urlsplit(journey["scoring"]["endpoint"]["ApiLocation"]).path + "/execute"
    management = journey["management"]
    as_default = {"Authorization": f"Bearer {default_key}"}

    # Add the endpoint `retrained` (a key of the default endpoint may manage the service).
    status, added = call("PUT", f"{management}/retrained", as_default,
                         {"Description": "patched by retraining", "MaxConcurrentCalls": 10,
                          "DiagnosticsTraceLevel": "Error", "ThrottleLevel": "High"})
    assert status == 200, added
    assert {"PrimaryKey", "SecondaryKey", "ApiLocation", "BatchLocation", "HelpLocation", "Version"} <= set(added)
    status, listed = call("GET", management, as_default)
    assert status == 200 and [e["Name"] for e in listed] == ["default", "retrained"]
    # a default endpoint's key manages the service but not the workspace: the keys are null for it (issue 17)
    assert listed[1]["PrimaryKey"] is None and listed[1]["MaxConcurrentCalls"] == 10
    retrained_url, retrained_key = base + urlsplit(added["ApiLocation"]).path + "/execute", added["PrimaryKey"]
    as_retrained = {"Authorization": f"Bearer {retrained_key}"}

    rows = full.dropna().drop(columns=["income"]).sample(40, random_state=1)
    before = score(default_url, default_key, rows)
    assert score(retrained_url, retrained_key, rows) == before

    # Retrain on the full data: a batch job on the retraining service returns the .ilearner and the evaluation.
    retraining = journey["retraining"]["endpoint"]
    jobs, as_trainer = base + urlsplit(retraining["BatchLocation"]).path, {"Authorization":
                                                                          f"Bearer {retraining['PrimaryKey']}"}
    storage = f"{base}/workspaces/{ws}/storage"
    assert httpx.put(f"{storage}/training/adult-full.csv", content=full.to_csv(index=False).encode(),
                     headers=as_trainer).status_code == 201
    refused = httpx.post(f"{base}{urlsplit(retraining['ApiLocation']).path}/execute?api-version=2.0",
                         headers=as_trainer, json={"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["1"]]}}})
    assert refused.status_code == 400 and "retraining web service" in refused.json()["error"]["message"]
    wrong = httpx.post(f"{jobs}?api-version=2.0", headers=as_trainer, json={
        "Inputs": {"input1": {"RelativeLocation": "training/adult-full.csv"}},
        "Outputs": {"output1": {"RelativeLocation": "models/income.csv"},
                    "output2": {"RelativeLocation": "models/evaluation.csv"}}})
    assert wrong.status_code == 400 and ".ilearner" in wrong.json()["error"]["message"]
    job = httpx.post(f"{jobs}?api-version=2.0", headers=as_trainer, json={
        "Inputs": {"input1": {"RelativeLocation": "training/adult-full.csv"}},
        "Outputs": {"output1": {"RelativeLocation": "models/income.ilearner"},
                    "output2": {"RelativeLocation": "models/evaluation.csv"}}}).json()
    assert httpx.post(f"{jobs}/{job}/start?api-version=2.0", headers=as_trainer).status_code == 200
    finished = wait(jobs, as_trainer, job, timeout=240)
    assert finished["StatusCode"] == "Finished", finished
    model, evaluation = finished["Results"]["output1"], finished["Results"]["output2"]
    assert model["RelativeLocation"].endswith(".ilearner")
    metrics = pd.read_csv(io.BytesIO(httpx.get(evaluation["BaseLocation"] + evaluation["RelativeLocation"]
                                               + evaluation["SasBlobToken"]).content))
    assert metrics["AUC"].iloc[0] > 0.9

    patch = {"Resources": [{"Name": journey["resource"], "Location": model}]}
    # The default endpoint follows the predictive experiment: it can't be patched.
    status, body = call("PATCH", f"{management}/default", as_default, patch)
    assert status == 400 and "default endpoint" in body["error"]["message"]
    # A forged or an expired token is refused, and nothing changes.
    forged = {**model, "SasBlobToken": model["SasBlobToken"].replace("sig=", "sig=f")}
    status, body = call("PATCH", f"{management}/retrained", as_retrained,
                        {"Resources": [{"Name": journey["resource"], "Location": forged}]})
    assert status == 403, body
    expires = model["SasBlobToken"].split("se=")[1].split("&")[0]
    expired = {**model, "SasBlobToken": model["SasBlobToken"].replace(f"se={expires}", "se=1000")}
    assert call("PATCH", f"{management}/retrained", as_retrained,
                {"Resources": [{"Name": journey["resource"], "Location": expired}]})[0] == 403
    status, body = call("PATCH", f"{management}/retrained", as_retrained,
                        {"Resources": [{"Name": "Something else [trained model]", "Location": model}]})
    assert status == 400 and journey["resource"] in body["error"]["message"]

    # Two web processes: both serve the new model on the very next request after the PATCH.
    second = processes.ManagedProcess("second server", processes.asgi_command(
        host="127.0.0.1", port=(port := processes.free_port())), service_env(), LOG_DIR / "server2.log").start()
    try:
        assert processes.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=60)
        other_url = f"http://127.0.0.1:{port}{urlsplit(added['ApiLocation']).path}/execute"
        assert score(other_url, retrained_key, rows) == before  # the second process knows the old model
        status, patched = call("PATCH", f"{management}/retrained", as_retrained, patch)
        assert status == 200, patched
        after = score(retrained_url, retrained_key, rows)
        assert score(other_url, retrained_key, rows) == after
    finally:
        second.stop()

    # Exactly what a plain scikit-learn model trained on the full data predicts; the default is unchanged.
    expected = reference(full).predict_proba(fit_by_hand_features(rows))[:, 1]
    assert after == expected.tolist()
    assert after != before
    assert score(default_url, default_key, rows) == before

    # A model of another schema is refused and the endpoint keeps serving the retrained one.
    foreign = foreign_model(base, ws, storage, as_trainer, model)
    status, body = call("PATCH", f"{management}/retrained", as_retrained,
                        {"Resources": [{"Name": journey["resource"], "Location": foreign}]})
    assert status == 400 and "column" in body["error"]["message"], body
    assert score(retrained_url, retrained_key, rows) == after

    # A forged .ilearner (the retrained model repackaged by someone else: a correct sha256 but not this studio's
    # signature) is refused before skops reads it, and nothing changes.
    service = journey["scoring"]["web_service"]
    history = api.get(f"/api/web-services/{service}/endpoints/retrained/resources/").json()["history"]
    unsigned = forged_model(base, ws, storage, as_trainer, model)
    for location in (unsigned, forged_model(base, ws, storage, as_trainer, model, key="another studio's key")):
        status, body = call("PATCH", f"{management}/retrained", as_retrained,
                            {"Resources": [{"Name": journey["resource"], "Location": location}]})
        assert status == 400 and "not made by this studio" in body["error"]["message"], body
        assert "signature" in body["error"]["message"]
    assert api.get(f"/api/web-services/{service}/endpoints/retrained/resources/").json()["history"] == history
    assert score(retrained_url, retrained_key, rows) == after

    # Roll back to the deployed model (the dashboard's button); then a PATCH naming the newer location again.
    history = api.get(f"/api/web-services/{service}/endpoints/retrained/resources/").json()["history"]
    assert [(h["how"], h["active"]) for h in history] == [("patch", True), ("deploy", False)]
    assert history[0]["metrics"]["AUC"] == pytest.approx(metrics["AUC"].iloc[0])
    rolled = api.post(f"/api/web-services/{service}/endpoints/retrained/rollback/", {"version": history[1]["id"]},
                      format="json")
    assert rolled.status_code == 200, rolled.json()
    assert score(retrained_url, retrained_key, rows) == before
    assert call("PATCH", f"{management}/retrained", as_retrained, patch)[0] == 200
    assert score(retrained_url, retrained_key, rows) == after

    # Endpoint management refusals, and delete.
    assert call("DELETE", f"{management}/default", as_default)[0] == 400
    assert call("GET", management, {"Authorization": "Bearer wrong"})[0] == 401
    assert call("PUT", f"{management}/x", as_default, {"MaxConcurrentCalls": 500})[0] == 400
    assert call("PUT", f"{management}/bad name!", as_default, {})[0] in (400, 404)
    assert call("DELETE", f"{management}/retrained", as_retrained)[0] == 401  # an endpoint's own key can't delete it
    assert call("DELETE", f"{management}/retrained", as_default)[0] == 204
    assert [e["Name"] for e in call("GET", management, as_default)[1]] == ["default"]

    # New-style: export the definition, point the trained model asset at the .ilearner, import it back.
    definition = api.get(f"/api/web-services/{service}/definition/").json()
    asset = next(key for key, value in definition["properties"]["assets"].items()
                 if value["name"] == journey["resource"])
    location = model["BaseLocation"] + model["RelativeLocation"]
    definition["properties"]["assets"][asset]["locationInfo"]["uri"] = location + forged["SasBlobToken"]
    refused = api.put(f"/api/web-services/{service}/definition/", definition, format="json")
    assert refused.status_code == 400 and "SasBlobToken" in refused.json()["detail"]
    definition["properties"]["assets"][asset]["locationInfo"]["uri"] = (
        unsigned["BaseLocation"] + unsigned["RelativeLocation"] + unsigned["SasBlobToken"])
    refused = api.put(f"/api/web-services/{service}/definition/", definition, format="json")
    assert refused.status_code == 400 and "signature" in refused.json()["detail"], refused.json()
    assert score(default_url, default_key, rows) == before
    definition["properties"]["assets"][asset]["locationInfo"]["uri"] = location + model["SasBlobToken"]
    imported = api.put(f"/api/web-services/{service}/definition/", definition, format="json")
    assert imported.status_code == 200, imported.json()
    assert score(default_url, default_key, rows) == after


def fit_by_hand_features(rows):
    """The request rows as fit_by_hand prepares features (text as objects, numbers as floats)."""
    from tests.experiments.test_correctness import features

    prepared, _ = features(rows.assign(income="<=50K"), "income", TREE_ENCODING)
    return prepared


def foreign_model(base, ws, storage, headers, model):
    """A valid .ilearner whose model reads a column the service doesn't have, uploaded with a fresh token."""
    from experiments.modules.framework.artifacts import TrainedModel
    from experiments.modules.framework.datatable import Column

    data = httpx.get(model["BaseLocation"] + model["RelativeLocation"] + model["SasBlobToken"]).content
    package = TrainedModel.from_bytes(data)
    package.features = [Column("salary band", package.features[0].kind, package.features[0].role),
                        *package.features[1:]]
    assert httpx.put(f"{storage}/models/foreign.ilearner", content=package.to_bytes(),
                     headers=headers).status_code == 201
    from webservices import storage as workspace_storage

    return {"BaseLocation": f"{base}/workspaces/{ws}/storage/", "RelativeLocation": "models/foreign.ilearner",
            "SasBlobToken": workspace_storage.sas_token(str(ws), "models/foreign.ilearner")}


def forged_model(base, ws, storage, headers, model, key=None):
    """The retrained .ilearner repackaged as an outsider can: same payload and metadata, a recomputed sha256,
    and no signature (or one made with another key), uploaded with a fresh token."""
    from webservices import storage as workspace_storage

    data = httpx.get(model["BaseLocation"] + model["RelativeLocation"] + model["SasBlobToken"]).content
    name = f"models/forged-{'unsigned' if key is None else 'other-key'}.ilearner"
    assert httpx.put(f"{storage}/{name}", content=repackaged(data, key), headers=headers).status_code == 201
    return {"BaseLocation": f"{base}/workspaces/{ws}/storage/", "RelativeLocation": name,
            "SasBlobToken": workspace_storage.sas_token(str(ws), name)}


def repackaged(data, key=None):
    """An .ilearner's payload and metadata repackaged by an outsider: a recomputed sha256 and no signature (or one
    made with another key)."""
    import hashlib
    import zipfile

    from experiments.modules.framework.ilearner import package_signature

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        payload, meta = archive.read("model.skops"), archive.read("meta.json")
    digest = hashlib.sha256(payload + meta).hexdigest()
    with zipfile.ZipFile(buffer := io.BytesIO(), "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.skops", payload)
        archive.writestr("meta.json", meta)
        archive.writestr("sha256", digest)
        if key is not None:
            archive.writestr("signature", package_signature(digest, secret=key))
    return buffer.getvalue()


def attempt_done(api, url, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        schedules = api.get(url).json()
        attempts = [a for s in schedules for a in s["attempts"]]
        if attempts and all(a["outcome"] != "running" for a in attempts):
            return schedules
        time.sleep(0.5)
    pytest.fail(f"attempts still running: {schedules}")


def test_scheduled_retraining_patches_only_when_the_gate_passes(journey, api):
    from datetime import UTC, datetime

    from webservices.schedules import schedules_fire

    full, base, ws, service = journey["full"], journey["base"], journey["ws"], journey["scoring"]["web_service"]
    default_key = journey["scoring"]["endpoint"]["PrimaryKey"]
    status, added = call("PUT", f"{journey['management']}/nightly", {"Authorization": f"Bearer {default_key}"}, {})
    assert status == 200
    url, key = base + urlsplit(added["ApiLocation"]).path + "/execute", added["PrimaryKey"]
    rows = full.dropna().drop(columns=["income"]).sample(20, random_state=2)
    before = score(url, key, rows)
    trainer = {"Authorization": f"Bearer {journey['retraining']['endpoint']['PrimaryKey']}"}
    assert httpx.put(f"{base}/workspaces/{ws}/storage/training/latest.csv", content=full.to_csv(index=False).encode(),
                     headers=trainer).status_code == 201
    schedules = f"/api/web-services/{service}/endpoints/nightly/schedules/"
    bad = api.post(schedules, {"cron": "61 * * * *", "retraining_service": journey["retraining"]["web_service"],
                               "input": "training/latest.csv"}, format="json")
    assert bad.status_code == 400 and "cron" in bad.json()["detail"]
    strict = api.post(schedules, {"cron": "0 3 * * 1", "retraining_service": journey["retraining"]["web_service"],
                                  "input": "training/latest.csv", "metric": "AUC", "margin": 0.5}, format="json")
    assert strict.status_code == 201, strict.json()

    # Monday 03:00 UTC matches '0 3 * * 1'; the gate asks for +0.5 AUC, which no model can give.
    monday = datetime(2026, 11, 23, 3, 0, 17, tzinfo=UTC)
    assert len(schedules_fire(monday)) == 1
    assert schedules_fire(monday) == []  # once per minute, whoever ticks
    assert schedules_fire(datetime(2026, 11, 24, 3, 0, tzinfo=UTC)) == []  # a Tuesday
    (kept,) = attempt_done(api, schedules)[0]["attempts"]
    assert kept["outcome"] == "kept", kept
    assert kept["new_metric"] > 0.9 and kept["current_metric"] > 0.9 and "Kept" in kept["message"]
    assert score(url, key, rows) == before
    history = api.get(f"/api/web-services/{service}/endpoints/nightly/resources/").json()["history"]
    assert [h["how"] for h in history] == ["deploy"]

    # A gate that accepts a model at most 1.0 AUC worse: run now, and the endpoint is patched.
    schedule_id = strict.json()[0]["id"]
    api.delete(f"{schedules}{schedule_id}/")
    lenient = api.post(schedules, {"cron": "0 3 * * 1", "retraining_service": journey["retraining"]["web_service"],
                                   "input": "training/latest.csv", "metric": "AUC", "margin": -1.0}, format="json")
    assert api.post(f"{schedules}{lenient.json()[0]['id']}/run/").status_code == 200
    (promoted,) = attempt_done(api, schedules)[0]["attempts"]
    assert promoted["outcome"] == "promoted", promoted
    assert score(url, key, rows) != before
    history = api.get(f"/api/web-services/{service}/endpoints/nightly/resources/").json()["history"]
    assert [(h["how"], h["active"]) for h in history] == [("schedule", True), ("deploy", False)]


def test_beat_ticks_the_schedules_every_minute_and_make_run_starts_it():
    from studio import processes
    from studio.celery import app

    entry = app.conf.beat_schedule["retraining-schedules"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks and entry["schedule"] == 60.0
    assert "-B" in processes.worker_command(concurrency=1, name="w", beat=True)


def test_rolling_back_to_an_earlier_deployments_model_pins_that_model(api, owner):
    """After a redeploy changed the model, rolling an endpoint back to the first deployment's entry serves
    the first model (not the current deployment's)."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from experiments.modules.framework.artifacts import TrainedModel
    from tests.experiments.test_runs import income_graph
    from tests.webservices.test_deploy import publish
    from webservices.endpoints import deployment_recorded, endpoint_put, resource_history, resource_rollback
    from webservices.models import Deployment, ResourceVersion, WebService
    from webservices.scoring.served import resources_patched

    samples_load([ADULT])
    training = Experiment.objects.create(workspace=owner.workspace, name="Income",
                                         graph=income_graph(Dataset.objects.get(name=ADULT).pk))
    run_now(owner.workspace, training.graph, experiment=training)
    service = WebService.objects.get(pk=publish(api, owner, training)[2]["web_service"])
    second = endpoint_put(service=service, name="second", body={}).endpoint
    (first,) = [h for h in resource_history(second) if h["how"] == "deploy"]
    assert first["active"] and ResourceVersion.objects.count() == 1, "written when the endpoint was added"

    # A redeploy whose model differs (the same estimator, other metadata: other bytes).
    old = next(r for r in service.current.resources if r["Kind"] == "TrainedModel")
    model = TrainedModel.from_bytes(default_storage.open(old["Path"], "rb").read())
    model.info = {**model.info, "note": "retrained elsewhere"}
    data = model.to_bytes()
    path = default_storage.save("test/redeployed.ilearner", ContentFile(data))
    new = {**old, "Path": path, "Sha256": hashlib.sha256(data).hexdigest()}
    current = service.current
    service.current = Deployment.objects.create(
        service=service, version=current.version + 1, graph=current.graph, input_schema=current.input_schema,
        output_schema=current.output_schema, resources=[new if r is old else r for r in current.resources],
        sample=current.sample)
    service.save()
    deployment_recorded(service)  # as deploy() and a definition import do
    second.refresh_from_db()
    written = ResourceVersion.objects.count()
    history = resource_history(second)
    assert [(h["how"], h["sha256"], h["active"]) for h in history] == [
        ("deploy", new["Sha256"], True), ("deploy", old["Sha256"], False)], "one active entry: the new model"
    assert resource_history(second) == history and ResourceVersion.objects.count() == written, "reading wrote"

    resource_rollback(endpoint=second, version_id=first["id"])
    second.refresh_from_db()
    served = next(r for r in resources_patched(service.current.resources, second.resources) if r["Name"] == old["Name"])
    assert served["Sha256"] == old["Sha256"] != new["Sha256"]
