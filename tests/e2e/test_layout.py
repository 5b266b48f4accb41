"""The studio fits the window: at 1024x700, 1440x900 and 1920x1080 every page and every canvas state keeps the
app shell inside the viewport, never scrolls sideways, and keeps the canvas toolbar to one line.

Set ATELIER_LAYOUT_SHOTS=/some/dir to also save a screenshot of every state (for looking, not asserting)."""

import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from experiments.assets import output_save
from experiments.datasets import dataset_upload, samples_load
from experiments.models import Dataset, Experiment
from experiments.setup import setup_web_service
from studio import storage
from tests.e2e.test_canvas_editing import toolbar_control
from tests.e2e.test_canvas_inspect import compare_graph
from tests.e2e.test_canvas_mount import sign_in
from tests.e2e.test_canvas_readable import ADULT, INCOME_SPOTS
from tests.experiments.helpers import run_now
from tests.experiments.test_runs import income_graph
from webservices.services import deploy

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SIZES = [(1024, 700), (1440, 900), (1920, 1080)]
ONE_LINE = 48  # px: a toolbar of one row of buttons; two rows would be ~70
NAME = "Income prediction — two learners compared on the census sample, tuned for recall"
WIDE = ",".join(f"measurement_{i:02d}_of_the_household_survey" for i in range(24))

# What lies outside the viewport. `parts` must be wholly inside it (they are the shell: the user can't scroll to
# them); any other visible element must not stick out sideways unless a scrolling box (a wide table's) clips it.
MEASURE = """(parts) => {
  const W = window.innerWidth, H = window.innerHeight, out = [];
  const box = (el) => el.getBoundingClientRect();
  const shown = (el) => {
    const b = box(el);
    return b.width > 0 && b.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const where = (el) => el.dataset.testid || el.className || el.tagName;
  for (const [name, selector] of Object.entries(parts)) {
    const found = [...document.querySelectorAll(selector)].filter(shown);
    if (!found.length) { out.push(`${name}: not shown`); continue; }
    for (const el of found) {
      const b = box(el);
      if (b.left < -0.5 || b.top < -0.5 || b.right > W + 0.5 || b.bottom > H + 0.5)
        out.push(`${name} (${where(el)}) at x ${Math.round(b.left)}-${Math.round(b.right)}, ` +
                 `y ${Math.round(b.top)}-${Math.round(b.bottom)} is outside ${W}x${H}`);
    }
  }
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body && a !== document.documentElement; a = a.parentElement)
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    return false;
  };
  const sticking = [...document.body.querySelectorAll('*')].filter(
    (el) => shown(el) && (box(el).right > W + 0.5 || box(el).left < -0.5) && !clipped(el));
  for (const el of sticking.slice(0, 5))
    out.push(`${el.tagName.toLowerCase()} "${(el.innerText || '').slice(0, 40)}" sticks out to ` +
             `x ${Math.round(box(el).right)}`);
  const root = document.documentElement;
  if (root.scrollWidth > W) out.push(`the page scrolls sideways: scrollWidth ${root.scrollWidth} > ${W}`);
  if (window.scrollX !== 0) out.push(`the page is scrolled sideways by ${window.scrollX}px`);
  return out;
}"""

# After focus moved: nothing between the focused control and the window was scrolled sideways to show it.
SHIFTED = """() => {
  const out = [];
  if (window.scrollX !== 0) out.push(`window.scrollX ${window.scrollX}`);
  for (let el = document.activeElement; el; el = el.parentElement)
    if (el.scrollLeft !== 0) out.push(`${el.dataset.testid || el.className || el.tagName} scrollLeft ${el.scrollLeft}`);
  const b = document.activeElement.getBoundingClientRect();
  if (b.right > window.innerWidth + 0.5) out.push(`the focused field ends at x ${Math.round(b.right)}`);
  return out;
}"""

CANVAS_PARTS = {"top bar": ".topbar", "toolbar": "[role=toolbar]", "palette": "[data-testid=palette]",
                "canvas area": ".atelier-canvas__flow", "properties pane": "[data-testid=properties]"}


class Walk:
    """Visits states at one window size, collecting every problem (so one run lists them all)."""

    def __init__(self, page, size):
        self.page, self.size, self.problems = page, size, []
        page.set_viewport_size({"width": size[0], "height": size[1]})

    def check(self, state, parts):
        label = f"{self.size[0]}x{self.size[1]} {state}"
        self.problems += [f"{label}: {problem}" for problem in self.page.evaluate(MEASURE, parts)]
        shots = os.environ.get("ATELIER_LAYOUT_SHOTS")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=f"{shots}/{self.size[0]}x{self.size[1]}-{state.replace(' ', '-')}.png")

    def toolbar_height(self):
        return self.page.get_by_role("toolbar").bounding_box()["height"]

    def one_line_toolbar(self, state):
        height = self.toolbar_height()
        if height > ONE_LINE:
            self.problems.append(f"{self.size[0]}x{self.size[1]} {state}: the toolbar is {height:.0f}px high")
        return height

    def minimap_clear(self, state):
        """The graph as fitted: no module starts under the overview (minimap) or the zoom buttons in the corners."""
        covered = self.page.evaluate("""() => [
            ...document.querySelectorAll('.react-flow__minimap, .react-flow__controls')].flatMap((part) => {
                const map = part.getBoundingClientRect();
                return [...document.querySelectorAll('.react-flow__node')].filter((node) => {
                    const box = node.getBoundingClientRect();
                    return box.right > map.left && box.left < map.right && box.bottom > map.top && box.top < map.bottom;
                }).map((node) => `${node.dataset.id} under the `
                                 + (part.matches('.react-flow__minimap') ? 'minimap' : 'zoom buttons'));
            })""")
        if covered:
            self.problems.append(f"{self.size[0]}x{self.size[1]} {state}: {covered}")

    def control(self, test_id):
        """A toolbar control, opening the toolbar's overflow menu when it is there rather than in the bar."""
        return toolbar_control(self.page, test_id)


def trained_experiment(owner):
    """A training experiment with two learners (so Set Up asks which one) and a finished run."""
    graph = compare_graph()
    rows = [["data"], ["split", "lr", "tree"], ["train1", "train2"], ["score1", "score2"], ["evaluate"]]
    places = {node: (x, y) for y, row in enumerate(rows) for x, node in enumerate(row)}
    for node in graph["nodes"]:
        node["position"] = {"x": 60 + 230 * places[node["id"]][0], "y": 40 + 110 * places[node["id"]][1]}
    experiment = Experiment.objects.create(workspace=owner.workspace, name=NAME, graph=graph)
    return experiment, run_now(owner.workspace, experiment.graph, experiment=experiment)


def tab_through_properties(walk, state):
    page = walk.page
    page.get_by_test_id("node-comment").focus()
    for _ in range(12):
        inside = page.evaluate("!!document.activeElement.closest('[data-testid=properties]')")
        if not inside:
            break
        walk.problems += [f"{walk.size[0]}x{walk.size[1]} {state}, tabbing: {p}" for p in page.evaluate(SHIFTED)]
        page.keyboard.press("Tab")


def walk_canvas(walk, server, training, run):
    page = walk.page
    page.goto(f"{server.url}/experiments/{training.pk}/")
    page.get_by_test_id("node-train1").wait_for()
    page.get_by_test_id("run-button").wait_for()
    walk.check("canvas", CANVAS_PARTS)
    walk.minimap_clear("canvas")
    quiet = walk.one_line_toolbar("canvas")
    more = page.get_by_test_id("toolbar-more")
    if more.is_visible():  # commands that don't fit are in the More menu, which opens inside the window
        more.click()
        walk.check("more menu", {**CANVAS_PARTS, "more menu": ".toolbar__more"})
        page.keyboard.press("Escape")

    page.get_by_test_id("node-train1").click()
    page.get_by_test_id("param-label_column").wait_for()
    page.get_by_test_id("column-selector-label_column").scroll_into_view_if_needed()
    selector_button = "[data-testid=column-selector-label_column]"
    walk.check("node selected", {**CANVAS_PARTS, "column-selector button": selector_button})
    tab_through_properties(walk, "node selected")
    page.get_by_test_id("column-selector-label_column").click()
    page.get_by_test_id("column-selector").wait_for()
    walk.check("column selector", {**CANVAS_PARTS, "column selector": "[data-testid=column-selector]"})
    page.get_by_test_id("column-selector").get_by_role("button", name="Cancel").click()

    walk.control("run-history").select_option(str(run.pk))
    in_bar = page.get_by_test_id("run-history").is_visible()  # else it was in the More menu, which closed
    history = {"run history": "[data-testid=run-history]"} if in_bar else {}
    walk.check("run history chosen", {**CANVAS_PARTS, **history})
    walk.one_line_toolbar("run history chosen")
    page.get_by_test_id("node-train1").click()
    walk.check("run history chosen, node selected", CANVAS_PARTS)

    page.get_by_test_id("node-evaluate").click()
    page.get_by_test_id("visualize-evaluate-evaluation_results").click()
    page.get_by_test_id("visualization").locator(".evaluation").nth(1).wait_for()
    walk.check("visualization", {**CANVAS_PARTS, "visualization": "[data-testid=visualization]"})
    page.get_by_test_id("visualization").get_by_role("button", name="Close").click()

    # Two trained models: Set Up answers with a long message and asks which model to use.
    walk.control("setup-web-service-button").click()
    page.get_by_test_id("setup-predictive").click()
    status = page.get_by_test_id("canvas-status")
    expect(status).to_contain_text("choose the one")
    walk.check("long error message", CANVAS_PARTS)
    loud = walk.one_line_toolbar("long error message")
    if abs(loud - quiet) > 1:
        walk.problems.append(f"{walk.size[0]}x{walk.size[1]} the long message grew the toolbar from "
                             f"{quiet:.0f} to {loud:.0f}px")
    if "choose the one" not in (status.get_attribute("title") or ""):
        walk.problems.append(f"{walk.size[0]}x{walk.size[1]} the long message's full text is not in its tooltip")

    walk.control("setup-choose-train1").click()
    page.get_by_test_id("setup-summary").wait_for()
    page.get_by_test_id("tab-predictive").wait_for()
    page.locator(".react-flow__node").first.wait_for()
    walk.check("set up summary", {**CANVAS_PARTS, "set up summary": "[data-testid=setup-summary]",
                                  "tabs": ".tabs"})
    walk.one_line_toolbar("set up summary")
    page.get_by_test_id("setup-summary").get_by_role("button", name="Dismiss summary").click()
    page.locator(".react-flow__node").first.click()
    walk.check("predictive tab", {**CANVAS_PARTS, "tabs": ".tabs"})
    walk.one_line_toolbar("predictive tab")


def test_every_canvas_state_fits_the_window_with_a_one_line_toolbar(page, owner, studio_server, worker):
    training, run = trained_experiment(owner)
    sign_in(page, studio_server, owner)
    problems = []
    for size in SIZES:
        walk = Walk(page, size)
        walk_canvas(walk, studio_server, training, run)
        problems += walk.problems
    assert problems == [], "\n".join(problems)


def deployed_service(owner, training):
    predictive = setup_web_service(experiment=training, kind="predictive", train_node="train1").experiment
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    return deploy(experiment=predictive).service


def test_every_studio_page_fits_the_window(page, owner, studio_server):
    training, run = trained_experiment(owner)
    output_save(run=run, node="train2", port="trained_model", name=f"{NAME}: the decision forest")
    rows = "\n".join(",".join(str(i * j) for j in range(24)) for i in range(5))
    dataset = dataset_upload(workspace=owner.workspace, name="Household survey, every measurement", created_by=None,
                             file=io.BytesIO(f"{WIDE}\n{rows}\n".encode()), filename="survey.csv")
    service = deployed_service(owner, training)
    storage.write(str(owner.workspace.pk), f"exports/{'household_survey_' * 12}scores.csv", io.BytesIO(b"a\n1\n"),
                  by=storage.Accessor(service.pk))  # the Datasets page lists it with its owning service
    pages = {"experiments": "/", "datasets": "/datasets/", "dataset": f"/datasets/{dataset.pk}/",
             "trained models": "/trained-models/", "web services": "/web-services/",
             "web service": f"/web-services/{service.pk}/",
             "endpoint": f"/web-services/{service.pk}/endpoints/default/", "settings": "/settings/"}
    shell = {"top bar": ".topbar", "navigation": ".topbar nav", "user menu": ".user-menu summary"}
    problems = []
    for size in SIZES:
        walk = Walk(page, size)
        page.goto(f"{studio_server.url}/login/")
        walk.check("login", {"top bar": ".topbar", "sign-in form": "form"})
        problems += walk.problems
    sign_in(page, studio_server, owner)
    for size in SIZES:
        walk = Walk(page, size)
        for name, path in pages.items():
            page.goto(studio_server.url + path)
            page.wait_for_load_state("networkidle")
            walk.check(name, shell)
        lineage_open(walk, studio_server, service, run)
        page.goto(studio_server.url + "/")
        page.get_by_test_id("user-menu").locator("summary").click()
        page.locator("td.actions details summary").first.click()
        walk.check("experiments, menus open", {**shell, "user menu": ".user-menu .menu",
                                               "rename form": "td.actions details[open] form"})
        problems += walk.problems
    assert problems == [], "\n".join(problems)


def lineage_open(walk, server, service, run):
    """The dashboard's lineage line for the default endpoint (issue 20), then its details and the Trained Models
    page's opened: they fit the window too."""
    page = walk.page
    page.goto(f"{server.url}/web-services/{service.pk}/")
    expect(page.get_by_test_id("lineage-line-default")).to_have_text(re.compile(
        rf"^serving model '{re.escape(NAME)} \[trained model\]', trained by run {run.pk} of experiment "
        rf"'{re.escape(NAME)}' on dataset 'Enter Data Manually \(data\)' \(sha [0-9a-f]{{12}}…\) "
        r"on \d{4}-\d\d-\d\d$"))
    details = page.get_by_test_id("lineage-details-default")
    details.locator("summary").click()
    details.scroll_into_view_if_needed()
    expect(details).to_contain_text("train-model v")
    walk.check("web service, lineage open", {"lineage": "[data-testid=lineage-details-default]"})
    page.goto(f"{server.url}/trained-models/")
    first = page.locator("[data-testid^=lineage-details-]").first
    first.locator("summary").click()
    first.scroll_into_view_if_needed()
    walk.check("trained models, lineage open", {"lineage": "[data-testid^=lineage-details-][open]"})


def drag(page, handle, dx):
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 2, y)
    page.mouse.move(x + dx, y)
    page.mouse.up()


def width(page, test_id):
    return page.get_by_test_id(test_id).bounding_box()["width"]


def test_panes_resize_by_their_edge_collapse_and_keep_their_size(page, owner, studio_server):
    training, _ = trained_experiment(owner)
    sign_in(page, studio_server, owner)
    page.set_viewport_size({"width": 1024, "height": 700})
    page.goto(f"{studio_server.url}/experiments/{training.pk}/")
    page.get_by_test_id("node-train1").click()
    graph, pane = width(page, "canvas"), width(page, "properties")

    drag(page, page.get_by_test_id("properties-splitter"), -120)  # the left edge of the properties pane, leftwards
    assert width(page, "properties") == pytest.approx(pane + 120, abs=2)
    flow = page.locator(".atelier-canvas__flow").bounding_box()
    assert flow["x"] + flow["width"] <= page.get_by_test_id("properties").bounding_box()["x"]
    assert width(page, "canvas") == graph  # the graph gave the room, not the window

    drag(page, page.get_by_test_id("properties-splitter"), -2000)  # as far as it goes: the graph keeps its minimum
    assert page.locator(".atelier-canvas__flow").bounding_box()["width"] >= 320 - 1
    page.get_by_test_id("properties-splitter").focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")  # the keyboard narrows it down to its minimum
    assert width(page, "properties") == pytest.approx(220, abs=2)
    assert page.get_by_test_id("properties-splitter").get_attribute("aria-valuenow") == "220"

    before = page.locator(".atelier-canvas__flow").bounding_box()["width"]
    page.get_by_test_id("palette-collapse").click()
    assert page.get_by_test_id("palette").is_hidden()
    assert page.locator(".atelier-canvas__flow").bounding_box()["width"] > before + 150
    page.reload()  # the choices are kept in this browser
    page.get_by_test_id("palette-expand").wait_for()
    assert page.get_by_test_id("palette").is_hidden()
    page.get_by_test_id("node-train1").click()
    assert width(page, "properties") == pytest.approx(220, abs=2)
    page.get_by_test_id("palette-expand").click()
    page.get_by_test_id("palette-search").fill("split")
    assert page.get_by_test_id("palette-item-split-data").is_visible()
    assert page.evaluate(MEASURE, CANVAS_PARTS) == []


def test_the_minimap_never_covers_a_module_of_the_opened_graph(page, owner, studio_server):
    """A tall graph (the income experiment as the journey drops it) reaches the canvas's bottom right corner once
    fitted; the fit keeps the minimap's column free at every size. On a small window the minimap starts hidden
    (it would take a third of the graph area) and the overview button shows it."""
    samples_load([ADULT])
    graph = income_graph(Dataset.objects.get(name=ADULT).pk)
    for each in graph["nodes"]:
        each["position"] = dict(zip("xy", INCOME_SPOTS[each["id"]], strict=True))
    training = Experiment.objects.create(workspace=owner.workspace, name="Income", graph=graph)
    sign_in(page, studio_server, owner)
    problems = []
    for size in SIZES:
        walk = Walk(page, size)
        page.goto(f"{studio_server.url}/experiments/{training.pk}/")
        page.get_by_test_id("node-evaluate").wait_for()
        minimap = page.locator(".react-flow__minimap")
        if size[0] < 1280:  # hidden on a small window (this browser has no choice stored yet): show it
            assert minimap.count() == 0, f"{size}: the minimap is shown on a small window"
            page.get_by_test_id("overview-toggle").click()
        else:
            walk.minimap_clear("opened")
        expect(minimap).to_be_visible()
        walk.control("layout-button").click()
        expect(page.get_by_test_id("save-state")).to_have_text("Saved")  # saved after the layout and its fit
        walk.minimap_clear("after auto-layout")
        problems += walk.problems
    assert problems == [], "\n".join(problems)
