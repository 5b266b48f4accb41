"""Hostile model packages against Update Resource (SPEC §3 PATCH, over real HTTP) and a definition import.

A package signed with this studio's key (the test SECRET_KEY, as anyone who obtained it could sign) but holding
code is refused for its types, and the code never runs: Update Resource's dry run used to execute it inside the
web process while answering 400. Every damaged, oversized or hostile file answers a JSON 4xx in the route's
error shape (SPEC §3 `{"error": {...}}`; the studio API's `{"detail", "errors"}`), never an HTML 500, and
changes nothing.
"""

from __future__ import annotations

import builtins
import hashlib
import io
import json
import zipfile
from functools import partial
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from django.core.files.storage import default_storage
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.svm import SVC

from experiments.datasets import dataset_store
from experiments.models import Experiment
from experiments.modules.framework.artifacts import TrainedModel
from experiments.modules.framework.datatable import DataTable, Role
from experiments.modules.framework.ilearner import package_signature
from tests.experiments.helpers import run_now
from tests.experiments.modules.framework.zip_bombs import archive
from tests.experiments.test_correctness import pipeline_graph
from tests.webservices.test_deploy import publish
from webservices import storage
from webservices.models import WebService

pytestmark = pytest.mark.django_db(transaction=True)


def small_service(api, owner, learner="two-class-logistic-regression"):
    """A two-class model on 120 rows of numbers and text, deployed: (service, deploy answer)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "color": rng.choice(["red", "green", "blue"], size=120)})
    frame["label"] = np.where(frame["x"] + (frame["color"] == "red") > 0.3, "yes", "no")
    data = dataset_store(table=DataTable(frame, {"label": Role.LABEL}), name="Small", workspace=owner.workspace,
                         source="upload")
    training = Experiment.objects.create(workspace=owner.workspace, name="Small model",
                                         graph=pipeline_graph(data.pk, learner, "label"))
    run_now(owner.workspace, training.graph, experiment=training)
    answer = publish(api, owner, training)[2]
    return WebService.objects.get(pk=answer["web_service"]), answer


@pytest.fixture
def patchable(api, owner, studio_server):
    """The service with an added endpoint `retrained`, as an outside client sees it over HTTP."""
    service, answer = small_service(api, owner)
    base, ws = studio_server.url, str(owner.workspace.pk)
    management = f"{base}/workspaces/{ws}/webservices/{service.pk}/endpoints"
    default = {"Authorization": f"Bearer {answer['endpoint']['PrimaryKey']}"}
    added = httpx.put(f"{management}/retrained", json={}, headers=default, timeout=30)
    assert added.status_code == 200, added.text
    resource = next(r for r in service.current.resources if r["Kind"] == "TrainedModel")
    return {"base": base, "ws": ws, "service": service, "management": management, "resource": resource,
            "key": {"Authorization": f"Bearer {added.json()['PrimaryKey']}"},
            "rrs": f"{base}{urlsplit(added.json()['ApiLocation']).path.removesuffix('/execute')}/execute",
            "deployed": default_storage.open(resource["Path"], "rb").read()}


def upload(ctx, name, data):
    """The file in the workspace storage (PUT with an endpoint key) and its Location for Update Resource."""
    relative = f"models/{name}.ilearner"
    put = httpx.put(f"{ctx['base']}/workspaces/{ctx['ws']}/storage/{relative}", content=data, headers=ctx["key"],
                    timeout=60)
    assert put.status_code == 201, put.text
    return {"BaseLocation": f"{ctx['base']}/workspaces/{ctx['ws']}/storage/", "RelativeLocation": relative,
            "SasBlobToken": storage.sas_token(ctx["ws"], relative)}


def patch(ctx, location):
    body = {"Resources": [{"Name": ctx["resource"]["Name"], "Location": location}]}
    return httpx.patch(f"{ctx['management']}/retrained", json=body, headers=ctx["key"], timeout=120)


def scores(ctx):
    rows = {"Inputs": {"input1": {"ColumnNames": ["x", "color"], "Values": [["0.5", "red"], ["-1", "blue"]]}},
            "GlobalParameters": {}}
    answer = httpx.post(f"{ctx['rrs']}?api-version=2.0", json=rows, headers=ctx["key"], timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()["Results"]["output1"]["value"]["Values"]


def history(api, ctx):
    return api.get(f"/api/web-services/{ctx['service'].pk}/endpoints/retrained/resources/").json()["history"]


# --- The package kinds ---------------------------------------------------------------------------------


def with_estimator(deployed, estimator):
    """The deployed model's package (its metadata fits the service) around another estimator, signed by
    this studio's code with SECRET_KEY."""
    model = TrainedModel.from_bytes(deployed)
    model.estimator = estimator(model.estimator)
    return model.to_bytes()


def code_that_writes(marker):
    code = f"open({str(marker)!r}, 'w').write('the package ran in ' + __import__('os').getcwd())"
    return lambda fitted: Pipeline([("run", FunctionTransformer(partial(builtins.exec, code, {}))),
                                    ("model", fitted)])


def signed(deployed, payload=None, meta=None):
    """A package signed with this studio's key around any payload and metadata (the deployed ones by default)."""
    with zipfile.ZipFile(io.BytesIO(deployed)) as original:
        payload = original.read("model.skops") if payload is None else payload
        meta = original.read("meta.json") if meta is None else meta
    digest = hashlib.sha256(payload + meta).hexdigest() if isinstance(payload, bytes) else "0" * 64
    return archive({"model.skops": payload, "meta.json": meta, "sha256": digest.encode(),
                    "signature": package_signature(digest).encode()})


def other_key(deployed):
    with zipfile.ZipFile(io.BytesIO(deployed)) as original:
        contents = {name: original.read(name) for name in original.namelist()}
    contents["signature"] = package_signature(contents["sha256"].decode(), secret="another studio's key").encode()
    return archive(contents)


HOSTILE = {
    "not a zip": (lambda deployed: b"<html>not a model</html>", "Not a trained model package"),
    "a truncated zip": (lambda deployed: deployed[: len(deployed) // 2], "Not a trained model package"),
    "a zip with bad members": (lambda deployed: archive({"model.skops": b"x", "evil.py": b"import os"}),
                               "Not a trained model package"),
    "a wrong signature": (other_key, "not made by this studio (its signature does not match)"),
    "untrusted types (signed)": (lambda deployed: with_estimator(deployed, lambda fitted: SVC()),
                                 "never writes, so it is not loaded: sklearn.svm._classes.SVC"),
    "a zip bomb (signed)": (lambda deployed: signed(deployed, payload=2**31),
                            "the limit is 1,073,741,824 (ATELIER_MAX_MODEL_UNPACKED_BYTES)"),
    "a payload that is not a zip (signed)": (lambda deployed: signed(deployed, payload=b"PK not really"),
                                             "payload is not readable"),
    "metadata that is not JSON (signed)": (lambda deployed: signed(deployed, meta=b"{'learner':"),
                                           "metadata is not readable"),
}


# --- Update Resource over HTTP --------------------------------------------------------------------------


def test_a_package_of_code_signed_with_the_studios_key_is_refused_and_never_runs(patchable, api, tmp_path):
    ctx = patchable
    before, served_before = history(api, ctx), scores(ctx)
    marker = tmp_path / "ran"
    data = with_estimator(ctx["deployed"], code_that_writes(marker))
    assert json.loads(zipfile.ZipFile(io.BytesIO(data)).read("meta.json"))["label"] == "label"
    answer = patch(ctx, upload(ctx, "hostile", data))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "BadArgument"
    assert error["message"].endswith("contains types this studio never writes, so it is not loaded: "
                                     "builtins.exec, functools.partial.")
    assert not marker.exists(), marker.read_text()
    assert history(api, ctx) == before and scores(ctx) == served_before


@pytest.mark.parametrize("kind", HOSTILE, ids=HOSTILE.keys())
def test_a_hostile_or_damaged_package_answers_a_json_400_and_changes_nothing(patchable, api, kind):
    ctx = patchable
    make, message = HOSTILE[kind]
    before = history(api, ctx)
    answer = patch(ctx, upload(ctx, "bad", make(ctx["deployed"])))
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.text[:300]
    error = answer.json()["error"]
    assert error["code"] == "BadArgument" and error["details"][0]["target"] == ctx["resource"]["Name"]
    assert error["message"].startswith("'models/bad.ilearner' is not a usable trained model: ")
    assert message in error["message"], error["message"]
    assert history(api, ctx) == before


def test_the_retrained_model_of_the_same_schema_is_still_patched(patchable, api):
    """The checks refuse hostile files, not the studio's own: a refit of the deployed pipeline goes through
    the dry run in its child process and is served on the next request."""
    ctx = patchable
    before = scores(ctx)
    model = TrainedModel.from_bytes(ctx["deployed"])
    model.estimator.set_params(learner__model__C=1e-4)  # much weaker regularisation: other probabilities
    frame = pd.DataFrame({"x": [0.5, -1.0, 2.0, -2.0], "color": ["red", "blue", "green", "red"]})
    model.estimator.fit(frame, ["yes", "no", "yes", "no"])
    answer = patch(ctx, upload(ctx, "refit", model.to_bytes()))
    assert answer.status_code == 200, answer.text
    assert scores(ctx) != before
    assert [h["how"] for h in history(api, ctx)] == ["patch", "deploy"]


# --- A definition import (studio API) --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["not a zip", "a wrong signature", "untrusted types (signed)",
                                  "a zip bomb (signed)", "a payload that is not a zip (signed)",
                                  "metadata that is not JSON (signed)"])
def test_a_definition_import_pointing_at_a_hostile_package_answers_a_json_400(api, owner, kind):
    service, _ = small_service(api, owner)
    make, message = HOSTILE[kind]
    deployed = default_storage.open(next(r["Path"] for r in service.current.resources
                                         if r["Kind"] == "TrainedModel"), "rb").read()
    ws = str(owner.workspace.pk)
    storage.write(ws, "models/imported.ilearner", io.BytesIO(make(deployed)))
    url = f"/api/web-services/{service.pk}/definition/"
    definition = api.get(url).json()
    name = next(r["Name"] for r in service.current.resources if r["Kind"] == "TrainedModel")
    asset = next(key for key, value in definition["properties"]["assets"].items() if value["name"] == name)
    definition["properties"]["assets"][asset]["locationInfo"]["uri"] = (
        f"http://testserver/workspaces/{ws}/storage/models/imported.ilearner"
        + storage.sas_token(ws, "models/imported.ilearner"))
    answer = api.put(url, definition, format="json")
    assert answer.status_code == 400, answer.content[:300]
    assert message in answer.json()["detail"], answer.json()
    assert api.get(f"/api/web-services/{service.pk}/").json()["version"] == 1


def test_a_definition_import_of_code_signed_with_the_studios_key_never_runs(api, owner, tmp_path):
    service, _ = small_service(api, owner)
    resource = next(r for r in service.current.resources if r["Kind"] == "TrainedModel")
    marker = tmp_path / "ran"
    ws = str(owner.workspace.pk)
    data = with_estimator(default_storage.open(resource["Path"], "rb").read(), code_that_writes(marker))
    storage.write(ws, "models/imported.ilearner", io.BytesIO(data))
    url = f"/api/web-services/{service.pk}/definition/"
    definition = api.get(url).json()
    asset = next(key for key, value in definition["properties"]["assets"].items() if value["name"] == resource["Name"])
    definition["properties"]["assets"][asset]["locationInfo"]["uri"] = (
        f"http://testserver/workspaces/{ws}/storage/models/imported.ilearner"
        + storage.sas_token(ws, "models/imported.ilearner"))
    answer = api.put(url, definition, format="json")
    assert answer.status_code == 400 and "builtins.exec, functools.partial" in answer.json()["detail"]
    assert not marker.exists()


def test_the_probe_packages_are_what_they_claim():
    """The hostile packages hold what their names say (a guard on the test's own fixtures)."""
    fitted = Pipeline([("run", FunctionTransformer(partial(builtins.exec, "x = 1", {})))])
    assert set(sio.get_untrusted_types(data=sio.dumps(fitted))) == {"builtins.exec", "functools.partial"}
    assert len(archive({"model.skops": 2**31})) < 4 * 2**20
