"""The linters are part of the suite: ruff, the import contracts and mypy over the Python, eslint, tsc and
vitest over the front end."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def run(command, cwd=ROOT):
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    result = run([sys.executable, "-m", "ruff", "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", ["lint", "typecheck", "test"])
def test_frontend_script_passes(script):
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to lint and test the front end (Node 20+)")
    result = run([npm, "run", "--silent", script], cwd=ROOT / "frontend")
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_go_one_way_and_in_no_cycle():
    """The contracts in pyproject.toml ([tool.importlinter]): webservices -> experiments -> studio."""
    result = run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_the_engine_the_module_library_and_the_conversion():
    result = run([sys.executable, "-m", "mypy", "--strict", "experiments/engine", "experiments/modules",
                  "experiments/conversion.py"])
    assert result.returncode == 0, result.stdout + result.stderr
