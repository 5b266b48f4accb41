"""No lost work on the canvas, in headless Chromium: every edit is saved even when the page is left at once,
and undo, copy and paste work one user action at a time."""

import time

import pytest
from playwright.sync_api import expect

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Experiment
from tests.e2e.test_canvas_editing import drop
from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def saved_modules(experiment, count, timeout=10):
    """The modules of the experiment's saved graph, once it has `count` of them (the save may still be arriving)."""
    deadline = time.monotonic() + timeout
    while True:
        experiment.refresh_from_db()
        modules = [n["module"] for n in experiment.graph["nodes"]]
        if len(modules) == count or time.monotonic() > deadline:
            return modules
        time.sleep(0.1)


def open_canvas(page, server, owner, name, graph=None):
    experiment = Experiment.objects.create(workspace=owner.workspace, name=name, graph=graph or {"nodes": [],
                                                                                                 "edges": []})
    sign_in(page, server, owner)
    page.goto(f"{server.url}/experiments/{experiment.pk}/")
    page.get_by_test_id("canvas").locator(".react-flow__viewport").wait_for(state="attached")
    return experiment


def boxes(page):
    return {el.get_attribute("data-id"): el.bounding_box() for el in page.locator(".react-flow__node").all()}


def intersect(a, b):
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_a_module_dropped_just_before_leaving_by_a_link_is_there_after_reload(page, owner, studio_server):
    experiment = open_canvas(page, studio_server, owner, "Quick leaver")
    drop(page, "split-data", 300, 120)
    page.get_by_test_id("nav-experiments").click()  # at once: no time for a timed autosave
    page.wait_for_url(f"{studio_server.url}/")
    assert saved_modules(experiment, 1, timeout=0) == ["split-data"]  # saved before the page was left
    page.goto(f"{studio_server.url}/experiments/{experiment.pk}/")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    expect(page.get_by_test_id("save-state")).to_have_text("Saved")


def test_leaving_by_the_address_bar_sends_the_last_edit_and_asks_first(page, owner, studio_server):
    experiment = open_canvas(page, studio_server, owner, "Address bar")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    drop(page, "split-data", 300, 120)
    page.goto(f"{studio_server.url}/datasets/")  # typed address: no link to wait on, the page just goes
    assert dialogs == ["beforeunload"]  # the browser asked, since the save was still pending
    assert saved_modules(experiment, 1) == ["split-data"]  # and the last graph arrived all the same


def test_deleting_a_connected_module_is_one_undo_step_and_saved(page, owner, studio_server):
    graph = {"nodes": [node("n1", "enter-data-manually", 80, 40, data="a\n1\n"),
                       node("n2", "select-columns-in-dataset", 80, 200, columns=["a"])],
             "edges": [edge("n1", "dataset", "n2", "dataset")]}
    experiment = open_canvas(page, studio_server, owner, "Undo delete", graph)
    page.get_by_test_id("node-n1").click()
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_count(0)

    page.get_by_test_id("undo-button").click()
    expect(page.locator(".react-flow__node")).to_have_count(2)
    expect(page.locator(".react-flow__edge")).to_have_count(1)  # one step brought back the module and its edge
    page.get_by_test_id("redo-button").click()
    expect(page.locator(".react-flow__node")).to_have_count(1)
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    expect(page.get_by_test_id("undo-button")).to_be_disabled()  # nothing else was recorded
    expect(page.get_by_test_id("save-state")).to_have_text("Saved")
    experiment.refresh_from_db()
    assert len(experiment.graph["nodes"]) == 2 and len(experiment.graph["edges"]) == 1


def test_copy_and_paste_a_connected_pair_gives_connected_copies_clear_of_the_originals_and_selected(
        page, owner, studio_server):
    graph = {"nodes": [node("n1", "enter-data-manually", 80, 40, data="a\n1\n"),
                       node("n2", "select-columns-in-dataset", 80, 160, columns=["a"]),
                       node("n3", "summarize-data", 420, 40)],
             "edges": [edge("n1", "dataset", "n2", "dataset")]}
    experiment = open_canvas(page, studio_server, owner, "Paste", graph)
    page.get_by_test_id("node-n1").click()
    page.get_by_test_id("node-n2").click(modifiers=["Control"])
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")

    expect(page.locator(".react-flow__node")).to_have_count(5)
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    selected = page.locator(".react-flow__node.selected")
    expect(selected).to_have_count(2)
    assert sorted(el.get_attribute("data-id") for el in selected.all()) == ["n4", "n5"]  # the copies, not n1 / n2
    placed = boxes(page)
    for copy in ("n4", "n5"):
        for other in ("n1", "n2", "n3"):
            assert not intersect(placed[copy], placed[other]), f"{copy} lies on {other}"
    assert placed["n5"]["y"] - placed["n4"]["y"] == pytest.approx(placed["n2"]["y"] - placed["n1"]["y"])
    expect(page.get_by_test_id("save-state")).to_have_text("Saved")
    experiment.refresh_from_db()
    assert edge("n4", "dataset", "n5", "dataset") in experiment.graph["edges"]

    page.get_by_test_id("undo-button").click()  # the paste was one action
    expect(page.locator(".react-flow__node")).to_have_count(3)
    expect(page.locator(".react-flow__edge")).to_have_count(1)


def test_an_edit_made_just_before_switching_to_the_linked_tab_is_kept(page, owner, studio_server):
    training = open_canvas(page, studio_server, owner, "Pair")
    predictive = Experiment.objects.create(workspace=owner.workspace, name="Pair [predictive exp.]",
                                           kind=Experiment.Kind.PREDICTIVE, training_experiment=training)
    page.reload()
    drop(page, "split-data", 300, 120)
    page.get_by_test_id("tab-predictive").click()  # the editor closes at once
    page.wait_for_url(f"**/experiments/{predictive.pk}/")
    assert saved_modules(training, 1) == ["split-data"]
    page.get_by_test_id("tab-training").click()
    expect(page.locator(".react-flow__node")).to_have_count(1)
