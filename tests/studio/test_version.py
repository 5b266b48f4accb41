"""The studio version every lineage records is the project's own."""

import tomllib
from pathlib import Path

from studio.version import STUDIO_VERSION


def test_the_recorded_studio_version_is_pyprojects():
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    assert STUDIO_VERSION == project["version"]
