"""Module ids are frozen: saved graphs, cached outputs and fitted transforms name a module by its id, so an id
is declared on its class (never derived from the label, which may be renamed) and never changes once shipped."""

from pathlib import Path

import pytest

from experiments.modules.framework.base import Module
from experiments.modules.framework.registry import AlreadyRegistered, MissingId, Registry, registry

SNAPSHOT = Path(__file__).with_name("module_ids.txt")

FROZEN = f"""Module ids are frozen: saved graphs name their modules by id, so an id that changes or disappears breaks
every experiment that uses it. Don't edit an existing id; rename the label (`name`) instead. A new module adds
its id to {SNAPSHOT.relative_to(Path(__file__).parents[3])} deliberately, in the same change (one id a line,
sorted)."""


def test_the_registry_holds_exactly_the_frozen_ids():
    frozen = SNAPSHOT.read_text().split()
    assert frozen == sorted(frozen), "module_ids.txt is kept sorted"
    current = sorted(cls.id for cls in registry.all())
    missing = sorted(set(frozen) - set(current))
    added = sorted(set(current) - set(frozen))
    assert not missing and not added, f"{FROZEN}\nGone from the registry: {missing}\nNot in the file: {added}"


def test_every_module_declares_its_own_id():
    assert [cls.__qualname__ for cls in registry.all() if "id" not in cls.__dict__] == []


def test_the_registry_refuses_a_module_without_an_id():
    class Unnamed(Module):
        name = "Unnamed Module"

    with pytest.raises(MissingId, match=r"Unnamed declares no id.*'unnamed-module'"):
        Registry().register(Unnamed)


def test_an_id_inherited_from_a_registered_module_is_not_an_id_of_ones_own():
    split = registry.get("split-data")
    subclass = type("SplitAgain", (split,), {"name": "Split Again"})

    with pytest.raises(MissingId):
        Registry().register(subclass)


def test_the_registry_refuses_a_duplicate_id():
    first = type("First", (Module,), {"id": "same", "name": "First"})
    second = type("Second", (Module,), {"id": "same", "name": "Second"})
    local = Registry()
    local.register(first)

    with pytest.raises(AlreadyRegistered, match=r"'same' is already registered \(First\)"):
        local.register(second)


def test_the_web_service_roles_are_declared_once_with_their_frozen_values():
    from experiments.modules.framework.base import ServiceRole

    assert {role.value for role in ServiceRole} == {"", "train", "score", "sample", "evaluate"}
    assert all(isinstance(cls.web_service, ServiceRole) for cls in registry.all())


def test_conversion_names_the_modules_it_places_by_their_classes():
    from experiments import conversion

    frozen = set(SNAPSHOT.read_text().split())
    named = [conversion.INPUT_MODULE, conversion.OUTPUT_MODULE, conversion.MODEL_SOURCE,
             conversion.TRANSFORM_SOURCE, conversion.APPLY, conversion.EVALUATE_MODULE]
    assert named == ["web-service-input", "web-service-output", "trained-model", "transform",
                     "apply-transformation", "evaluate-model"]
    assert set(named) <= frozen
