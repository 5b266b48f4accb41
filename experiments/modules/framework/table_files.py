"""How a table file is read, the same for a dataset upload (experiments/uploads.py) and for Import Data
(data_io.py): which cells mean "missing", the CSV reader's options, gzip unpacked within a limit, and names
and text trimmed as the classic studio's sample data were. Written once, so an upload and an import of the
same file read the same table. Each caller turns the errors here into its own (DatasetError, ModuleError).

A dataset's parsing rules (ParsingRules: missing markers, decimal separator, true/false words) are recorded
with it (Dataset.parsing) and copied into a deployed service's input schema, so a raw row scored by the
service (webservices/scoring/wire.py) or read by a batch job (webservices/batch_csv.py) means what the same
line meant in the uploaded file (issue 18, item 2).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd

# The cells read as missing values (pandas' own default list is not used: it also takes "None", "n/a", ...).
MISSING_MARKERS = ["", "?", "NA", "N/A", "NaN", "nan", "null", "NULL"]
# The words pandas reads as booleans (a column of only these, and missing values, is boolean).
TRUE_WORDS = ("True", "TRUE", "true")
FALSE_WORDS = ("False", "FALSE", "false")
DECIMALS = (".", ",")
MAX_MARKERS = 50
BLOCK = 1024 * 1024


class RulesInvalid(ValueError):
    """Parsing rules that can't be applied; the message names the option."""


@dataclass(frozen=True)
class ParsingRules:
    """How a file's cells were read: which mean missing, the decimal separator, the extra words read as true
    and false. The defaults are how every file was read before the rules were recorded, so a dataset or a
    service without a record reads as it always did."""

    missing: tuple[str, ...] = tuple(MISSING_MARKERS)
    decimal: str = "."
    true: tuple[str, ...] = ()
    false: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.decimal not in DECIMALS:
            raise RulesInvalid(f"The decimal separator must be '.' or ','; got {self.decimal!r}.")
        for option, words in (("missing", self.missing), ("true", self.true), ("false", self.false)):
            if len(words) > MAX_MARKERS or not all(isinstance(word, str) and len(word) <= 100 for word in words):
                raise RulesInvalid(f"'{option}' takes at most {MAX_MARKERS} words of at most 100 characters.")
        both = (set(self.true) | set(TRUE_WORDS)) & (set(self.false) | set(FALSE_WORDS))
        clash = both or (set(self.true) | set(self.false)) & set(self.missing)
        if clash:
            raise RulesInvalid(f"{sorted(clash)[0]!r} can't mean two things: it is in more than one of the "
                               "missing, true and false words.")

    @classmethod
    def of(cls, *, missing: str | list[str] | None = None, decimal: str | None = None,
           true: str | list[str] | None = None, false: str | list[str] | None = None) -> ParsingRules:
        """Rules from a form or a JSON body: word lists as lists or comma-separated text; the empty cell is
        always missing; an option left out keeps its default."""
        default = cls()
        markers = default.missing if missing is None else ("", *(w for w in _words(missing) if w))
        return cls(missing=tuple(dict.fromkeys(markers)), decimal=default.decimal if not decimal else decimal,
                   true=_words(true), false=_words(false))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ParsingRules:
        """The record (Dataset.parsing, a schema column's "parsing"); none, or an empty one, is the defaults."""
        if not data:
            return cls()
        return cls(missing=tuple(data.get("missing", MISSING_MARKERS)), decimal=data.get("decimal", "."),
                   true=tuple(data.get("true", ())), false=tuple(data.get("false", ())))

    def as_json(self) -> dict[str, Any]:
        return {"missing": list(self.missing), "decimal": self.decimal, "true": list(self.true),
                "false": list(self.false)}

    @property
    def true_words(self) -> frozenset[str]:
        return frozenset(TRUE_WORDS) | frozenset(self.true)

    @property
    def false_words(self) -> frozenset[str]:
        return frozenset(FALSE_WORDS) | frozenset(self.false)


def _words(value: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(word, str) for word in value):
        raise RulesInvalid("A word list must be text (words separated by commas) or a list of strings.")
    return tuple(dict.fromkeys(word.strip() for word in value if word.strip()))


class GzipTooLarge(ValueError):
    """The file unpacks to more than the limit (a gzip bomb stops there)."""


class GzipDamaged(ValueError):
    """Not a gzip file, or a damaged one; the message is what the gzip reader said."""


def csv_options(separator: str, rules: ParsingRules | None = None) -> dict[str, Any]:
    """pandas.read_csv's options for a CSV (",") or TSV ("\\t") file, chunked or whole, read by `rules`
    (the defaults when none)."""
    rules = rules or ParsingRules()
    if rules.decimal == separator:
        raise RulesInvalid(f"The decimal separator {rules.decimal!r} is also the field separator; choose ';' as "
                           "the field separator (or '.' as the decimal separator).")
    options: dict[str, Any] = {"sep": separator, "na_values": list(rules.missing), "keep_default_na": False,
                               "skipinitialspace": True, "encoding": "utf-8", "decimal": rules.decimal}
    if rules.true or rules.false:
        options["true_values"], options["false_values"] = list(rules.true_words), list(rules.false_words)
    return options


def gunzip(packed: IO[bytes], out: IO[bytes], *, limit: int) -> None:
    """Unpack `packed` into `out` a block at a time, refusing (GzipTooLarge) once more than `limit` bytes came
    out, so memory or disk never holds more than the limit and a block."""
    written = 0
    try:
        with gzip.GzipFile(fileobj=packed, mode="rb") as handle:
            while block := handle.read(BLOCK):
                written += len(block)
                if written > limit:
                    raise GzipTooLarge(f"unpacks to more than {limit // 2**20} MiB")
                out.write(block)
    except (OSError, EOFError, zlib.error) as error:
        raise GzipDamaged(str(error)) from None


def is_text(series: pd.Series) -> bool:
    """A column of text as pandas reads one (object or string dtype; a categorical column is not)."""
    return bool(pd.api.types.is_string_dtype(series.dtype)) and not isinstance(series.dtype, pd.CategoricalDtype)


def trimmed(frame: pd.DataFrame) -> pd.DataFrame:
    """Header names and text cells without surrounding spaces; other cells as they are."""
    frame = frame.rename(columns=lambda name: str(name).strip())
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype) or frame[column].dtype == object:
            frame[column] = frame[column].map(lambda value: value.strip() if isinstance(value, str) else value)
    return frame


# --- Lines of the wrong length ------------------------------------------------------------------------

KEPT_LINE_NUMBERS = 10  # a report names the first few lines of each kind, and counts them all


class LineInvalid(ValueError):
    """A data line with more or fewer fields than the header; the message names the line (1-based, the header
    is line 1) and both counts, `lines` is the check that found it."""

    def __init__(self, lines: Lines) -> None:
        super().__init__(lines.first)
        self.lines = lines
        self.line = lines.first_line


@dataclass
class Lines:
    """The data lines whose field count is not the header's: short ones (padded with missing values when
    lenient) and long ones (skipped when lenient), counted, the first few named by their line in the file."""

    header: int
    short: int = 0
    long: int = 0
    short_lines: list[int] | None = None
    long_lines: list[int] | None = None
    first: str = ""
    first_line: int = 0
    reference: str = "the header"  # what set the field count: "line 1" for a file without a header row

    @property
    def ragged(self) -> bool:
        return bool(self.short or self.long)

    def note(self, number: int, fields: int) -> None:
        kind = "short" if fields < self.header else "long"
        setattr(self, kind, getattr(self, kind) + 1)
        kept = getattr(self, f"{kind}_lines") or []
        if len(kept) < KEPT_LINE_NUMBERS:
            setattr(self, f"{kind}_lines", [*kept, number])
        if not self.first:
            self.first, self.first_line = line_problem(number, fields, self.header, self.reference), number

    def as_json(self) -> dict[str, Any]:
        """As recorded with a dataset read leniently (Dataset.parsing): how many lines were padded and skipped."""
        return {"padded": self.short, "skipped": self.long, "padded_lines": self.short_lines or [],
                "skipped_lines": self.long_lines or []}

    def summary(self) -> str:
        """'1 short line padded with missing values (line 4); 2 long lines skipped (lines 3, 9).'"""
        parts = []
        for count, lines, what in ((self.short, self.short_lines, "short {} padded with missing values"),
                                   (self.long, self.long_lines, "long {} skipped")):
            if count:
                named = ", ".join(map(str, lines or [])) + (", …" if count > len(lines or []) else "")
                word = "line" if count == 1 else "lines"
                parts.append(f"{count} {what.format(word)} ({'line' if len(lines or []) == 1 else 'lines'} {named})")
        return "; ".join(parts) + "." if parts else "No line was padded or skipped."


def line_problem(number: int, fields: int, header: int, reference: str = "the header") -> str:
    """'Line 3 has 3 fields; the header has 2.'"""
    return f"Line {number} has {fields} field{'' if fields == 1 else 's'}; {reference} has {header}."


def header_fields(source: str | IO[bytes], separator: str) -> int:
    """The first line's field count, found before parsing a block at a time: a few megabytes of separators (a
    CSV bomb) would otherwise make the parser build a million columns. An open file is left at its start."""
    count, quoted, head = 0, False, b""
    try:
        with _opened(source) as handle:
            while block := handle.read(BLOCK):
                line, newline, _ = block.partition(b"\n")
                count += line.count(separator.encode())
                quoted = quoted or b'"' in line
                if len(head) < BLOCK:
                    head += line
                if newline:
                    break
    finally:
        if not isinstance(source, str):
            source.seek(0)
    if quoted and len(head) < BLOCK:  # a quoted name may hold the separator: count as the CSV reader does
        import csv

        return len(next(csv.reader([head.decode("utf-8", "replace")], delimiter=separator, skipinitialspace=True)))
    return count + 1


def lines_checked(source: str | IO[bytes], corrected: str | IO[bytes], separator: str, header: int, *,
                  lenient: bool, reference: str = "the header") -> Lines:
    """The one check of a text table's lines, for an upload and for Import Data alike: LineInvalid at the
    first line whose field count is not the header's (`header`), unless `lenient`; then, when there are such
    lines, `corrected` is written with short lines padded and long ones left out (read it instead of `source`
    when the answer is `ragged`), and the answer counts and names them."""
    lines = line_check(source, separator, header, stop_at_first=not lenient, reference=reference)
    if lines.ragged and not lenient:
        raise LineInvalid(lines)
    if lines.ragged:
        rewrite_lenient(source, corrected, separator, header)
    return lines


def line_check(source: str | IO[bytes], separator: str, header: int, *, stop_at_first: bool = False,
               skip_initial_space: bool = True, reference: str = "the header") -> Lines:
    """Every data line's field count against the header's (`header` fields), as pandas' reader splits fields.

    Fast path, for a file without a quote character (no field can hold a separator or a line break): numpy
    counts the separators of each line a block at a time (about 0.25 s per 100 MB, memory a few MiB). Any other
    file is read with the csv module as pandas splits it (about 1 s per 100 MB). A source that is an open file
    is read from its start, and left at its start. `skip_initial_space` as the pandas reader that follows has
    it (uploads: True; batch inputs: False). pyarrow's CSV parser was tried too: as fast, but it added 15-30
    MiB to the upload's peak memory whatever the file's size. `reference` names what set the count in the
    message ("the header"; "line 1" when the first line is data)."""
    plain = _plain_lines(source, separator, Lines(header, reference=reference), stop_at_first)
    if plain is not None:
        return plain
    return _exact_lines(source, separator, Lines(header, reference=reference), stop_at_first, skip_initial_space)


def _opened(source: str | IO[bytes]) -> Any:
    from contextlib import nullcontext

    if isinstance(source, str):
        return open(source, "rb")
    source.seek(0)
    return nullcontext(source)


def _plain_lines(source: str | IO[bytes], separator: str, lines: Lines, stop_at_first: bool) -> Lines | None:
    """The lines of a file without quotes, counted with numpy (into `lines`); None as soon as a quote shows up."""
    done, carry = 0, b""
    mark = ord(separator)
    try:
        with _opened(source) as handle:
            while True:
                block = handle.read(BLOCK)
                data = carry + block if block else carry + b"\n" if carry else b""
                if not data:
                    break
                if b'"' in data:
                    return None
                cut = data.rfind(b"\n") + 1
                whole, carry = data[:cut], data[cut:]
                if len(carry) > 16 * BLOCK:
                    return None  # no line end for 16 MiB ('\r' ends, or one huge line): the csv module streams it
                if whole:
                    _count_block(whole, mark, done, lines)
                    done += whole.count(b"\n")
                if not block or (stop_at_first and lines.ragged):
                    break
    finally:
        if not isinstance(source, str):
            source.seek(0)
    return lines


def _count_block(data: bytes, mark: int, done: int, lines: Lines) -> None:
    """Note each line of `data` (whole lines; `done` lines came before it, the first of the file is the header)
    whose separators don't make the header's field count; blank lines are skipped, as pandas skips them."""
    import numpy as np

    array = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(array == ord("\n"))
    fields = np.diff(np.searchsorted(np.flatnonzero(array == mark), ends), prepend=0) + 1
    for index in np.flatnonzero(fields != lines.header):
        start = int(ends[index - 1]) + 1 if index else 0
        if (done or index) and data[start:int(ends[index])].strip(b" \t\r"):  # not the header, not blank
            lines.note(done + int(index) + 1, int(fields[index]))


def _exact_lines(source: str | IO[bytes], separator: str, lines: Lines, stop_at_first: bool,
                 skip_initial_space: bool) -> Lines:
    import csv
    import io

    header = lines.header
    with _opened(source) as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        try:
            reader = csv.reader(text, delimiter=separator, skipinitialspace=skip_initial_space)
            _allow_large_fields(csv)
            next(reader, None)
            start = reader.line_num + 1
            for row in reader:
                if len(row) != header and not _blank(row, separator):
                    lines.note(start, len(row))
                    if stop_at_first:
                        break
                start = reader.line_num + 1
        finally:
            text.detach()
            if not isinstance(source, str):
                source.seek(0)
    return lines


def _blank(row: list[str], separator: str) -> bool:
    """A line of nothing but spaces, which pandas skips (',,' is a row of missing values, not a blank line)."""
    return not row or ((len(row) == 1 or separator == "\t") and not "".join(row).strip(" \t"))


def _allow_large_fields(csv: Any) -> None:
    """The csv module refuses fields over 128 KiB; the upload's own cell limit (MAX_CELL_CHARS) applies later."""
    if csv.field_size_limit() < 2**30:
        csv.field_size_limit(2**30)


def rewrite_lenient(source: str | IO[bytes], target: str | IO[bytes], separator: str, header: int) -> None:
    """A copy of the file with every short line padded with empty (missing) fields and every long line left out,
    as the lenient reading promises; only written when line_check found such lines. Paths or open binary files
    (an open source is read from its start; an open target is written where it is, and left open)."""
    import csv
    import io
    from contextlib import nullcontext

    _allow_large_fields(csv)
    written = open(target, "wb") if isinstance(target, str) else nullcontext(target)
    with _opened(source) as handle, written as sink:
        read = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        out = io.TextIOWrapper(sink, encoding="utf-8", newline="")
        try:
            writer = csv.writer(out, delimiter=separator, lineterminator="\n")
            for row in csv.reader(read, delimiter=separator, skipinitialspace=True):
                if _blank(row, separator) or len(row) > header:
                    continue
                writer.writerow(row + [""] * (header - len(row)))
            out.flush()
        finally:
            read.detach()
            out.detach()
            if not isinstance(source, str):
                source.seek(0)
