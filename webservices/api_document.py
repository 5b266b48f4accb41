"""An endpoint's API document as the classic service served it (`{HelpLocation}/apidocument`, and
`{ApiLocation}/swagger.json`): Swagger 2.0 whose definitions name each input and output table
(`input1Item`, `output1Item`: one property per column, in the response's column order for a call without the
optional label column, typed `number`, `integer`, `boolean` or `string`) and whose `ExecutionRequest` carries an
example request.

Its readers: the R AzureML package's `consume()` reads `definitions.output1Item` to type the columns it got back,
`discoverSchema()` reads `definitions.ExecutionRequest.example` and the one `/execute?…` path (the second path:
it takes that path's method); swagger code generators read the rest. The studio's OpenAPI 3 document
(webservices/openapi.py) stays as it is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .definition import swagger_table
from .locations import api_location
from .models import Deployment, Endpoint
from .samples import sample_request
from .scoring.wire import BadRequest, format_outputs, parse_inputs

EXECUTE = "/execute?api-version=2.0&format=swagger"
JOBS = "/jobs?api-version=2.0"


def example_rows(deployment: Deployment) -> dict[str, list[dict[str, Any]]]:
    """One typed row per input (the deployment's sample, else placeholders), as the swagger body sends it."""
    request = sample_request(deployment.sample, deployment.input_schema)
    try:
        tables = parse_inputs(request, deployment.input_schema, swagger=False, max_rows=10_000)
    except BadRequest:  # a sample that no longer fits the schema: the example shows the columns only
        return {name: [] for name in deployment.input_schema}
    rows = format_outputs(tables, swagger=True, details=False, schema=deployment.input_schema)
    return {name: table[:1] for name, table in rows.items()}


def answered_columns(deployment: Deployment) -> dict[str, list[dict[str, Any]]]:
    """The output schema of a call that leaves out the optional input columns (the label), as the example does:
    the R package lines the response's columns up with these by position."""
    optional = {c["name"] for columns in deployment.input_schema.values() for c in columns if c.get("optional")}
    return {name: [c for c in columns if c["name"] not in optional]
            for name, columns in deployment.output_schema.items()}


def _operation(operation_id: str, summary: str, body: str | None, response: str | None) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [{"name": "Authorization", "in": "header", "type": "string", "required": True,
                                         "description": "Bearer <API key of this endpoint>"}]
    if body:
        parameters.append({"name": "body", "in": "body", "required": True,
                           "schema": {"$ref": f"#/definitions/{body}"}})
    ok: dict[str, Any] = {"description": "OK"} | ({"schema": {"$ref": f"#/definitions/{response}"}} if response
                                                  else {})
    return {"summary": summary, "operationId": operation_id, "parameters": parameters,
            "responses": {"200": ok, "default": {"description": "Error",
                                                 "schema": {"$ref": "#/definitions/ErrorResponse"}}}}


def _tables(schema: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """`{name}Item` per table, and the object naming each table as an array of its items."""
    items = {f"{name}Item": swagger_table(columns)["items"] for name, columns in schema.items()}
    named = {"type": "object", "properties": {name: {"type": "array", "items": {"$ref": f"#/definitions/{name}Item"}}
                                              for name in schema}}
    return items, named


def _parameter_type(default: Any) -> dict[str, str]:
    if isinstance(default, bool):
        return {"type": "boolean"}
    return {"type": "number", "format": "double"} if isinstance(default, int | float) else {"type": "string"}


def api_document(base: str, endpoint: Endpoint) -> dict[str, Any]:
    """The classic Swagger 2.0 API document of the endpoint's current deployment (which must exist)."""
    deployment = endpoint.service.current
    assert deployment is not None
    location = urlsplit(api_location(base, endpoint))
    inputs, input_tables = _tables(deployment.input_schema)
    outputs, output_tables = _tables(answered_columns(deployment))
    parameters = deployment.graph.get("web_service_parameters", [])
    blob = {"type": "object", "properties": {name: {"type": "string"} for name in
                                             ("ConnectionString", "RelativeLocation", "BaseLocation", "SasBlobToken")}}
    fields: dict[str, Any] = {name: {"type": "string"} for name in ("code", "target", "message")}
    error = {"type": "object", "properties": fields}
    return {
        "swagger": "2.0",
        "info": {"version": "2.0", "title": f"{endpoint.service.name} [{endpoint.name}]",
                 "description": endpoint.description or endpoint.service.description or ""},
        "host": location.netloc, "basePath": location.path, "schemes": [location.scheme],
        "consumes": ["application/json"], "produces": ["application/json"],
        "paths": {
            "/swagger.json": {"get": {"summary": "This API document", "operationId": "getSwaggerDocument",
                                      "responses": {"200": {"description": "OK"}}}},
            EXECUTE: {"post": _operation("execute", "Score rows (request-response)", "ExecutionRequest",
                                         "ExecutionResponse")},
            JOBS: {"post": _operation("submitBatchJob", "Submit a batch job", "BatchExecutionRequest", None)},
            "/jobs/{jobId}/start?api-version=2.0": {"post": _operation("startBatchJob", "Start a batch job", None,
                                                                       None)},
            "/jobs/{jobId}?api-version=2.0": {
                "get": _operation("getBatchJobStatus", "A batch job's status", None, "BatchJobStatus"),
                "delete": _operation("cancelBatchJob", "Cancel a batch job", None, None)},
        },
        "definitions": {
            **inputs, **outputs,
            "ExecutionRequest": {"type": "object", "required": ["Inputs"], "properties": {
                "Inputs": {"$ref": "#/definitions/ExecutionInputs"},
                "GlobalParameters": {"$ref": "#/definitions/GlobalParameters"}},
                "example": {"Inputs": example_rows(deployment),
                            "GlobalParameters": {p["name"]: p["default"] for p in parameters
                                                 if p.get("default") is not None}}},
            "ExecutionInputs": input_tables, "ExecutionOutputs": output_tables,
            "GlobalParameters": {"type": "object", "properties": {p["name"]: _parameter_type(p.get("default"))
                                                                  for p in parameters}},
            "ExecutionResponse": {"type": "object", "properties": {
                "Results": {"$ref": "#/definitions/ExecutionOutputs"}}},
            "BlobReference": blob,
            "BatchExecutionRequest": {"type": "object", "properties": {
                "Inputs": {"type": "object", "additionalProperties": {"$ref": "#/definitions/BlobReference"}},
                "Outputs": {"type": "object", "additionalProperties": {"$ref": "#/definitions/BlobReference"}},
                "GlobalParameters": {"$ref": "#/definitions/GlobalParameters"}}},
            "BatchJobStatus": {"type": "object", "properties": {
                "StatusCode": {"type": "string",
                               "enum": ["NotStarted", "Running", "Failed", "Cancelled", "Finished"]},
                "Results": {"type": "object", "additionalProperties": {"$ref": "#/definitions/BlobReference"}},
                "Details": {"type": "string"}}},
            "ErrorDetail": error,
            "ErrorResponse": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                **fields, "details": {"type": "array", "items": {"$ref": "#/definitions/ErrorDetail"}}}}}},
        },
    }
