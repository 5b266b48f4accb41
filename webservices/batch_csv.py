"""Batch job files: a chunk of results written (CSV, TSV; Parquet and ARFF are joined from Parquet parts), an
ARFF file written from the parts, a chunk of input read and typed by the input schema."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from experiments.modules.framework.datatable import DataTable

from .scoring.wire import BadRequest, CellRules

TABLE_EXTENSIONS = (".csv", ".tsv", ".parquet", ".arff")


def part_extension(location: str) -> str:
    """The format of a job's output parts: text formats are written per chunk and joined as bytes; Parquet and
    ARFF (whose header lists every nominal value of the whole file) are joined from Parquet parts."""
    return "tsv" if location.endswith(".tsv") else "csv" if location.endswith(".csv") else "parquet"


def csv_part(frame: Any, header: bool, delimiter: str = ",") -> bytes:
    """A batch output chunk as CSV (or TSV with a tab `delimiter`). Arrow's writer is
    ~15x faster than pandas': numbers in their shortest round-trip form ("39", "1e-07"), text quoted, booleans
    true/false. Columns Arrow can't type (mixed Python objects) fall back to pandas' writer."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        buffer = pa.BufferOutputStream()
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=header, delimiter=delimiter))
        return bytes(buffer.getvalue())
    except (pa.ArrowException, TypeError, ValueError):
        return str(frame.to_csv(header=header, index=False, sep=delimiter)).encode()


def text_part(frame: Any, extension: str, header: bool) -> bytes:
    return csv_part(frame, header, "\t" if extension == "tsv" else ",")


# --- ARFF, as Weka (and the classic studio's Convert to ARFF) wrote it -------------------------------------

NOMINAL_LIMIT = 1000  # more distinct values than this: a string attribute
_PLAIN = re.compile(r"^[A-Za-z0-9_.+\-]+$")


def _arff_quote(value: str) -> str:
    if _PLAIN.match(value) and value != "?":
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r") + "'"


def _arff_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


def _arff_types(frames: Iterator[Any]) -> dict[str, str]:
    """{column: ARFF type}: numeric, nominal {values…} (text and booleans, up to NOMINAL_LIMIT values), string."""
    import pandas as pd

    numeric: dict[str, bool] = {}
    values: dict[str, set[str] | None] = {}
    for frame in frames:
        for name in frame.columns:
            column = frame[name]
            is_number = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
            numeric[name] = numeric.get(name, True) and is_number
            seen = values.setdefault(name, set())
            if seen is not None and not is_number:
                seen.update(str(v) for v in column.dropna().unique())
                if len(seen) > NOMINAL_LIMIT:
                    values[name] = None
    types = {}
    for name, is_number in numeric.items():
        seen = values[name]
        types[name] = ("numeric" if is_number else "string" if seen is None
                       else "{" + ",".join(_arff_quote(v) for v in sorted(seen)) + "}")
    return types


def arff_write(frames: Callable[[], Iterator[Any]], out: IO[bytes], relation: str) -> None:
    """Two passes over the table's chunks (`frames()` gives them again): the attribute types, then the rows. Memory
    stays bounded by a chunk and the nominal values. Missing values are '?'."""
    types = _arff_types(frames())
    out.write(f"@relation {_arff_quote(relation)}\n\n".encode())
    for name, kind in types.items():
        out.write(f"@attribute {_arff_quote(str(name))} {kind}\n".encode())
    out.write(b"\n@data\n")
    for frame in frames():
        columns = []
        for name in types:
            column = frame[name]
            render = _arff_number if types[name] == "numeric" else (lambda v: _arff_quote(str(v)))
            columns.append([("?" if v is None or v != v else render(v)) for v in column.tolist()])
        for row in zip(*columns, strict=True):
            out.write((",".join(row) + "\n").encode())


def _arrow_numbers(text: Any) -> Any:
    """A text column as float64 through Arrow's C++ cast, when every value is a plain number or empty; None
    for anything else (padding, 'nan', words), which the pandas path below converts or reports by row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pa.array(text.array) if hasattr(text.array, "_pa_array") else pa.array(text, type=pa.large_string())
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
        numbers = pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    result = numbers.to_numpy(zero_copy_only=False)
    if int(np.isnan(result).sum()) != numbers.null_count:
        return None  # a literal 'nan': the pandas path decides
    return result


def lines_checked(handle: IO[bytes], input_name: str) -> None:
    """Refuse a batch input CSV with a line of more or fewer fields than its header, naming the line (1-based, the
    header is line 1): pandas would pad a short line with missing values and read a long first line's extra
    field as an index, scoring rows the caller never sent. The handle is left at its start."""
    import csv

    from experiments.modules.framework.table_files import line_check

    handle.seek(0)
    header = handle.readline(2**20).decode("utf-8", "replace")
    handle.seek(0)
    if not header.strip():
        return  # an empty input: the reader says so
    fields = len(next(csv.reader([header.rstrip("\r\n")]), []))
    lines = line_check(handle, ",", fields, stop_at_first=True, skip_initial_space=False)
    if lines.ragged:
        raise BadRequest(f"Input '{input_name}': {lines.first} Every line needs one value per column (an empty "
                         "value for a missing one).", input_name)


def _unmarked(text: Any, rules: CellRules) -> Any:
    """A text column with the missing markers as missing and a decimal comma as a point (the slow path only: a
    column of plain numbers never comes here)."""
    stripped = text.astype(str).str.strip()
    text = text.where(~stripped.isin(rules.missing))
    return text.str.replace(",", ".", regex=False) if rules.decimal == "," else text


def typed_frame(frame: Any, input_name: str, columns: list[dict[str, Any]], first_row: int) -> DataTable:
    """A batch chunk read as text, typed by the input schema in one pass per column; a value that can't be
    converted is named with its column and its row in the file (`first_row` is the chunk's first). Each column
    is read by its schema's parsing rules ("parsing", the defaults without): a missing marker ('?', 'NA', ...,
    or the dataset's own) is missing, as it was when the training data was uploaded."""
    import numpy as np
    import pandas as pd

    missing = [c["name"] for c in columns if c["name"] not in frame.columns and not c.get("optional")]
    if missing:
        raise BadRequest(f"Column '{missing[0]}' is missing", input_name)
    for column in columns:
        name = column["name"]
        if name not in frame.columns:
            continue
        text = frame[name]
        rules = CellRules.of(column)
        if column["kind"] == "numeric":
            fast = _arrow_numbers(text)
            if fast is None:  # markers or a decimal comma, or values that are not numbers (reported below)
                text = _unmarked(text, rules)
                fast = _arrow_numbers(text)
            if fast is not None:
                frame[name] = fast
                continue
            numbers = pd.to_numeric(text, errors="coerce")  # blanks and bad values become NaN
            unsure = numbers.isna().to_numpy()
            if unsure.any():  # few rows: tell blanks (missing) from values that are not numbers
                given = text[unsure]
                bad = given.notna() & (given.astype(str).str.strip() != "")
                if bad.any():
                    position = int(np.flatnonzero(unsure)[int(bad.to_numpy().argmax())])
                    given_value = frame[name].iloc[position]
                    raise BadRequest(f"Column '{name}', row {first_row + position}: {given_value!r} is not a number",
                                     input_name)
            frame[name] = numbers.astype(float)
            continue
        blank = text.isna() | text.astype(str).str.strip().isin(rules.missing)
        if column["kind"] == "boolean":
            lowered = text.astype(str).str.strip().str.lower()
            frame[name] = lowered.map({**dict.fromkeys(rules.true, True), **dict.fromkeys(rules.false, False)})
        else:
            frame[name] = text.where(~blank, None).astype(object)
    return DataTable(frame)


# --- A chunk of CSV input, read by Arrow -------------------------------------------------------------------

TRUE_WORDS = ("true", "1", "yes")  # typed_frame's words
FALSE_WORDS = ("false", "0", "no")


def _spellings(words: Sequence[str]) -> list[str]:
    """Arrow matches true/false words exactly: each word as written, lower, upper and capitalised (typed_frame
    ignores case; any other spelling sends the chunk to typed_frame)."""
    return sorted({form for word in words for form in (word, word.lower(), word.upper(), word.capitalize())})


def _required_check(names: Sequence[str], input_name: str, columns: list[dict[str, Any]]) -> None:
    absent = [c["name"] for c in columns if c["name"] not in names and not c.get("optional")]
    if absent:
        raise BadRequest(f"Column '{absent[0]}' is missing", input_name)


def _ragged_line(data: bytes, first_row: int) -> tuple[int, int, int] | None:
    """(line in the file, its fields, the header's) of the chunk's first line whose field count differs from
    the header's; None when every line has as many. Only called when Arrow has refused the chunk."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline=""))
    fields = len(next(rows, []))
    for row in rows:
        if row and len(row) != fields:  # an empty line is skipped (Arrow and pandas skip it too)
            return first_row + rows.line_num - 2, len(row), fields
    return None


def _ragged_refuse(data: bytes, input_name: str, first_row: int) -> None:
    ragged = _ragged_line(data, first_row)
    if ragged is not None:
        line, fields, expected = ragged
        raise BadRequest(f"Line {line} has {fields} fields where the header has {expected}; every line needs one "
                         "value per column (an empty value for a missing one).", input_name)


def _arrow_frame(data: bytes, names: list[str], columns: list[dict[str, Any]], missing: Sequence[str],
                 decimal: str = ".", true_words: Sequence[str] = (), false_words: Sequence[str] = ()) -> Any:
    """The chunk typed by the schema in Arrow's C++ reader (numbers float64, booleans, text), as typed_frame
    types it; None when a value needs typed_frame's judgement (a value that isn't a number, a literal 'nan',
    another spelling of a boolean). Raises ArrowInvalid on a line with the wrong number of fields."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    kinds = {c["name"]: c["kind"] for c in columns}
    types = {name: pa.float64() if kinds.get(name) == "numeric" else pa.bool_() if kinds.get(name) == "boolean"
             else pa.string() for name in names}
    markers = ["", *missing]
    try:
        table = pa_csv.read_csv(pa.py_buffer(data), convert_options=pa_csv.ConvertOptions(
            column_types=types, null_values=markers, strings_can_be_null=True, quoted_strings_can_be_null=True,
            true_values=_spellings([*TRUE_WORDS, *true_words]), false_values=_spellings([*FALSE_WORDS, *false_words]),
            decimal_point=decimal))
    except pa.ArrowInvalid as error:
        if "CSV parse error" in str(error):
            raise
        return None  # a conversion error: typed_frame reads the chunk and names the cell
    blanks = pa.array(markers, pa.string())
    data_columns: dict[str, Any] = {}
    for name, values in zip(table.column_names, table.columns, strict=True):
        kind = kinds.get(name)
        if kind == "numeric":
            numbers = values.to_numpy()
            if int(np.isnan(numbers).sum()) != values.null_count:
                return None  # a literal 'nan' typed_frame refuses
            data_columns[name] = numbers
        elif kind == "boolean":
            flags = values.to_numpy(zero_copy_only=False)
            data_columns[name] = np.where(pd.isna(flags), np.nan, flags).astype(object) if values.null_count \
                else flags.astype(bool)
        elif kind is None:  # not in the schema: the text as read, blanks empty (as typed_frame leaves it)
            data_columns[name] = pd.Series(pc.fill_null(values, "").to_numpy(zero_copy_only=False), dtype=object)
        else:  # text: blank or a marker after trimming is missing, as typed_frame reads it
            blank = pc.is_in(pc.utf8_trim_whitespace(values), value_set=blanks)
            if pc.any(blank).as_py():
                values = pc.if_else(blank, pa.scalar(None, pa.string()), values)
            data_columns[name] = values.to_pandas()  # pandas' own text dtype, on the Arrow buffers as read
    return pd.DataFrame({name: pd.Series(column, copy=False) if isinstance(column, np.ndarray) else column
                         for name, column in data_columns.items()}, copy=False)


def chunk_table(data: bytes, input_name: str, columns: list[dict[str, Any]], first_row: int) -> DataTable:
    """A chunk of CSV input (its header line first) typed by the input schema: read by Arrow (~3x faster than
    pandas reading text then typing it), or by typed_frame when a value needs its judgement, so a value that
    isn't a number is still named with its column and row. Cells are read by the columns' parsing rules
    (CellRules: blanks and missing markers, exact or trimmed, are missing; the decimal separator; true/false
    words); Arrow takes one set for the whole file, so columns with differing rules go to typed_frame. A line
    with more or fewer fields than the header is refused naming its line (never padded)."""
    import pandas as pd
    import pyarrow as pa

    header = data.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")
    names = next(csv.reader([header]), [])
    _required_check(names, input_name, columns)
    frame = None
    rules = {CellRules.of(column) for column in columns if column["name"] in names}
    if len(set(names)) == len(names) and len(rules) <= 1:  # repeated names: pandas' renaming (a, a.1) decides
        shared = rules.pop() if rules else CellRules.of(None)
        try:
            frame = _arrow_frame(data, names, columns, sorted(shared.missing - {""}), shared.decimal,
                                 sorted(shared.true), sorted(shared.false))
        except pa.ArrowInvalid as error:
            _ragged_refuse(data, input_name, first_row)
            raise BadRequest(f"The input is not a readable CSV file: {error}", input_name) from None
    if frame is not None:
        return DataTable(frame)
    _ragged_refuse(data, input_name, first_row)  # Arrow may stop at a bad value before it sees every line
    text = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    table = typed_frame(text, input_name, columns, first_row)
    for column in columns:  # text as the Arrow path gives it (and as uploaded datasets hold it): pandas' str
        if column["kind"] not in ("numeric", "boolean") and column["name"] in table.frame.columns:
            table.frame[column["name"]] = table.frame[column["name"]].astype("str")
    return table
