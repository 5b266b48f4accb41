"""A readable canvas, in headless Chromium: nodes say what they hold, ports say what they take and light up
while a connection is dragged, layouts never stack modules, the overview moves the view, and right-click
menus reach the usual actions by mouse or keyboard."""

import pytest
from playwright.sync_api import expect

from experiments.datasets import samples_load
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Dataset, Experiment
from tests.e2e.test_canvas_editing import centre
from tests.e2e.test_canvas_inspect import DATA, compare_graph
from tests.e2e.test_canvas_mount import sign_in
from tests.e2e.test_canvas_no_lost_work import boxes, intersect, open_canvas
from tests.experiments.helpers import run_now
from tests.experiments.test_runs import income_graph

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ADULT = "Adult Census Income Binary Classification dataset"


def no_two_intersect(page):
    placed = boxes(page)
    ids = sorted(placed)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if intersect(placed[a], placed[b])]


def test_nodes_name_the_dataset_they_read_and_summarise_their_parameters(page, owner, studio_server):
    samples_load([ADULT])
    adult = Dataset.objects.get(name=ADULT)
    graph = {"nodes": [node("n1", "dataset", 80, 40, dataset=adult.pk),
                       node("n2", "split-data", 80, 180, fraction_of_rows_in_the_first_output_dataset=0.7),
                       node("n3", "train-model", 80, 320, label_column=["income"])],
             "edges": [edge("n1", "dataset", "n2", "dataset")]}
    open_canvas(page, studio_server, owner, "Captions", graph)
    dataset = page.get_by_test_id("node-n1")
    expect(dataset.locator(".module-node__name")).to_have_text(ADULT)
    expect(page.get_by_test_id("summary-n1")).to_contain_text("Dataset")
    expect(page.get_by_test_id("summary-n2")).to_have_text("0.7, random seed 0")
    expect(page.get_by_test_id("summary-n3")).to_have_text("label: income")

    page.get_by_test_id("node-n2").click()  # the caption follows the properties pane
    page.get_by_test_id("param-random_seed").fill("42")
    page.get_by_test_id("param-random_seed").blur()
    expect(page.get_by_test_id("summary-n2")).to_have_text("0.7, random seed 42")


def test_ports_show_label_and_type_on_hover_and_take_a_wider_pointer(page, owner, studio_server):
    graph = {"nodes": [node("n1", "split-data", 80, 40)], "edges": []}
    open_canvas(page, studio_server, owner, "Ports", graph)
    port = page.get_by_test_id("port-n1-out-results1")
    label = port.locator(".port__label")
    expect(label).to_be_hidden()
    port.hover()
    expect(label).to_be_visible()
    expect(label).to_have_text("Results dataset1 (DataTable)")
    x, y = centre(page, "port-n1-out-results1")
    # 9 px from the port's centre is still the port (a 6 px dot was not), so it is easy to grab.
    hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('.react-flow__handle')?.dataset.handleid",
                        [x + 9, y])
    assert hit == "results1"


def test_dragging_from_an_output_lights_the_inputs_it_may_go_to_and_dims_the_rest(page, owner, studio_server):
    graph = {"nodes": [node("data", "enter-data-manually", 80, 40, data=DATA),
                       node("other", "enter-data-manually", 340, 40, data=DATA),
                       node("pick", "select-columns-in-dataset", 80, 200),
                       node("taken", "select-columns-in-dataset", 340, 200),
                       node("train", "train-model", 600, 200)],
             "edges": [edge("other", "dataset", "taken", "dataset")]}
    open_canvas(page, studio_server, owner, "Hints", graph)
    page.mouse.move(*centre(page, "port-data-out-dataset"))
    page.mouse.down()
    page.mouse.move(500, 400, steps=6)
    hint = lambda test_id: page.get_by_test_id(test_id).get_attribute("data-hint")  # noqa: E731
    assert hint("port-pick-in-dataset") == "compatible"
    assert hint("port-train-in-dataset") == "compatible"
    assert hint("port-train-in-untrained_model") == "incompatible"  # another type
    assert hint("port-taken-in-dataset") == "incompatible"  # already connected
    assert hint("port-other-out-dataset") == "incompatible"  # an output
    expect(page.get_by_test_id("port-pick-in-dataset").locator(".port__label")).to_be_visible()
    assert page.get_by_test_id("port-train-in-untrained_model").evaluate("el => getComputedStyle(el).opacity") < "0.5"
    page.mouse.move(*centre(page, "port-pick-in-dataset"), steps=6)
    page.mouse.up()
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    assert hint("port-pick-in-dataset") is None  # hints end with the drag


def test_auto_layout_leaves_no_two_modules_on_top_of_each_other(page, owner, studio_server):
    graph = compare_graph()
    graph["nodes"][2]["comment"] = "A baseline with a long comment that needs its own line on the node"
    open_canvas(page, studio_server, owner, "Layout", graph)  # every module at (0, 0)
    assert no_two_intersect(page) != []
    page.get_by_test_id("layout-button").click()
    expect(page.get_by_test_id("save-state")).to_have_text("Saved")
    assert no_two_intersect(page) == []


INCOME_SPOTS = {"data": (200, 30), "clean": (200, 120), "split": (200, 210), "learner": (470, 210),
                "train": (330, 320), "score": (200, 430), "evaluate": (200, 530)}  # as test_income_journey drops them


def test_set_up_web_service_leaves_no_two_modules_on_top_of_each_other(page, owner, studio_server):
    samples_load([ADULT])
    graph = income_graph(Dataset.objects.get(name=ADULT).pk)
    for each in graph["nodes"]:
        each["position"] = dict(zip("xy", INCOME_SPOTS[each["id"]], strict=True))
    training = Experiment.objects.create(workspace=owner.workspace, name="Income", graph=graph)
    run_now(owner.workspace, graph, experiment=training)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{training.pk}/")
    page.get_by_test_id("node-train").wait_for()
    assert no_two_intersect(page) == []

    page.get_by_test_id("setup-web-service-button").click()
    page.get_by_test_id("setup-predictive").click()
    page.get_by_test_id("node-web-service-output").wait_for()
    expect(page.locator(".react-flow__node")).to_have_count(7)
    assert no_two_intersect(page) == []
    summary = page.get_by_test_id("setup-summary").inner_text()
    assert "Train Model is replaced, with its learner Two-Class Boosted Decision Tree" in summary
    assert "(train)" not in summary and "(evaluate)" not in summary


def test_a_click_on_the_overview_moves_the_view_there(page, owner, studio_server):
    graph = {"nodes": [node("n1", "enter-data-manually", 0, 0), node("n2", "enter-data-manually", 3000, 2000)],
             "edges": []}
    open_canvas(page, studio_server, owner, "Far apart", graph)
    viewport = page.locator(".react-flow__viewport")
    minimap = page.locator(".react-flow__minimap")
    expect(minimap.locator(".react-flow__minimap-mask")).to_have_count(1)  # the view's frame is drawn
    page.locator(".react-flow__controls-zoomin").click()
    page.locator(".react-flow__controls-zoomin").click()
    before = viewport.get_attribute("style")
    box = minimap.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.85)
    expect(viewport).not_to_have_attribute("style", before)
    assert page.get_by_test_id("node-n2").is_visible()


def test_right_click_a_finished_module_to_visualize_or_by_keyboard_to_delete(page, owner, studio_server):
    graph = {"nodes": [node("data", "enter-data-manually", 80, 40, data=DATA),
                       node("pick", "select-columns-in-dataset", 80, 200, columns=["x", "y"])],
             "edges": [edge("data", "dataset", "pick", "dataset")]}
    experiment = open_canvas(page, studio_server, owner, "Menus", graph)
    run_now(owner.workspace, graph, experiment=experiment)
    page.reload()
    page.wait_for_selector('[data-testid="node-pick"][data-status="finished"]')

    page.get_by_test_id("node-pick").click(button="right")
    menu = page.get_by_test_id("context-menu")
    expect(menu.get_by_role("menuitem")).to_have_text(
        ["Visualize Results dataset", "Save Results dataset as Dataset…", "Run selected", "Copy", "Delete",
         "Edit comment…"])
    expect(page.get_by_test_id("menu-visualize-pick-results_dataset")).to_be_focused()
    page.get_by_test_id("menu-visualize-pick-results_dataset").click()
    visualization = page.get_by_test_id("visualization")
    visualization.get_by_text("60 rows, 2 columns").wait_for()
    assert "Select Columns in Dataset · Results dataset" in visualization.inner_text()
    expect(menu).to_have_count(0)
    visualization.get_by_role("button", name="Close").click()

    page.get_by_test_id("port-data-out-dataset").click(button="right")  # an output port's own menu
    expect(menu.get_by_role("menuitem")).to_have_text(["Visualize", "Save as Dataset…"])
    page.once("dialog", lambda dialog: dialog.accept("Colours, as entered"))
    page.get_by_test_id("menu-save-data-dataset").click()
    expect(page.get_by_test_id("canvas-status")).to_contain_text("saved as “Colours, as entered”")
    expect(page.get_by_test_id("palette").get_by_text("Colours, as entered")).to_be_visible()

    page.get_by_test_id("port-data-out-dataset").click(button="right")
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)

    page.get_by_test_id("node-pick").click(button="right")
    page.once("dialog", lambda dialog: dialog.accept("Keep x and y"))
    page.get_by_test_id("menu-comment").click()
    expect(page.get_by_test_id("node-pick").locator(".module-node__comment")).to_have_text("Keep x and y")

    page.get_by_test_id("node-pick").click(button="right")
    page.mouse.click(700, 600)  # a click elsewhere closes it too
    expect(menu).to_have_count(0)

    page.locator(".react-flow__node[data-id=pick]").focus()  # keyboard only: Shift+F10, arrows, Enter
    page.keyboard.press("Shift+F10")
    expect(menu).to_be_visible()
    page.keyboard.press("End")
    page.keyboard.press("ArrowUp")
    expect(page.get_by_test_id("menu-delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".react-flow__node")).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_count(0)


def test_choosing_between_two_trained_models_names_them_as_the_canvas_shows_them(page, owner, studio_server):
    training = Experiment.objects.create(workspace=owner.workspace, name="Two models", graph=compare_graph())
    run_now(owner.workspace, compare_graph(), experiment=training)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{training.pk}/")
    page.get_by_test_id("setup-web-service-button").click()
    page.get_by_test_id("setup-predictive").click()
    expect(page.get_by_test_id("canvas-status")).to_contain_text("trains 2 models (Train Model 1, Train Model 2)")
    choice = page.get_by_test_id("setup-choose-train2")
    expect(choice).to_have_text("Train Model (label: y) ← Two-Class Decision Forest, Split Data")
    choice.click()
    page.get_by_test_id("node-web-service-output").wait_for()
    assert "Two-Class Decision Forest" in page.get_by_test_id("setup-summary").inner_text()
