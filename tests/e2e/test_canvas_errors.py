"""Errors on the canvas, in headless Chromium: a failed module's message, traceback and output log in the page;
validation problems listed before Run, and Run saying what blocks it; the column selector fed by schema
inference on an experiment that has never run."""

import pytest
from playwright.sync_api import expect

from experiments.datasets import samples_load
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Dataset, Experiment
from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
ADULT = "Adult Census Income Binary Classification dataset"
DATA = "x,colour,y\n" + "".join(f"{i},{'red' if i % 3 else 'blue'},{i % 2}\n" for i in range(30))
FAILING_SCRIPT = """def azureml_main(dataframe1=None, dataframe2=None):
    print("rows seen:", len(dataframe1))
    print("about to divide")
    return dataframe1 / 0 if dataframe1 is None else 1 / 0
"""


def open_experiment(page, studio_server, owner, name, graph):
    experiment = Experiment.objects.create(workspace=owner.workspace, name=name, graph=graph)
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{experiment.pk}/")
    page.get_by_test_id("canvas").locator(".react-flow__node").first.wait_for()
    return experiment


def test_a_failed_modules_message_and_traceback_show_in_the_pane_and_its_output_log_has_what_it_printed(
        page, owner, studio_server, worker):
    graph = {"nodes": [node("data", "enter-data-manually", 80, 40, data=DATA),
                       node("py", "execute-python-script", 80, 200, python_script=FAILING_SCRIPT)],
             "edges": [edge("data", "dataset", "py", "dataframe1")]}
    open_experiment(page, studio_server, owner, "Failing script", graph)
    page.get_by_test_id("run-button").click()
    page.wait_for_selector('[data-testid="node-py"][data-status="failed"]', timeout=120000)

    page.get_by_test_id("node-py").click()
    pane = page.get_by_test_id("properties")
    expect(pane.get_by_test_id("node-error")).to_contain_text(
        "The Python script failed at line 4 of the script: ZeroDivisionError: division by zero")
    traceback = pane.get_by_test_id("node-traceback")
    expect(traceback).to_contain_text("Traceback (most recent call last):")
    expect(traceback).to_contain_text('File "script.py", line 4, in azureml_main')
    assert traceback.is_visible()

    pane.get_by_test_id("view-output-log-py").click()
    log = page.get_by_test_id("output-log")
    expect(log.get_by_test_id("output-log-entries")).to_contain_text("rows seen: 30")
    expect(log.get_by_test_id("output-log-entries")).to_contain_text("about to divide")
    expect(log.get_by_test_id("output-log-error")).to_contain_text("ZeroDivisionError")
    expect(log.get_by_test_id("output-log-timings")).to_contain_text("Duration")
    assert log.get_by_test_id("output-log-download").get_attribute("download") is not None
    log.get_by_role("button", name="Close the output log").click()
    expect(log).to_have_count(0)

    # From the node itself: its status badge opens the same log.
    page.get_by_test_id("status-py").click()
    expect(page.get_by_test_id("output-log")).to_contain_text("about to divide")


def test_a_missing_label_column_is_listed_before_run_and_run_says_what_blocks_it(page, owner, studio_server):
    graph = {"nodes": [node("data", "enter-data-manually", 80, 40, data=DATA),
                       node("split", "split-data", 80, 160), node("learner", "two-class-logistic-regression", 360, 160),
                       node("train", "train-model", 220, 300)],
             "edges": [edge("data", "dataset", "split", "dataset"), edge("split", "results1", "train", "dataset"),
                       edge("learner", "untrained_model", "train", "untrained_model")]}
    experiment = open_experiment(page, studio_server, owner, "No label yet", graph)
    message = ("The 'Label column' parameter of Train Model (node train) must name the column to predict; "
               "none is selected.")

    problems = page.get_by_test_id("properties").get_by_test_id("problems-list")
    expect(problems).to_contain_text("1 problem to fix before running")
    expect(problems).to_contain_text("Train Model (train)")
    expect(problems).to_contain_text(message)
    assert page.get_by_test_id("node-train").get_by_label(message).count() == 1  # the flag on the node

    page.get_by_test_id("run-button").click()
    expect(page.get_by_test_id("canvas-status")).to_contain_text("Run blocked: 1 problem to fix first")
    expect(page.locator(".react-flow__node.selected")).to_have_count(1)
    expect(page.locator(".react-flow__node.selected").get_by_test_id("node-train")).to_have_count(1)
    pane = page.get_by_test_id("properties")
    expect(pane.get_by_test_id("problems-list")).to_contain_text("Run is blocked by a problem")
    expect(pane.locator(".field--invalid")).to_contain_text(message)
    assert not experiment.runs.exists()

    # Fixing it from the pane clears the list.
    pane.get_by_test_id("column-selector-label_column").click()
    page.get_by_test_id("column-option-y").check()
    page.get_by_test_id("column-selector-done").click()
    page.get_by_test_id("save-button").click()
    expect(pane.get_by_test_id("problems-list")).to_have_count(0)
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    expect(page.get_by_test_id("no-problems")).to_be_visible()


def test_the_column_selector_lists_the_datasets_columns_on_an_experiment_that_never_ran(page, owner, studio_server):
    samples_load([ADULT])
    adult = Dataset.objects.get(name=ADULT)
    graph = {"nodes": [node("data", "dataset", 80, 40, dataset=adult.pk),
                       node("pick", "select-columns-in-dataset", 80, 160), node("split", "split-data", 360, 160),
                       node("learner", "two-class-boosted-decision-tree", 620, 160),
                       node("train", "train-model", 480, 300), node("score", "score-model", 480, 420),
                       node("after", "select-columns-in-dataset", 480, 540)],
             "edges": [edge("data", "dataset", "pick", "dataset"), edge("data", "dataset", "split", "dataset"),
                       edge("split", "results1", "train", "dataset"),
                       edge("learner", "untrained_model", "train", "untrained_model"),
                       edge("train", "trained_model", "score", "trained_model"),
                       edge("split", "results2", "score", "dataset"),
                       edge("score", "scored_dataset", "after", "dataset")]}
    experiment = open_experiment(page, studio_server, owner, "Never ran", graph)
    assert not experiment.runs.exists()
    columns = [c["name"] for c in adult.columns]

    page.get_by_test_id("node-pick").click()
    expect(page.get_by_test_id("columns-hint-columns")).to_have_text(f"{len(columns)} columns from Dataset (data)")
    page.get_by_test_id("column-selector-columns").click()
    available = page.get_by_test_id("column-selector-available")
    expect(available.locator("li")).to_have_count(len(columns))
    assert available.locator("li").all_inner_texts()[0].split()[0] == columns[0]
    page.get_by_test_id("column-option-age").check()
    page.get_by_test_id("column-option-education").check()
    expect(page.get_by_test_id("column-selector-selected").locator("li")).to_have_count(2)
    expect(available.locator("li")).to_have_count(len(columns) - 2)
    page.get_by_test_id("column-selector-with-rules").click()  # the rules view starts from the names picked
    page.get_by_test_id("column-selector-add-rule").click()
    page.get_by_test_id("column-rule-1-item-Numeric").check()
    expect(page.get_by_test_id("column-selector-preview")).to_contain_text("selected: age, fnlwgt, education")
    page.get_by_test_id("column-selector-done").click()
    assert page.get_by_test_id("param-columns").input_value().startswith("No columns; include names age, education")

    page.get_by_test_id("node-train").click()
    hint = page.get_by_test_id("columns-hint-label_column")
    expect(hint).to_have_text(f"{len(columns)} columns from Split Data (split)")
    page.get_by_test_id("column-selector-label_column").click()
    page.get_by_test_id("column-option-income").check()
    expect(page.get_by_test_id("column-selector-selected")).to_contain_text("income")
    page.get_by_test_id("column-selector-done").click()
    assert page.get_by_test_id("param-label_column").input_value() == "income"

    # After Score Model nothing can be inferred: the selector says why, and takes typed names.
    page.get_by_test_id("node-after").click()
    reason = "Score Model (score) makes its columns only when it runs"
    expect(page.get_by_test_id("columns-hint-columns")).to_contain_text(reason)
    page.get_by_test_id("column-selector-columns").click()
    expect(page.get_by_test_id("column-selector-unknown")).to_contain_text(reason)
    page.get_by_test_id("column-selector-typed").fill("Scored Labels, income")
    page.get_by_test_id("column-selector-typed-done").click()
    assert page.get_by_test_id("param-columns").input_value() == "Scored Labels, income"
