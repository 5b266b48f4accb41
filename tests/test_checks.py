"""System-check ids are distinct: each names one kind of problem, so an operator can look it up and
SILENCED_SYSTEM_CHECKS can silence exactly that kind."""

import ast
import re
from collections import Counter
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ["studio", "experiments", "webservices"]
CHECK_ID = re.compile(r"[a-z_]+\.[CEIW]\d{3}")


def check_ids_in_source() -> Counter:
    """Every string literal of the apps that reads like a check id ("experiments.E001"), counted."""
    found: Counter = Counter()
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and CHECK_ID.fullmatch(node.value):
                    found[node.value] += 1
    return found


def test_each_system_check_id_is_written_once():
    found = check_ids_in_source()
    assert {"experiments.E001", "experiments.W001", "studio.W001"} <= set(found), found
    assert [check_id for check_id, count in found.items() if count > 1] == []


def test_each_kind_of_module_problem_has_its_own_id():
    from experiments import checks

    kinds = [value for name, value in vars(checks).items() if name.isupper() and isinstance(value, str)
             and CHECK_ID.fullmatch(value)]
    assert len(kinds) == len(set(kinds)) >= 10
