"""One way to read a table file, shared by dataset uploads and Import Data (framework/table_files.py)."""

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest

from experiments import uploads
from experiments.modules import data_io
from experiments.modules.framework.table_files import (
    MISSING_MARKERS,
    GzipDamaged,
    GzipTooLarge,
    LineInvalid,
    ParsingRules,
    RulesInvalid,
    csv_options,
    gunzip,
    header_fields,
    line_check,
    lines_checked,
    rewrite_lenient,
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
    imported = data_io.read_table(text.encode(), "CSV", True).table.frame
    pd.testing.assert_frame_equal(imported, frame)
    assert "?" in MISSING_MARKERS
    assert not hasattr(uploads, "MISSING_MARKERS") and not hasattr(data_io, "MISSING_MARKERS")  # one list


def test_trimming_leaves_cells_that_are_not_text_as_they_are():
    frame = trimmed(pd.DataFrame({" mixed ": [" a ", 1, None]}))
    assert frame["mixed"].tolist() == ["a", 1, None]


# --- Parsing rules (issue 18, item 2) -----------------------------------------------------------------


def test_the_default_rules_are_how_every_file_was_read_and_an_empty_record_means_them():
    rules = ParsingRules()
    assert list(rules.missing) == MISSING_MARKERS and rules.decimal == "." and rules.true == rules.false == ()
    assert ParsingRules.from_json(None) == ParsingRules.from_json({}) == rules
    assert csv_options(",") == csv_options(",", rules)
    assert ParsingRules.of() == rules  # a form that sets nothing


def test_rules_from_a_form_and_back_from_their_record():
    rules = ParsingRules.of(missing=" -, n/a ,,-", decimal=",", true="ja, Y", false=["nein"])
    assert rules.missing == ("", "-", "n/a")  # the empty cell is always missing; words trimmed, once each
    assert rules.true == ("ja", "Y") and rules.false == ("nein",)
    assert ParsingRules.from_json(rules.as_json()) == rules
    assert ParsingRules.from_json({**rules.as_json(), "lenient": True, "padded": 3}) == rules  # the record's extras
    assert {"ja", "Y", "true", "True", "TRUE"} == rules.true_words


def test_a_file_read_by_its_rules():
    rules = ParsingRules.of(missing="-", decimal=",", true="ja", false="nein")
    frame = pd.read_csv(io.StringIO("x;y;z\n1,5;ja;?\n-;nein;-\n"), **csv_options(";", rules))
    assert frame["x"].tolist()[0] == 1.5 and pd.isna(frame["x"].tolist()[1])
    assert frame["y"].tolist() == [True, False]
    assert frame["z"].tolist()[0] == "?" and pd.isna(frame["z"].tolist()[1])  # '?' is not missing by these rules


@pytest.mark.parametrize(("given", "message"), [
    ({"decimal": ";"}, "decimal separator"),
    ({"true": "x", "false": "x"}, "'x' can't mean two things"),
    ({"true": "true", "false": "true"}, "can't mean two things"),
    ({"missing": "NA", "false": "NA"}, "'NA' can't mean two things"),
    ({"missing": ",".join(f"m{i}" for i in range(60))}, "at most 50 words"),
    ({"true": [1]}, "list of strings"),
])
def test_rules_that_cant_be_applied_are_refused_naming_the_option(given, message):
    with pytest.raises(RulesInvalid, match=message):
        ParsingRules.of(**given)


def test_a_decimal_comma_in_a_comma_separated_file_is_refused():
    with pytest.raises(RulesInvalid, match="also the field separator"):
        csv_options(",", ParsingRules(decimal=","))


# --- Lines of the wrong length (issue 18, item 3) --------------------------------------------------------


@pytest.mark.parametrize(("text", "first", "short", "long"), [
    ("a,b\n1,2\n", "", 0, 0),
    ("a,b\n1,2,3\n4\n", "Line 2 has 3 fields; the header has 2.", 1, 1),
    ("a,b\n1,2\n\n4\n", "Line 4 has 1 field; the header has 2.", 1, 0),  # the blank line counts as a line
    ('a,b\n"1\n2",3\n4,5,6\n', "Line 4 has 3 fields; the header has 2.", 0, 1),  # a quoted line break too
    ("a,b\r\n1,2\r\n3\r\n", "Line 3 has 1 field; the header has 2.", 1, 0),
    ('a,b\n1, "2,3"\n', "", 0, 0),  # as pandas reads it with skipinitialspace: one quoted field
])
def test_line_check_names_the_first_line_of_the_wrong_length_and_counts_them(tmp_path, text, first, short, long):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    lines = line_check(str(path), ",", 2)
    assert (lines.first, lines.short, lines.long) == (first, short, long)
    with open(path, "rb") as handle:  # an open file: the same answer, and it is left at its start
        assert line_check(handle, ",", 2).first == first and handle.tell() == 0


def test_a_lenient_copy_pads_short_lines_and_leaves_long_ones_out(tmp_path):
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text('a,b,c\n1,2,3\n4\n5,6,7,8\n"x\ny",?\n')
    rewrite_lenient(str(source), str(target), ",", 3)
    frame = pd.read_csv(target, **csv_options(","))
    assert frame.shape == (3, 3) and frame["a"].tolist() == ["1", "4", "x\ny"]
    assert frame.iloc[1, 1:].isna().all() and frame.iloc[2, 1:].isna().all()


@pytest.mark.parametrize("quote", ["", '"'])  # the numpy path (no quote) and the csv module's
def test_the_one_check_refuses_or_corrects_files_on_disk_and_in_memory_alike(tmp_path, quote):
    """lines_checked is what an upload (a file on disk) and Import Data (bytes in memory) both call."""
    text = f"a,b\n{quote}1{quote},2\n3\n4,5,6\n7,8\n".encode()
    path = tmp_path / "f.csv"
    path.write_bytes(text)
    for source, corrected in ((str(path), str(tmp_path / "fixed.csv")), (io.BytesIO(text), io.BytesIO())):
        with pytest.raises(LineInvalid) as refused:
            lines_checked(source, corrected, ",", header_fields(source, ","), lenient=False)
        assert (str(refused.value), refused.value.line) == ("Line 3 has 1 field; the header has 2.", 3)
        lines = lines_checked(source, corrected, ",", 2, lenient=True)
        assert (lines.short_lines, lines.long_lines) == ([3], [4])
        fixed = Path(corrected).read_bytes() if isinstance(corrected, str) else corrected.getvalue()
        assert fixed == b"a,b\n1,2\n3,\n7,8\n"
    no_header = io.BytesIO(b"1,2\n3\n")
    with pytest.raises(LineInvalid, match=r"^Line 2 has 1 field; line 1 has 2\.$"):
        lines_checked(no_header, io.BytesIO(), ",", 2, lenient=False, reference="line 1")


@pytest.mark.parametrize("quote", ["", '"'])  # the numpy path (no quote in the file) and the csv module's
def test_both_ways_of_counting_agree_on_blank_lines_and_line_ends(tmp_path, quote):
    text = f"a,b\r\n{quote}1{quote},2\r\n   \r\n\r\n3\r\n,\r\n4,5,6"  # the last line has no line end
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    lines = line_check(str(path), ",", 2)
    assert (lines.short_lines, lines.long_lines) == ([5], [7])
    frame = pd.read_csv(io.StringIO(text.replace("4,5,6", "4,5")), **csv_options(","))
    assert len(frame) == 4  # the lines pandas keeps: 2, 5 (padded), 6 (',': both missing) and 7


def test_a_file_with_old_mac_line_ends_is_counted_by_the_csv_module(tmp_path, monkeypatch):
    from experiments.modules.framework import table_files

    monkeypatch.setattr(table_files, "BLOCK", 16)  # 16 blocks without a line end: the numpy path gives way
    path = tmp_path / "mac.csv"
    path.write_bytes(b"a,b\r" + b"1,2\r" * 100 + b"3\r")
    assert line_check(str(path), ",", 2).first == "Line 102 has 1 field; the header has 2."
