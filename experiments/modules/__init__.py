"""The module library: every module a canvas can place, declared once (DESIGN §2)."""

from .framework.base import Context, Module, ModuleError, Problem, SchemaContext
from .framework.datatable import Column, DataTable, Kind, Role
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry

__all__ = ["Column", "Context", "DataTable", "InputPort", "Kind", "Module", "ModuleError", "OutputPort",
           "PortType", "Problem", "Role", "SchemaContext", "registry"]
