"""Two things of the same name can be told apart wherever they are listed or picked (issue 15, item 8): the
one with a twin shows its id; a lone name shows none; pages about one service always say which it is."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.utils import timezone

from experiments.models import Asset, Dataset, Experiment
from webservices.models import WebService

pytestmark = pytest.mark.django_db


def rows(page: str, testid_prefix: str) -> dict[str, str]:
    """{row test id: the row's text} for the table rows whose data-testid starts with the prefix."""
    found = re.findall(rf'<tr data-testid="({testid_prefix}[^"]*)">(.*?)</tr>', page, flags=re.S)
    return {testid: " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()) for testid, html in found}


def test_twin_web_services_are_told_apart_in_the_list_and_on_their_pages(owner, owner_client):
    source = Experiment.objects.create(workspace=owner.workspace, name="Income prediction [Predictive Exp.]",
                                       kind="predictive")
    now = timezone.now()
    twins = [WebService.objects.create(workspace=owner.workspace, name="Income prediction", kind="predictive",
                                       experiment=source, deployed_at=now) for _ in range(2)]
    lone = WebService.objects.create(workspace=owner.workspace, name="Census", kind="predictive", deployed_at=now)

    listed = rows(owner_client.get("/web-services/").content.decode(), "web-service-row-")
    texts = [listed[f"web-service-row-{service.pk}"] for service in twins]
    assert texts[0] != texts[1]  # same name, same experiment, same minute: the id tells them apart
    for service, text in zip(twins, texts, strict=True):
        assert text.startswith(f"Income prediction #{service.pk} ")
    assert "#" not in listed[f"web-service-row-{lone.pk}"]

    for service in twins:
        page = unescape(owner_client.get(f"/web-services/{service.pk}/").content.decode())
        assert f"Web service #{service.pk}" in " ".join(re.sub(r"<[^>]+>", " ", page).split())
        assert f"Delete the web service 'Income prediction' (#{service.pk}, deployed " in page


def test_twin_trained_models_and_datasets_show_their_ids(owner, owner_client):
    def model(name: str) -> Asset:
        return Asset.objects.create(workspace=owner.workspace, kind="trained_model", name=name, path="x", sha256="0",
                                    summary={"learner": "Two-Class Logistic Regression", "label": "income"})

    twins, lone = [model("Income model"), model("Income model")], model("Census model")
    listed = rows(owner_client.get("/trained-models/").content.decode(), "trained-model-")
    for asset in twins:
        assert listed[f"trained-model-{asset.pk}"].startswith(f"Income model #{asset.pk} ")
    assert listed[f"trained-model-{lone.pk}"].startswith("Census model Two-Class")

    datasets = [Dataset.objects.create(workspace=owner.workspace, name="Adult", path="d", sha256="0")
                for _ in range(2)]
    listed = rows(owner_client.get("/datasets/").content.decode(), "dataset-")
    for dataset in datasets:
        assert listed[f"dataset-{dataset.pk}"].startswith(f"Adult #{dataset.pk} ")
