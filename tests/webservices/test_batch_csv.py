"""A batch input chunk read by its input schema (webservices/batch_csv.py): each column by its parsing rules (the
dataset's missing markers, decimal separator, true/false words; the defaults without a record), and a file with a
line of the wrong length refused naming the line (issue 18, items 2 and 3)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from webservices.batch_csv import lines_checked, typed_frame
from webservices.scoring.wire import BadRequest

CUSTOM = {"missing": ["", "-"], "decimal": ",", "true": ["ja"], "false": ["nein"]}


def schema(parsing=None):
    extra = {"parsing": parsing} if parsing else {}
    return [{"name": "x", "kind": "numeric", **extra}, {"name": "flag", "kind": "boolean", **extra},
            {"name": "name", "kind": "string", **extra}]


def read(text: str, columns, first_row=2):
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    typed = typed_frame(frame, "input1", columns, first_row=first_row).frame
    return [[None if value is None or value != value else value for value in typed[name].tolist()]
            for name in ("x", "flag", "name")]


def test_the_default_markers_are_missing_in_a_batch_input():
    assert read("x,flag,name\n?,true,?\n1.5,no,NA\n2,,Ann\n", schema()) == [
        [None, 1.5, 2.0], [True, False, None], [None, None, "Ann"]]


def test_a_plain_number_column_takes_the_fast_path_and_markers_the_slow_one():
    assert read("x,flag,name\n1,true,a\n2,false,b\n", schema())[0] == [1.0, 2.0]
    assert read("x,flag,name\n1,true,a\n nan ,false,b\n", schema())[0] == [1.0, None]  # 'nan' is a marker


def test_a_columns_own_rules_are_applied_in_a_batch_input():
    assert read('x,flag,name\n-,ja,-\n"1,5",nein,?\n2,TRUE,\n', schema(CUSTOM)) == [
        [None, 1.5, 2.0], [True, False, True], [None, "?", None]]
    with pytest.raises(BadRequest, match=r"Column 'x', row 3: '\?' is not a number"):
        read("x,flag,name\n1,ja,a\n?,ja,a\n", schema(CUSTOM))


@pytest.mark.parametrize(("text", "message"), [
    (b"a,b\n1,2\n3\n", "Input 'input1': Line 3 has 1 field; the header has 2."),
    (b"a,b\n1,2,3\n4,5\n", "Input 'input1': Line 2 has 3 fields; the header has 2."),
    (b'a,b\n"x\ny",1\n2,3,4\n', "Input 'input1': Line 4 has 3 fields; the header has 2."),
])
def test_a_batch_input_with_a_line_of_the_wrong_length_is_refused_naming_it(text, message):
    handle = io.BytesIO(text)
    with pytest.raises(BadRequest) as refused:
        lines_checked(handle, "input1")
    assert refused.value.message.startswith(message)


def test_a_well_formed_batch_input_passes_and_is_left_at_its_start():
    handle = io.BytesIO(b"a,b\n1,2\n\n3,4\n")
    lines_checked(handle, "input1")
    assert handle.tell() == 0
