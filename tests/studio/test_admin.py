"""Every model is registered in the admin, with list columns and search (SPEC §1)."""

import pytest
from django.apps import apps
from django.contrib import admin

pytestmark = pytest.mark.django_db

OUR_APPS = ["studio", "experiments", "webservices"]


def our_models():
    return [model for name in OUR_APPS for model in apps.get_app_config(name).get_models()]


@pytest.mark.parametrize("model", our_models(), ids=lambda model: model.__name__)
def test_model_is_registered_with_useful_lists(model):
    model_admin = admin.site._registry.get(model)
    assert model_admin is not None, f"{model.__name__} is not registered in the admin"
    assert len(model_admin.list_display) > 1
    assert model_admin.search_fields
    assert model_admin.list_filter


@pytest.mark.parametrize("model", our_models(), ids=lambda model: model.__name__)
def test_admin_changelist_renders_for_staff(admin_client, model):
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url + "?q=x").status_code == 200


def test_admin_is_closed_to_non_staff(owner_client):
    response = owner_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
