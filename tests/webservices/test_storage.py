"""Workspace storage (SPEC §3, issue 14 findings 5 and 9): a service's key reaches only its own files, and
anything else looks exactly like a missing file; studio members reach every file; uploads are bounded per
file and per workspace; files can be deleted; a SasBlobToken reads only the content it was issued for."""

from __future__ import annotations

import asyncio
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from experiments.modules import data_io
from experiments.modules.framework.base import Context
from studio.models import StorageFile
from studio.services import api_token_create
from webservices import storage
from webservices.models import WebService
from webservices.services import endpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def services(owner):
    """Two services of the owner's workspace, A and B, with a key of each."""
    made = {}
    for name in ("A", "B"):
        service = WebService.objects.create(workspace=owner.workspace, name=name, kind="predictive")
        _, keys = endpoint_create(service=service, name="default", is_default=True)
        made[name] = {"HTTP_AUTHORIZATION": f"Bearer {keys.primary}"}
    return made


@pytest.fixture
def files(owner):
    """The storage URL of a location in the owner's workspace."""
    return lambda location: f"/workspaces/{owner.workspace.pk}/storage/{location}"


def put(url, data, credentials):
    return Client().generic("PUT", url, data=data, content_type="text/csv", **credentials)


def answer(response):
    return response.status_code, (response.json() if response.get("Content-Type", "").startswith("application/json")
                                  else response.getvalue())


def as_missing(url, location, credentials, method="GET"):
    """What `credentials` get for a file that isn't there, worded for `location`."""
    response = Client().generic(method, url.replace(location, "mydata/never-written.csv"), **credentials)
    status, body = answer(response)
    return status, {"error": {**body["error"], "message": body["error"]["message"].replace(
        "mydata/never-written.csv", location)}}


def studio_file(owner, location, content):
    """A file written straight into Django's storage, outside the storage module (by hand, or by an older
    studio): the storage finds it and records it as the studio's."""
    default_storage.save(f"workspaces/{owner.workspace.pk}/{location}", ContentFile(content))


def test_a_services_key_cannot_read_overwrite_or_delete_another_services_file(services, files):
    url = files("mydata/a.csv")
    assert put(url, b"a\n1\n", services["A"]).status_code == 201
    client = Client()
    assert answer(client.get(url, **services["B"])) == as_missing(url, "mydata/a.csv", services["B"])
    assert answer(client.delete(url, **services["B"])) == as_missing(url, "mydata/a.csv", services["B"], "DELETE")
    taken = put(url, b"a\n666\n", services["B"])
    assert taken.status_code == 409 and "in use by another owner" in taken.json()["error"]["message"]
    mine = client.get(url, **services["A"])
    assert mine.status_code == 200 and mine.getvalue() == b"a\n1\n"


def test_the_studios_files_and_import_data_sources_are_invisible_to_keys(owner, services, files):
    """Import Data reads the same locations: a key must not read, replace or remove what it reads."""
    studio_file(owner, "imports/sales.csv", b"region,amount\nnorth,10\n")
    _, token = api_token_create(user=owner.user)
    as_member = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert put(files("storage/inputs.csv"), b"x\n1\n", as_member).status_code == 201
    client = Client()
    for location in ("imports/sales.csv", "storage/inputs.csv"):
        url = files(location)
        assert answer(client.get(url, **services["A"])) == as_missing(url, location, services["A"])
        assert answer(client.delete(url, **services["A"])) == as_missing(url, location, services["A"], "DELETE")
        assert put(url, b"region,amount\nnorth,-1\n", services["A"]).status_code == 409
    params, _ = data_io.ImportData.clean_params({"data_source": "Workspace storage", "path": "imports/sales.csv"}, "n1")
    imported = data_io.ImportData().execute({}, params, Context(workspace_id=str(owner.workspace.pk)))["dataset"]
    assert imported.frame["amount"].tolist() == [10]


def test_a_member_reaches_every_file_and_an_owner_keeps_its_file(owner, services, files, owner_client):
    url = files("mydata/a.csv")
    put(url, b"a\n1\n", services["A"])
    _, token = api_token_create(user=owner.user)
    assert put(url, b"a\n2\n", {"HTTP_AUTHORIZATION": f"Token {token}"}).status_code == 201
    assert Client().get(url, **services["A"]).getvalue() == b"a\n2\n"  # still A's
    assert owner_client.get(url).getvalue() == b"a\n2\n"  # a signed-in member, by session
    refused = Client(enforce_csrf_checks=True)
    refused.force_login(owner.user)
    assert refused.delete(url).status_code == 403  # a session changes files only with the CSRF token
    assert owner_client.delete(url).status_code == 204
    assert Client().get(url, **services["A"]).status_code == 404


def test_delete_removes_a_services_own_file_and_answers_404_after(services, files):
    url = files("mydata/a.csv")
    put(url, b"a\n1\n", services["A"])
    client = Client()
    assert client.delete(url).status_code == 401
    assert client.delete(url, **services["A"]).status_code == 204
    assert client.get(url, **services["A"]).status_code == 404
    assert client.delete(url, **services["A"]).status_code == 404
    assert not StorageFile.objects.filter(location="mydata/a.csv").exists()


def test_an_upload_over_the_file_limit_is_413_and_nothing_is_stored(owner, services, files, settings):
    settings.ATELIER_STORAGE_MAX_FILE_BYTES = 1000
    url = files("mydata/big.csv")
    refused = put(url, b"x" * 1001, services["A"])
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "RequestEntityTooLarge"
    assert "1000 bytes per file" in refused.json()["error"]["message"]
    assert not default_storage.exists(f"workspaces/{owner.workspace.pk}/mydata/big.csv")
    put(url, b"x" * 1000, services["A"])
    assert put(url, b"y" * 5000, services["A"]).status_code == 413
    assert Client().get(url, **services["A"]).getvalue() == b"x" * 1000  # the file in place is untouched
    with pytest.raises(storage.StorageError) as streamed:  # no declared length: counted as it arrives
        storage.write(str(owner.workspace.pk), "mydata/streamed.csv", io.BytesIO(b"z" * 3 * 2**20), limit=1000)
    assert streamed.value.status == 413
    assert not storage.exists(str(owner.workspace.pk), "mydata/streamed.csv")


@pytest.mark.parametrize("declared", [True, False])
def test_the_web_process_stops_reading_an_oversized_upload(owner, settings, declared):
    """Under ASGI Django would spool the whole body to disk before the view runs: the guard answers 413 from
    the Content-Length, or once the limit has arrived, and reads no further."""
    from studio.asgi import application

    settings.ATELIER_STORAGE_MAX_FILE_BYTES = 2**20
    piece, pieces, pulled, sent = b"x" * 2**16, 64, [], []  # a 4 MiB body (finite: a server without the guard
                                                             # would spool all of it, not fill the disk)

    async def receive():
        if len(pulled) == pieces:  # the whole body was read: as a server does, wait for the client to leave
            await asyncio.Event().wait()
        pulled.append(1)
        return {"type": "http.request", "body": piece, "more_body": len(pulled) < pieces}

    async def send(message):
        sent.append(message)

    headers = [(b"host", b"testserver"), (b"authorization", b"Bearer whatever")]
    headers += [(b"content-length", str(50 * 2**20).encode())] if declared else []
    scope = {"type": "http", "method": "PUT", "path": f"/workspaces/{owner.workspace.pk}/storage/mydata/huge.csv",
             "query_string": b"", "headers": headers, "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
             "scheme": "http", "http_version": "1.1", "asgi": {"version": "3.0"}, "root_path": ""}
    asyncio.run(application(scope, receive, send))
    assert sent[0]["status"] == 413 and b"RequestEntityTooLarge" in sent[1]["body"]
    assert len(pulled) == (0 if declared else 2**20 // len(piece) + 1)
    assert not default_storage.exists(f"workspaces/{owner.workspace.pk}/mydata/huge.csv")


def test_the_workspace_quota_counts_every_write_and_deleting_frees_it(owner, services, files, settings):
    settings.ATELIER_STORAGE_QUOTA_BYTES = 3000
    workspace = str(owner.workspace.pk)
    assert put(files("mydata/a.csv"), b"a" * 2000, services["A"]).status_code == 201
    over = put(files("mydata/b.csv"), b"b" * 1500, services["B"])
    assert over.status_code == 413 and over.json()["error"]["code"] == "QuotaExceeded"
    assert "quota of 3000 bytes (2000 bytes used" in over.json()["error"]["message"]
    assert put(files("mydata/a.csv"), b"a" * 2900, services["A"]).status_code == 201  # a replacement: its new size
    service_b = WebService.objects.get(name="B")
    with pytest.raises(storage.StorageError) as output:  # a job's output is written the same way
        storage.write(workspace, "results/job/output1.csv", io.BytesIO(b"o" * 200), by=storage.Accessor(service_b.pk))
    assert output.value.code == "QuotaExceeded"
    assert Client().delete(files("mydata/a.csv"), **services["A"]).status_code == 204
    assert put(files("mydata/b.csv"), b"b" * 1500, services["B"]).status_code == 201
    assert storage.used_bytes(workspace) == 1500


def test_a_sas_token_stops_working_once_the_file_is_replaced(owner, services, files):
    url, workspace = files("mydata/scored.csv"), str(owner.workspace.pk)
    put(url, b"score\n0.1\n", services["A"])
    token = storage.sas_token(workspace, "mydata/scored.csv")  # as a job's status hands it out
    client = Client()
    assert client.get(url + token).getvalue() == b"score\n0.1\n"
    put(url, b"score\n0.9\n", services["A"])
    stale = client.get(url + token)
    assert stale.status_code == 403 and "replaced" in stale.json()["error"]["message"]
    with pytest.raises(storage.StorageError) as patched:  # Update Resource reads a model the same way
        storage.read_signed(workspace, "mydata/scored.csv", token)
    assert patched.value.status == 403
    assert client.get(url + storage.sas_token(workspace, "mydata/scored.csv")).getvalue() == b"score\n0.9\n"
    assert client.get(files("mydata/other.csv") + token).status_code == 403  # one file only


def test_a_file_written_outside_the_storage_api_becomes_the_studios(owner, services, files):
    """A file replaced outside the storage module is taken back for the studio (and a token issued before no
    longer reads it)."""
    url, workspace = files("storage/shared.csv"), str(owner.workspace.pk)
    put(url, b"v\n1\n", services["A"])
    token = storage.sas_token(workspace, "storage/shared.csv")
    default_storage.delete(f"workspaces/{workspace}/storage/shared.csv")
    studio_file(owner, "storage/shared.csv", b"v\n2\n")
    assert Client().get(url, **services["A"]).status_code == 404
    assert Client().get(url + token).status_code == 403
    assert StorageFile.objects.get(location="storage/shared.csv").service_id is None
