"""The Datasets page's workspace storage in headless Chromium at 1024x700: the files every door shares, listed
with their owners, downloaded by a member; a long path wraps instead of widening the page."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio import storage
from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
