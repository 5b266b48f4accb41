"""The datasets page in headless Chromium: upload with a progress bar, then open the dataset's statistics; the
workspace storage's files, listed and downloaded."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio import storage
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


def test_the_workspace_storage_files_are_listed_and_download_at_1024_by_700(page, owner, studio_server):
    ws = str(owner.workspace.pk)
    storage.write(ws, "exports/scores.csv", io.BytesIO(b"score\n0.5\n"))  # as Export Data writes it
    long = f"uploads/{'household_survey_measurements_' * 6}/input.csv"
    storage.write(ws, long, io.BytesIO(b"x\n1\n"))
    page.set_viewport_size({"width": 1024, "height": 700})
    sign_in(page, studio_server, owner)
    page.goto(studio_server.url + "/datasets/")

    files = page.get_by_test_id(f"storage-files-{ws}").get_by_test_id("storage-file")
    expect(files).to_have_count(2)
    expect(files.first).to_contain_text("exports/scores.csv")
    expect(files.first).to_contain_text("studio")
    expect(files.nth(1)).to_contain_text(long)
    with page.expect_download() as download:
        files.first.get_by_role("link", name="Download exports/scores.csv").click()
    assert Path(download.value.path()).read_bytes() == b"score\n0.5\n"
    link = files.nth(1).get_by_role("link", name=f"Download {long}")
    assert link.bounding_box()["x"] + link.bounding_box()["width"] <= 1024  # the long path wraps; nothing overflows
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
