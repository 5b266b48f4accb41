"""The studio's version, recorded in every lineage (which code trained a model). Kept equal to pyproject.toml's
[project] version by tests/studio/test_version.py."""

STUDIO_VERSION = "0.1.0"
