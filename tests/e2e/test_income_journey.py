"""The canvas journey of the engine issue's income experiment, by drag and drop only, in headless Chromium."""

import re

import pytest

from experiments.datasets import samples_load
from experiments.models import Dataset, Experiment
from tests.e2e.test_canvas_editing import drop, wire
from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ADULT = "Adult Census Income Binary Classification dataset"


def set_param(page, node_id, name, value):
    page.get_by_test_id(f"node-{node_id}").click()
    field = page.get_by_test_id(f"param-{name}")
    if isinstance(value, bool):
        field.set_checked(value)
    elif field.evaluate("el => el.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(str(value))
        field.blur()


def build_income(page, adult):
    """Drag the Adult dataset and the income experiment's modules in (nodes n1-n7), wire them with the mouse and set
    Clean Missing Data and Split Data; Train Model's label column is left to the caller."""
    page.get_by_test_id("palette-search").fill("adult")
    page.get_by_test_id(f"palette-dataset-{adult.pk}").drag_to(page.locator(".atelier-canvas__flow"),
                                                              target_position={"x": 200, "y": 30})
    page.get_by_test_id("palette-search").fill("")
    for module_id, x, y in [("clean-missing-data", 200, 120), ("split-data", 200, 210),
                            ("two-class-boosted-decision-tree", 470, 210), ("train-model", 330, 320),
                            ("score-model", 200, 430), ("evaluate-model", 200, 530)]:
        drop(page, module_id, x, y)
    assert page.locator(".react-flow__node").count() == 7
    for source, target in [("n1-out-dataset", "n2-in-dataset"), ("n2-out-cleaned_dataset", "n3-in-dataset"),
                           ("n4-out-untrained_model", "n5-in-untrained_model"), ("n3-out-results1", "n5-in-dataset"),
                           ("n5-out-trained_model", "n6-in-trained_model"), ("n3-out-results2", "n6-in-dataset"),
                           ("n6-out-scored_dataset", "n7-in-scored_dataset")]:
        wire(page, f"port-{source}", f"port-{target}")
    assert page.locator(".react-flow__edge").count() == 7

    set_param(page, "n2", "cleaning_mode", "Replace with mode")
    set_param(page, "n3", "fraction_of_rows_in_the_first_output_dataset", 0.7)
    set_param(page, "n3", "random_seed", 42)
    set_param(page, "n3", "stratified_split", True)
    set_param(page, "n3", "stratification_key_column", "income")


def read_auc(page, evaluate_node):
    """Open Evaluate Model's results as a user would and read the AUC off its table (the visualization stays open)."""
    page.get_by_test_id(f"node-{evaluate_node}").click()
    page.get_by_test_id(f"visualize-{evaluate_node}-evaluation_results").click()
    row = page.get_by_test_id("visualization").locator("tr", has=page.locator("td", has_text=re.compile(r"^AUC$")))
    return float(row.locator("td").nth(1).inner_text())


def test_build_the_income_experiment_by_drag_and_drop_run_it_and_read_the_auc(page, owner, studio_server, worker):
    samples_load([ADULT])
    adult = Dataset.objects.get(name=ADULT)
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Income by hand")
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{experiment.pk}/")

    build_income(page, adult)
    # The label column through the column selector: it lists the columns that reach Train Model.
    page.get_by_test_id("node-n5").click()
    page.get_by_test_id("column-selector-label_column").click()
    selector = page.get_by_test_id("column-selector")
    assert "age numeric" in selector.inner_text().replace("\n", " ")
    page.get_by_test_id("column-option-income").check()
    page.get_by_test_id("column-selector-done").click()
    assert page.get_by_test_id("param-label_column").input_value() == "income"

    page.get_by_test_id("run-button").click()
    for node_id in range(1, 8):
        page.wait_for_selector(f'[data-testid="node-n{node_id}"][data-status="finished"]', timeout=120000)

    assert read_auc(page, "n7") >= 0.90
    visualization = page.get_by_test_id("visualization")
    visualization.get_by_role("img", name="ROC").locator("svg").wait_for()
    assert visualization.get_by_role("img", name="Confusion matrix").locator("svg").count() == 1
    at_half = visualization.get_by_test_id("threshold-metrics").inner_text()
    accuracy = float(re.search(r"Accuracy ([\d.]+)", at_half).group(1))
    assert accuracy == pytest.approx(float(visualization.locator("tr", has=page.locator(
        "td", has_text=re.compile(r"^Accuracy$"))).locator("td").nth(1).inner_text()), abs=2e-3)
    visualization.get_by_test_id("threshold-slider").fill("0.9")
    assert visualization.get_by_test_id("threshold-metrics").inner_text() != at_half
