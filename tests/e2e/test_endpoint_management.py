"""Endpoint management on the dashboard, in headless Chromium: add an endpoint (keys shown once), see its
model history after a PATCH, roll back with the button, add a retraining schedule, delete the endpoint."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from tests.e2e.test_canvas_mount import sign_in
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices import storage
from webservices.endpoints import resource_patch
from webservices.models import Endpoint, RetrainingSchedule, WebService
from webservices.services import endpoint_create, key_hash

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_add_patch_roll_back_schedule_and_delete_from_the_dashboard(page, api, owner, income, studio_server):  # noqa: F811
    training, _ = income
    publish(api, owner, training)
    service = WebService.objects.get()
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/")

    page.get_by_test_id("add-endpoint").locator("summary").click()
    page.get_by_test_id("new-endpoint-name").fill("canary")
    page.get_by_test_id("add-endpoint-submit").click()
    page.get_by_test_id("endpoint-canary").wait_for()
    expect(page.get_by_test_id("new-primary-key")).not_to_have_value("")  # filled by a deferred script
    key = page.get_by_test_id("new-primary-key").input_value()
    canary = Endpoint.objects.get(service=service, name="canary")
    assert canary.primary_key_hash == key_hash(key) and not canary.is_default

    # A patch (here the same model, stored again as a retraining job would leave it), then roll back.
    resource = next(r for r in service.current.resources if r["Kind"] == "TrainedModel")
    with open(default_storage.path(resource["Path"]), "rb") as handle:
        storage.write(owner.workspace.pk, "models/canary.ilearner", io.BytesIO(handle.read()))
    resource_patch(endpoint=canary, body={"Resources": [{"Name": resource["Name"], "Location": {
        "RelativeLocation": "models/canary.ilearner",
        "SasBlobToken": storage.sas_token(str(owner.workspace.pk), "models/canary.ilearner")}}]})
    page.get_by_test_id("endpoint-link-canary").click()
    page.get_by_test_id("version-patch-active").wait_for()
    line = page.get_by_test_id("lineage-line-canary")  # issue 20: the page says what the endpoint serves
    expect(line).to_have_text(f"serving model '{resource['Name']}' (patched onto this endpoint), its training was "
                              "not recorded")  # the deployed bytes stored again: no job wrote this file
    assert resource["Name"] in page.get_by_test_id("updatable-resource").inner_text()
    assert "curl -s -X PATCH" in page.get_by_test_id("patch-sample").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())  # Roll back asks first (tests/e2e/test_lifecycle.py)
    page.get_by_test_id("version-deploy").get_by_role("button", name="Roll back").click()
    page.get_by_test_id("version-deploy-active").wait_for()
    expect(line).to_contain_text(f"serving model '{resource['Name']}' (rolled back to), trained by run "
                                 f"{training.runs.order_by('created').first().pk} of experiment '{training.name}'")
    expect(page.get_by_test_id("lineage-details-endpoint")).to_be_hidden()  # the page's were the patch's
    assert canary.resource_versions.get(active=True).how == "deploy"

    # A schedule needs a deployed retraining service: without one, the form says so.
    page.get_by_test_id("schedule-form").get_by_label("Training data").fill("training/latest.csv")
    page.get_by_test_id("schedule-form").get_by_role("button", name="Add schedule").click()
    page.wait_for_selector('[data-testid=manage-status]:has-text("retraining service")', timeout=10000)

    page.go_back()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("delete-endpoint-canary").click()
    page.get_by_text("Deleted the endpoint canary.").wait_for()
    assert not Endpoint.objects.filter(name="canary").exists()


def test_an_endpoints_settings_are_edited_on_its_page(page, api, owner, income, studio_server):  # noqa: F811
    training, _ = income
    publish(api, owner, training)
    service = WebService.objects.get()
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/endpoints/default/")
    page.get_by_test_id("endpoint-settings").locator("summary").click()
    form = page.locator("#endpoint-settings")
    form.get_by_label("Description").fill("Scores income for the call centre")
    form.get_by_label("Max concurrent calls").fill("50")
    form.get_by_label("Diagnostics trace").select_option("All")
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-status")).to_have_text(
        "Saved: at most 50 calls at once, throttle Low, trace All.")
    default = Endpoint.objects.get(service=service, is_default=True)
    assert (default.description, default.max_concurrent_calls, default.diagnostics_trace_level) == (
        "Scores income for the call centre", 50, "All")

    # The server's own check, past the browser's: its message is shown, nothing changes.
    form.get_by_label("Max concurrent calls").evaluate("input => input.removeAttribute('max')")
    form.get_by_label("Max concurrent calls").fill("500")
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-status")).to_have_text(
        "'MaxConcurrentCalls' must be a whole number from 1 to 200 (got 500).")
    assert Endpoint.objects.get(pk=default.pk).max_concurrent_calls == 50
    page.reload()
    page.get_by_test_id("endpoint-settings").locator("summary").click()
    assert page.locator("#endpoint-settings").get_by_label("Max concurrent calls").input_value() == "50"


def test_a_new_key_is_made_on_the_dashboard_and_shown_once(page, api, owner, income, studio_server):  # noqa: F811
    """New primary key asks first, shows the key in the keys panel, and updates the Key column's hint."""
    training, _ = income
    publish(api, owner, training)
    service = WebService.objects.get()
    default = Endpoint.objects.get(service=service, is_default=True)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/")
    said: list[str] = []
    page.once("dialog", lambda dialog: (said.append(dialog.message), dialog.dismiss()))
    page.get_by_test_id("endpoint-default").get_by_role("button", name="New primary key").click()
    expect(page.get_by_test_id("new-keys")).to_be_hidden()
    assert said == ["Replace the primary key of default? Clients using it will get 401."]
    assert Endpoint.objects.get(pk=default.pk).primary_key_hash == default.primary_key_hash

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("endpoint-default").get_by_role("button", name="New primary key").click()
    expect(page.get_by_test_id("web-service-status")).to_have_text("New primary key for default; copy it now.")
    key = page.get_by_test_id("new-primary-key").input_value()
    assert Endpoint.objects.get(pk=default.pk).primary_key_hash == key_hash(key)
    expect(page.get_by_test_id("new-keys")).to_contain_text("Keys of the default endpoint")
    expect(page.get_by_test_id("new-keys").get_by_label("Secondary key")).to_be_hidden()  # only the one replaced
    expect(page.get_by_test_id("key-hint-default")).to_have_text(f"{Endpoint.objects.get(pk=default.pk).primary_key_hint}…")


def test_a_schedules_run_now_and_delete_buttons(page, api, owner, income, studio_server):  # noqa: F811
    """Run now starts an attempt at once (here one that can't start: its retraining service has no endpoint,
    which the attempt says); Delete removes the schedule."""
    training, _ = income
    publish(api, owner, training)
    service = WebService.objects.get()
    canary, _ = endpoint_create(service=service, name="canary")
    retraining = WebService.objects.create(workspace=owner.workspace, name="Retrain income", kind="retraining")
    schedule = RetrainingSchedule.objects.create(endpoint=canary, retraining=retraining, cron="0 3 * * 1",
                                                 input_location="training/latest.csv", metric="AUC", margin=0.01)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/endpoints/canary/")
    row = page.get_by_test_id("schedules").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text("AUC, margin 0.01")

    row.get_by_role("button", name="Run now").click()
    expect(row.get_by_test_id("attempt-failed")).to_contain_text(
        "failed: Could not start the job: The retraining service has no default endpoint.")
    assert schedule.attempts.count() == 1

    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert not RetrainingSchedule.objects.filter(pk=schedule.pk).exists()
