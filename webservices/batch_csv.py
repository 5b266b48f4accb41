"""Batch job files: a chunk of results written (CSV, TSV; Parquet and ARFF are joined from Parquet parts), an
ARFF file written from the parts, a chunk of input read and typed by the input schema."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
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
