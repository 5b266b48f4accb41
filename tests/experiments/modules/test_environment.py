"""Settings are the only reader of the environment (STYLE rule 7): the module library reads django.conf.settings."""

import ast
from pathlib import Path

import experiments.modules
from experiments.modules.prediction import scoring_threads

PACKAGE = Path(experiments.modules.__file__).parent


def environment_reads(path: Path) -> list[str]:
    """`os.environ` / `os.getenv` / `getenv` in a file's code (a child's script inside a string is not code)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"}:
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
        elif isinstance(node, ast.Name) and node.id in {"environ", "getenv"}:
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_no_module_file_reads_the_environment():
    assert [read for path in sorted(PACKAGE.rglob("*.py")) for read in environment_reads(path)] == []


def test_large_predictions_use_the_threads_the_setting_gives(settings):
    assert scoring_threads() == 1
    settings.ATELIER_SCORING_THREADS = 4
    assert scoring_threads() == 4


def test_a_worker_gives_each_process_its_share_of_the_cores(settings, monkeypatch):
    from types import SimpleNamespace

    from webservices import tasks

    settings.ATELIER_SCORING_THREADS = 1  # through the fixture, so what the worker sets is undone after the test
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: 8)
    tasks.share_the_cores(None, SimpleNamespace(concurrency=2))
    assert settings.ATELIER_SCORING_THREADS == 4 == scoring_threads()
