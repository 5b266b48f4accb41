"""Fuzzing the studio API from its own OpenAPI document (issue 8): schemathesis generates requests for every
operation of /api/schema/, sent in process to the WSGI application as a signed-in member with a token. No
response may be a server error. Bounded here (FUZZ_EXAMPLES per operation, 8 by default); `make fuzz` runs
it with many more examples and also fuzzes a deployed endpoint's OpenAPI document (bench/fuzz.py)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from studio.services import api_token_create
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


@pytest.fixture
def studio_schema(owner):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


schema = schemathesis.pytest.from_fixture("studio_schema")


@pytest.fixture
def owner_key(owner):
    """One API token for every generated call (each call would otherwise make one)."""
    return api_token_create(user=owner.user)[1]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_studio_api_call_is_a_server_error(case, owner_key):
    response = case.call(headers={"Authorization": f"Token {owner_key}"})
    case.validate_response(response, checks=[not_a_server_error])


@pytest.fixture
def endpoint_schema(api, owner, income):  # noqa: F811
    """A deployed income endpoint's own OpenAPI document (as clients fetch it, with the key)."""
    training, _ = income
    deployed = publish(api, owner, training)[2]
    key = deployed["endpoint"]["PrimaryKey"]
    loaded = schemathesis.openapi.from_wsgi(
        f"/web-services/{deployed['web_service']}/endpoints/default/swagger.json", get_wsgi_application(),
        headers={"Authorization": f"Bearer {key}"})
    loaded.key = key  # type: ignore[attr-defined]
    return loaded


endpoint = schemathesis.pytest.from_fixture("endpoint_schema")


@endpoint.parametrize()
@settings(max_examples=EXAMPLES * 5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_scoring_call_is_a_server_error(case, endpoint_schema):
    response = case.call(headers={"Authorization": f"Bearer {endpoint_schema.key}"})
    case.validate_response(response, checks=[not_a_server_error])


uploads = schemathesis.pytest.from_fixture("studio_schema").include(path="/api/datasets/", method="POST")


@uploads.parametrize()
@settings(max_examples=EXAMPLES * 5, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_upload_with_any_reading_options_is_a_server_error(case, owner_key):
    """The upload with its reading options (missing, decimal, true, false, separator, lenient) fuzzed harder."""
    response = case.call(headers={"Authorization": f"Token {owner_key}"})
    case.validate_response(response, checks=[not_a_server_error])


CELL = st.sampled_from(["1", "2.5", "?", "", "x", "NA", '"a,b"', '"two\nlines"', " 3"])
LINE = st.lists(CELL, min_size=0, max_size=5)


@given(header=st.integers(min_value=1, max_value=4), lines=st.lists(LINE, min_size=1, max_size=12),
       lenient=st.booleans())
@settings(max_examples=EXAMPLES * 10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_a_ragged_upload_is_refused_naming_its_line_or_read_leniently_and_nothing_is_lost(api, header, lines,
                                                                                         lenient):
    """Files of lines of any length: refused with 'Line N has …; the header has H.' (N the first line of the wrong
    length), or stored with one row per line of the header's length (and, lenient, per short line padded)."""
    text = ",".join(f"c{i}" for i in range(header)) + "\n" + "".join(",".join(line) + "\n" for line in lines)
    response = api.post("/api/datasets/", {"file": SimpleUploadedFile("f.csv", text.encode()),
                                           "lenient": "true" if lenient else "false"}, format="multipart")
    assert response.status_code in (201, 400), response.content[:300]
    fields = [len(line) for line in lines if line]  # an empty line is a blank line, skipped by every reader
    blank_row = [line == [""] * len(line) and len(line) == 1 for line in lines if line]
    fields = [count for count, blank in zip(fields, blank_row, strict=True) if not blank]
    wrong = [count for count in fields if count != header]
    detail = response.json().get("detail", "")
    if response.status_code == 400:
        assert not lenient or "no rows" in detail or "could not be read" in detail or "Column" in detail, detail
        if not lenient and wrong:
            assert detail.startswith("Line ") and f"; the header has {header}." in detail, detail
        return
    assert lenient or not wrong, detail
    body = response.json()
    assert body["rows"] == sum(count <= header for count in fields)
    if lenient:
        assert body["parsing"]["padded"] == sum(count < header for count in fields)
        assert body["parsing"]["skipped"] == sum(count > header for count in fields)
