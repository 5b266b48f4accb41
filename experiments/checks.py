"""System checks over every module declaration (like the admin's checks): every problem, a stable id."""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

from django.conf import settings
from django.core import checks

from .modules.framework.params import Columns, Int, ParamInvalid
from .modules.framework.ports import PortType
from .modules.framework.registry import registry

# One stable id per kind of problem a module declaration can have (as the admin's checks have), so a
# maintainer can look an id up and silence exactly one kind. tests/test_checks.py holds them distinct.
MISSING_ATTRIBUTE = "experiments.E001"
MALFORMED_ID = "experiments.E002"
REPEATED_PORT = "experiments.E003"
UNLABELLED_PARAMETER = "experiments.E004"
INVALID_DEFAULT = "experiments.E005"
UNBOUNDED_INTEGER = "experiments.E006"
UNKNOWN_DEPENDENCY = "experiments.E007"
COLUMNS_OF_NO_DATASET = "experiments.E008"
UNKNOWN_CAPTION_PARAMETER = "experiments.E009"
SANDBOX_UNAVAILABLE = "experiments.W001"

MODULE_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def module_problems(cls: Any) -> list[str]:
    """Every problem of a module declaration, in words."""
    return [problem for _, problem in module_findings(cls)]


def module_findings(cls: Any) -> list[tuple[str, str]]:
    """Every problem of a module declaration, each with the id of its kind."""
    found = [(MISSING_ATTRIBUTE, f"declares no {attribute}") for attribute in ("name", "category", "description")
             if not getattr(cls, attribute, "")]
    if not MODULE_ID.fullmatch(cls.id):
        found.append((MALFORMED_ID, f"has id '{cls.id}', which is not lower-case words joined by hyphens"))
    for ports in ([port.name for port in cls.inputs], [port.name for port in cls.outputs]):
        if len(set(ports)) != len(ports):
            found.append((REPEATED_PORT, "repeats a port name"))
    for key, param in cls.params.items():
        found += parameter_findings(cls, key, param)
    found += [(UNKNOWN_CAPTION_PARAMETER, f"caption names unknown parameter '{key}'")
              for key in caption_parameters(cls) if key not in cls.params]
    return found


def parameter_findings(cls: Any, key: str, param: Any) -> list[tuple[str, str]]:
    found = []
    if not param.label:
        found.append((UNLABELLED_PARAMETER, f"parameter '{key}' has no label"))
    try:
        param.clean(param.default)
    except ParamInvalid as invalid:
        found.append((INVALID_DEFAULT, f"parameter '{key}' has a default that is not {invalid}"))
    if isinstance(param, Int) and param.maximum is None:
        found.append((UNBOUNDED_INTEGER, f"parameter '{key}' is an integer with no maximum (every integer declares "
                                         "one: the values that scale a run's cost are bounded before it starts)"))
    found += [(UNKNOWN_DEPENDENCY, f"parameter '{key}' depends on unknown parameter '{other}'")
              for other in (param.when or {}) if other not in cls.params]
    tables = [port.name for port in cls.inputs if port.type == PortType.DATA_TABLE]
    if isinstance(param, Columns) and param.input is not None and param.input not in tables:
        found.append((COLUMNS_OF_NO_DATASET,
                      f"parameter '{key}' selects columns of '{param.input}', which is not a dataset input"))
    return found


def caption_parameters(cls: Any) -> list[str]:
    """The parameters the module's canvas caption shows, in order."""
    return [key for segment in cls.caption for _, key, _, _ in Formatter().parse(segment) if key]


@checks.register()
def check_modules(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(f"Module {cls.__qualname__} ({cls.id}) {problem}.", id=check_id, obj=cls)
            for cls in registry.all() for check_id, problem in module_findings(cls)]


@checks.register()
def check_python_script_sandbox(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Execute Python Script enabled where its sandbox can't be had: every script would be refused."""
    from .modules.framework.script_sandbox import sandbox_problem

    if not settings.ATELIER_ALLOW_PYTHON_SCRIPT or not (problem := sandbox_problem(settings.ATELIER_PYTHON_SCRIPT_UID)):
        return []
    return [checks.Warning(f"ATELIER_ALLOW_PYTHON_SCRIPT is on but Execute Python Script's sandbox is unavailable "
                           f"here: {problem}. Scripts are refused until it is (they never run unsandboxed).",
                           hint="Install bubblewrap (Debian: apt-get install bubblewrap) and allow namespaces; "
                                "see docs/SECURITY.md.", id=SANDBOX_UNAVAILABLE)]
