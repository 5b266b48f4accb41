"""Traffic split and shadow endpoints (issue 20, item 3), over real HTTP against the scoring server (another
process): a 90/10 split holds within statistical bounds over 2,000 calls, each answer names the endpoint that
served it and counts in that endpoint's usage; a shadow endpoint gets copies scored off the request, whose
answers never reach the caller and are compared in the API; bad bodies are refused with a precise 400; the hot
path makes no database query with a split in place.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import time
from collections import Counter
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from experiments.datasets import dataset_table
from experiments.models import Dataset
from experiments.modules.framework.artifacts import TrainedModel
from tests.webservices.test_deploy import ADULT, income, publish  # noqa: F401 (fixture)
from webservices import drift, shadow
from webservices.models import ShadowComparison, WebService
from webservices.scoring.call import score_call
from webservices.scoring.served import forget_all, route, served
from webservices.shadow import difference

pytestmark = pytest.mark.django_db(transaction=True)
HEADER = "X-Atelier-Endpoint"


def test_a_draw_picks_the_endpoint_whose_cumulative_share_it_falls_under():
    state = SimpleNamespace(routes=((90.0, "default-id"), (100.0, "candidate-id")), endpoint_id="default-id")
    assert [route(state, draw) for draw in (0.0, 0.5, 0.8999, 0.9, 0.9999)] == [
        "default-id", "default-id", "default-id", "candidate-id", "candidate-id"]


def test_answers_are_compared_value_by_value_numbers_read_from_the_classic_strings():
    primary = {"output1": {"type": "table", "value": {"ColumnNames": ["age", "Scored Probabilities"],
                                                      "Values": [["39", "0.25"], ["50", "0.5"]]}}}
    shadow = {"output1": {"type": "table", "value": {"ColumnNames": ["age", "Scored Probabilities"],
                                                     "Values": [["39", "0.75"], ["50", "0.5"]]}}}
    assert difference(primary, primary) == (4, 0.0)
    assert difference(primary, shadow) == (4, 0.5)
    assert difference({"output1": [{"p": 1, "label": ">50K"}]}, {"output1": [{"p": 3, "label": "<=50K"}]}) == (1, 2.0)


def rows_body(count: int = 1) -> bytes:
    frame = dataset_table(Dataset.objects.get(name=ADULT)).frame.drop(columns=["income"]).head(count)
    values = json.loads(frame.astype(object).where(frame.notna(), None).to_json(orient="values"))
    return json.dumps({"Inputs": {"input1": {"ColumnNames": list(frame.columns), "Values": values}},
                       "GlobalParameters": {}}).encode()


@pytest.fixture
def deployed(api, owner, income, studio_server):  # noqa: F811
    """The income service, deployed: (service id, execute URL on the scoring server, default endpoint's key)."""
    training, _ = income
    answer = publish(api, owner, training)[2]
    service_id, endpoint = answer["web_service"], answer["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    return service_id, url, endpoint["PrimaryKey"]


def add_endpoint(api, service_id: int, name: str) -> dict:
    added = api.put(f"/api/web-services/{service_id}/endpoints/{name}/", {}, format="json")
    assert added.status_code == 201, added.content
    return added.json()


def serve_a_shifted_model(service_id: int, name: str) -> None:
    """Give the endpoint `name` a visibly different model: the deployed one with every raw score moved up by 1
    (the probabilities change, the schema does not), as a patch would install it."""
    service = WebService.objects.get(pk=service_id)
    deployed = next(r for r in service.current.resources if r["Kind"] == "TrainedModel")
    model = TrainedModel.from_bytes(default_storage.open(deployed["Path"], "rb").read())
    boosted = model.estimator[-1]  # the pipeline's boosted trees
    boosted._baseline_prediction = boosted._baseline_prediction + 1.0
    data = model.to_bytes()
    path = default_storage.save("test/shifted.ilearner", ContentFile(data))
    endpoint = service.endpoints.get(name=name)
    endpoint.resources = [{"Name": deployed["Name"], "Path": path, "Sha256": hashlib.sha256(data).hexdigest()}]
    endpoint.version += 1
    endpoint.save()


def usage_calls(api, service_id: int, name: str) -> int:
    return api.get(f"/api/web-services/{service_id}/endpoints/{name}/usage/").json()["calls"]


def eventually(read, wanted, timeout: float = 30):
    """`read()` once it returns something `wanted` accepts (the server's flushers write every second)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if wanted(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_a_90_10_split_holds_over_2000_calls_and_each_answer_names_and_counts_its_endpoint(api, deployed):
    service_id, url, key = deployed
    add_endpoint(api, service_id, "candidate")
    put = api.put(f"/api/web-services/{service_id}/traffic/", {"default": 90, "candidate": 10, "shadow": []},
                  format="json")
    assert put.status_code == 200, put.content
    assert put.json()["split"] == {"default": 90, "candidate": 10} and put.json()["shadow"] == []
    body, served_by, answers = rows_body(), Counter(), {}
    with httpx.Client(headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                      timeout=30) as client:
        for _ in range(2000):
            response = client.post(url, content=body)
            assert response.status_code == 200, response.text
            served_by[response.headers[HEADER]] += 1
            answers.setdefault(response.headers[HEADER], response.json()["Results"])
    assert set(served_by) == {"default", "candidate"} and sum(served_by.values()) == 2000
    spread = math.sqrt(2000 * 0.1 * 0.9)  # binomial: 200 expected, 13.4 standard deviation
    assert abs(served_by["candidate"] - 200) < 4 * spread, served_by
    assert answers["default"] == answers["candidate"]  # both serve the deployed model

    # usage is counted per serving endpoint, and the traffic view shows the same counts
    for name in ("default", "candidate"):
        assert eventually(lambda name=name: usage_calls(api, service_id, name),
                          lambda calls, name=name: calls >= served_by[name]) == served_by[name]
    shown = {row["name"]: row for row in api.get(f"/api/web-services/{service_id}/traffic/").json()["endpoints"]}
    assert {name: (row["share"], row["calls_last_hour"]) for name, row in shown.items()} == {
        "default": (90, served_by["default"]), "candidate": (10, served_by["candidate"])}

    # all back to the default endpoint: the server hears of it through the change signal
    assert api.put(f"/api/web-services/{service_id}/traffic/", {"default": 100}, format="json").status_code == 200
    time.sleep(1.2)  # at most the once-a-second revalidation, should the signal be lost
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        assert {client.post(url, content=body).headers[HEADER] for _ in range(100)} == {"default"}


def test_a_shadow_gets_copies_compared_in_the_api_and_its_answers_never_reach_the_caller(api, owner_client,
                                                                                         deployed):
    service_id, url, key = deployed
    shadow_endpoint = add_endpoint(api, service_id, "shadowed")
    serve_a_shifted_model(service_id, "shadowed")
    body = rows_body(3)
    # what each model answers, asked directly (the shadow endpoint's own URL and key are not split)
    shadow_url = url.replace(urlsplit(url).path.split("/")[-2], shadow_endpoint["Id"])
    own = httpx.post(shadow_url, content=body, headers={"Authorization": f"Bearer {shadow_endpoint['PrimaryKey']}"},
                     timeout=30)
    primary = httpx.post(url, content=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert own.status_code == primary.status_code == 200 and own.headers[HEADER] == "shadowed"
    assert own.json()["Results"] != primary.json()["Results"], "the shadow serves a visibly different model"

    put = api.put(f"/api/web-services/{service_id}/traffic/", {"default": 100, "shadow": ["shadowed"]},
                  format="json")
    assert put.status_code == 200 and put.json()["shadow"] == ["shadowed"], put.content
    time.sleep(1.2)  # at most the once-a-second revalidation, should the signal be lost
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        for _ in range(200):
            response = client.post(url, content=body)
            assert response.status_code == 200 and response.headers[HEADER] == "default"
            assert response.json()["Results"] == primary.json()["Results"], "a shadow's answer reached the caller"

    # the caller's 201 calls count on the default endpoint only; the shadow counts the copies it scored
    assert eventually(lambda: usage_calls(api, service_id, "default"), lambda calls: calls >= 201) == 201
    traffic = eventually(lambda: api.get(f"/api/web-services/{service_id}/traffic/").json(),
                         lambda seen: seen["comparison"] and seen["comparison"][0]["calls"]
                         + seen["comparison"][0]["skipped"] >= 200)
    compared = traffic["comparison"][0]
    assert compared["endpoint"] == "shadowed" and compared["calls"] + compared["skipped"] == 200, compared
    assert compared["calls"] > 0 and compared["failed"] == 0
    assert compared["identical_share"] == 0.0, compared  # every answer has probabilities of its own
    assert 0 < compared["mean_abs_diff"] < 1 and compared["numbers_compared"] > 0, compared
    assert eventually(lambda: usage_calls(api, service_id, "shadowed"),
                      lambda calls: calls >= compared["calls"] + 1) == compared["calls"] + 1  # and the direct call

    # the copies count in the shadow endpoint's input drift too (three rows a call, with the direct call's)
    rows_seen = eventually(lambda: api.get(f"/api/web-services/{service_id}/endpoints/shadowed/drift/").json(),
                           lambda seen: seen["rows_seen"] >= 3 * (compared["calls"] + 1))["rows_seen"]
    assert rows_seen == 3 * (compared["calls"] + 1)

    page = owner_client.get(f"/web-services/{service_id}/").content.decode()
    assert 'data-testid="shadow-comparison"' in page and 'data-testid="shadow-shadowed"' in page


def test_shadow_copies_are_left_for_after_the_answer_is_sent(api, owner, income):  # noqa: F811
    """With `after`, score_call answers first and leaves the shadow copies to run once the answer is out (the
    ASGI entry runs them after its last send); nothing has been handed to the shadow yet when it returns."""
    training, _ = income
    answer = publish(api, owner, training)[2]
    service_id, endpoint_id, key = answer["web_service"], answer["endpoint"]["Id"], answer["endpoint"]["PrimaryKey"]
    add_endpoint(api, service_id, "candidate")
    assert api.put(f"/api/web-services/{service_id}/traffic/", {"split": {"default": 100}, "shadow": ["candidate"]},
                   format="json").status_code == 200
    forget_all()
    candidate = WebService.objects.get(pk=service_id).endpoints.get(name="candidate").endpoint_id
    def compared_calls() -> int:
        shadow.flush()  # whatever is buffered in this process, as the flusher would write it
        row = ShadowComparison.objects.filter(endpoint__endpoint_id=candidate).first()
        return row.calls if row is not None else 0

    after: list = []
    status, _, headers = asyncio.run(score_call("POST", {"api-version": "2.0"}, f"Bearer {key}", rows_body(),
                                                str(owner.workspace.pk), endpoint_id, after=after))
    assert status == 200 and headers[HEADER] == "default" and len(after) == 1
    time.sleep(0.3)
    assert compared_calls() == 0, "a copy went to the shadow before the answer was sent"
    after[0]()
    assert eventually(compared_calls, lambda calls: calls == 1, timeout=10) == 1
    drift.flush()


def test_bad_traffic_bodies_are_refused_naming_the_endpoint_or_the_sum(api, owner, owner_client, income):  # noqa: F811
    training, _ = income
    service_id = publish(api, owner, training)[2]["web_service"]
    add_endpoint(api, service_id, "candidate")
    traffic = f"/api/web-services/{service_id}/traffic/"
    refusals = {
        "sum": ({"default": 90, "candidate": 5}, "must add up to 100; they add up to 95 (default 90, candidate 5)"),
        "nobody": ({"default": 90, "nobody": 10}, "no endpoint named 'nobody' (its endpoints: candidate, default)"),
        "default": ({"default": 89.5, "candidate": 10.5}, "share of endpoint 'default' must be a whole percentage"),
        "candidate": ({"default": 90, "candidate": 10, "shadow": ["candidate"]}, "listed as a shadow"),
        "shadow": ({"default": 100, "shadow": "candidate"}, "'shadow' must be a list of endpoint names"),
    }
    for target, (body, message) in refusals.items():
        answer = api.put(traffic, body, format="json")
        assert answer.status_code == 400, (body, answer.content)
        assert message in answer.json()["detail"] and answer.json()["errors"][0]["parameter"] == target, answer.json()
    mixed = api.put(traffic, {"split": {"default": 100}, "candidate": 0}, format="json")
    assert mixed.status_code == 400 and 'With "split" give the shares only inside it (also found: candidate)' in \
        mixed.json()["detail"], mixed.json()
    twice = api.put(traffic, {"default": 100, "shadow": ["candidate", "candidate"]}, format="json")
    assert twice.status_code == 400 and "listed twice" in twice.json()["detail"]
    assert api.put(traffic, [90, 10], format="json").status_code == 400
    assert WebService.objects.get(pk=service_id).traffic == {}

    # the dashboard's form sets the same split, and says what is wrong with a bad one
    assert owner_client.post(f"/web-services/{service_id}/traffic/", {"share-default": "80", "share-candidate": "20"}
                             ).status_code == 302
    assert WebService.objects.get(pk=service_id).traffic == {"split": {"default": 80, "candidate": 20}, "shadow": []}
    refused = owner_client.post(f"/web-services/{service_id}/traffic/", {"share-default": "80", "share-candidate": "x"})
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "Traffic not changed: The share of endpoint &#x27;candidate&#x27; must be a whole percentage" in page
    assert 'name="share-candidate" min="0" max="100" step="1" value="x"' in page  # as typed, to correct
    refused = owner_client.post(f"/web-services/{service_id}/traffic/",
                                {"share-default": "80", "share-candidate": "15", "shadow": []})
    page = refused.content.decode()
    assert refused.status_code == 400 and "they add up to 95 (default 80, candidate 15)" in page
    assert 'value="15"' in page and 'value="80"' in page
    assert WebService.objects.get(pk=service_id).traffic == {"split": {"default": 80, "candidate": 20}, "shadow": []}

    # an endpoint named "shadow" can take a share, given under "split" (the form GET returns)
    add_endpoint(api, service_id, "shadow")
    named = api.put(traffic, {"split": {"default": 70, "shadow": 30}, "shadow": ["candidate"]}, format="json")
    assert named.status_code == 200, named.content
    assert api.get(traffic).json()["split"] == {"default": 70, "shadow": 30}
    assert owner_client.post(f"/web-services/{service_id}/traffic/", {"share-default": "80", "share-shadow": "20"}
                             ).status_code == 302
    assert WebService.objects.get(pk=service_id).traffic == {"split": {"default": 80, "shadow": 20}, "shadow": []}
    assert api.delete(f"/api/web-services/{service_id}/endpoints/shadow/").status_code == 204

    # deleting an endpoint gives its share back to the default endpoint
    assert api.delete(f"/api/web-services/{service_id}/endpoints/candidate/").status_code == 204
    assert api.get(traffic).json()["split"] == {"default": 100}


def test_with_a_split_the_hot_path_needs_no_database(api, owner, income, django_db_blocker):  # noqa: F811
    """Once both endpoints' states are cached, calls are routed and scored with the database blocked for every
    thread of this process (a query anywhere on the path would raise)."""
    training, _ = income
    answer = publish(api, owner, training)[2]
    service_id, endpoint_id, key = answer["web_service"], answer["endpoint"]["Id"], answer["endpoint"]["PrimaryKey"]
    add_endpoint(api, service_id, "candidate")
    assert api.put(f"/api/web-services/{service_id}/traffic/", {"default": 50, "candidate": 50},
                   format="json").status_code == 200
    candidate = WebService.objects.get(pk=service_id).endpoints.get(name="candidate").endpoint_id
    forget_all()
    served(endpoint_id)
    time.sleep(1.0)  # this process's change listener revalidates everything once it has subscribed
    assert served(endpoint_id).routes and served(candidate) is not None  # both cached, as after a first call
    workspace, body = str(owner.workspace.pk), rows_body()

    async def calls() -> Counter:
        seen: Counter = Counter()
        for _ in range(100):
            status, _, headers = await score_call("POST", {"api-version": "2.0"}, f"Bearer {key}", body, workspace,
                                                  endpoint_id)
            assert status == 200
            seen[headers[HEADER]] += 1
        return seen

    with django_db_blocker.block():
        seen = asyncio.run(calls())
    assert set(seen) == {"default", "candidate"}
    drift.flush()  # the calls' input summaries, written while their endpoints exist (not at exit)
