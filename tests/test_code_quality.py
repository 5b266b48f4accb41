"""The linters are part of the suite: ruff, the import contracts and mypy over the Python, eslint, tsc and
vitest over the front end."""

import ast
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


def test_mypy_strict_on_the_engine_the_module_library_the_conversion_and_the_scoring_package():
    result = run([sys.executable, "-m", "mypy", "--strict", "experiments/engine", "experiments/modules",
                  "experiments/conversion.py", "experiments/service_kinds.py", "webservices/scoring"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_over_the_three_apps():
    result = run([sys.executable, "-m", "mypy", "studio", "experiments", "webservices"])
    assert result.returncode == 0, result.stdout + result.stderr


# Who may touch os.environ besides settings, and why: the entry points name the settings module before Django
# starts, and runstudio hands its children their environment (it reads nothing from it).
ENVIRONMENT_ALLOWED = {"studio/settings.py", "studio/asgi.py", "studio/wsgi.py", "studio/celery.py",
                       "studio/management/commands/runstudio.py"}


def test_settings_are_the_only_reader_of_the_environment():
    found = []
    for app in ("studio", "experiments", "webservices"):
        for path in sorted((ROOT / app).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in ENVIRONMENT_ALLOWED:
                continue
            for node in ast.walk(ast.parse(path.read_text(), name)):  # a child's script in a string is not code
                if (isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}) or (
                        isinstance(node, ast.Name) and node.id in {"environ", "getenv"}):
                    found.append(f"{name}:{node.lineno}")
    assert found == [], "read the environment in studio/settings.py and the setting here: " + ", ".join(found)
