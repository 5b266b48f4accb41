"""System checks over every module declaration (like the admin's checks): every problem, a stable id."""

from __future__ import annotations

from string import Formatter
from typing import Any

from django.conf import settings
from django.core import checks

from .modules.framework.params import Columns, Int, ParamInvalid
from .modules.framework.ports import PortType
from .modules.framework.registry import kebab, registry


def module_problems(cls: Any) -> list[str]:
    problems = []
    for attribute in ("name", "category", "description"):
        if not getattr(cls, attribute, ""):
            problems.append(f"declares no {attribute}")
    if cls.id != kebab(cls.name):
        problems.append(f"has id '{cls.id}' but its name's kebab-case is '{kebab(cls.name)}'")
    for ports in ([port.name for port in cls.inputs], [port.name for port in cls.outputs]):
        if len(set(ports)) != len(ports):
            problems.append("repeats a port name")
    for key, param in cls.params.items():
        if not param.label:
            problems.append(f"parameter '{key}' has no label")
        try:
            param.clean(param.default)
        except ParamInvalid as invalid:
            problems.append(f"parameter '{key}' has a default that is not {invalid}")
        if isinstance(param, Int) and param.maximum is None:
            problems.append(f"parameter '{key}' is an integer with no maximum (every integer declares one: "
                            "the values that scale a run's cost are bounded before it starts)")
        for other in (param.when or {}):
            if other not in cls.params:
                problems.append(f"parameter '{key}' depends on unknown parameter '{other}'")
        tables = [port.name for port in cls.inputs if port.type == PortType.DATA_TABLE]
        if isinstance(param, Columns) and param.input is not None and param.input not in tables:
            problems.append(f"parameter '{key}' selects columns of '{param.input}', which is not a dataset input")
    problems += [f"caption names unknown parameter '{key}'" for key in caption_parameters(cls)
                 if key not in cls.params]
    return problems


def caption_parameters(cls: Any) -> list[str]:
    """The parameters the module's canvas caption shows, in order."""
    return [key for segment in cls.caption for _, key, _, _ in Formatter().parse(segment) if key]


@checks.register()
def check_modules(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(f"Module {cls.__qualname__} ({cls.id}) {problem}.", id="experiments.E001", obj=cls)
            for cls in registry.all() for problem in module_problems(cls)]


@checks.register()
def check_python_script_sandbox(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Execute Python Script enabled where its sandbox can't be had: every script would be refused."""
    from .modules.framework.script_sandbox import sandbox_problem

    if not settings.ATELIER_ALLOW_PYTHON_SCRIPT or not (problem := sandbox_problem(settings.ATELIER_PYTHON_SCRIPT_UID)):
        return []
    return [checks.Warning(f"ATELIER_ALLOW_PYTHON_SCRIPT is on but Execute Python Script's sandbox is unavailable "
                           f"here: {problem}. Scripts are refused until it is (they never run unsandboxed).",
                           hint="Install bubblewrap (Debian: apt-get install bubblewrap) and allow namespaces; "
                                "see docs/SECURITY.md.", id="experiments.W001")]
