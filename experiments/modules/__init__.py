"""The module library: every module a canvas can place, declared once (DESIGN §2)."""

from .base import Context, Module, ModuleError, Problem, SchemaContext
from .datatable import Column, DataTable, Kind, Role
from .ports import InputPort, OutputPort, PortType
from .registry import registry

__all__ = ["Column", "Context", "DataTable", "InputPort", "Kind", "Module", "ModuleError", "OutputPort",
           "PortType", "Problem", "Role", "SchemaContext", "registry"]
