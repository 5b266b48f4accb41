"""An endpoint's help pages under its help location, the classic way: an overview, the request-response page
(`/score`), the batch page (`/jobs`) and the API document JSON (`/apidocument`), plus the API document at
`{ApiLocation}/swagger.json`. Readable by whoever `help_reader_allowed` lets in (a key, a studio session, the
signed HelpLocation); no studio login is needed with a key. The content is the dashboard's (sample request and
response, code) so the studio page and these pages never disagree."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from experiments.service_kinds import service_kind

from .api_document import api_document
from .dashboard import batch_help, endpoint_help
from .help_access import help_reader_allowed, help_token
from .locations import api_location, base_url, help_location, help_pages, storage_location
from .models import Endpoint
from .scoring.keys import as_response
from .scoring.wire import error_body, schema_column_type

PAGES = ("", "score", "jobs", "apidocument")


def help_endpoint(workspace_id: str, service_id: str, ref: str) -> Endpoint | None:
    """The endpoint a help address names: by its id (the classic HelpLocation) or its name, in that service."""
    if not service_id.isdigit():
        return None
    endpoints = Endpoint.objects.select_related("service__current").filter(service__workspace_id=workspace_id,
                                                                           service_id=int(service_id))
    return endpoints.filter(endpoint_id=ref).first() or endpoints.filter(name=ref).first()


def _not_found(message: str) -> JsonResponse:
    return JsonResponse(error_body("NotFound", message), status=404)


@require_GET
def help_page(request: HttpRequest, workspace_id: str, service_id: str, ref: str, page: str = "",
              token: str = "") -> HttpResponse:
    """GET {base}/apihelp[/{signed}]/workspaces/{ws}/webservices/{service}/endpoints/{endpoint}[/score|/jobs|
    /apidocument]"""
    if page not in PAGES:
        return _not_found(f"No help page '{page}'; there are /score, /jobs and /apidocument.")
    endpoint = help_endpoint(workspace_id, service_id, ref)
    refused = help_reader_allowed(request, endpoint, token)
    if refused is not None:
        return as_response(refused)
    assert endpoint is not None  # only an existing endpoint lets a reader in
    deployment = endpoint.service.current
    if deployment is None:
        return _not_found("The endpoint's web service has no deployment.")
    base = base_url(request)
    if page == "apidocument":
        return JsonResponse(api_document(base, endpoint))
    signed = bool(token) and hmac.compare_digest(token, help_token(endpoint))  # links keep the reader's form
    here = help_location(base, endpoint) if signed else help_pages(base, endpoint)
    schemas = {side: {name: [{"name": c["name"], "type": schema_column_type(c)} for c in columns]
                      for name, columns in schema.items()}
               for side, schema in (("inputs", deployment.input_schema), ("outputs", deployment.output_schema))}
    batch_only = service_kind(endpoint.service.kind).help_sample == "job"  # a retraining service: jobs only
    shown = {"score": lambda: endpoint_help(base, endpoint), "jobs": lambda: batch_help(base, endpoint, deployment)}
    return render(request, "studio/apihelp.html", {
        "page": page or "overview", "endpoint": endpoint, "service": endpoint.service, "here": here,
        "api_location": api_location(base, endpoint), "schemas": schemas,
        "storage_base": storage_location(base, endpoint.service.workspace_id), "batch_only": batch_only,
        "help": shown[page]() if page in shown else {}})


@require_GET
def swagger_document(request: HttpRequest, workspace_id: str, endpoint_id: str) -> HttpResponse:
    """GET {ApiLocation}/swagger.json: the API document, where the classic service also served it."""
    endpoint = (Endpoint.objects.select_related("service__current")
                .filter(service__workspace_id=workspace_id, endpoint_id=endpoint_id).first())
    refused = help_reader_allowed(request, endpoint)
    if refused is not None:
        return as_response(refused)
    assert endpoint is not None
    if endpoint.service.current is None:
        return _not_found("The endpoint's web service has no deployment.")
    return JsonResponse(api_document(base_url(request), endpoint))
