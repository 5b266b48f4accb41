"""Inspecting and reusing results on the canvas: column rules, two models compared side by side, Save as
Trained Model into the palette, and the keyboard path through palette, toolbar and properties."""

import os

import pytest
from playwright.sync_api import expect

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Asset, Experiment
from tests.e2e.test_canvas_mount import sign_in
from tests.experiments.helpers import run_now

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ROWS = "".join(f"{i},{'red' if i % 3 else 'blue'},{(i * 7) % 11},{int(i % 3 == 0 or i % 7 == 0)}\n" for i in range(60))
DATA = "x,colour,z,y\n" + ROWS


def compare_graph():
    return {"nodes": [node("data", "enter-data-manually", data=DATA),
                      node("split", "split-data", fraction_of_rows_in_the_first_output_dataset=0.6, random_seed=1),
                      node("lr", "two-class-logistic-regression"), node("tree", "two-class-decision-forest"),
                      node("train1", "train-model", label_column=["y"]),
                      node("train2", "train-model", label_column=["y"]),
                      node("score1", "score-model"), node("score2", "score-model"), node("evaluate", "evaluate-model")],
            "edges": [edge("data", "dataset", "split", "dataset"),
                      edge("lr", "untrained_model", "train1", "untrained_model"),
                      edge("tree", "untrained_model", "train2", "untrained_model"),
                      edge("split", "results1", "train1", "dataset"), edge("split", "results1", "train2", "dataset"),
                      edge("train1", "trained_model", "score1", "trained_model"),
                      edge("train2", "trained_model", "score2", "trained_model"),
                      edge("split", "results2", "score1", "dataset"), edge("split", "results2", "score2", "dataset"),
                      edge("score1", "scored_dataset", "evaluate", "scored_dataset"),
                      edge("score2", "scored_dataset", "evaluate", "scored_dataset_to_compare")]}


def open_laid_out(page, studio_server, owner, name, graph=None):
    """Sign in, open a new experiment with the two-model graph, and auto-layout it so nodes don't overlap."""
    experiment = Experiment.objects.create(workspace=owner.workspace, name=name, graph=graph or compare_graph())
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{experiment.pk}/")
    page.get_by_test_id("layout-button").click()
    return experiment


def test_column_rules_select_by_type_and_kind_with_a_live_preview(page, owner, studio_server, worker):
    graph = {"nodes": [node("data", "enter-data-manually", data=DATA), node("pick", "select-columns-in-dataset")],
             "edges": [edge("data", "dataset", "pick", "dataset")]}
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Rules", graph=graph)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{experiment.pk}/")
    page.get_by_test_id("node-pick").click()
    page.get_by_test_id("column-selector-columns").click()
    page.get_by_test_id("column-selector-with-rules").click()
    page.get_by_test_id("column-selector-begin").select_option("all")
    assert page.get_by_test_id("column-selector-preview").inner_text().startswith("4 of 4 selected")
    page.get_by_test_id("column-selector-add-rule").click()
    page.get_by_test_id("column-rule-0-action").select_option("exclude")
    page.get_by_test_id("column-rule-0-item-String").check()
    page.get_by_test_id("column-rule-0-item-Categorical").check()
    assert page.get_by_test_id("column-selector-preview").inner_text() == "3 of 4 selected: x, z, y"
    page.get_by_test_id("column-selector-add-rule").click()
    page.get_by_test_id("column-rule-1-action").select_option("exclude")
    page.get_by_test_id("column-rule-1-item-z").wait_for(state="detached")  # by type lists types, not names
    page.get_by_test_id("column-rule-1-by").select_option("names")
    page.get_by_test_id("column-rule-1-item-z").check()
    assert page.get_by_test_id("column-selector-preview").inner_text() == "2 of 4 selected: x, y"
    page.get_by_test_id("column-selector-done").click()
    assert page.get_by_test_id("param-columns").input_value() == (
        "All columns; exclude type String, Categorical; exclude names z")

    page.get_by_test_id("run-button").click()
    page.wait_for_selector('[data-testid="node-pick"][data-status="finished"]', timeout=60000)
    experiment.refresh_from_db()
    assert experiment.graph["nodes"][1]["params"]["columns"]["begin_with"] == "all"
    page.get_by_test_id("visualize-pick-results_dataset").click()
    page.get_by_test_id("visualization").get_by_text("60 rows, 2 columns").wait_for()


def test_two_models_side_by_side_then_save_one_and_add_it_from_the_palette_by_keyboard(page, owner, studio_server):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Compare", graph=compare_graph())
    run_now(owner.workspace, compare_graph(), experiment=experiment)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{experiment.pk}/")
    page.get_by_test_id("layout-button").click()
    page.get_by_test_id("node-evaluate").click()
    page.get_by_test_id("visualize-evaluate-evaluation_results").click()
    panels = page.get_by_test_id("visualization").locator(".evaluation")
    panels.nth(1).wait_for()
    assert panels.count() == 2
    assert all("AUC" in panels.nth(i).inner_text() for i in range(2))
    # maximised, the panel covers the window (panes and toolbar too); Escape gives the graph back its place
    panel = page.get_by_test_id("visualization")
    floating = panel.bounding_box()
    page.get_by_test_id("visualization-maximise").click()
    viewport = page.viewport_size
    page.wait_for_function("() => document.querySelector('.visualization--maximised') !== null")
    covering = panel.bounding_box()
    assert covering["x"] <= 8 and covering["y"] <= 8, covering
    assert covering["width"] >= viewport["width"] - 16 and covering["height"] >= viewport["height"] - 16, covering
    assert covering["width"] * covering["height"] > 1.5 * floating["width"] * floating["height"]
    if os.environ.get("ATELIER_SCREENSHOTS"):  # to look at
        page.screenshot(path=f"{os.environ['ATELIER_SCREENSHOTS']}/visualization-maximised.png")
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('.visualization--maximised') === null")
    restored = panel.bounding_box()
    assert (restored["x"], restored["width"]) == (floating["x"], floating["width"])
    assert restored["height"] < viewport["height"] - 16
    panel.get_by_role("button", name="Close").click()

    page.get_by_test_id("node-train2").click()
    page.get_by_test_id("save-output-train2-trained_model").click()
    page.get_by_test_id("save-output-name-train2-trained_model").fill("Forest for colours")
    page.keyboard.press("Enter")
    expect_text = "Save as Trained Model — saved as “Forest for colours”"
    page.get_by_text(expect_text).wait_for()
    asset = Asset.objects.get(name="Forest for colours")

    page.get_by_test_id("palette-search").fill("forest for")
    item = page.get_by_test_id(f"palette-trained-model-{asset.pk}")
    assert item.is_visible() and page.get_by_role("heading", name="Trained Models").is_visible()
    item.focus()
    page.keyboard.press("Enter")
    added = page.locator(".react-flow__node").nth(9)
    added.wait_for()
    added.click()
    assert page.get_by_test_id("param-trained_model").input_value() == str(asset.pk)


def test_palette_toolbar_and_properties_are_keyboard_operable_with_labels(page, owner, studio_server):
    open_laid_out(page, studio_server, owner, "Keys")
    page.get_by_test_id("node-split").click()
    unlabeled = page.evaluate("""() => [...document.querySelectorAll(
        '[data-testid=palette] :is(button,input,select), [role=toolbar] :is(button,input,select),'
        + '[data-testid=properties] :is(button,input,select,textarea)')]
      .filter(el => !(el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.length
                      || el.closest('label') || el.title))
      .map(el => el.outerHTML.slice(0, 80))""")
    assert unlabeled == []

    page.get_by_test_id("palette-search").focus()
    page.keyboard.type("split data")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.dataset.testid")
    assert focused == "palette-item-split-data"
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none"
    before = page.locator(".react-flow__node").count()
    page.keyboard.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(before + 1)
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__node")).to_have_count(before)

    page.get_by_test_id("save-button").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("save-state")).to_have_text("Saved")
    expect(page.get_by_test_id("canvas-status")).not_to_contain_text("Saved")  # said once, not twice


def test_back_and_forward_move_between_the_linked_tabs_without_a_reload(page, owner, studio_server):
    training = Experiment.objects.create(workspace=owner.workspace, name="Trainer", graph=compare_graph())
    predictive = Experiment.objects.create(workspace=owner.workspace, name="Trainer [predictive exp.]",
                                           kind=Experiment.Kind.PREDICTIVE, training_experiment=training)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{training.pk}/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_test_id("tab-predictive").click()
    page.wait_for_url(f"**/experiments/{predictive.pk}/")
    page.go_back()
    page.get_by_test_id("node-evaluate").wait_for()
    assert page.get_by_test_id("tab-training").get_attribute("aria-selected") == "true"
    page.go_forward()
    expect(page.get_by_test_id("tab-predictive")).to_have_attribute("aria-selected", "true")
    assert page.evaluate("window.__sameDocument") is True


def test_a_parameter_is_set_as_a_web_service_parameter_from_the_properties_pane(page, owner, studio_server):
    experiment = open_laid_out(page, studio_server, owner, "Params")
    page.get_by_test_id("node-split").click()
    page.once("dialog", lambda dialog: dialog.accept("Training share"))
    page.get_by_test_id("expose-fraction_of_rows_in_the_first_output_dataset").click()
    badge = page.get_by_test_id("web-parameter-fraction_of_rows_in_the_first_output_dataset")
    assert badge.inner_text().startswith("Web service parameter “Training share”")
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-state")).to_have_text("Saved")
    experiment.refresh_from_db()
    assert experiment.graph["web_service_parameters"] == [
        {"name": "Training share", "node": "split", "parameter": "fraction_of_rows_in_the_first_output_dataset",
         "default": 0.6}]
    badge.get_by_role("button").click()
    assert page.get_by_test_id("expose-fraction_of_rows_in_the_first_output_dataset").is_visible()
