"""The machinery every module shares: base classes, the registry, parameters, ports, DataTable, artifacts."""
