"""The Traffic section of a web service page (issue 20, item 3) in headless Chromium: a split that doesn't add up
is refused beside the form, in view, with the values as typed; a good one is saved; a shadow endpoint's
comparison appears once clients have called; the section fits the window at every size. Set
ATELIER_SCREENSHOTS=/some/dir to save the README's picture of it (and the refusal, to look at)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_canvas_mount import sign_in
from tests.e2e.test_layout import MEASURE, SIZES
from tests.webservices.test_deploy import income  # noqa: F401 (fixture)
from tests.webservices.test_traffic import (
    add_endpoint,
    deployed,  # noqa: F401 (fixture)
    eventually,
    rows_body,
    serve_a_shifted_model,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shot(page: Page, name: str) -> None:
    shots = os.environ.get("ATELIER_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/{name}.png")


def test_the_traffic_form_refuses_in_view_keeps_what_was_typed_and_shows_the_shadow(page, api, owner, deployed,  # noqa: F811
                                                                                    studio_server):
    service_id, url, key = deployed
    add_endpoint(api, service_id, "candidate")
    serve_a_shifted_model(service_id, "candidate")
    sign_in(page, studio_server, owner)
    page.set_viewport_size({"width": 1024, "height": 700})
    page.goto(f"{studio_server.url}/web-services/{service_id}/")

    page.get_by_test_id("traffic-share-default").fill("90")
    page.get_by_test_id("traffic-share-candidate").fill("5")
    page.get_by_test_id("traffic-submit").click()
    refusal = page.get_by_test_id("traffic-message")
    expect(refusal).to_contain_text("Traffic not changed: The shares must add up to 100; they add up to 95 "
                                    "(default 90, candidate 5).")
    expect(refusal).to_be_in_viewport()  # the page opens at the Traffic section, not at its top
    expect(page.get_by_test_id("traffic-share-candidate")).to_have_value("5")  # nothing to type again
    expect(page.get_by_test_id("traffic-share-default")).to_have_value("90")
    shot(page, "traffic-refused-1024")

    page.get_by_test_id("traffic-share-candidate").fill("10")
    page.get_by_test_id("traffic-submit").click()
    expect(page.get_by_test_id("traffic-message")).to_contain_text("Traffic split saved")
    assert api.get(f"/api/web-services/{service_id}/traffic/").json()["split"] == {"default": 90, "candidate": 10}

    # the candidate as a shadow instead: every call answered by the default endpoint, compared with the candidate
    page.get_by_test_id("traffic-share-default").fill("100")
    page.get_by_test_id("traffic-share-candidate").fill("0")
    page.get_by_test_id("traffic-shadow-candidate").check()
    page.get_by_test_id("traffic-submit").click()
    expect(page.get_by_test_id("traffic-message")).to_contain_text("Traffic split saved")
    expect(page.get_by_test_id("traffic-shadow-candidate")).to_be_checked()
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        for _ in range(30):
            assert client.post(url, content=rows_body(2)).headers["X-Atelier-Endpoint"] == "default"
    eventually(lambda: api.get(f"/api/web-services/{service_id}/traffic/").json()["comparison"],
               lambda rows: bool(rows) and rows[0]["calls"] + rows[0]["skipped"] >= 30)
    page.reload()
    row = page.get_by_test_id("shadow-candidate")
    expect(row).to_be_visible()
    expect(row.locator("td").nth(2)).to_have_text("0 %")  # the shifted model never answers the same

    problems = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.get_by_test_id("traffic").scroll_into_view_if_needed()
        problems += [f"{width}x{height}: {problem}" for problem in page.evaluate(MEASURE, {})]
        page.evaluate("document.getElementById('traffic').scrollIntoView()")
        shot(page, f"traffic-{width}")
        if width == 1440 and os.environ.get("ATELIER_SCREENSHOTS"):  # the README's picture: the section alone
            page.get_by_test_id("traffic").screenshot(path=f"{os.environ['ATELIER_SCREENSHOTS']}/11-traffic.png")
    assert problems == [], "\n".join(problems)
