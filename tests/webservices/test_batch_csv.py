"""A batch input chunk read by its input schema (webservices/batch_csv.py): each column by its parsing rules (the
dataset's missing markers, decimal separator, true/false words; the defaults without a record), and a file with a
line of the wrong length refused naming the line (issue 18, items 2 and 3). The Arrow reader (chunk_table) gives
the same table typed_frame gives: markers and blanks missing, a bad value named by column and row, the label
optional."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from webservices.batch_csv import chunk_table, lines_checked, typed_frame
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


SCHEMA = [{"name": "age", "kind": "numeric"}, {"name": "job", "kind": "string"},
          {"name": "insured", "kind": "boolean"}, {"name": "income", "kind": "string", "optional": True}]


def ruled(parsing: dict | None) -> list[dict]:
    """SCHEMA with every column read by the given parsing rules (None: the defaults)."""
    return [{**column, "parsing": parsing} if parsing else column for column in SCHEMA]


def arrow_read(text: str, first_row: int = 2, missing: tuple[str, ...] | None = None) -> pd.DataFrame:
    columns = ruled(None if missing is None else {"missing": ["", *missing]})
    return chunk_table(text.encode(), "input1", columns, first_row).frame


def test_a_chunk_is_typed_as_typed_frame_types_it():
    text = "age,job,insured,income\n39,clerk,true,<=50K\n,  ,no,\n50.5,Sales,1,>50K\n"
    frame = arrow_read(text)
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
    frame = arrow_read("age,job,insured,income\n?,?,?,?\n-,-, - ,x\n42,ok,false,y\n", missing=("?", "-"))
    assert frame["age"].isna().tolist() == [True, True, False]
    assert frame["job"].isna().tolist() == [True, True, False]  # ' - ' trimmed is a marker too
    assert frame["insured"].iloc[2] == False  # noqa: E712 (a boolean, not a truthy value)
    assert pd.isna(frame["insured"].iloc[0]) and pd.isna(frame["insured"].iloc[1])
    assert frame["income"].tolist()[1:] == ["x", "y"]


def test_the_default_markers_are_missing_and_a_question_mark_outside_the_rules_is_named():
    frame = arrow_read("age,job,insured\n1,NA,true\n?,b,null\n")
    assert frame["age"].isna().tolist() == [False, True] and pd.isna(frame["job"].iloc[0])
    assert pd.isna(frame["insured"].iloc[1])
    with pytest.raises(BadRequest) as refused:
        arrow_read("age,job,insured\n1,a,true\n?,b,false\n", first_row=1001, missing=("-",))
    assert refused.value.message == "Column 'age', row 1002: '?' is not a number"


def test_a_value_that_is_not_a_number_names_its_column_and_row_in_the_file():
    rows = "".join(f"{n},job{n},yes\n" for n in range(30)) + "thirty,x,no\n"
    with pytest.raises(BadRequest) as refused:
        arrow_read("age,job,insured\n" + rows, first_row=50_002)
    assert refused.value.message == "Column 'age', row 50032: 'thirty' is not a number"


def test_a_literal_nan_is_refused_as_typed_frame_refuses_it():
    with pytest.raises(BadRequest, match=r"row 3: 'nan' is not a number"):
        arrow_read("age,job,insured\n1,a,true\nnan,b,false\n", missing=())


@pytest.mark.parametrize("line", ["7,short", "7,too,many,fields,here"])
def test_a_ragged_line_is_refused_naming_the_line_never_padded(line):
    with pytest.raises(BadRequest) as refused:
        arrow_read(f"age,job,insured\n1,a,true\n{line}\n3,c,no\n", first_row=101)
    fields = len(line.split(","))
    assert refused.value.message.startswith(f"Line 102 has {fields} fields where the header has 3")


def test_a_ragged_line_after_a_bad_value_is_still_refused():
    """Arrow may stop at the bad value; the pandas reading would pad the short line, so it is checked first."""
    with pytest.raises(BadRequest, match=r"^Line 4 has 2 fields"):
        arrow_read("age,job,insured\n1,a,true\nx,b,no\n3,c\n")


def test_the_optional_label_may_be_absent_and_a_required_column_is_named():
    frame = arrow_read("age,job,insured\n39,clerk,true\n")
    assert list(frame.columns) == ["age", "job", "insured"]
    with pytest.raises(BadRequest, match=r"^Column 'insured' is missing"):
        arrow_read("age,job\n39,clerk\n")


def test_other_boolean_spellings_and_unknown_columns_read_as_typed_frame_reads_them():
    frame = arrow_read("age,job,insured,extra\n1,a,TRUE,\n2,b,Yes,z\n3,c,n/a,w\n")
    assert frame["insured"].tolist()[:2] == [True, True] and pd.isna(frame["insured"].iloc[2])
    assert frame["extra"].tolist() == ["", "z", "w"]  # not in the schema: kept as text, blanks empty
    assert math.isclose(frame["age"].sum(), 6)


def test_quoted_fields_and_a_byte_order_mark():
    frame = chunk_table('\ufeffage,job,insured\n1,"a, b",true\n'.encode(), "input1", SCHEMA, 2).frame
    assert frame["job"].tolist() == ["a, b"] and frame["age"].tolist() == [1.0]


def test_an_inputs_own_rules_decimal_comma_and_words_are_read_by_arrow():
    columns = ruled({"missing": ["", "-"], "decimal": ",", "true": ["ja"], "false": ["nein"]})
    frame = chunk_table(b'age,job,insured\n"1,5",a,ja\n-,b,NEIN\n2,-,true\n', "input1", columns, 2).frame
    assert frame["age"].tolist()[0] == 1.5 and pd.isna(frame["age"].iloc[1]) and frame["age"].iloc[2] == 2.0
    assert frame["insured"].tolist() == [True, False, True]
    assert frame["job"].tolist()[:2] == ["a", "b"] and pd.isna(frame["job"].iloc[2])


def test_columns_with_differing_rules_are_each_read_by_their_own():
    columns = [{"name": "a", "kind": "numeric", "parsing": {"missing": ["", "-"], "decimal": ","}},
               {"name": "b", "kind": "numeric"}]
    frame = chunk_table(b'a,b\n"1,5",?\n-,2.5\n', "input1", columns, 2).frame
    assert frame["a"].tolist()[0] == 1.5 and pd.isna(frame["a"].iloc[1])
    assert pd.isna(frame["b"].iloc[0]) and frame["b"].iloc[1] == 2.5
