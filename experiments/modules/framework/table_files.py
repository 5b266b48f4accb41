"""How a table file is read, the same for a dataset upload (experiments/uploads.py) and for Import Data
(data_io.py): which cells mean "missing", the CSV reader's options, gzip unpacked within a limit, and names
and text trimmed as the classic studio's sample data were. Written once, so an upload and an import of the
same file read the same table. Each caller turns the errors here into its own (DatasetError, ModuleError).
"""

from __future__ import annotations

import gzip
import zlib
from typing import IO, Any

import pandas as pd

# The cells read as missing values (pandas' own default list is not used: it also takes "None", "n/a", ...).
MISSING_MARKERS = ["", "?", "NA", "N/A", "NaN", "nan", "null", "NULL"]
BLOCK = 1024 * 1024


class GzipTooLarge(ValueError):
    """The file unpacks to more than the limit (a gzip bomb stops there)."""


class GzipDamaged(ValueError):
    """Not a gzip file, or a damaged one; the message is what the gzip reader said."""


def csv_options(separator: str) -> dict[str, Any]:
    """pandas.read_csv's options for a CSV (",") or TSV ("\\t") file, chunked or whole."""
    return {"sep": separator, "na_values": MISSING_MARKERS, "keep_default_na": False, "skipinitialspace": True,
            "encoding": "utf-8"}


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
