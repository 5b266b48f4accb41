"""The module registry: one class per module, registered once, discovered in AppConfig.ready().

Like Django's admin registry: `@registry.register` on the class; a class that declares no `id` of its own,
or an id already taken, raises; the catalogue served at GET /api/modules/ is this registry serialised, nothing
more. A module's id is frozen once shipped: saved graphs, cached outputs and trained transforms name it, so it
is declared, never derived from the label (which may be renamed), and tests/experiments/modules/module_ids.txt
holds every id the studio has.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, TypeVar

from studio.errors import AtelierError

from .base import Module

M = TypeVar("M", bound=type[Module])

# One file per category (DESIGN §2); discovery imports them in this order, which is the palette's order.
MODULE_FILES = ["data_io", "transform", "metadata", "sample_split", "manipulation", "sql_statistics",
                "feature_selection", "learners", "unsupervised", "train_score", "evaluate", "language", "webservice"]


class AlreadyRegistered(Exception):
    pass


class MissingId(Exception):
    """A module class without an `id` of its own: ids are declared, not derived from the label."""


class UnknownModule(AtelierError, LookupError):
    """A graph or a request names a module id the registry does not hold."""

    code = "unknown-module"


def kebab(name: str) -> str:
    """A label in kebab case: how the first ids were written ("Split Data" -> "split-data")."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class Registry:
    def __init__(self) -> None:
        self._modules: dict[str, type[Module]] = {}

    def register(self, cls: M) -> M:
        module_id = cls.__dict__.get("id")
        if not isinstance(module_id, str) or not module_id:
            raise MissingId(f"{cls.__qualname__} declares no id: give it `id = \"...\"` (for a new module, "
                            f"the kebab case of its name, '{kebab(getattr(cls, 'name', ''))}'); it is frozen once "
                            "shipped, since saved graphs name it.")
        if module_id in self._modules:
            raise AlreadyRegistered(f"A module with id '{module_id}' is already registered "
                                    f"({self._modules[module_id].__qualname__}).")
        self._modules[module_id] = cls
        return cls

    def get(self, module_id: str) -> type[Module]:
        try:
            return self._modules[module_id]
        except KeyError:
            raise UnknownModule(f"There is no module '{module_id}'") from None

    def __contains__(self, module_id: object) -> bool:
        return module_id in self._modules

    def all(self) -> list[type[Module]]:
        return list(self._modules.values())

    def catalogue(self) -> list[dict[str, Any]]:
        return [cls.catalogue_entry() for cls in self._modules.values()]


registry = Registry()


def autodiscover() -> None:
    for name in MODULE_FILES:
        try:
            importlib.import_module(f"experiments.modules.{name}")
        except ModuleNotFoundError as missing:
            if missing.name != f"experiments.modules.{name}":
                raise
