"""Bad data on upload (issue 8): every malformed file gets a 400 with a message a user can act on, and the
workspace is left as it was (no dataset, no stored file)."""

from __future__ import annotations

import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from experiments.models import Dataset

pytestmark = pytest.mark.django_db


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def wide(columns: int) -> bytes:
    return (",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("1" for _ in range(columns)) + "\n").encode()


def parquet_of(columns: int) -> bytes:
    import io

    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame({f"c{i}": [1] for i in range(columns)}).to_parquet(buffer)
    return buffer.getvalue()


CASES = [
    ("latin-1 text", "people.csv", "name,city\nJosé,Zürich\n".encode("latin-1"), "not UTF-8"),
    ("ragged rows", "ragged.csv", b"a,b\n1,2\n3,4,5\n", "Line 3 has 3 fields; the header has 2."),
    ("a long first line", "long.csv", b"a,b\n1,2,3\n4\n", "Line 2 has 3 fields; the header has 2."),
    ("a short line", "short.csv", b"a,b\n1,2\n3,4\n4\n", "Line 4 has 1 field; the header has 2."),
    ("a short line after a quoted line break", "quoted.csv", b'a,b\n1,"two\nlines"\n\n4\n',
     "Line 5 has 1 field; the header has 2."),  # lines of the file (the record at line 2 spans two, 4 is blank)
    ("a short TSV line", "short.tsv", b"a\tb\n1\t2\n3\n", "Line 3 has 1 field; the header has 2."),
    ("a long gzipped line", "long.csv.gz", gzipped(b"a,b\n" + b"1,2\n" * 5000 + b"1,2,3\n"),
     "Line 5002 has 3 fields; the header has 2."),
    ("a quoted field after a space", "spaced.csv", b'a,b,c\n1, "x,y", 2\n1, "x,y"\n',
     "Line 3 has 2 fields; the header has 3."),  # read as pandas' skipinitialspace reads it
    ("empty file", "empty.csv", b"", "empty"),
    ("not gzip", "data.csv.gz", b"a,b\n1,2\n", "not a gzip file"),
    ("truncated gzip", "data.csv.gz", gzipped(b"a,b\n" + b"1,2\n" * 1000)[:-20], "not a gzip file"),
    ("gzip bomb", "bomb.csv.gz", gzipped(b"a\n" + b"0\n" * (300 * 1024 * 1024)), "unpacks to more than"),
    ("10k columns", "wide.csv", wide(10_000), "10000 columns"),
    ("a CSV bomb: 2 MB of separators", "bomb.csv", b"," * (2 * 1024 * 1024) + b"\n1\n", "2097153 columns"),
    ("a JSON-lines bomb", "bomb.jsonl", ("{" + ",".join(f'"c{i}": 0' for i in range(200_000)) + "}\n").encode(),
     "200000 columns"),
    ("a wide Parquet", "wide.parquet", parquet_of(5_000), "5000 columns"),
    ("a gzipped TSV bomb", "bomb.tsv.gz", gzipped(b"\t" * (50 * 1024 * 1024) + b"\n"), "52428801 columns"),
    ("a huge cell", "huge.csv", b"id,text\n1,short\n2," + b"x" * (2 * 1024 * 1024) + b"\n", "Column 'text', row 2"),
    ("corrupt parquet", "table.parquet", b"PAR1 not really", "could not be read"),
    ("ragged JSON lines", "rows.jsonl", b'{"a": 1}\n{"a": \n', "could not be read"),
    ("a header only", "header.csv", b"a,b\n", "no rows"),
    ("only blank lines", "blank.csv", b"\n\n\n", "could not be read"),
]


@pytest.mark.parametrize(("case", "filename", "data", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_upload_is_refused_clearly_and_leaves_nothing(api, owner, case, filename, data, message):
    before = Dataset.objects.filter(workspace=owner.workspace).count()
    response = api.post("/api/datasets/", {"file": SimpleUploadedFile(filename, data), "name": case},
                        format="multipart")
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert message in response.json()["detail"], response.json()["detail"]
    assert Dataset.objects.filter(workspace=owner.workspace).count() == before


def test_a_ragged_refusal_names_the_line_for_programs_too(api, owner):
    response = api.post("/api/datasets/", {"file": SimpleUploadedFile("r.csv", b"a,b\n1,2\n3\n")}, format="multipart")
    assert response.status_code == 400
    problem = response.json()["errors"][0]
    assert problem["parameter"] == "file" and problem["line"] == 3
    assert problem["message"].startswith("Line 3 has 1 field; the header has 2.")
    assert "lenient" in problem["message"]  # the way out is named


LENIENT = [
    # (file, rows stored as {a, b}, padded, skipped, padded lines, skipped lines)
    (b"a,b\n1,2,3\n4\n", [{"a": 4, "b": None}], 1, 1, [3], [2]),  # the file: nothing dropped silently
    (b"a,b\n1,2\n3\n4,5,6\n7,8\n", [{"a": 1, "b": 2}, {"a": 3, "b": None}, {"a": 7, "b": 8}], 1, 1, [3], [4]),
    (b"a,b\n1,2\n3,4\n", [{"a": 1, "b": 2}, {"a": 3, "b": 4}], 0, 0, [], []),
]


@pytest.mark.parametrize(("data", "rows", "padded", "skipped", "padded_lines", "skipped_lines"), LENIENT)
def test_a_lenient_upload_pads_short_lines_skips_long_ones_and_says_how_many(api, owner, data, rows, padded,
                                                                           skipped, padded_lines, skipped_lines):
    from experiments.datasets import dataset_table

    response = api.post("/api/datasets/", {"file": SimpleUploadedFile("r.csv", data), "lenient": "true"},
                        format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {key: body["parsing"][key] for key in ("padded", "skipped", "padded_lines", "skipped_lines")} == {
        "padded": padded, "skipped": skipped, "padded_lines": padded_lines, "skipped_lines": skipped_lines}
    if padded or skipped:
        assert f"{padded} short line" in body["adjusted"] or f"{skipped} long line" in body["adjusted"]
    else:
        assert body["adjusted"] == ""
    dataset = Dataset.objects.get(pk=body["id"])
    assert dataset.parsing["lenient"] is True and dataset.rows == len(rows)
    frame = dataset_table(dataset).frame.astype(object)
    assert frame.where(frame.notna(), None).to_dict("records") == rows


def test_a_lenient_upload_counts_every_line_and_names_the_first_ten(api, owner):
    data = b"a,b\n" + b"".join(b"1\n" if i % 3 == 0 else b"1,2\n" for i in range(3000))
    response = api.post("/api/datasets/", {"file": SimpleUploadedFile("many.csv", data), "lenient": "on"},
                        format="multipart")
    assert response.status_code == 201, response.json()
    parsing = response.json()["parsing"]
    assert parsing["padded"] == 1000 and parsing["padded_lines"] == list(range(2, 30, 3))
    assert response.json()["adjusted"].startswith("1000 short lines padded with missing values (lines 2, 5,")


OPTIONS = [
    ({"decimal": ";"}, "decimal"),
    ({"separator": "|"}, "separator"),
    ({"decimal": ",", "separator": ","}, "also the field separator"),
    ({"true": "yes", "false": "yes"}, "can't mean two things"),
    ({"true": "?"}, "can't mean two things"),
]


@pytest.mark.parametrize(("options", "message"), OPTIONS)
def test_a_bad_reading_option_is_refused_naming_it(api, owner, options, message):
    response = api.post("/api/datasets/", {"file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n"), **options},
                        format="multipart")
    assert response.status_code == 400, response.json()
    assert message in str(response.json()), response.json()
    assert not Dataset.objects.filter(workspace=owner.workspace).exists()


def test_a_file_named_in_another_script_uploads(api, owner):
    response = api.post("/api/datasets/", {"file": SimpleUploadedFile("données-été.csv", b"a,b\n1,2\n")},
                        format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "données-été"
