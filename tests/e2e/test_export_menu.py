"""Export as code from the canvas toolbar, in headless Chromium: before a run the menu says to run first; after
one, the Python script, the Jupyter notebook and the MLflow model download."""

import io
import json
import os
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.test_canvas_editing import toolbar_control
from tests.e2e.test_canvas_no_lost_work import open_canvas
from tests.experiments.helpers import run_now
from tests.experiments.test_export import notebook_code, sample, training_graph

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_export_menu_downloads_the_script_notebook_and_mlflow_model_of_a_finished_run(page, owner, studio_server):
    page.set_viewport_size({"width": 1024, "height": 700})
    iris = sample("Iris Multiclass Data")
    graph = training_graph(iris.pk, "multiclass-logistic-regression", "Class")
    experiment = open_canvas(page, studio_server, owner, "Iris export", graph)

    # at the smallest size the menu may sit in the toolbar's More menu; the refusal shows in view either way
    toolbar_control(page, "export-menu").select_option("python")
    refusal = page.get_by_test_id("canvas-status")
    expect(refusal).to_contain_text(
        "Export as code: Run the experiment first: export writes the code of a finished run.")
    expect(refusal).to_be_in_viewport()
    unfolded = page.get_by_test_id("status-full")  # cut on one line at this size: it unfolds by itself, whole
    if page.get_by_test_id("status-unfold").is_visible():
        expect(unfolded).to_contain_text("Run the experiment first: export writes the code of a finished run.")
        expect(unfolded).to_be_in_viewport()
    if os.environ.get("ATELIER_SCREENSHOTS"):  # to look at
        page.screenshot(path=f"{os.environ['ATELIER_SCREENSHOTS']}/export-refused-1024.png")
    page.set_viewport_size({"width": 1600, "height": 900})

    run_now(owner.workspace, experiment.graph, experiment=experiment)
    page.reload()
    page.wait_for_selector('[data-testid="node-score"][data-status="finished"]')
    with page.expect_download() as caught:
        page.get_by_test_id("export-menu").select_option("python")
    script = caught.value
    assert script.suggested_filename == "iris_export.py"
    text = open(script.path(), encoding="utf-8").read()
    assert "def multiclass_logistic_regression_learner():" in text and "def main(argv=None):" in text
    expect(page.get_by_test_id("canvas-status")).to_contain_text("Exported iris_export.py")

    with page.expect_download() as caught:
        page.get_by_test_id("export-menu").select_option(label="Jupyter notebook (.ipynb)")
    notebook = caught.value
    assert notebook.suggested_filename == "iris_export.ipynb"
    code = notebook_code(json.loads(open(notebook.path(), encoding="utf-8").read()))
    assert "def multiclass_logistic_regression_learner():" in code and "input_files = {" in code
    expect(page.get_by_test_id("canvas-status")).to_contain_text("Exported iris_export.ipynb")

    with page.expect_download() as caught:
        page.get_by_test_id("export-menu").select_option("mlflow")
    model = caught.value
    assert model.suggested_filename == "iris_export-mlflow.zip"
    with zipfile.ZipFile(io.BytesIO(open(model.path(), "rb").read())) as archive:
        assert "iris_export/MLmodel" in archive.namelist()
