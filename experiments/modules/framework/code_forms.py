"""Export as code: what a module says about itself as plain Python (pandas, numpy, scikit-learn).

A module class offers `code_form(node)` (framework/base.py), returning a CodeForm: the body of one function
of the exported script, the imports and helper functions it needs. The exporter (experiments/export.py)
writes one function per node and a `main()` that calls them in the graph's order, so the module class stays
the one source of truth for what it does. A module with no faithful code form says why (`NoCodeForm`, or
`Module.no_code_reason`); the exporter writes a clearly marked function that raises with that reason.

Estimators are written by `python_source`, from the very objects the learners build (their non-default
parameters, recursively): a learner's code form can't drift from what Train Model fits.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from studio.errors import AtelierError


class NoCodeForm(AtelierError):
    """This module, with these parameters, has no faithful form as a plain script; the message says why."""

    code = "no-code-form"


@dataclass(frozen=True)
class CodeNode:
    """What the exporter tells a module about one node: its cleaned parameters, and what the run left that
    the code needs (`facts`: the trained model, the learned transformation, the dataset's file and rules)."""

    id: str
    params: Mapping[str, Any]
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CodeForm:
    """One function of the exported script. `body` uses the connected input port names as variables and
    returns the `outputs` ports' values (a tuple when more than one). `argument`: the function reads a file
    named on the command line (its default)."""

    body: str
    outputs: tuple[str, ...]
    doc: str = ""
    imports: tuple[str, ...] = ()
    helpers: tuple[str, ...] = ()
    argument: str | None = None


def helper_source(function: Callable[..., Any]) -> str:
    """A pure helper's own source, copied into the script (so the script does what the module does)."""
    return inspect.getsource(function).strip() + "\n"


def plain_names(selection: Mapping[str, Any], what: str) -> list[str]:
    """The names of a column selection that is a plain list of names; NoCodeForm for rules by type or kind."""
    rules = selection.get("rules", [])
    if selection.get("begin_with", "none") == "none" and all(
            rule.get("action", "include") == "include" and rule.get("by", "names") == "names" for rule in rules):
        return [name for rule in rules for name in rule.get("names", [])]
    raise NoCodeForm(f"{what} selects columns by rules, which the export does not write yet; select them by name")


# --- Python source of values and scikit-learn objects -----------------------------------------------


def python_source(value: Any, imports: set[str]) -> str:
    """`value` as a Python expression; the import lines it needs are added to `imports`. Estimators are
    written with their non-default parameters; anything but scikit-learn objects and plain data is refused."""
    if value is None or isinstance(value, bool | str | int):
        return repr(value)
    if isinstance(value, np.generic):
        return python_source(value.item(), imports)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_source(item, imports) for item in value) + "]"
    if isinstance(value, tuple):
        items = [python_source(item, imports) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_source(k, imports)}: {python_source(v, imports)}"
                               for k, v in value.items()) + "}"
    if hasattr(value, "get_params") and type(value).__module__.startswith("sklearn."):
        return _estimator_source(value, imports)
    raise NoCodeForm(f"{type(value).__module__}.{type(value).__name__} is not part of scikit-learn, so the script "
                     "can't build it")


def _estimator_source(estimator: Any, imports: set[str]) -> str:
    kind = type(estimator)
    imports.add(f"from {public_module(kind)} import {kind.__name__}")
    signature = inspect.signature(kind.__init__)
    arguments = []
    for key, value in estimator.get_params(deep=False).items():
        declared = signature.parameters.get(key)
        if declared is not None and declared.default is not inspect.Parameter.empty and _same(value, declared.default):
            continue
        arguments.append(f"{key}={python_source(value, imports)}")
    return f"{kind.__name__}({', '.join(arguments)})"


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, float) and isinstance(default, float) and math.isnan(value) and math.isnan(default):
        return True
    if type(value) is not type(default):
        return False
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


def public_module(kind: type) -> str:
    """The shortest `sklearn.x` path that exports the class (sklearn.ensemble, not its private module)."""
    parts = kind.__module__.split(".")
    for length in range(1, len(parts) + 1):
        path = ".".join(parts[:length])
        if path == "sklearn":
            continue
        try:
            if getattr(importlib.import_module(path), kind.__name__, None) is kind:
                return path
        except ImportError:
            continue
    return kind.__module__
