"""Input drift on the endpoint page (issue 20, item 4) in headless Chromium: after a client has scored rows whose
ages are shifted, the page names the drifted column, marks its row and draws both distributions, and the section
fits the window at every size. Set ATELIER_SCREENSHOTS=/some/dir to save the README's picture of it."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from experiments.datasets import dataset_table
from experiments.models import Dataset
from tests.e2e.test_canvas_mount import sign_in
from tests.e2e.test_layout import MEASURE, SIZES
from tests.webservices.test_deploy import ADULT, income, publish  # noqa: F401 (fixture)
from tests.webservices.test_drift import drift_seen, score

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_endpoint_page_shows_which_input_column_drifted(page, api, owner, income, studio_server):  # noqa: F811
    training, _ = income
    answer = publish(api, owner, training)[2]
    service_id, endpoint = answer["web_service"], answer["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    rows = dataset_table(Dataset.objects.get(name=ADULT)).frame.sample(400, random_state=3)
    rows["age"] = rows["age"] + 35
    score(url, endpoint["PrimaryKey"], rows)
    assert drift_seen(api, service_id, 400)["rows_seen"] == 400

    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service_id}/endpoints/default/")
    expect(page.get_by_test_id("drift-summary")).to_contain_text("400 rows scored")
    expect(page.get_by_test_id("drift-summary")).to_contain_text("Drifted: age")
    age = page.get_by_test_id("drift-table").locator('tr[data-column="age"]')
    expect(age).to_have_class("drifted")
    expect(age.get_by_text("drifted")).to_be_visible()
    heights = age.locator("rect.observed").evaluate_all("(bars) => bars.map((bar) => +bar.getAttribute('height'))")
    assert heights[-2] > 0 and sum(heights[:5]) == 0  # everyone scored is in the oldest bucket(s), none young
    calm = page.get_by_test_id("drift-table").locator('tr[data-column="education"]')
    expect(calm).not_to_have_class("drifted")

    problems = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.get_by_test_id("drift-table").scroll_into_view_if_needed()
        problems += [f"{width}x{height}: {problem}" for problem in page.evaluate(MEASURE, {})]
        shots = os.environ.get("ATELIER_SCREENSHOTS")
        if shots and width == 1440:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.evaluate("document.getElementById('input-drift').scrollIntoView()")
            page.screenshot(path=f"{shots}/9-drift.png")
    assert problems == [], "\n".join(problems)
