"""The experiments list page (experiments/pages.py): newest first, searchable, linking the deployed service."""

import pytest

from experiments.models import Experiment
from webservices.models import WebService

pytestmark = pytest.mark.django_db


def test_experiments_list_is_newest_first_searchable_and_links_the_deployed_service(owner_client, owner):
    edited = Experiment.objects.create(workspace=owner.workspace, name="Edited churn model")
    newer = Experiment.objects.create(workspace=owner.workspace, name="Newer churn model",
                                      kind=Experiment.Kind.PREDICTIVE)
    service = WebService.objects.create(workspace=owner.workspace, name="Churn", kind="predictive", experiment=newer)
    page = owner_client.get("/").content.decode()
    assert page.index("Newer churn model") < page.index("Edited churn model")
    edited.save()  # edited last: now it comes first
    page = owner_client.get("/").content.decode()
    assert page.index("Edited churn model") < page.index("Newer churn model")
    assert f'href="/web-services/{service.pk}/"' in page
    assert "Edited" not in owner_client.get("/?q=newer").content.decode()
