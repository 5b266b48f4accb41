"""Jupyter notebooks written without Jupyter: a list of cells as nbformat 4.5 JSON (the `.ipynb` file).

The studio only writes notebooks (Export as code, experiments/export.py), never runs them, so it needs none of
Jupyter: the format is a small JSON document (https://nbformat.readthedocs.io/en/latest/format_description.html).
Code cells are written unrun (no outputs, no execution count), so the file is the same for the same cells.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from typing import Any, Literal

NBFORMAT = 4
NBFORMAT_MINOR = 5  # 4.5: every cell has an id


@dataclass(frozen=True)
class Cell:
    """One cell: markdown text or Python source."""

    kind: Literal["markdown", "code"]
    source: str


def markdown(source: str) -> Cell:
    return Cell("markdown", source)


def code(source: str) -> Cell:
    return Cell("code", source)


def notebook_json(cells: list[Cell], python_version: str | None = None) -> str:
    """The notebook as nbformat 4.5 JSON, for a Python 3 kernel (the Python version it was written for: this
    one unless said). Sources are stored as lists of lines, as Jupyter saves them, so the file diffs well."""
    version = python_version or platform.python_version()
    document = {
        "cells": [_cell(cell, index) for index, cell in enumerate(cells)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                              "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                              "pygments_lexer": "ipython3", "version": version},
        },
        "nbformat": NBFORMAT,
        "nbformat_minor": NBFORMAT_MINOR,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _cell(cell: Cell, index: int) -> dict[str, Any]:
    body: dict[str, Any] = {"cell_type": cell.kind, "id": f"{cell.kind}-{index}", "metadata": {},
                            "source": cell.source.rstrip("\n").splitlines(keepends=True)}
    if cell.kind == "code":
        body |= {"execution_count": None, "outputs": []}
    return body
