"""Fuzzing the studio API from its own OpenAPI document (issue 8): schemathesis generates requests for every
operation of /api/schema/, sent in process to the WSGI application as a signed-in member with a token. No
response may be a server error. Bounded here (FUZZ_EXAMPLES per operation, 8 by default); `make fuzz` runs
it with many more examples and also fuzzes a deployed endpoint's OpenAPI document (bench/fuzz.py)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
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
