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


def test_a_ragged_file_is_refused_naming_its_line_and_read_leniently_when_asked(page, owner, studio_server, tmp_path):
    """Issue 18, item 3: the refusal names the line and the problem; lenient pads and skips, and says how many."""
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3\n4,5,6\n7,8\n")
    sign_in(page, studio_server, owner)
    page.goto(studio_server.url + "/datasets/")
    page.get_by_test_id("dataset-name").fill("Ragged")
    page.get_by_test_id("dataset-file").set_input_files(str(ragged))
    page.get_by_test_id("dataset-upload").click()
    status = page.get_by_test_id("upload-status")
    expect(status).to_contain_text("Line 3 has 1 field; the header has 2.")
    assert "lenient" in status.inner_text()
    assert page.get_by_role("link", name="Ragged").count() == 0

    page.get_by_test_id("upload-options").locator("summary").click()
    expect(page.get_by_test_id("upload-missing")).to_have_value("?, NA, N/A, NaN, nan, null, NULL")  # today's
    page.get_by_test_id("upload-lenient").check()
    page.get_by_test_id("dataset-upload").click()
    page.get_by_role("link", name="Ragged").wait_for()  # the list is reloaded; the status line stays
    expect(page.get_by_test_id("upload-status")).to_contain_text(
        "Uploaded 'Ragged': 3 rows, 2 columns. 1 short line padded with missing values (line 3); "
        "1 long line skipped (line 4).")
    row = page.get_by_test_id("datasets-list").locator("tr", has_text="Ragged")
    assert "(1 padded, 1 skipped)" in row.inner_text()


def test_a_dataset_with_its_own_markers_reads_them(page, owner, studio_server, tmp_path):
    from experiments.models import Dataset

    data = tmp_path / "messwerte.csv"
    data.write_text("x;ok\n1,5;ja\n-;nein\n")
    sign_in(page, studio_server, owner)
    page.goto(studio_server.url + "/datasets/")
    page.get_by_test_id("dataset-name").fill("Messwerte")
    page.get_by_test_id("dataset-file").set_input_files(str(data))
    page.get_by_test_id("upload-options").locator("summary").click()
    page.get_by_test_id("upload-missing").fill("-")
    page.get_by_test_id("upload-decimal").select_option(",")
    page.get_by_test_id("upload-separator").select_option(";")
    page.get_by_test_id("upload-true").fill("ja")
    page.get_by_test_id("upload-false").fill("nein")
    page.get_by_test_id("dataset-upload").click()
    page.get_by_role("link", name="Messwerte").wait_for()
    parsing = Dataset.objects.get(name="Messwerte").parsing
    assert parsing == {"missing": ["", "-"], "decimal": ",", "true": ["ja"], "false": ["nein"], "lenient": False,
                       "separator": ";"}
    assert {c["name"]: c["kind"] for c in Dataset.objects.get(name="Messwerte").columns} == {"x": "numeric",
                                                                                            "ok": "boolean"}
