"""The datasets page in headless Chromium: upload with a progress bar, then open the dataset's statistics."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_shows_progress_lists_the_dataset_and_opens_its_statistics(page, owner, studio_server, tmp_path):
    csv = tmp_path / "people.csv"
    csv.write_text("age,city\n" + "".join(f"{20 + i % 50},City{i % 7}\n" for i in range(5000)))
    sign_in(page, studio_server, owner)
    page.goto(studio_server.url + "/datasets/")
    page.get_by_test_id("dataset-name").fill("People")
    page.get_by_test_id("dataset-file").set_input_files(str(csv))
    page.get_by_test_id("dataset-upload").click()

    page.get_by_role("link", name="People").wait_for()
    page.get_by_role("link", name="People").click()
    columns = page.get_by_test_id("dataset-columns")
    assert "5000 rows, 2 columns" in page.content()
    assert columns.locator("tr", has_text="city").locator("td").nth(1).inner_text() == "string"


def test_a_bad_upload_explains_itself_without_leaving_the_page(page, owner, studio_server, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00\x01")
    sign_in(page, studio_server, owner)
    page.goto(studio_server.url + "/datasets/")
    page.get_by_test_id("dataset-file").set_input_files(str(bad))
    page.get_by_test_id("dataset-upload").click()
    status = page.get_by_test_id("upload-status")
    expect(status).to_contain_text("UTF-8")
    assert "The file is not UTF-8 text" in status.inner_text()
    assert page.get_by_test_id("upload-progress").is_visible()
