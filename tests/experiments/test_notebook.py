"""The notebook writer (experiments/notebook.py): nbformat 4 JSON that gives back the cells it was given."""

from __future__ import annotations

import json

from experiments.notebook import code, markdown, notebook_json
from tests.experiments.test_export import notebook_code


def test_cells_are_written_as_nbformat_4_and_read_back_as_given():
    cells = [markdown("# Title\n\nText with `code`, ünïcode and a trailing newline\n"),
             code("import math\n\n\ndef f(x):\n    return math.sqrt(x)\n"),
             markdown("one line"), code("print(f(4.0))\nf(9.0)")]
    written = notebook_json(cells, python_version="3.11.7")
    document = json.loads(written)
    assert notebook_code(document) == "import math\n\n\ndef f(x):\n    return math.sqrt(x)\n\nprint(f(4.0))\nf(9.0)\n"
    assert [(cell["cell_type"], "".join(cell["source"])) for cell in document["cells"]] == \
        [(cell.kind, cell.source.rstrip("\n")) for cell in cells]
    assert document["cells"][1]["source"][:2] == ["import math\n", "\n"]  # lines, as Jupyter saves them
    assert document["metadata"]["language_info"]["version"] == "3.11.7"
    assert "ünïcode" in written and notebook_json(cells, python_version="3.11.7") == written  # same cells, same file


def test_an_unrun_code_cell_has_no_outputs_and_no_count():
    (cell,) = json.loads(notebook_json([code("1 + 1")]))["cells"]
    assert cell == {"cell_type": "code", "id": "code-0", "metadata": {}, "source": ["1 + 1"], "outputs": [],
                    "execution_count": None}
