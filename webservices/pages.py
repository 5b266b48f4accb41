"""The web services app's pages: the list, a service's dashboard, an endpoint's page and its OpenAPI
document. Logic lives in the services, selectors and JSON modules; these only read the request and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from experiments.service_kinds import kind_names
from studio.throttle import request_address

from .dashboard import drift_view, endpoint_help
from .deletion import deletion_facts, web_service_delete
from .drift import report as drift_report
from .endpoints import updatable
from .lineage import lineage_line
from .locations import base_url
from .management_json import endpoint_json, service_json
from .models import Endpoint, WebService
from .openapi import openapi_document
from .samples import patch_sample
from .scoring.keys import as_response, check
from .selectors import web_services_of
from .traffic import TrafficError, traffic_form_body, traffic_json, traffic_set


@login_required
@require_GET
def web_services(request: HttpRequest) -> HttpResponse:
    services = list(web_services_of(request.user))
    for service in services:  # each row's Delete confirmation says what goes and what stays
        service.deletion = deletion_facts(service)  # type: ignore[attr-defined]
    return render(request, "studio/web_services.html", {"services": services, "section": "web-services"})


@login_required
@require_POST
def web_service_remove(request: HttpRequest, service_id: int) -> HttpResponse:
    """Delete a web service from its page or the Web Services list (after a confirmation that names it)."""
    service = get_object_or_404(web_services_of(request.user), pk=service_id)
    done = web_service_delete(service=service)
    messages.success(request, f"Deleted the web service {done.label}: its endpoints no longer answer and its keys "
                              "are revoked. Its experiments, saved models and files are kept.")
    return redirect("web-services")


@login_required
@require_GET
def web_service(request: HttpRequest, service_id: int) -> HttpResponse:
    """The dashboard: endpoints with their URLs and key hints, the schemas, the resources."""
    return _service_page(request, get_object_or_404(web_services_of(request.user), pk=service_id))


def _service_page(request: HttpRequest, service: WebService, traffic_refused: str = "") -> HttpResponse:
    """The web service page; after a refused Traffic form, with the refusal and the values as typed (400)."""
    base = base_url(request)
    body = service_json(base, service)
    for endpoint in body["endpoints"]:
        endpoint["lineage_line"] = lineage_line(endpoint["Lineage"])
    management = f"{base}/workspaces/{service.workspace_id}/webservices/{service.pk}/endpoints"
    traffic = traffic_json(service)
    if traffic_refused:  # the form shows what was typed, not the stored split, so nothing has to be typed again
        shadows = request.POST.getlist("shadow")
        for row in traffic["endpoints"]:
            row["share"], row["shadow"] = request.POST.get(f"share-{row['name']}", ""), row["name"] in shadows
    return render(request, "studio/web_service.html", {"service": service, "body": body, "section": "web-services",
                                                       "management": management, "deletion": deletion_facts(service),
                                                       "traffic": traffic, "traffic_refused": traffic_refused},
                  status=400 if traffic_refused else 200)


@login_required
@require_POST
def web_service_traffic(request: HttpRequest, service_id: int) -> HttpResponse:
    """The dashboard's Traffic form: a share per endpoint and shadow checkboxes, as PUT .../traffic/ takes them.
    A refused form comes back with its message beside it and the values as typed."""
    service = get_object_or_404(web_services_of(request.user), pk=service_id)
    try:
        traffic_set(service=service, body=traffic_form_body(request.POST, list(service.endpoints.all())))
    except TrafficError as error:
        return _service_page(request, service, f"Traffic not changed: {error.message}")
    messages.success(request, "Traffic split saved: every scoring process serves it from its next call.")
    return redirect(f"{reverse('web-service', args=[service.pk])}#traffic")


@login_required
@require_GET
def web_service_endpoint(request: HttpRequest, service_id: int, name: str) -> HttpResponse:
    """An endpoint's page: API help (sample request/response, code in four languages), the Test form,
    usage and the request log (the last two filled in by dashboard.js from the API)."""
    service = get_object_or_404(web_services_of(request.user), pk=service_id)
    endpoint = get_object_or_404(service.endpoints, name=name)
    retraining = web_services_of(request.user).filter(workspace=service.workspace, kind__in=kind_names(retrains=True))
    names = [r["Name"] for r in updatable(service)]
    base = base_url(request)
    patch_url = f"{base}/workspaces/{service.workspace_id}/webservices/{service.pk}/endpoints/{endpoint.name}"
    return render(request, "studio/web_service_endpoint.html", {
        "service": service, "endpoint": endpoint, "body": (body := endpoint_json(base, endpoint, with_keys=False)),
        "lineage_line": lineage_line(body["Lineage"]),
        "help": endpoint_help(base, endpoint), "section": "web-services", "drift": drift_view(drift_report(endpoint)),
        "schema": service.current.input_schema if service.current else {},
        "updatable": names, "retraining_services": retraining,
        "throttle_levels": Endpoint.Throttle.choices, "trace_levels": Endpoint.TraceLevel.choices,
        "patch_sample": patch_sample(patch_url, names[0]) if names else ""})


@require_GET
def web_service_swagger(request: HttpRequest, service_id: int, name: str) -> HttpResponse:
    """OpenAPI 3 for the endpoint: for a signed-in member, or with a key of the endpoint (as clients fetch it)."""
    endpoint = Endpoint.objects.select_related("service__current").filter(service_id=service_id, name=name).first()
    member = request.user.is_authenticated and web_services_of(request.user).filter(pk=service_id).exists()
    refused = None
    if not member:
        refused = check(request_address(request), request.headers.get("Authorization", ""),
                        [endpoint] if endpoint is not None else [])
        if refused is not None and refused.status == 429:
            return as_response(refused)
    if endpoint is None or endpoint.service.current is None or refused is not None:
        return JsonResponse({"error": {"code": "NotFound", "message": "No such endpoint, or no access to it."}},
                            status=404)
    deployment = endpoint.service.current
    return JsonResponse(openapi_document(base_url(request), endpoint, deployment.input_schema,
                                         deployment.output_schema))
