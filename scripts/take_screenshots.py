"""Take the README's tour screenshots from a running studio, with Debian's Chromium (`make screenshots`).

    .venv/bin/python scripts/take_screenshots.py http://127.0.0.1:8000 admin "$(cat var/admin-password)"

It signs in, creates the income experiment through the API, runs it, sets up and deploys its web
service from the canvas, and saves PNGs in docs/screenshots/.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, sync_playwright

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


def income_graph(dataset_id: int) -> dict:
    return {"nodes": [
        node("data", "dataset", 80, 0, dataset=dataset_id),
        node("clean", "clean-missing-data", 80, 110, cleaning_mode="Replace with mode"),
        node("split", "split-data", 80, 220, fraction_of_rows_in_the_first_output_dataset=0.7, random_seed=42,
             stratified_split=True, stratification_key_column=["income"]),
        node("learner", "two-class-boosted-decision-tree", -260, 220),
        node("train", "train-model", -90, 330, label_column=["income"]),
        node("score", "score-model", 80, 440),
        node("evaluate", "evaluate-model", 80, 550),
    ], "edges": [
        edge("data", "dataset", "clean", "dataset"), edge("clean", "cleaned_dataset", "split", "dataset"),
        edge("learner", "untrained_model", "train", "untrained_model"), edge("split", "results1", "train", "dataset"),
        edge("train", "trained_model", "score", "trained_model"), edge("split", "results2", "score", "dataset"),
        edge("score", "scored_dataset", "evaluate", "scored_dataset"),
    ]}


def toolbar(page: Page, test_id: str) -> Locator:
    """A canvas toolbar command: in the bar, or in its More menu when the window is too narrow for it."""
    command = page.get_by_test_id(test_id)
    if not command.is_visible() and page.get_by_test_id("toolbar-more").is_visible():
        page.get_by_test_id("toolbar-more").click()
    return command


def main(base: str, username: str, password: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{base}/login/")
        page.screenshot(path=OUT / "1-sign-in.png")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(password)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(f"{base}/")
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        with httpx.Client(base_url=base, cookies=cookies, headers={"X-CSRFToken": cookies["csrftoken"],
                                                                   "Referer": base}) as api:
            adult = next(d for d in api.get("/api/datasets/").json() if d["name"].startswith("Adult Census"))
            experiment = api.post("/api/experiments/", json={"name": "Income prediction",
                                                            "graph": income_graph(adult["id"])}).json()
            run = api.post(f"/api/experiments/{experiment['id']}/run/").json()["run"]
            while api.get(f"/api/runs/{run}/").json()["status"] in ("queued", "running"):
                time.sleep(1)
        page.goto(f"{base}/datasets/")
        page.screenshot(path=OUT / "2-datasets.png")
        page.goto(f"{base}/")
        page.screenshot(path=OUT / "3-experiments.png")
        page.goto(f"{base}/experiments/{experiment['id']}/")
        page.wait_for_selector('[data-testid="node-evaluate"]:is([data-status="finished"], [data-status="cached"])')
        page.screenshot(path=OUT / "4-canvas.png")
        page.get_by_test_id("node-evaluate").click()
        page.get_by_test_id("visualize-evaluate-evaluation_results").click()
        page.get_by_test_id("visualization").locator("td", has_text="AUC").wait_for()
        page.screenshot(path=OUT / "5-evaluation.png")
        page.get_by_test_id("visualization").get_by_role("button", name="Close").click()
        page.get_by_test_id("setup-web-service-button").click()
        page.get_by_test_id("setup-predictive").click()
        page.get_by_test_id("setup-summary").wait_for()
        page.get_by_test_id("node-web-service-output").wait_for()
        toolbar(page, "layout-button").click()
        page.screenshot(path=OUT / "6-predictive.png")
        page.get_by_test_id("run-button").click()
        page.wait_for_selector('[data-testid="node-web-service-output"]:is([data-status="finished"], '
                               '[data-status="cached"])', timeout=120000)
        page.get_by_test_id("deploy-button").click()
        page.wait_for_url(f"{base}/web-services/*/")
        page.evaluate("document.querySelectorAll('[data-key]')"
                      ".forEach(el => { el.value = el.value.slice(0, 6) + '… (shown once)'; })")
        page.screenshot(path=OUT / "7-web-service.png", full_page=True)
        page.get_by_test_id("lineage-details-default").locator("summary").click()
        page.get_by_test_id("lineage").screenshot(path=OUT / "10-lineage.png")
        page.get_by_test_id("endpoint-link-default").click()
        page.get_by_test_id("test-submit").click()
        page.get_by_test_id("test-result").get_by_text("Scored Probabilities").first.wait_for()
        page.screenshot(path=OUT / "8-endpoint.png")
        browser.close()
    print(f"Screenshots in {OUT}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
