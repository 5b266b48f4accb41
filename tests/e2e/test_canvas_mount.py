"""In headless Chromium: sign in through the login page, open an experiment, see the canvas mounted."""

import pytest

from experiments.models import Experiment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, server, persona):
    page.goto(server.url + "/login/")
    page.get_by_test_id("login-username").fill(persona.username)
    page.get_by_test_id("login-password").fill(persona.password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(server.url + "/")


def test_user_signs_in_opens_an_experiment_and_the_react_flow_canvas_mounts(page, owner, studio_server):
    experiment = Experiment.objects.create(
        workspace=owner.workspace, name="Income prediction",
        graph={"nodes": [{"id": "n1", "module": "dataset", "params": {}, "position": {"x": 80, "y": 40},
                          "comment": ""}], "edges": []},
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, studio_server, owner)
    page.get_by_role("link", name="Income prediction").click()

    canvas = page.get_by_test_id("canvas")
    canvas.locator(".react-flow__viewport").wait_for(state="attached", timeout=15000)
    canvas.get_by_test_id("node-n1").wait_for(timeout=15000)
    assert page.url == f"{studio_server.url}/experiments/{experiment.pk}/"
    assert canvas.locator(".react-flow__node").count() == 1
    node = canvas.get_by_test_id("node-n1")
    assert node.locator(".module-node__name").inner_text() == "Dataset"
    # No dataset chosen yet: the node carries the validation flag with the problem as its label.
    assert node.get_by_label("Choose the saved dataset of Dataset (node n1).").count() == 1
    assert canvas.get_by_test_id("port-n1-out-dataset").count() == 1
    assert errors == []


def test_anonymous_visitor_is_sent_to_the_login_page(page, studio_server):
    page.goto(studio_server.url + "/experiments/1/")
    assert page.url.startswith(studio_server.url + "/login/?next=")
    assert page.get_by_role("heading", name="Sign in to Atelier").is_visible()


def test_linked_training_and_predictive_experiments_show_tabs_that_switch_without_reload(page, owner, studio_server):
    training = Experiment.objects.create(workspace=owner.workspace, name="Income prediction")
    predictive = Experiment.objects.create(workspace=owner.workspace, name="Income prediction [Predictive Exp.]",
                                           kind="predictive", training_experiment=training)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{training.pk}/")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_test_id("tab-predictive").click()
    page.wait_for_url(f"{studio_server.url}/experiments/{predictive.pk}/")
    assert page.get_by_test_id("tab-predictive").get_attribute("aria-selected") == "true"
    assert page.locator(".toolbar__title").inner_text() == predictive.name
    assert page.evaluate("window.stillTheSamePage") is True
