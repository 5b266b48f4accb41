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
    ("ragged rows", "ragged.csv", b"a,b\n1,2\n3,4,5\n", "could not be read"),
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


def test_a_file_named_in_another_script_uploads(api, owner):
    response = api.post("/api/datasets/", {"file": SimpleUploadedFile("données-été.csv", b"a,b\n1,2\n")},
                        format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "données-été"
