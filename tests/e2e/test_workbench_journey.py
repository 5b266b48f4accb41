"""The acceptance journey of issue 15, in headless Chromium against the real server and worker: everything a new
user does is done in the page, by mouse and keyboard. Build the income experiment by drag and drop (plus a Python
script that fails), fix a validation problem, read a failure and its output log, fix it and read the AUC; set up,
run and deploy the predictive web service and call it from its Test form; then set up, run and deploy the
retraining service, add an endpoint, upload training data, run the batch job and put its model on that endpoint.

The database and files are read only to check outcomes; the set-up (the sample dataset, an empty experiment, the
user) is what the other e2e tests start from."""

import re

import pytest
from playwright.sync_api import expect

from experiments.datasets import samples_load
from experiments.models import Dataset, Experiment
from tests.e2e.test_canvas_editing import drop, toolbar_control, wire
from tests.e2e.test_canvas_errors import FAILING_SCRIPT
from tests.e2e.test_canvas_mount import sign_in
from tests.e2e.test_income_journey import ADULT, build_income, read_auc, set_param
from tests.webservices.test_studio_jobs import training_csv
from webservices.models import Endpoint, WebService

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
FIXED_SCRIPT = FAILING_SCRIPT.replace("    return dataframe1 / 0 if dataframe1 is None else 1 / 0\n",
                                      "    return dataframe1,\n")
LABEL_PROBLEM = ("The 'Label column' parameter of Train Model (node n5): Column 'Income' not found in the input "
                 "(it has 15 columns); the input has 'income' (column names are case-sensitive).")
WORKER = 240_000  # ms: generous, for anything that waits on the (shared, busy) worker
SERVER = 30_000  # ms: for what waits on the server's work (saving assets, storing a file, patching an endpoint)
SCORED = re.compile(r"^(<=50K|>50K)$")


def toolbar(page, test_id):
    toolbar_control(page, test_id).click()


def run_to_the_end(page, node):
    """Run; wait for `node` (one with no finished state before) to finish, then for the run it belongs to to end. (The
    status line may show an earlier run's end until the new run starts: its number is only known from the node's.)"""
    toolbar(page, "run-button")
    expect(node).to_have_attribute("data-status", "finished", timeout=WORKER)
    status = page.get_by_test_id("canvas-status")
    run = re.search(r"Run (\d+):", status.inner_text()).group(1)
    expect(status).to_contain_text(f"Run {run}: finished", timeout=WORKER)


def run_and_deploy(page, node):
    """Run the experiment shown (see run_to_the_end) and Deploy it: the web service's page."""
    run_to_the_end(page, node)
    toolbar(page, "deploy-button")
    page.wait_for_url(re.compile(r"/web-services/\d+/$"))
    return WebService.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


def open_service(page, service):
    """From any studio page: Web Services, then the service's name in the list."""
    page.get_by_test_id("nav-web-services").click()
    page.get_by_test_id("web-services-list").locator(f'a[href="/web-services/{service.pk}/"]').click()
    expect(page.get_by_test_id("web-service-name")).to_have_text(service.name)


def answer_from_the_test_form(page):
    """Score one person with the endpoint page's Test form (a categorical column picked from its list): the answer
    table has a Scored Labels value; returns the Scored Probabilities shown."""
    workclass = page.get_by_test_id("test-input-workclass")
    assert workclass.evaluate("field => field.tagName") == "SELECT"
    workclass.select_option("Private")
    page.get_by_test_id("test-input-age").fill("45")
    page.get_by_test_id("test-submit").click()
    rows = page.get_by_test_id("test-answer-output1").locator("tbody tr")
    expect(rows.nth(0).locator("th")).to_have_text("Scored Labels", timeout=SERVER)
    expect(rows.nth(0).locator("td")).to_have_text(SCORED)
    expect(rows.nth(1).locator("th")).to_have_text("Scored Probabilities")
    return float(rows.nth(1).locator("td").inner_text())


def build_with_a_failing_script(page, adult):
    """Step 1: the income experiment (n1-n7) and an Execute Python Script (n8) fed by the dataset."""
    build_income(page, adult)
    drop(page, "execute-python-script", 470, 100)
    wire(page, "port-n1-out-dataset", "port-n8-in-dataframe1")
    expect(page.locator(".react-flow__edge")).to_have_count(8)
    set_param(page, "n8", "python_script", FAILING_SCRIPT)


def fix_a_mistyped_label(page, training):
    """Step 2: a label column typed wrong ("Income"): the problems list names Train Model's label column, Run refuses
    to start, the column selector fixes it. (Left empty, the label would be the column the sample marks as Label.)"""
    set_param(page, "n5", "label_column", "Income")
    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    pane = page.get_by_test_id("properties")
    problems = pane.get_by_test_id("problems-list")
    expect(problems).to_contain_text("1 problem to fix before running", timeout=SERVER)
    expect(problems).to_contain_text("Train Model (n5)")
    expect(problems).to_contain_text(LABEL_PROBLEM)
    toolbar(page, "run-button")
    expect(page.get_by_test_id("canvas-status")).to_contain_text("Run blocked: 1 problem to fix first")
    expect(page.locator(".react-flow__node.selected").get_by_test_id("node-n5")).to_have_count(1)
    expect(pane.get_by_test_id("problems-list")).to_contain_text("Run is blocked by a problem")
    expect(pane.locator(".field--invalid")).to_contain_text(LABEL_PROBLEM)
    assert not training.runs.exists()

    pane.get_by_test_id("column-selector-label_column").click()
    page.get_by_test_id("column-option-income").check()
    page.get_by_test_id("column-selector-done").click()
    expect(pane.get_by_test_id("param-label_column")).to_have_value("income")
    expect(pane.get_by_test_id("problems-list")).to_have_count(0, timeout=SERVER)


def read_the_failure_and_fix_it(page, adult):
    """Step 3: the script fails; its message, traceback and output log are in the page; fixed, the run finishes."""
    toolbar(page, "run-button")
    page.wait_for_selector('[data-testid="node-n8"][data-status="failed"]', timeout=WORKER)
    page.get_by_test_id("node-n8").click()
    pane = page.get_by_test_id("properties")
    expect(pane.get_by_test_id("node-error")).to_contain_text(
        "The Python script failed at line 4 of the script: ZeroDivisionError: division by zero")
    expect(pane.get_by_test_id("node-traceback")).to_contain_text('File "script.py", line 4, in azureml_main')
    pane.get_by_test_id("view-output-log-n8").click()
    log = page.get_by_test_id("output-log")
    expect(log.get_by_test_id("output-log-entries")).to_contain_text(f"rows seen: {adult.rows}")
    expect(log.get_by_test_id("output-log-entries")).to_contain_text("about to divide")
    expect(log.get_by_test_id("output-log-error")).to_contain_text("ZeroDivisionError")
    log.get_by_role("button", name="Close the output log").click()

    set_param(page, "n8", "python_script", FIXED_SCRIPT)
    run_to_the_end(page, page.get_by_test_id("node-n8"))
    statuses = [page.get_by_test_id(f"node-n{n}").get_attribute("data-status") for n in range(1, 9)]
    assert set(statuses) <= {"finished", "cached"} and statuses[7] == "finished", statuses
    assert read_auc(page, "n7") >= 0.90
    page.get_by_test_id("visualization").get_by_role("button", name="Close").click()


def test_build_fix_run_deploy_test_and_retrain_the_income_model_all_in_the_page(page, owner, studio_server, worker,
                                                                                 tmp_path):
    samples_load([ADULT])
    adult = Dataset.objects.get(name=ADULT)
    training = Experiment.objects.create(workspace=owner.workspace, name="Income by hand")
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/experiments/{training.pk}/")

    build_with_a_failing_script(page, adult)
    fix_a_mistyped_label(page, training)
    read_the_failure_and_fix_it(page, adult)

    # 4. Set Up Web Service -> Predictive: the second tab; run it and deploy it.
    toolbar(page, "setup-web-service-button")
    page.get_by_test_id("setup-predictive").click()
    expect(page.get_by_test_id("tab-predictive")).to_have_attribute("aria-selected", "true", timeout=SERVER)
    expect(page.get_by_test_id("setup-summary")).to_contain_text("Execute Python Script")
    page.get_by_test_id("setup-summary").get_by_role("button", name="Dismiss summary").click()
    predictive = run_and_deploy(page, page.get_by_test_id("node-web-service-output"))
    assert predictive.experiment.kind == "predictive"

    # 5. Its endpoint page: the typed Test form answers with a Scored Labels value, and the call is in Usage.
    page.get_by_test_id("endpoint-link-default").click()
    deployed_score = answer_from_the_test_form(page)
    expect(page.get_by_test_id("usage-summary")).to_contain_text("1 of them from the Test form", timeout=SERVER)

    # 6. Retraining: set up, run and deploy from the training tab ...
    page.get_by_test_id("nav-experiments").click()
    page.get_by_role("link", name="Income by hand", exact=True).click()
    expect(page.get_by_test_id("tab-training")).to_have_attribute("aria-selected", "true")
    toolbar(page, "setup-web-service-button")
    page.get_by_test_id("setup-retraining").click()
    expect(page.get_by_test_id("setup-summary")).to_contain_text("added", timeout=SERVER)
    page.get_by_test_id("setup-summary").get_by_role("button", name="Dismiss summary").click()
    added_output = page.locator(".react-flow__node", has_text="Web service output").first
    retraining = run_and_deploy(page, added_output.get_by_test_id(re.compile(r"^node-")))
    assert retraining.experiment_id == training.pk

    # ... a non-default endpoint on the predictive service ...
    open_service(page, predictive)
    page.get_by_test_id("add-endpoint").locator("summary").click()
    page.get_by_test_id("new-endpoint-name").fill("retrained")
    page.get_by_test_id("add-endpoint-submit").click()
    page.get_by_test_id("endpoint-retrained").wait_for()

    # ... training data uploaded on the retraining service's page, the batch job watched to Finished ...
    open_service(page, retraining)
    data = tmp_path / "adult-retrain.csv"
    data.write_bytes(training_csv(3000))
    page.get_by_test_id("upload-file").set_input_files(str(data))
    expect(page.get_by_test_id("upload-location")).to_have_value("training/adult-retrain.csv")
    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("upload-status")).to_contain_text("Uploaded training/adult-retrain.csv",
                                                               timeout=SERVER)
    expect(page.get_by_test_id("job-input")).to_have_value("training/adult-retrain.csv")
    page.get_by_test_id("job-submit").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Finished", timeout=WORKER)
    expect(page.get_by_test_id("job-details")).to_have_text("Trained on 3000 rows.")

    # ... and its model applied to the new endpoint, which now serves it.
    target = page.get_by_test_id("apply-target")
    expect(target.locator("option:not([disabled])")).to_have_count(1, timeout=SERVER)
    assert target.locator("option:not([disabled])").inner_text().startswith("retrained — ")
    page.get_by_test_id("apply-submit").click()
    expect(page.get_by_test_id("applied-endpoint")).to_have_text("retrained", timeout=SERVER)
    history = page.get_by_test_id("apply-history").locator("tbody tr")
    expect(history).to_have_count(2)
    expect(history.nth(0).locator("td").nth(1)).to_have_text("patch (serving)")
    job = retraining.endpoints.get().jobs.get()
    model = next(v for v in job.outputs.values() if v.endswith(".ilearner"))
    expect(history.nth(0).locator("td").nth(2)).to_have_text(model)

    page.get_by_test_id("applied-endpoint").click()
    expect(page.get_by_test_id("version-patch-active")).to_be_visible()
    assert answer_from_the_test_form(page) != deployed_score  # the same person, scored by the retrained model
    endpoint = Endpoint.objects.get(service=predictive, name="retrained")
    assert endpoint.resource_versions.get(active=True).how == "patch"
