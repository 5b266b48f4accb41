"""The JSON shapes of web services and endpoints (SPEC §2-3), in one place for the API and the pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pandas import NA as _NA

from experiments.conversion import INPUT_MODULE, OUTPUT_MODULE
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.rows import Rows

from .models import Endpoint, WebService

if TYPE_CHECKING:
    from .services import Keys


def api_location(base: str, endpoint: Endpoint) -> str:
    """RRS: the request-response URL clients POST to (with `?api-version=2.0&details=true`)."""
    return f"{base}/workspaces/{endpoint.service.workspace_id}/services/{endpoint.endpoint_id}/execute"


def batch_location(base: str, endpoint: Endpoint) -> str:
    """BES: where batch jobs are submitted (with `?api-version=2.0`)."""
    return f"{base}/workspaces/{endpoint.service.workspace_id}/services/{endpoint.endpoint_id}/jobs"


def help_location(base: str, endpoint: Endpoint) -> str:
    return f"{base}/web-services/{endpoint.service_id}/endpoints/{endpoint.name}/"


def resources_json(service: WebService) -> list[dict[str, str]]:
    deployment = service.current
    return [{"Name": r["Name"], "Kind": r["Kind"]} for r in (deployment.resources if deployment else [])
            if r["Kind"] in ("TrainedModel", "Transform")]


def endpoint_json(base: str, endpoint: Endpoint, keys: Keys | None = None) -> dict[str, Any]:
    """The endpoint as the studio API lists it; the keys appear only when `keys` is given (made just now)."""
    body: dict[str, Any] = {
        "Name": endpoint.name, "Id": endpoint.endpoint_id, "IsDefault": endpoint.is_default,
        "Description": endpoint.description, "CreationTime": endpoint.created.isoformat(),
        "ApiLocation": api_location(base, endpoint), "BatchLocation": batch_location(base, endpoint),
        "HelpLocation": help_location(base, endpoint), "KeyHint": f"{endpoint.primary_key_hint}…",
        "MaxConcurrentCalls": endpoint.max_concurrent_calls, "DiagnosticsTraceLevel": endpoint.diagnostics_trace_level,
        "ThrottleLevel": endpoint.throttle_level, "Version": endpoint.version,
        "Resources": [{**r, "Patched": r["Name"] in {p["Name"] for p in endpoint.resources or []}}
                      for r in resources_json(endpoint.service)],
    }
    if keys is not None:
        body["PrimaryKey"], body["SecondaryKey"] = keys.primary, keys.secondary
    return body


def classic_endpoint_json(base: str, endpoint: Endpoint, keys: Keys | None = None) -> dict[str, Any]:
    """The endpoint as Azure's classic management API described it (SPEC §3); keys only when just made."""
    body: dict[str, Any] = {
        "Name": endpoint.name, "Description": endpoint.description, "CreationTime": endpoint.created.isoformat(),
        "WorkspaceId": endpoint.service.workspace_id, "WebServiceId": str(endpoint.service_id),
        "HelpLocation": help_location(base, endpoint), "ApiLocation": api_location(base, endpoint),
        "BatchLocation": batch_location(base, endpoint), "Version": endpoint.version,
        "MaxConcurrentCalls": endpoint.max_concurrent_calls, "DiagnosticsTraceLevel": endpoint.diagnostics_trace_level,
        "ThrottleLevel": endpoint.throttle_level,
    }
    if keys is not None:
        body["PrimaryKey"], body["SecondaryKey"] = keys.primary, keys.secondary
    return body


def service_json(base: str, service: WebService) -> dict[str, Any]:
    deployment = service.current
    return {
        "id": service.pk, "name": service.name, "kind": service.kind, "workspace": service.workspace_id,
        "parameters": [{"name": p["name"], "default": p.get("default")}
                       for p in (deployment.graph.get("web_service_parameters", []) if deployment else [])],
        "experiment": service.experiment_id, "deployed_at": service.deployed_at,
        "version": deployment.version if deployment else None,
        "input_schema": deployment.input_schema if deployment else {},
        "output_schema": deployment.output_schema if deployment else {},
        "resources": resources_json(service),
        "endpoints": [endpoint_json(base, endpoint) for endpoint in service.endpoints.all()],
    }


# --- The new-style web service definition (export/import) ------------------------------------------

SWAGGER_TYPES = {"numeric": ("number", "double"), "boolean": ("boolean", None), "datetime": ("string", "date-time")}


def swagger_table(columns: list[dict[str, Any]]) -> dict[str, Any]:
    """A table as Swagger 2.0 (the new-style definition's input/output): an array of row objects."""
    properties: dict[str, Any] = {}
    for column in columns:
        kind, form = SWAGGER_TYPES.get(column["kind"], ("string", None))
        properties[column["name"]] = {"type": kind, **({"format": form} if form else {})}
    required = [column["name"] for column in columns if not column.get("optional", False)]
    return {"type": "array", "items": {"type": "object", "properties": properties, "required": required}}


def definition_json(base: str, service: WebService) -> dict[str, Any]:
    """The service as Azure's new-style web service definition (`Microsoft.MachineLearning/webServices`):
    assets (the saved model and transforms), the package graph, Swagger input/output, configuration.
    Graph nodes are the snapshot's, by id; module parameters travel in `parameters`."""
    deployment = service.current
    graph = deployment.graph if deployment else {"nodes": [], "edges": []}
    by_node = {r["Node"]: r for r in (deployment.resources if deployment else [])}
    default = next((e for e in service.endpoints.all() if e.is_default), None)
    inputs = deployment.input_schema if deployment else {}
    outputs = deployment.output_schema if deployment else {}
    assets: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    for node in graph["nodes"]:
        params = dict(node.get("params", {}))
        if node["module"] == INPUT_MODULE:
            nodes[node["id"]] = {"inputId": params.get("name", "input1")}
        elif node["module"] == OUTPUT_MODULE:
            nodes[node["id"]] = {"outputId": params.get("name", "output1")}
        else:
            asset_id = f"{node['id']}-asset"
            resource = by_node.get(node["id"])
            assets[asset_id] = {
                "name": resource["Name"] if resource else node["module"],
                "type": "Resource" if resource and resource["Kind"] != "Dataset" else "Module",
                "locationInfo": {"uri": f"{base}/api/assets/{resource['Asset']}/" if resource and "Asset" in resource
                                 else f"atelier://module/{node['module']}"},
            }
            nodes[node["id"]] = {"assetId": asset_id, "parameters": params}
    edges = {f"edge{i}": {"sourceNodeId": e["source"], "sourcePortId": e["source_port"],
                          "targetNodeId": e["target"], "targetPortId": e["target_port"]}
             for i, e in enumerate(graph["edges"], start=1)}
    return {
        "name": service.name,
        "id": f"/workspaces/{service.workspace_id}/webservices/{service.pk}",
        "type": "Microsoft.MachineLearning/webServices",
        "properties": {
            "title": service.name, "description": service.description, "packageType": "Graph",
            "readOnly": False, "createdOn": service.created.isoformat(),
            "modifiedOn": service.deployed_at.isoformat() if service.deployed_at else None,
            "realtimeConfiguration": {"maxConcurrentCalls": default.max_concurrent_calls if default else 20},
            "diagnostics": {"level": default.diagnostics_trace_level if default else "None"},
            "input": {"type": "object", "title": "input",
                      "properties": {name: swagger_table(columns) for name, columns in inputs.items()}},
            "output": {"type": "object", "title": "output",
                       "properties": {name: swagger_table(columns) for name, columns in outputs.items()}},
            "assets": assets,
            "package": {"nodes": nodes, "edges": edges, "graphParameters": {}},
            "parameters": {},
        },
    }


# --- Request-Response Service bodies (SPEC §3) -------------------------------------------------------


class BadRequest(Exception):
    """A scoring request that does not fit the service: `target` names the input, the message the column/row."""

    def __init__(self, message: str, target: str = "") -> None:
        super().__init__(message)
        self.message, self.target = message, target


def error_body(code: str, message: str, target: str = "") -> dict[str, Any]:
    details = [{"code": code, "target": target, "message": message}] if target else []
    return {"error": {"code": code, "message": message, "details": details}}


def _convert(kind: str, value: Any, column: str, row: int) -> Any:
    """One cell to the schema's kind; refuses with the column and the (1-based) row named."""
    if value is None or value == "":
        return None
    if kind == "numeric":
        if isinstance(value, bool):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a number") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise BadRequest(f"Column '{column}', row {row}: {value!r} is not a finite number")
        return number
    if kind == "boolean":
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise BadRequest(f"Column '{column}', row {row}: {value!r} is not true or false")
    if isinstance(value, (dict, list)):
        raise BadRequest(f"Column '{column}', row {row}: expected a single value, got {type(value).__name__}")
    return value if isinstance(value, str) else str(value)


def parse_inputs(body: Any, schema: dict[str, list[dict[str, Any]]], *, swagger: bool,
                 max_rows: int) -> dict[str, Rows]:
    """The request's tables, typed by the input schema. Classic: {"Inputs": {name: {"ColumnNames", "Values"}}};
    swagger: {"Inputs": {name: [{column: value}]}}. Columns the schema does not know pass through as text;
    optional columns (the label) may be left out. As Rows (the small-request path); `.table()` for pandas."""
    import numpy as np

    if not isinstance(body, dict):
        raise BadRequest("The body must be a JSON object with 'Inputs' (and optionally 'GlobalParameters').")
    unknown = sorted(set(body) - {"Inputs", "GlobalParameters"})
    if unknown:
        raise BadRequest(f"Unknown top-level key '{unknown[0]}'; the body has 'Inputs' and 'GlobalParameters'.")
    inputs = body.get("Inputs")
    if not isinstance(inputs, dict):
        raise BadRequest("'Inputs' must be an object naming each input, e.g. {\"input1\": ...}.")
    if not isinstance(body.get("GlobalParameters", {}), dict):
        raise BadRequest("'GlobalParameters' must be an object.")
    for name in inputs:
        if name not in schema:
            raise BadRequest(f"Unknown input '{name}'; this service takes {', '.join(sorted(schema))}.", name)
    tables = {}
    for name, columns in schema.items():
        if name not in inputs:
            raise BadRequest(f"Input '{name}' is missing.", name)
        names, rows = _rows(inputs[name], name, swagger)
        if not rows:
            raise BadRequest(f"Input '{name}' has no rows.", name)
        if len(rows) > max_rows:
            raise BadRequest(f"Input '{name}' has {len(rows)} rows; at most {max_rows} per request "
                             "(use the batch service for more).", name)
        kinds = {column["name"]: column["kind"] for column in columns}
        missing = [c["name"] for c in columns if c["name"] not in names and not c.get("optional")]
        if missing:
            raise BadRequest(f"Column '{missing[0]}' is missing", name)
        data: dict[str, Any] = {}
        for index, column in enumerate(names):
            kind = kinds.get(column, "string")
            try:
                cells = [_convert(kind, row[index], column, number) for number, row in enumerate(rows, start=1)]
            except BadRequest as error:
                raise BadRequest(error.message, name) from None
            if kind == "numeric":
                data[column] = np.array([np.nan if c is None else c for c in cells], dtype=float)
            else:
                data[column] = np.empty(len(cells), dtype=object)
                data[column][:] = cells
        ordered = [c["name"] for c in columns if c["name"] in data] + [c for c in names if c not in kinds]
        tables[name] = Rows({column: data[column] for column in ordered})
    return tables


def _rows(value: Any, name: str, swagger: bool) -> tuple[list[str], list[list[Any]]]:
    if swagger:
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise BadRequest(f"Input '{name}' must be a list of row objects (format=swagger).", name)
        names = list(dict.fromkeys(key for row in value for key in row))
        return names, [[row.get(column) for column in names] for row in value]
    if not isinstance(value, dict) or not isinstance(value.get("ColumnNames"), list) \
            or not isinstance(value.get("Values"), list):
        raise BadRequest(f"Input '{name}' must have 'ColumnNames' and 'Values' lists.", name)
    names = value["ColumnNames"]
    if not all(isinstance(column, str) for column in names) or len(set(names)) != len(names):
        raise BadRequest(f"Input '{name}': 'ColumnNames' must be distinct strings.", name)
    for number, row in enumerate(value["Values"], start=1):
        if not isinstance(row, list) or len(row) != len(names):
            size = len(row) if isinstance(row, list) else "not a list of"
            raise BadRequest(f"Input '{name}', row {number} has {size} values; 'ColumnNames' has {len(names)}.",
                             name)
    return names, value["Values"]


def _column_type(series: Any) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return "Boolean"
    if pd.api.types.is_integer_dtype(series):
        return "Int64"
    if pd.api.types.is_float_dtype(series):
        return "Double"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "DateTime"
    return "String"


def _cell(value: Any) -> Any:
    """A cell as JSON: numpy scalars to Python, NaN/NaT to null."""
    if value is None or value is _NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def format_outputs(tables: Mapping[str, DataTable | Rows], *, swagger: bool, details: bool) -> dict[str, Any]:
    """Results as the classic service wrote them: Values as strings (ColumnTypes with details=true), or for
    format=swagger a list of row objects with JSON types. The same bytes from a DataTable or from Rows."""
    results: dict[str, Any] = {}
    for name, table in tables.items():
        if isinstance(table, Rows):
            cells = [values.tolist() for values in table.columns.values()]
            types = [values.dtype for values in table.columns.values()]
            columns = list(table.columns)
        else:
            frame = table.frame
            cells = [frame[column].tolist() for column in frame.columns]
            types = [frame[column] for column in frame.columns]
            columns = [str(column) for column in frame.columns]
        rows = [[_cell(cell) for cell in row] for row in zip(*cells, strict=True)] if cells else []
        if swagger:
            results[name] = [dict(zip(columns, row, strict=True)) for row in rows]
            continue
        value: dict[str, Any] = {"ColumnNames": columns}
        if details:
            value["ColumnTypes"] = [_column_type(kind) for kind in types]
        value["Values"] = [[None if cell is None else str(cell) for cell in row] for row in rows]
        results[name] = {"type": "table", "value": value}
    return results


def openapi_document(base: str, endpoint: Endpoint, input_schema: dict[str, list[dict[str, Any]]],
                     output_schema: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """OpenAPI 3 for one endpoint's RRS call (classic body), built from the deployment's schemas."""

    def classic_table(columns: list[dict[str, Any]]) -> dict[str, Any]:
        return {"type": "object", "required": ["ColumnNames", "Values"], "properties": {
            "ColumnNames": {"type": "array", "items": {"type": "string", "enum": [c["name"] for c in columns]}},
            "Values": {"type": "array", "maxItems": 1000, "items": {"type": "array", "items": {"type": "string",
                                                                                              "nullable": True}}}}}

    request = {"type": "object", "required": ["Inputs"], "properties": {
        "Inputs": {"type": "object", "required": list(input_schema),
                   "properties": {name: classic_table(cols) for name, cols in input_schema.items()}},
        "GlobalParameters": {"type": "object"}}}
    response = {"type": "object", "properties": {
        "Results": {"type": "object", "properties": {name: {"type": "object", "properties": {
            "type": {"type": "string", "enum": ["table"]}, "value": classic_table(cols)}}
            for name, cols in output_schema.items()}},
        "ExecutionDurationMs": {"type": "integer"}, "ContainerAllocationDurationMs": {"type": "integer"},
        "IsWarmContainer": {"type": "boolean"}}}
    error = {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "details": {"type": "array", "items": {"type": "object"}}}}}}
    path = api_location("", endpoint)
    return {
        "openapi": "3.0.3",
        "info": {"title": f"{endpoint.service.name} ({endpoint.name})", "version": str(endpoint.version),
                 "description": endpoint.description or "Request-Response scoring, Azure ML Studio (classic) format."},
        "servers": [{"url": base}],
        "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
                       "schemas": {"Request": request, "Response": response, "Error": error}},
        "security": [{"apiKey": []}],
        "paths": {path: {"post": {
            "operationId": "execute", "summary": "Score rows",
            "parameters": [
                {"name": "api-version", "in": "query", "required": True, "schema": {"type": "string", "enum": ["2.0"]}},
                {"name": "details", "in": "query", "schema": {"type": "boolean"}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["swagger"]}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Request"}}}},
            "responses": {
                "200": {"description": "Scores", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Response"}}}},
                **{code: {"description": text, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}
                   for code, text in [("400", "Bad request"), ("401", "Missing or wrong key"),
                                      ("404", "No such endpoint"), ("413", "Too large"),
                                      ("429", "Too many concurrent calls")]}}}}},
    }


def csv_part(frame: Any, header: bool) -> bytes:
    """A batch output chunk as CSV. Arrow's writer is ~15x faster than pandas': numbers in their shortest
    round-trip form ("39", "1e-07"), text quoted, booleans true/false. Columns Arrow can't type (mixed Python
    objects) fall back to pandas' writer."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        buffer = pa.BufferOutputStream()
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=header))
        return bytes(buffer.getvalue())
    except (pa.ArrowException, TypeError, ValueError):
        return str(frame.to_csv(header=header, index=False)).encode()


def _arrow_numbers(text: Any) -> Any:
    """A text column as float64 through Arrow's C++ cast, when every value is a plain number or empty; None
    for anything else (padding, 'nan', words), which the pandas path below converts or reports by row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = pa.array(text.array) if hasattr(text.array, "_pa_array") else pa.array(text, type=pa.large_string())
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, values.type), values)
        numbers = pc.cast(values, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    result = numbers.to_numpy(zero_copy_only=False)
    if int(np.isnan(result).sum()) != numbers.null_count:
        return None  # a literal 'nan': the pandas path decides
    return result


def typed_frame(frame: Any, input_name: str, columns: list[dict[str, Any]], first_row: int) -> DataTable:
    """A batch chunk read as text, typed by the input schema in one pass per column; a value that can't be
    converted is named with its column and its row in the file (`first_row` is the chunk's first)."""
    import numpy as np
    import pandas as pd

    missing = [c["name"] for c in columns if c["name"] not in frame.columns and not c.get("optional")]
    if missing:
        raise BadRequest(f"Column '{missing[0]}' is missing", input_name)
    for column in columns:
        name = column["name"]
        if name not in frame.columns:
            continue
        text = frame[name]
        if column["kind"] == "numeric":
            fast = _arrow_numbers(text)
            if fast is not None:
                frame[name] = fast
                continue
            numbers = pd.to_numeric(text, errors="coerce")  # blanks and bad values become NaN
            unsure = numbers.isna().to_numpy()
            if unsure.any():  # few rows: tell blanks (missing) from values that are not numbers
                given = text[unsure]
                bad = given.notna() & (given.astype(str).str.strip() != "")
                if bad.any():
                    position = int(np.flatnonzero(unsure)[int(bad.to_numpy().argmax())])
                    raise BadRequest(f"Column '{name}', row {first_row + position}: {text.iloc[position]!r} is not "
                                     "a number", input_name)
            frame[name] = numbers.astype(float)
            continue
        blank = text.isna() | (text.astype(str).str.strip() == "")
        if column["kind"] == "boolean":
            lowered = text.astype(str).str.strip().str.lower()
            frame[name] = lowered.map({"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False})
        else:
            frame[name] = text.where(~blank, None).astype(object)
    return DataTable(frame)
