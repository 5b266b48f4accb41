"""Key throttling (issue 14, finding 10): an address that keeps failing key checks is answered 429 with
Retry-After (keys unchecked) on every key-taking call of every web process, for a lockout window; the right
key of another client is unaffected; a successful call never touches the shared counts."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
import pytest
import redis
from django.test import Client

from studio import throttle
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.models import WebService
from webservices.services import endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def deployed(api, owner, income):  # noqa: F811
    training, _ = income
    endpoint = publish(api, owner, training)[2]["endpoint"]
    rows = {"Inputs": {"input1": {"ColumnNames": ["age"], "Values": [["39"]]}}, "GlobalParameters": {}}
    return endpoint, rows


def score(client, url, key, body, **extra):
    return client.post(f"{url}?api-version=2.0", json=body, headers={"Authorization": f"Bearer {key}"}, **extra)


def test_a_failing_address_is_locked_out_in_every_process_and_other_clients_are_not(deployed, studio_server,
                                                                                    settings):
    endpoint, body = deployed
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute"
    limit = settings.ATELIER_KEY_MAX_FAILURES  # the server process runs with the same default
    with httpx.Client(timeout=30) as attacker:
        answers = [score(attacker, url, "x" * 88, body).status_code for _ in range(limit)]
        assert answers == [401] * (limit - 1) + [429]
        refused = score(attacker, url, endpoint["PrimaryKey"], body)  # the right key, from the locked address
        assert refused.status_code == 429 and refused.json()["error"]["code"] == "TooManyRequests"
        assert refused.headers["Retry-After"] == str(settings.ATELIER_KEY_LOCKOUT_SECONDS)
    elsewhere = httpx.Client(timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with elsewhere:
        assert score(elsewhere, url, endpoint["PrimaryKey"], body).status_code in (200, 400)  # scored or judged
    # This test process is another web process: it learns the lockout from the shared store.
    jobs = urlsplit(endpoint["BatchLocation"]).path + "?api-version=2.0"
    client = Client()
    assert client.post(jobs, data={}, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope").status_code \
        == 429
    assert client.post(jobs, data={}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {endpoint['PrimaryKey']}").status_code == 429
    assert client.post(jobs, data={}, content_type="application/json", REMOTE_ADDR="127.0.0.3",
                       HTTP_AUTHORIZATION=f"Bearer {endpoint['PrimaryKey']}").status_code == 400  # past the key


def test_a_right_key_is_served_without_the_throttle_store(deployed, monkeypatch):
    """The scoring hot path: a right key costs no look at the shared counts (here they can't be reached at all);
    a wrong key with the store down is still a plain 401 (throttling fails open)."""
    endpoint, body = deployed
    url = urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"

    def unreachable():
        raise redis.ConnectionError("the throttle store is down")

    monkeypatch.setattr(throttle, "_redis", unreachable)
    calls = []
    monkeypatch.setattr(throttle.FailureLimit, "locked_for", lambda self, who: calls.append(who) or 0)
    client = Client()
    ok = client.post(url, data=body, content_type="application/json",
                     HTTP_AUTHORIZATION=f"Bearer {endpoint['PrimaryKey']}")
    assert ok.status_code in (200, 400) and ok.json().get("error", {}).get("code") != "Unauthorized"
    assert calls == []
    monkeypatch.undo()
    monkeypatch.setattr(throttle, "_redis", unreachable)
    wrong = client.post(url, data=body, content_type="application/json", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401


def test_a_lockout_ends_after_its_window_and_counting_starts_again(owner, settings, monkeypatch):
    now = [time.time()]
    monkeypatch.setattr(throttle.FailureLimit, "timer", staticmethod(lambda: now[0]))
    settings.ATELIER_KEY_MAX_FAILURES, settings.ATELIER_KEY_LOCKOUT_SECONDS = 3, 120
    service = WebService.objects.create(workspace=owner.workspace, name="S", kind="predictive")
    _, keys = endpoint_create(service=service, name="default", is_default=True)
    url = f"/workspaces/{owner.workspace.pk}/webservices/{service.pk}/endpoints"
    client = Client()

    def listed(key):
        return client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}")

    assert [listed("wrong").status_code for _ in range(3)] == [401, 401, 429]
    locked = listed(keys.primary)
    assert locked.status_code == 429 and locked["Retry-After"] == "120"
    now[0] += 60
    assert listed(keys.primary)["Retry-After"] == "60"
    now[0] += 61
    assert listed(keys.primary).status_code == 200
    assert listed("wrong").status_code == 401
