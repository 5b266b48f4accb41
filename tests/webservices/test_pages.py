"""The web services pages (webservices/pages.py): each member sees only their workspaces' services."""

import re

import pytest

from webservices.models import WebService

pytestmark = pytest.mark.django_db


def test_web_services_pages_list_and_show_only_the_users_services(owner_client, owner, outsider):
    mine = WebService.objects.create(workspace=owner.workspace, name="Mine", kind="data")
    theirs = WebService.objects.create(workspace=outsider.workspace, name="Theirs", kind="data")
    listing = owner_client.get("/web-services/").content.decode()
    assert "Mine" in listing and "Theirs" not in listing
    assert re.search(r"<h1[^>]*>Mine</h1>", owner_client.get(f"/web-services/{mine.pk}/").content.decode())
    assert owner_client.get(f"/web-services/{theirs.pk}/").status_code == 404
