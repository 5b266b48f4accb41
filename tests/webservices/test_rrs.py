"""The Request-Response Service over real HTTP (the uvicorn server), with a client written from SPEC §3 alone.

The client below (httpx only) imports nothing from the project: it builds the classic and swagger bodies by hand, as an
existing Azure ML Studio client would, and only the base URL and key differ.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import httpx
import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table
from tests.webservices.test_deploy import income, output_frame, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def call(url, key, body, raw=None, method="POST"):
    """Send JSON with a Bearer key; returns (status, parsed body). A plain HTTP client: nothing of Atelier."""
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {key}"} if key else {})
    response = httpx.request(method, url, content=data, timeout=30, headers=headers)
    return response.status_code, response.json()


@pytest.fixture
def service(api, owner, income, studio_server):  # noqa: F811
    training, training_run = income
    endpoint = publish(api, owner, training)[2]["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute"
    held_out = output_save(run=training_run, node="split", port="results2", name="held out")
    rows = dataset_table(held_out).frame.head(25)
    expected = output_frame(training_run, "score", "scored_dataset").head(25)
    return url, endpoint["PrimaryKey"], endpoint["SecondaryKey"], rows, expected


def classic_body(rows, drop=()):
    columns = [c for c in rows.columns if c not in drop]
    return {"Inputs": {"input1": {"ColumnNames": columns,
                                  "Values": [[None if v != v else str(v) for v in row]
                                             for row in rows[columns].itertuples(index=False)]}},
            "GlobalParameters": {}}


def test_classic_and_swagger_calls_score_exactly_as_the_training_run(service):
    url, key, secondary, rows, expected = service
    status, body = call(f"{url}?api-version=2.0&details=true", key, classic_body(rows, drop=["income"]))
    assert status == 200, body
    table = body["Results"]["output1"]
    assert table["type"] == "table"
    names, values = table["value"]["ColumnNames"], table["value"]["Values"]
    assert names[-2:] == ["Scored Labels", "Scored Probabilities"] and "income" not in names
    types = dict(zip(names, table["value"]["ColumnTypes"], strict=True))
    assert (types["Scored Probabilities"], types["age"], types["fnlwgt"], types["workclass"]) == (
        "Double", "Int32", "Int32", "String")  # integer columns as the classic service typed them
    assert [row[names.index("age")] for row in values] == rows["age"].astype(str).tolist()  # "39", not "39.0"
    assert all(isinstance(cell, str) for row in values for cell in row if cell is not None)
    assert [row[-2] for row in values] == expected["Scored Labels"].astype(str).tolist()
    assert [float(row[-1]) for row in values] == pytest.approx(expected["Scored Probabilities"].tolist(), abs=1e-12)
    assert set(body) == {"Results", "ContainerAllocationDurationMs", "ExecutionDurationMs", "IsWarmContainer"}

    swagger = {"Inputs": {"input1": [{k: (None if v != v else v.item() if hasattr(v, "item") else v)
                                      for k, v in row.items()} for row in rows.to_dict("records")]},
               "GlobalParameters": {}}
    status, body = call(f"{url}?api-version=2.0&format=swagger", secondary, swagger)
    assert status == 200, body
    scored = body["Results"]["output1"]
    assert [row["Scored Probabilities"] for row in scored] == pytest.approx(
        expected["Scored Probabilities"].tolist(), abs=1e-12)
    assert [row["age"] for row in scored] == rows["age"].tolist() and isinstance(scored[0]["age"], int)


@pytest.mark.parametrize(("case", "status", "codes", "fragment"), [
    ("not json", 400, ("BadArgument", "RequestBodyInvalid"), "not valid JSON"),
    ("list body", 400, ("BadArgument", "RequestBodyInvalid"), "must be a JSON object"),
    ("no inputs", 400, ("BadArgument", "MissingRequestInput"), "no 'Inputs'"),
    ("unknown input", 400, ("BadArgument", "InvalidInputNames"), "Unknown input 'input2'"),
    ("missing column", 400, ("BadUserArgument", "InputMismatchError"), "Column 'age' is missing"),
    ("ragged", 400, ("BadUserArgument", "InputParseError"), "row 2 has 1 values"),
    ("bad number", 400, ("BadUserArgument", "InputParseError"), "Column 'age', row 1: 'forty' is not a number"),
    ("fraction", 400, ("BadUserArgument", "InputParseError"), "Column 'age', row 1: '39.5' is not a whole number"),
    ("empty", 400, ("BadArgument", "MissingRequestInput"), "has no rows"),
    ("unknown parameter", 400, ("BadUserArgument", "UnexpectedParameter"), "Unknown global parameter 'speed'"),
    ("wrong key", 401, ("Unauthorized", None), "wrong API key"),
    ("no key", 401, ("Unauthorized", None), "wrong API key"),
    ("api version", 400, ("BadArgument", "BadVersionCall"), "api-version must be 2.0"),
    ("unknown endpoint", 401, ("Unauthorized", None), "wrong API key"),  # no existence oracle (issue 14)
    ("too many rows", 413, ("RequestEntityTooLarge", "RequestEntityTooLarge"), "at most"),
    ("huge body", 413, ("RequestEntityTooLarge", None), "larger than"),
])
def test_bad_requests_get_a_precise_error_and_the_classic_codes_never_a_500(service, case, status, codes, fragment,
                                                                            settings):
    url, key, _, rows, _ = service
    body = classic_body(rows.head(2))
    target, raw, used_key = f"{url}?api-version=2.0", None, key
    columns = body["Inputs"]["input1"]["ColumnNames"]
    if case == "not json":
        raw = b"{not json"
    elif case == "list body":
        body = [1, 2]
    elif case == "no inputs":
        body = {"GlobalParameters": {}}
    elif case == "fraction":
        body["Inputs"]["input1"]["Values"][0][columns.index("age")] = "39.5"
    elif case == "unknown parameter":
        body["GlobalParameters"] = {"speed": 3}
    elif case == "unknown input":
        body["Inputs"]["input2"] = body["Inputs"]["input1"]
    elif case == "missing column":
        i = columns.index("age")
        body["Inputs"]["input1"] = {"ColumnNames": columns[:i] + columns[i + 1:],
                                    "Values": [row[:i] + row[i + 1:] for row in body["Inputs"]["input1"]["Values"]]}
    elif case == "ragged":
        body["Inputs"]["input1"]["Values"][1] = ["39"]
    elif case == "bad number":
        body["Inputs"]["input1"]["Values"][0][columns.index("age")] = "forty"
    elif case == "empty":
        body["Inputs"]["input1"]["Values"] = []
    elif case == "wrong key":
        used_key = "x" * 88
    elif case == "no key":
        used_key = ""
    elif case == "api version":
        target = f"{url}?api-version=1.0"
    elif case == "unknown endpoint":
        target = url.replace("/services/", "/services/0").replace("/execute", "0/execute") + "?api-version=2.0"
    elif case == "huge body":
        raw = b'{"Inputs": "' + b"x" * (5 * 2**20) + b'"}'
    elif case == "too many rows":
        body = classic_body(rows.head(1))
        body["Inputs"]["input1"]["Values"] *= 1001
    got, answer = call(target, used_key, body, raw)
    assert got == status, answer
    assert fragment in answer["error"]["message"], answer
    code, detail = codes
    assert answer["error"]["code"] == code, answer
    assert [d["code"] for d in answer["error"]["details"]] == ([detail] if detail else []), answer


def test_method_other_endpoints_key_regenerated_key_unseen_values_and_extra_columns(service, api):
    from webservices.models import Endpoint
    from webservices.services import endpoint_create, key_regenerate

    url, key, _, rows, expected = service
    refused = httpx.get(f"{url}?api-version=2.0", headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 405 and refused.headers["Allow"] == "POST"
    assert refused.json()["error"]["code"] == "MethodNotAllowed"

    default = Endpoint.objects.get(primary_key_hash__isnull=False, is_default=True)
    _, other_keys = endpoint_create(service=default.service, name="partner")
    status, body = call(f"{url}?api-version=2.0", other_keys.primary, classic_body(rows.head(1)))
    assert status == 401

    body = classic_body(rows.head(3))
    columns = body["Inputs"]["input1"]["ColumnNames"]
    body["Inputs"]["input1"]["Values"][0][columns.index("workclass")] = "Astronaut"  # never seen in training
    body["Inputs"]["input1"]["Values"][1][columns.index("hours-per-week")] = None  # missing value
    body["Inputs"]["input1"]["ColumnNames"].append("customer_id")
    for number, row in enumerate(body["Inputs"]["input1"]["Values"]):
        row.append(f"C-{number}")
    status, answer = call(f"{url}?api-version=2.0", key, body)
    assert status == 200, answer
    value = answer["Results"]["output1"]["value"]
    assert [row[value["ColumnNames"].index("customer_id")] for row in value["Values"]] == ["C-0", "C-1", "C-2"]
    assert value["Values"][2][-2] == str(expected["Scored Labels"].iloc[2])

    new_primary = key_regenerate(endpoint=default, which="primary")
    deadline = time.monotonic() + 5
    while call(f"{url}?api-version=2.0", key, classic_body(rows.head(1)))[0] != 401:
        assert time.monotonic() < deadline, "the old key still works 5 s after regeneration"
        time.sleep(0.2)
    assert call(f"{url}?api-version=2.0", new_primary, classic_body(rows.head(1)))[0] == 200


def test_the_concurrency_limit_answers_503_with_retry_after_beyond_it_and_never_below(service):
    """Classic clients (the R package, the generated samples) retry a 503 by themselves, never a 429."""
    from concurrent.futures import ThreadPoolExecutor

    from webservices.models import Endpoint

    url, key, _, rows, _ = service
    big = json.dumps(classic_body(rows.sample(1000, replace=True, random_state=1))).encode()

    def burst(limit, parallel):
        Endpoint.objects.filter(is_default=True).update(max_concurrent_calls=limit)
        time.sleep(1.2)  # the server revalidates endpoint settings within a second
        with ThreadPoolExecutor(parallel) as pool:
            return list(pool.map(lambda _: httpx.post(f"{url}?api-version=2.0", content=big, timeout=30,
                                                      headers={"Authorization": f"Bearer {key}"}),
                                 range(parallel * 2)))

    limited = burst(1, 8)
    statuses = {answer.status_code for answer in limited}
    assert 503 in statuses and 200 in statuses and statuses <= {200, 503}
    throttled = next(answer for answer in limited if answer.status_code == 503)
    assert throttled.headers["Retry-After"] == "1"
    error = throttled.json()["error"]
    assert (error["code"], error["details"][0]["code"]) == ("ServiceUnavailable", "RequestThrottled")
    assert "maximum of 1 concurrent calls" in error["message"]
    assert {answer.status_code for answer in burst(50, 6)} == {200}


def test_classic_bodies_with_null_global_parameters_or_extra_fields_are_scored(service):
    url, key, _, rows, _ = service
    body = classic_body(rows.head(2)) | {"GlobalParameters": None, "Outputs": {"output1": {}}, "Comment": "x"}
    status, answer = call(f"{url}?api-version=2.0", key, body)
    assert status == 200, answer
    assert len(answer["Results"]["output1"]["value"]["Values"]) == 2


def test_calls_are_counted_and_logged_as_the_trace_level_says(service, api):
    from webservices.models import Endpoint, RequestLog, UsageBucket

    url, key, _, rows, _ = service
    Endpoint.objects.filter(is_default=True).update(diagnostics_trace_level="Error")
    time.sleep(1.2)
    assert call(f"{url}?api-version=2.0", key, classic_body(rows.head(2)))[0] == 200
    assert call(f"{url}?api-version=2.0", key, {"Inputs": {}})[0] == 400
    deadline = time.monotonic() + 10
    while sum(UsageBucket.objects.values_list("calls", flat=True)) < 2:
        assert time.monotonic() < deadline, "usage was not written within 10 s"
        time.sleep(0.3)
    bucket = UsageBucket.objects.get()
    assert bucket.calls == 2 and bucket.errors == 1 and sum(bucket.histogram) == 2
    logged = RequestLog.objects.get()
    assert logged.status == 400 and '"Inputs"' in logged.request and "Input 'input1' is missing" in logged.response


def test_the_django_view_serves_the_same_call_without_the_asgi_shortcut(service, client):
    url, key, _, rows, expected = service
    path = urlsplit(url).path
    response = client.post(f"{path}?api-version=2.0", data=json.dumps(classic_body(rows.head(2))),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200, response.content
    values = response.json()["Results"]["output1"]["value"]["Values"]
    assert [row[-2] for row in values] == expected["Scored Labels"].head(2).astype(str).tolist()
    assert client.get(f"{path}?api-version=2.0").status_code == 405
