"""The OpenAPI 3 document of one endpoint's Request-Response call, built from its deployment's schemas."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .locations import rrs_location
from .models import Endpoint


def openapi_document(base: str, endpoint: Endpoint, input_schema: dict[str, list[dict[str, Any]]],
                     output_schema: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """OpenAPI 3 for one endpoint's RRS call (classic body), built from the deployment's schemas."""

    rows = settings.ATELIER_MAX_ROWS_PER_REQUEST  # what the call refuses beyond (413)

    def classic_table(columns: list[dict[str, Any]]) -> dict[str, Any]:
        optional = [c["name"] for c in columns if c.get("optional")]
        names = {"type": "array", "items": {"type": "string", "enum": [c["name"] for c in columns]}}
        if optional:  # the label: a call may leave it out or send it empty, with the same answers
            names["description"] = f"The input's columns; {', '.join(map(repr, optional))} (the label) may be left out."
        return {"type": "object", "required": ["ColumnNames", "Values"], "properties": {
            "ColumnNames": names,
            "Values": {"type": "array", "maxItems": rows, "items": {"type": "array", "items": {"type": "string",
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
    path = rrs_location("", endpoint)
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
                                      ("429", "Too many failed keys from this address (Retry-After)")]},
                "503": {"description": "The endpoint's MaxConcurrentCalls reached (ServiceUnavailable / "
                                       "RequestThrottled); retry after Retry-After seconds",
                        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}}},
    }
