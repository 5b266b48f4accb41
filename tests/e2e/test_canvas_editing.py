"""Editing on the canvas in headless Chromium: drag modules in, connect ports, set parameters, save, run."""

import re

import pytest
from playwright.sync_api import expect

from experiments.models import Experiment
from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def drop(page, module_id, x, y):
    """Find the module with the palette's search box, as a user would, and drag it onto the canvas."""
    page.get_by_test_id("palette-search").fill(module_id.replace("-", " "))
    canvas = page.locator(".atelier-canvas__flow")
    page.get_by_test_id(f"palette-item-{module_id}").drag_to(canvas, target_position={"x": x, "y": y})
    page.get_by_test_id("palette-search").fill("")


def centre(page, test_id):
    box = page.get_by_test_id(test_id).bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def wire(page, source, target):
    """Drag from an output port to an input port with the mouse, as React Flow expects."""
    page.mouse.move(*centre(page, source))
    page.mouse.down()
    page.mouse.move(*centre(page, target), steps=12)
    page.mouse.up()


def toolbar_control(page, test_id):
    """A toolbar command, opening the toolbar's More menu when the window is too narrow to show it in the bar."""
    control = page.get_by_test_id(test_id)
    if not control.is_visible() and page.get_by_test_id("toolbar-more").is_visible():
        page.get_by_test_id("toolbar-more").click()
    return control


def test_build_connect_save_run_undo_and_reload(page, owner, studio_server, worker):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Built by hand")
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{experiment.pk}/")

    page.get_by_test_id("palette-search").fill("enter data")
    assert page.get_by_test_id("palette-item-split-data").count() == 0
    assert page.get_by_test_id("palette-item-enter-data-manually").count() == 1
    drop(page, "enter-data-manually", 300, 80)
    drop(page, "select-columns-in-dataset", 300, 260)
    drop(page, "two-class-boosted-decision-tree", 20, 80)  # the canvas is ~700 px wide here
    assert page.locator(".react-flow__node").count() == 3

    wire(page, "port-n3-out-untrained_model", "port-n2-in-dataset")  # incompatible: refused
    assert page.locator(".react-flow__edge").count() == 0
    wire(page, "port-n1-out-dataset", "port-n2-in-dataset")
    assert page.locator(".react-flow__edge").count() == 1

    page.get_by_test_id("node-n1").click()
    page.get_by_test_id("param-data").fill("a,b\n1,x\n2,y\n")
    page.get_by_test_id("node-n2").click()
    page.get_by_test_id("param-columns").fill("a")
    page.get_by_test_id("param-columns").blur()

    page.get_by_test_id("undo-button").click()
    expect(page.get_by_test_id("save-state")).to_have_text("Saved")  # saved a moment later, by itself
    page.get_by_test_id("redo-button").click()
    page.get_by_test_id("node-n3").click()
    page.keyboard.press("Delete")
    assert page.locator(".react-flow__node").count() == 2

    page.get_by_test_id("layout-button").click()
    assert page.get_by_test_id("node-n1").bounding_box()["y"] < page.get_by_test_id("node-n2").bounding_box()["y"]
    setup = page.get_by_test_id("setup-web-service-button")
    assert setup.is_enabled() and setup.get_attribute("title").startswith("Make a predictive or retraining")

    page.get_by_test_id("run-button").click()
    for node_id in ("n1", "n2"):
        page.wait_for_selector(f'[data-testid="node-{node_id}"][data-status="finished"]', timeout=60000)
    # The run's own "finished" event follows its last module's: wait for it rather than read at once.
    expect(page.get_by_test_id("canvas-status")).to_contain_text(re.compile(r"Run \d+: finished"))
    history = page.get_by_test_id("run-history")
    history.focus()
    expect(history.locator("option", has_text="finished").first).to_be_attached()
    assert re.fullmatch(r"Run \d+ · finished · .+", history.locator("option").nth(1).inner_text())

    experiment.refresh_from_db()
    assert [node["module"] for node in experiment.graph["nodes"]] == ["enter-data-manually",
                                                                      "select-columns-in-dataset"]
    assert experiment.graph["nodes"][1]["params"]["columns"] == ["a"]
    page.reload()
    page.get_by_test_id("node-n2").wait_for()
    assert page.locator(".react-flow__edge").count() == 1


def test_a_second_page_on_the_same_experiment_sees_the_run_live(browser, page, owner, studio_server, worker):
    graph = {"nodes": [{"id": "n1", "module": "enter-data-manually", "params": {"data": "a\n1\n2\n"},
                        "position": {"x": 0, "y": 0}, "comment": ""}], "edges": []}
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Watched", graph=graph)
    sign_in(page, studio_server, owner)
    watcher = page.context.new_page()
    for each in (page, watcher):
        each.goto(f"{studio_server.url}/experiments/{experiment.pk}/")
        each.get_by_test_id("node-n1").wait_for()
    watcher.wait_for_timeout(500)  # its WebSocket is open

    page.get_by_test_id("run-button").click()

    watcher.wait_for_selector('[data-testid="node-n1"][data-status="finished"]', timeout=60000)
    # The node's event comes just before the run's own: the status line follows it, not at once.
    expect(watcher.get_by_test_id("canvas-status")).to_have_text(re.compile(r"Run \d+: finished"), timeout=15000)
