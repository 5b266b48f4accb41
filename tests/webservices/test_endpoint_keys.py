"""The one key comparison (webservices/scoring/keys.py): an endpoint accepts its primary and its secondary key
and nothing else, not even a key of another endpoint of the same service."""

from __future__ import annotations

import pytest

from webservices.models import WebService
from webservices.scoring.keys import endpoint_key_matches, key_owner
from webservices.services import endpoint_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_endpoints(owner):
    service = WebService.objects.create(workspace=owner.workspace, name="S", kind="predictive")
    default, default_keys = endpoint_create(service=service, name="default", is_default=True)
    partner, partner_keys = endpoint_create(service=service, name="partner")
    return (default, default_keys), (partner, partner_keys)


def test_an_endpoint_accepts_its_primary_and_secondary_key(two_endpoints):
    (endpoint, keys), _ = two_endpoints
    assert endpoint_key_matches(endpoint, keys.primary)
    assert endpoint_key_matches(endpoint, keys.secondary)


@pytest.mark.parametrize("presented", ["wrong", "", " ", "Bearer "])
def test_an_endpoint_refuses_a_wrong_or_empty_key(two_endpoints, presented):
    (endpoint, _), _ = two_endpoints
    assert not endpoint_key_matches(endpoint, presented)


def test_an_endpoint_refuses_the_keys_of_another_endpoint(two_endpoints):
    (default, default_keys), (partner, partner_keys) = two_endpoints
    assert not endpoint_key_matches(default, partner_keys.primary)
    assert not endpoint_key_matches(default, partner_keys.secondary)
    assert not endpoint_key_matches(partner, default_keys.primary)


def test_a_key_names_its_own_endpoint_among_several(two_endpoints):
    (default, _), (partner, partner_keys) = two_endpoints
    assert key_owner(f"Bearer {partner_keys.secondary}", [default, partner]) == partner
    assert key_owner(f"Token {partner_keys.secondary}", [default, partner]) is None
    assert key_owner("Bearer ", [default, partner]) is None
