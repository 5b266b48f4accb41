"""One codec per port type: what a value on that port is, and how it becomes bytes and comes back.

Adding a port type means adding one codec to CODECS; the store, the cache and the assets ask this table and
never branch on the type themselves. `Any` has no codec: it only types inputs (Web service output).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from experiments.modules.framework.artifacts import Evaluation, TrainedModel, Transform, UntrainedModel
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.ports import PortType


@dataclass(frozen=True)
class Codec:
    """A port type's value class, its file extension, and its bytes both ways."""

    value_type: type
    extension: str
    dump: Callable[[Any], bytes]
    load: Callable[[bytes], Any]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.value_type)


def json_codec(value_type: Any, extension: str = "json") -> Codec:
    """A value kept as its JSON document (to_json / from_json)."""
    return Codec(value_type, extension, lambda value: json.dumps(value.to_json(), default=str).encode(),
                 lambda data: value_type.from_json(json.loads(data)))


CODECS: dict[PortType, Codec] = {
    PortType.DATA_TABLE: Codec(DataTable, "parquet", lambda value: bytes(value.to_parquet()), DataTable.from_parquet),
    PortType.TRAINED_MODEL: Codec(TrainedModel, "ilearner", lambda value: bytes(value.to_bytes()),
                                  TrainedModel.from_bytes),
    PortType.TRANSFORM: json_codec(Transform, "itransform"),
    PortType.UNTRAINED_MODEL: json_codec(UntrainedModel),
    PortType.EVALUATION: json_codec(Evaluation),
}


def codec_for(port_type: PortType) -> Codec:
    """The codec of a port type (KeyError for Any, which no output has)."""
    return CODECS[port_type]
