"""A batch chunk of CSV read by Arrow (batch_csv.chunk_table): the same table typed_frame gives, markers and
blanks missing, a bad value named by column and row, a ragged line refused naming the line, the label optional."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from webservices.batch_csv import chunk_table, typed_frame
from webservices.scoring.wire import BadRequest

SCHEMA = [{"name": "age", "kind": "numeric"}, {"name": "job", "kind": "string"},
          {"name": "insured", "kind": "boolean"}, {"name": "income", "kind": "string", "optional": True}]


def read(text: str, first_row: int = 2, missing: tuple[str, ...] = ()) -> pd.DataFrame:
    return chunk_table(text.encode(), "input1", SCHEMA, first_row, missing).frame


def test_a_chunk_is_typed_as_typed_frame_types_it():
    text = "age,job,insured,income\n39,clerk,true,<=50K\n,  ,no,\n50.5,Sales,1,>50K\n"
    frame = read(text)
    assert frame["age"].dtype == "float64" and frame["age"].isna().tolist() == [False, True, False]
    assert frame["job"].tolist()[0] == "clerk" and pd.isna(frame["job"].iloc[1])  # blank after trimming
    assert frame["insured"].tolist() == [True, False, True]
    slow = typed_frame(pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False), "input1", SCHEMA, 2).frame
    for name in ("age", "insured"):
        pd.testing.assert_series_equal(frame[name], slow[name])
    for name in ("job", "income"):  # the same values; the Arrow path keeps pandas' str dtype
        assert frame[name].isna().tolist() == slow[name].isna().tolist()
        assert frame[name].dropna().tolist() == slow[name].dropna().tolist()


def test_missing_markers_are_missing_in_every_kind_of_column():
    frame = read("age,job,insured,income\n?,?,?,?\n-,-, - ,x\n42,ok,false,y\n", missing=("?", "-"))
    assert frame["age"].isna().tolist() == [True, True, False]
    assert frame["job"].isna().tolist() == [True, True, False]  # ' - ' trimmed is a marker too
    assert frame["insured"].iloc[2] == False  # noqa: E712 (a boolean, not a truthy value)
    assert pd.isna(frame["insured"].iloc[0]) and pd.isna(frame["insured"].iloc[1])
    assert frame["income"].tolist()[1:] == ["x", "y"]


def test_without_markers_a_question_mark_in_a_number_column_is_named():
    with pytest.raises(BadRequest) as refused:
        read("age,job,insured\n1,a,true\n?,b,false\n", first_row=1001)
    assert refused.value.message == "Column 'age', row 1002: '?' is not a number"


def test_a_value_that_is_not_a_number_names_its_column_and_row_in_the_file():
    rows = "".join(f"{n},job{n},yes\n" for n in range(30)) + "thirty,x,no\n"
    with pytest.raises(BadRequest) as refused:
        read("age,job,insured\n" + rows, first_row=50_002)
    assert refused.value.message == "Column 'age', row 50032: 'thirty' is not a number"


def test_a_literal_nan_is_refused_as_typed_frame_refuses_it():
    with pytest.raises(BadRequest, match=r"row 3: 'nan' is not a number"):
        read("age,job,insured\n1,a,true\nnan,b,false\n")


@pytest.mark.parametrize("line", ["7,short", "7,too,many,fields,here"])
def test_a_ragged_line_is_refused_naming_the_line_never_padded(line):
    with pytest.raises(BadRequest) as refused:
        read(f"age,job,insured\n1,a,true\n{line}\n3,c,no\n", first_row=101)
    fields = len(line.split(","))
    assert refused.value.message.startswith(f"Line 102 has {fields} fields where the header has 3")


def test_a_ragged_line_after_a_bad_value_is_still_refused():
    """Arrow may stop at the bad value; the pandas reading would pad the short line, so it is checked first."""
    with pytest.raises(BadRequest, match=r"^Line 4 has 2 fields"):
        read("age,job,insured\n1,a,true\nx,b,no\n3,c\n")


def test_the_optional_label_may_be_absent_and_a_required_column_is_named():
    frame = read("age,job,insured\n39,clerk,true\n")
    assert list(frame.columns) == ["age", "job", "insured"]
    with pytest.raises(BadRequest, match=r"^Column 'insured' is missing"):
        read("age,job\n39,clerk\n")


def test_other_boolean_spellings_and_unknown_columns_read_as_typed_frame_reads_them():
    frame = read("age,job,insured,extra\n1,a,TRUE,\n2,b,Yes,z\n3,c,n/a,w\n")
    assert frame["insured"].tolist()[:2] == [True, True] and pd.isna(frame["insured"].iloc[2])
    assert frame["extra"].tolist() == ["", "z", "w"]  # not in the schema: kept as text, blanks empty
    assert math.isclose(frame["age"].sum(), 6)


def test_quoted_fields_and_a_byte_order_mark():
    frame = chunk_table('\ufeffage,job,insured\n1,"a, b",true\n'.encode(), "input1", SCHEMA, 2).frame
    assert frame["job"].tolist() == ["a, b"] and frame["age"].tolist() == [1.0]


def test_an_inputs_own_rules_decimal_comma_and_words_are_read_by_arrow():
    frame = chunk_table(b'age,job,insured\n"1,5",a,ja\n-,b,NEIN\n2,-,true\n', "input1", SCHEMA, 2,
                        missing=("-",), decimal=",", true_words=("ja",), false_words=("nein",)).frame
    assert frame["age"].tolist()[0] == 1.5 and pd.isna(frame["age"].iloc[1]) and frame["age"].iloc[2] == 2.0
    assert frame["insured"].tolist() == [True, False, True]
    assert frame["job"].tolist()[:2] == ["a", "b"] and pd.isna(frame["job"].iloc[2])
