"""A module that prints, warns, logs and then fails: loaded into a test worker with `celery worker --include`
(and registered in the test process by the test), never part of the product's registry."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Any

from experiments.modules.framework.base import Context, Module
from experiments.modules.framework.params import Bool, Int
from experiments.modules.framework.ports import OutputPort, PortType
from experiments.modules.framework.registry import registry


class Noisy(Module):
    id = "noisy-test-module"
    name = "Noisy Test Module"
    category = "Tests"
    description = "Prints, warns, logs, then fails (or not)."
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    params = {"fail": Bool("Fail", True), "lines": Int("Lines", 1, minimum=1, maximum=100_000)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        for number in range(params["lines"]):
            print(f"printed line {number}: " + "x" * 60)
        print("to stderr", file=sys.stderr)
        warnings.warn("the noisy module warns", UserWarning, stacklevel=1)
        ctx.log("a line the module logged")
        if params["fail"]:
            raise ValueError("the noisy module gave up")
        import pandas as pd

        from experiments.modules.framework.datatable import DataTable

        return {"dataset": DataTable(pd.DataFrame({"a": [1]}))}


def register() -> None:
    if Noisy.id not in registry:
        registry.register(Noisy)


def unregister() -> None:
    registry._modules.pop(Noisy.id, None)


register()  # imported by the test worker (--include); the test process calls register()/unregister() itself
