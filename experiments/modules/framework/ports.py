"""Typed ports: what flows along an edge. An edge is valid only between ports of the same type (or into Any)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PortType(StrEnum):
    DATA_TABLE = "DataTable"
    UNTRAINED_MODEL = "UntrainedModel"
    TRAINED_MODEL = "TrainedModel"
    TRANSFORM = "Transform"
    EVALUATION = "Evaluation"
    ANY = "Any"  # inputs only: Web service output, which returns whatever reaches it


def port_label(name: str) -> str:
    """The label a port without a declared one shows on the canvas: its name in words ("Cleaned dataset")."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def accepts(input_type: PortType, output_type: PortType) -> bool:
    """Whether an output of one type may feed an input of another (the same type, or an Any input)."""
    return input_type in (output_type, PortType.ANY)


@dataclass(frozen=True)
class InputPort:
    name: str
    type: PortType
    optional: bool = False
    label: str = ""

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "type": str(self.type), "optional": self.optional,
                "label": self.label or port_label(self.name)}


@dataclass(frozen=True)
class OutputPort:
    name: str
    type: PortType
    label: str = ""

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "type": str(self.type), "label": self.label or port_label(self.name)}
