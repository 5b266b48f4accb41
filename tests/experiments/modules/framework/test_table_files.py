"""One way to read a table file, shared by dataset uploads and Import Data (framework/table_files.py)."""

import gzip
import io

import pandas as pd
import pytest

from experiments import uploads
from experiments.modules import data_io
from experiments.modules.framework.table_files import (
    MISSING_MARKERS,
    GzipDamaged,
    GzipTooLarge,
    csv_options,
    gunzip,
    trimmed,
)


def test_gunzip_unpacks_within_the_limit_and_refuses_past_it():
    packed = gzip.compress(b"a,b\n1,2\n" * 1000)
    out = io.BytesIO()
    gunzip(io.BytesIO(packed), out, limit=8000)
    assert out.getvalue() == b"a,b\n1,2\n" * 1000
    with pytest.raises(GzipTooLarge):
        gunzip(io.BytesIO(packed), io.BytesIO(), limit=7999)
    with pytest.raises(GzipDamaged):
        gunzip(io.BytesIO(b"\x1f\x8bnot really"), io.BytesIO(), limit=8000)


def test_the_missing_markers_and_trimming_are_the_same_for_an_upload_and_an_import():
    text = "name , age\n Ann ,?\nBob,NA\n"
    frame = trimmed(pd.read_csv(io.StringIO(text), **csv_options(",")))
    assert list(frame.columns) == ["name", "age"]
    assert frame["name"].tolist() == ["Ann", "Bob"] and frame["age"].isna().all()
    imported = data_io.read_table(text.encode(), "CSV", True).frame
    pd.testing.assert_frame_equal(imported, frame)
    assert "?" in MISSING_MARKERS
    assert not hasattr(uploads, "MISSING_MARKERS") and not hasattr(data_io, "MISSING_MARKERS")  # one list


def test_trimming_leaves_cells_that_are_not_text_as_they_are():
    frame = trimmed(pd.DataFrame({" mixed ": [" a ", 1, None]}))
    assert frame["mixed"].tolist() == ["a", 1, None]
