"""Conformance: batch jobs on Azure Blob storage as the classic docs' clients ran them (issue 17, item 10), against
Azurite. The client side speaks only the classic wire and the Azure Storage SDK, as a generated BES sample does:
upload the input with the SDK, submit with the storage ConnectionString, start, poll, download each result with
what Results says. Then the classic retraining sequence: BES on the retraining service writes the `.ilearner` to
the blob, PATCH puts it on a non-default endpoint, which predicts anew while the default does not change."""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest
from azure.storage.blob import BlobClient, BlobSasPermissions, BlobServiceClient, generate_blob_sas

from studio import processes
from tests.plugin import AZURITE_HOST
from tests.webservices.test_bes import bes, wait  # noqa: F401 (fixtures)
from tests.webservices.test_deploy import income  # noqa: F401 (fixtures)
from tests.webservices.test_retraining import call, journey, repackaged, score  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def container(azurite, prefix):
    """A fresh container of the emulator's account, made with the SDK as a client would."""
    client = BlobServiceClient.from_connection_string(azurite.connection_string())
    return client.create_container(f"{prefix}-{secrets.token_hex(4)}")


def run_job(jobs, headers, body, timeout=180):
    submitted = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers)
    assert submitted.status_code == 200, submitted.text
    job_id = submitted.json()
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    return job_id, wait(jobs, headers, job_id, timeout=timeout)


def test_a_generated_style_bes_client_scores_a_blob_and_downloads_the_results_with_the_sdk(bes, azurite):  # noqa: F811
    from webservices.blob import DEV_KEY
    from webservices.models import BatchJob

    jobs, headers, _, held_out, expected = bes
    connection = azurite.connection_string()
    box = container(azurite, "bes")
    rows = held_out.drop(columns=["income"]).head(40)
    box.upload_blob("input1data.csv", rows.to_csv(index=False).encode())
    body = {"Inputs": {"input1": {"ConnectionString": connection,
                                  "RelativeLocation": f"/{box.container_name}/input1data.csv"}},
            "Outputs": {"output1": {"ConnectionString": connection,
                                    "RelativeLocation": f"/{box.container_name}/output1results.csv"}},
            "GlobalParameters": {}}
    job_id, status = run_job(jobs, headers, body)
    assert status["StatusCode"] == "Finished", status
    result = status["Results"]["output1"]
    assert result["BaseLocation"] == f"{azurite.endpoint}/"
    assert result["RelativeLocation"] == f"{box.container_name}/output1results.csv"
    assert "sig=" in result["SasBlobToken"] and "sp=r" in result["SasBlobToken"]  # a read-only Azure SAS
    # The account key is never echoed, and the job record holds it sealed only.
    assert DEV_KEY not in json.dumps(status) and "AccountKey" not in json.dumps(status)
    assert DEV_KEY not in json.dumps(BatchJob.objects.get(job_id=job_id).blob_accounts)

    url = result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"]
    with_sdk = BlobClient.from_blob_url(url).download_blob().readall()
    container_name, blob_name = result["RelativeLocation"].split("/", 1)
    with_connection = BlobClient.from_connection_string(result["ConnectionString"], container_name,
                                                        blob_name).download_blob().readall()
    assert with_sdk == with_connection == httpx.get(url).content
    scored = pd.read_csv(io.BytesIO(with_sdk))
    assert scored["Scored Probabilities"].tolist() == pytest.approx(
        expected["Scored Probabilities"].head(40).tolist(), abs=1e-9)
    assert httpx.get(url.replace("sig=", "sig=A")).status_code == 403  # the SAS is Azure's: tampered, refused


def test_a_refused_or_missing_blob_fails_the_job_naming_it_and_no_local_file_is_read(bes, azurite):  # noqa: F811
    """A same-named file in the studio's own storage is never read instead of the blob."""
    from tests.webservices.test_bes import upload

    jobs, headers, storage, held_out, _ = bes
    box = container(azurite, "refusals")
    rows = held_out.drop(columns=["income"]).head(10)
    box.upload_blob("in.csv", rows.to_csv(index=False).encode())
    upload(storage, headers, f"{box.container_name}/in.csv", rows)  # the decoy
    wrong_key = base64.b64encode(secrets.token_bytes(64)).decode()
    nobody = f"http://{AZURITE_HOST}:{processes.free_port()}/devstoreaccount1"  # nothing listens there
    studio_redis = f"http://127.0.0.1:{urlsplit(os.environ['REDIS_URL']).port}/devstoreaccount1"  # not a job's
    good = azurite.connection_string()
    for connection, blob, reason in [
        (azurite.connection_string(key=wrong_key), "in.csv", "the storage account refused the credentials"),
        (good, "missing.csv", "there is no such blob"),
        (good.replace(azurite.endpoint, nobody), "in.csv", "the storage account could not be reached"),
        (good.replace(azurite.endpoint, studio_redis), "in.csv", "the storage account's address is not allowed"),
    ]:
        body = {"Inputs": {"input1": {"ConnectionString": connection,
                                      "RelativeLocation": f"{box.container_name}/{blob}"}},
                "Outputs": {"output1": {"ConnectionString": good, "RelativeLocation": f"{box.container_name}/out.csv"}}}
        _, status = run_job(jobs, headers, body)
        assert status["StatusCode"] == "Failed", status
        assert "Input 'input1'" in status["Details"] and reason in status["Details"], status["Details"]
        assert f"blob '{box.container_name}/{blob}'" in status["Details"]
        assert wrong_key not in status["Details"]
    # An output container that does not exist: the job fails naming the output (no container is made).
    body = {"Inputs": {"input1": {"ConnectionString": good, "RelativeLocation": f"{box.container_name}/in.csv"}},
            "Outputs": {"output1": {"ConnectionString": good, "RelativeLocation": "no-such-container/out.csv"}}}
    _, status = run_job(jobs, headers, body)
    assert status["StatusCode"] == "Failed" and "Output 'output1'" in status["Details"]
    assert "the container does not exist" in status["Details"], status["Details"]
    # A ConnectionString not of the Azure form is refused at submit, naming the input, without echoing it.
    for connection, fragment in [("not a connection string", "is not of the Azure form"),
                                 ("AccountName=x;AccountKey=", "needs AccountName and AccountKey"),
                                 (f"AccountName=x;AccountKey={wrong_key};BlobEndpoint=ftp://x", "http(s) URL")]:
        body = {"Inputs": {"input1": {"ConnectionString": connection, "RelativeLocation": "c/in.csv"}}}
        refused = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers)
        assert refused.status_code == 400, refused.text
        message = refused.json()["error"]["message"]
        assert message.startswith("Input 'input1': ") and fragment in message and wrong_key not in message


def test_the_classic_retraining_sequence_on_azure_blob_storage(journey, azurite, api):  # noqa: F811
    """BES on the retraining service (input on the blob; only the model output given: the evaluation goes to its
    default place) → `.ilearner` on the blob → PATCH the non-default endpoint with that blob location → new
    predictions there, the default endpoint unchanged; a package this studio did not make is refused."""
    full, base = journey["full"], journey["base"]
    default = journey["scoring"]["endpoint"]
    default_url, as_default = base + urlsplit(default["ApiLocation"]).path + "/execute", {
        "Authorization": f"Bearer {default['PrimaryKey']}"}
    status, added = call("PUT", f"{journey['management']}/retrained", as_default, {"Description": "from the blob"})
    assert status == 200, added
    retrained_url, as_retrained = base + urlsplit(added["ApiLocation"]).path + "/execute", {
        "Authorization": f"Bearer {added['PrimaryKey']}"}
    rows = full.dropna().drop(columns=["income"]).sample(20, random_state=2)
    before = score(default_url, default["PrimaryKey"], rows)

    connection = azurite.connection_string()
    box = container(azurite, "retraining")
    box.upload_blob("adult.csv", full.to_csv(index=False).encode())
    retraining = journey["retraining"]["endpoint"]
    jobs = base + urlsplit(retraining["BatchLocation"]).path
    as_trainer = {"Authorization": f"Bearer {retraining['PrimaryKey']}"}
    job_id, finished = run_job(jobs, as_trainer, {
        "Inputs": {"input1": {"ConnectionString": connection, "RelativeLocation": f"{box.container_name}/adult.csv"}},
        "Outputs": {"output1": {"ConnectionString": connection,
                                "RelativeLocation": f"{box.container_name}/income.ilearner"}},
        "GlobalParameters": None}, timeout=240)
    assert finished["StatusCode"] == "Finished", finished
    model, evaluation = finished["Results"]["output1"], finished["Results"]["output2"]
    assert model["BaseLocation"] == f"{azurite.endpoint}/"
    assert evaluation["ConnectionString"] is None and evaluation["BaseLocation"].startswith(base)
    location = {key: model[key] for key in ("BaseLocation", "RelativeLocation", "SasBlobToken")}
    # The studio's retraining page reads the model's metrics from the blob too.
    shown = api.get(f"/api/web-services/{journey['retraining']['web_service']}/endpoints/default/jobs/{job_id}/")
    assert shown.status_code == 200 and shown.json()["metrics"]["AUC"] > 0.8, shown.json()

    # A package repackaged by someone else, on the same account with a valid SAS: refused, nothing changes.
    data = BlobClient.from_blob_url(model["BaseLocation"] + model["RelativeLocation"]
                                    + model["SasBlobToken"]).download_blob().readall()
    box.upload_blob("foreign.ilearner", repackaged(data))
    sas = generate_blob_sas("devstoreaccount1", box.container_name, "foreign.ilearner",
                            account_key=azurite.connection_string().split("AccountKey=")[1].split(";")[0],
                            permission=BlobSasPermissions(read=True), expiry=datetime.now(UTC) + timedelta(hours=1))
    foreign = {**location, "RelativeLocation": f"{box.container_name}/foreign.ilearner", "SasBlobToken": f"?{sas}"}
    patch = {"Resources": [{"Name": journey["resource"], "Location": foreign}]}
    status, body = call("PATCH", f"{journey['management']}/retrained", as_retrained, patch)
    assert status == 400 and "not made by this studio" in body["error"]["message"], body
    tampered = {**location, "SasBlobToken": location["SasBlobToken"].replace("sig=", "sig=A")}
    status, body = call("PATCH", f"{journey['management']}/retrained", as_retrained,
                        {"Resources": [{"Name": journey["resource"], "Location": tampered}]})
    assert status == 403 and "refused the credentials" in body["error"]["message"], body
    inside = {**location, "BaseLocation": f"http://127.0.0.1:{urlsplit(os.environ['REDIS_URL']).port}/"}
    status, body = call("PATCH", f"{journey['management']}/retrained", as_retrained,
                        {"Resources": [{"Name": journey["resource"], "Location": inside}]})
    assert status == 403 and "address is not allowed" in body["error"]["message"], body  # never fetched
    assert score(retrained_url, added["PrimaryKey"], rows) == before

    status, body = call("PATCH", f"{journey['management']}/retrained", as_retrained,
                        {"Resources": [{"Name": journey["resource"], "Location": location}]})
    assert status == 200, body
    after = score(retrained_url, added["PrimaryKey"], rows)
    assert after != before
    assert score(default_url, default["PrimaryKey"], rows) == before
