"""The module registry: one class per module, registered once, discovered in AppConfig.ready().

Like Django's admin registry: `@registry.register` on the class; a duplicate id raises; the catalogue
served at GET /api/modules/ is this registry serialised, nothing more.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, TypeVar

from .base import Module

M = TypeVar("M", bound=type[Module])

# One file per category (DESIGN §2); discovery imports them in this order, which is the palette's order.
MODULE_FILES = ["data_io", "transform", "metadata", "sample_split", "manipulation", "sql_statistics",
                "feature_selection", "learners", "train_score", "evaluate", "language", "webservice"]


class AlreadyRegistered(Exception):
    pass


class UnknownModule(LookupError):
    pass


def kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class Registry:
    def __init__(self) -> None:
        self._modules: dict[str, type[Module]] = {}

    def register(self, cls: M) -> M:
        module_id = getattr(cls, "id", None) or kebab(cls.name)
        cls.id = module_id
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
