"""The endpoint page and the service dashboard in headless Chromium (issue 15, item 6), against the real server: the
Test form asks for categorical columns with a list of the training data's values, answers with a small table
(scored columns first) right under the form, keeps the raw JSON behind a toggle, names the column of a refused
value next to the form, and its calls count in Usage; every time is in the browser's time zone; a new primary
key's hint shows at once; the add-endpoint name's pattern is a valid regular expression."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_canvas_mount import sign_in
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.models import Endpoint, RequestLog, UsageBucket, WebService

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
# Zones whose offset is not a whole hour: a time shown in UTC, or in the wrong zone, can't match by chance.
ZONES = ["Pacific/Marquesas", "America/St_Johns", "Asia/Tehran", "Asia/Kolkata", "Asia/Kathmandu",
         "Australia/Eucla", "Australia/Adelaide", "Pacific/Chatham"]


def afternoon_zone() -> str:
    """One of ZONES where it is now afternoon or evening: a 12-hour clock there shows another hour than a 24-hour
    one (the usage chart used to print 23:09 as 11:09)."""
    return next(zone for zone in ZONES if 13 <= datetime.now(ZoneInfo(zone)).hour <= 22)


@pytest.fixture
def local_page(browser):
    """A page in a time zone that is not UTC, failing on any console error or warning (a CSP violation, an invalid
    pattern) but Chromium's line for a refused Test call (a 400 the test makes on purpose) and the favicon."""
    zone = afternoon_zone()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id=zone, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []

    def expected(message) -> bool:
        url = message.location.get("url", "")
        return url.endswith("favicon.ico") or (url.endswith("/test/") and "status of 400" in message.text)

    page.on("console", lambda message: problems.append(f"{message.type}: {message.text}")
            if message.type in ("error", "warning") and not expected(message) else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page, ZoneInfo(zone)
    context.close()
    assert problems == [], problems


def local(moment: datetime, zone: ZoneInfo, spec: str = "%H:%M:%S") -> str:
    return moment.astimezone(zone).strftime(spec)


def test_dashboard_name_pattern_key_hint_and_deploy_time(local_page, api, owner, income, studio_server):  # noqa: F811
    page, zone = local_page
    training, _ = income
    publish(api, owner, training)
    service = WebService.objects.get()
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/")

    assert local(service.deployed_at, zone) in page.get_by_test_id("deployed-at").inner_text()

    # Chromium compiles `pattern` with the v flag: an invalid one is ignored (and logged); this one works.
    page.get_by_test_id("add-endpoint").locator("summary").click()
    name = page.get_by_test_id("new-endpoint-name")
    for text, mismatch in [("bad name!", True), ("-leading", True), ("canary_2-b", False)]:
        name.fill(text)
        assert name.evaluate("input => input.validity.patternMismatch") is mismatch, text

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="New primary key").click()
    expect(page.get_by_test_id("new-primary-key")).not_to_have_value("")
    key = page.get_by_test_id("new-primary-key").input_value()
    expect(page.get_by_test_id("key-hint-default")).to_have_text(f"{key[:4]}…")
    assert Endpoint.objects.get(service=service).primary_key_hint == key[:4]


def test_the_test_form_answers_in_a_table_and_counts_in_usage_in_local_time(local_page, api, owner, income,  # noqa: F811
                                                                           studio_server):
    page, zone = local_page
    training, _ = income
    deployed = publish(api, owner, training)[2]
    service = WebService.objects.get()
    Endpoint.objects.filter(service=service).update(diagnostics_trace_level="All")
    sign_in(page, studio_server, owner)
    page.goto(f"{studio_server.url}/web-services/{service.pk}/endpoints/default/")

    # Typed fields: a number field for a number, a list of the training data's values for a text column.
    workclass, age = page.get_by_test_id("test-input-workclass"), page.get_by_test_id("test-input-age")
    assert workclass.evaluate("field => field.tagName") == "SELECT"
    assert age.get_attribute("type") == "number"
    choices = workclass.locator("option").all_inner_texts()
    assert {"Private", "Self-emp-inc", "State-gov"} <= set(choices) and "(missing)" in choices
    assert page.get_by_test_id("test-input-income").evaluate("field => field.value") == ""  # the label: left out
    workclass.select_option("Self-emp-inc")
    age.fill("52")
    page.get_by_test_id("test-submit").click()

    # The answer: right under the form, scored columns first and highlighted, the JSON behind a toggle.
    answer = page.get_by_test_id("test-answer-output1")
    answer.wait_for()
    button_box = page.get_by_test_id("test-submit").bounding_box()
    assert 0 <= page.get_by_test_id("test-result").bounding_box()["y"] - (button_box["y"] + button_box["height"]) < 60
    rows = answer.locator("tbody tr")
    assert rows.nth(0).locator("th").inner_text() == "Scored Labels"
    assert rows.nth(1).locator("th").inner_text() == "Scored Probabilities"
    assert "scored" in rows.nth(0).get_attribute("class")
    shown = {row.locator("th").inner_text(): row.locator("td").inner_text() for row in rows.all()}
    assert shown["workclass"] == "Self-emp-inc" and float(shown["age"]) == 52
    raw = page.get_by_test_id("test-json")
    expect(raw).to_be_hidden()
    page.get_by_test_id("test-json-toggle").locator("summary").click()
    expect(raw).to_be_visible()
    results = json.loads(raw.inner_text())["Results"]["output1"]["value"]
    assert shown["Scored Probabilities"] == results["Values"][0][results["ColumnNames"].index("Scored Probabilities")]

    # The same row through RRS, with a key, scores the same.
    body = {"Inputs": {"input1": {"ColumnNames": list(shown)[2:], "Values": [list(shown.values())[2:]]}}}
    direct = httpx.post(f"{deployed['endpoint']['ApiLocation'].replace('http://testserver', studio_server.url)}"
                        "/execute?api-version=2.0", json=body,
                        headers={"Authorization": f"Bearer {deployed['endpoint']['PrimaryKey']}"}).json()
    assert direct["Results"]["output1"]["value"]["Values"][0][-1] == shown["Scored Probabilities"]

    # A refused value: the server's message next to the form, the column marked.
    age.evaluate("field => { field.type = 'text'; }")  # what the number field would not let a person type
    age.fill("fifty")
    page.get_by_test_id("test-submit").click()
    expect(page.get_by_test_id("test-error")).to_have_text("Column 'age', row 1: 'fifty' is not a number")
    expect(age).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("test-field-error")).to_contain_text("'fifty' is not a number")

    # Both Test calls count in Usage (the page refreshes it), marked as the Test form's, at local times.
    expect(page.get_by_test_id("usage-summary")).to_have_text(
        "3 calls, 1 error in the last hour, 2 of them from the Test form (request log: every call)", timeout=15000)
    first = RequestLog.objects.filter(endpoint__service=service).order_by("time").first()
    log = page.get_by_test_id("request-log").locator("tbody tr")
    assert local(first.time, zone) in log.last.locator("time").inner_text()
    assert log.first.get_by_text("Test form").count() == 1
    page.get_by_test_id("usage-chart").locator("svg").wait_for()
    minutes = {local(b.minute + timedelta(minutes=shift), zone, "%H:%M") for b in UsageBucket.objects.all()
               for shift in (-1, 0, 1)}
    labels = [t for t in page.get_by_test_id("usage-chart").locator("text").all_text_contents()
              if re.fullmatch(r"\d\d:\d\d", t)]
    assert labels and set(labels) <= minutes, (labels, minutes)
    assert datetime.now(UTC) - first.time < timedelta(minutes=5)
