"""Shell pages: the studio's navigation around the canvas bundle. Logic lives in services/selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from experiments.assets import AssetInUse, asset_delete, dataset_delete
from experiments.datasets import OUT_OF_MEMORY, DatasetError, dataset_table, dataset_upload
from experiments.models import Asset
from experiments.selectors import assets_of, datasets_of, experiments_of, experiments_with_last_run
from experiments.services import (
    ExperimentDeployed,
    experiment_create,
    experiment_delete,
    experiment_delete_warning,
    experiment_save_as,
    experiment_update,
)
from experiments.visualize import table_view
from webservices.dashboard import endpoint_help
from webservices.deletion import deletion_facts, web_service_delete
from webservices.endpoints import updatable
from webservices.locations import base_url
from webservices.management_json import endpoint_json, service_json
from webservices.models import Endpoint, WebService
from webservices.openapi import openapi_document
from webservices.samples import patch_sample
from webservices.scoring.keys import as_response, check
from webservices.selectors import web_services_of

from .health import OK, health_report
from .selectors import default_workspace_of, workspaces_of
from .throttle import request_address


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    healthy = all(state == OK for state in report.values())
    return JsonResponse(report, status=200 if healthy else 503)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and tools ask for on their own: the studio's icon (pages link its SVG)."""
    with open(str(finders.find("favicon.ico")), "rb") as icon:  # 1.5 KB
        response = HttpResponse(icon.read(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    experiments = list(experiments_with_last_run(request.user, query))
    for experiment in experiments:  # the Delete confirmation names the web services that depend on it
        experiment.delete_warning = experiment_delete_warning(experiment)  # type: ignore[attr-defined]
    return render(request, "studio/experiments.html",
                  {"experiments": experiments, "query": query, "section": "experiments"})


@login_required
@require_POST
def experiment_action(request: HttpRequest, experiment_id: int, action: str) -> HttpResponse:
    """Rename, Save As or delete from the experiments list (forms post here; the API does the same)."""
    experiment = get_object_or_404(experiments_of(request.user), pk=experiment_id)
    name = request.POST.get("name", "").strip()
    if action == "rename" and name:
        experiment_update(experiment=experiment, name=name)
        messages.success(request, f"Renamed to '{name}'.")
    elif action == "save-as":
        copy = experiment_save_as(experiment=experiment, name=name or f"{experiment.name} (copy)",
                                  created_by=request.user)
        messages.success(request, f"Saved a copy as '{copy.name}'.")
    elif action == "delete":
        try:
            experiment_delete(experiment=experiment, force=request.POST.get("force") == "1")
        except ExperimentDeployed as error:  # deployed since the page was shown: its confirmation didn't say so
            messages.error(request, f"{error.detail} Press Delete again to delete it anyway.")
        else:
            messages.success(request, f"Deleted '{experiment.name}'.")
    else:
        return HttpResponse(f"Unknown action '{action}'", status=400)
    return redirect("home")


@login_required
@require_POST
def experiment_new(request: HttpRequest) -> HttpResponse:
    workspace_id = request.POST.get("workspace")
    if workspace_id:
        workspace = get_object_or_404(workspaces_of(request.user), pk=workspace_id)
    else:
        workspace = default_workspace_of(request.user)
    if workspace is None:
        return HttpResponse("You are not a member of any workspace.", status=403)
    experiment = experiment_create(
        workspace=workspace, name=request.POST.get("name", ""), created_by=request.user
    )
    return redirect("experiment-canvas", experiment_id=experiment.pk)


@login_required
@require_GET
def experiment_canvas(request: HttpRequest, experiment_id: int) -> HttpResponse:
    experiment = get_object_or_404(experiments_of(request.user), pk=experiment_id)
    return render(request, "studio/canvas.html", {"experiment": experiment, "section": "experiments"})


@login_required
@require_GET
def datasets(request: HttpRequest) -> HttpResponse:
    listed = datasets_of(request.user).select_related("workspace").order_by("source", "name")
    return render(request, "studio/datasets.html", {"datasets": listed, "section": "datasets"})


@login_required
@require_GET
def dataset_detail(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """A dataset's columns with their statistics, and its first rows."""
    dataset = get_object_or_404(datasets_of(request.user), pk=dataset_id)
    view = table_view(dataset_table(dataset), offset=0, limit=50)
    return render(request, "studio/dataset.html", {"dataset": dataset, "view": view, "section": "datasets"})


@login_required
@require_POST
def dataset_new(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    workspace = default_workspace_of(request.user)
    if upload is None or workspace is None:
        messages.error(request, "Choose a file to upload.")
        return redirect("datasets")
    try:
        dataset = dataset_upload(workspace=workspace, name=request.POST.get("name", ""), file=upload,
                                 filename=upload.name, created_by=request.user)
    except DatasetError as error:
        messages.error(request, f"{upload.name}: {error}")
    except MemoryError:
        messages.error(request, f"{upload.name}: {OUT_OF_MEMORY}")
    else:
        messages.success(request, f"Uploaded '{dataset.name}': {dataset.rows} rows, {len(dataset.columns)} columns.")
    return redirect("datasets")


@login_required
@require_POST
def dataset_remove(request: HttpRequest, dataset_id: int) -> HttpResponse:
    """Delete a workspace's dataset from the Datasets page; refused, with its users named, while in use."""
    dataset = get_object_or_404(datasets_of(request.user).filter(workspace__isnull=False), pk=dataset_id)
    try:
        dataset_delete(dataset)
    except AssetInUse as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Deleted '{dataset.name}'.")
    return redirect("datasets")


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
    service = get_object_or_404(web_services_of(request.user), pk=service_id)
    base = base_url(request)
    body = service_json(base, service)
    management = f"{base}/workspaces/{service.workspace_id}/webservices/{service.pk}/endpoints"
    return render(request, "studio/web_service.html", {"service": service, "body": body, "section": "web-services",
                                                       "management": management, "deletion": deletion_facts(service)})


@login_required
@require_http_methods(["GET", "POST"])
def trained_models(request: HttpRequest) -> HttpResponse:
    """Trained models and transforms saved from runs (by the user or by Set Up Web Service); delete by POST."""
    assets = assets_of(request.user).select_related("workspace", "source_run__experiment")
    if request.method == "POST":
        asset = get_object_or_404(assets, pk=request.POST.get("delete", ""))
        try:
            asset_delete(asset)
        except AssetInUse as error:
            messages.error(request, str(error))
            return redirect("trained-models")
        messages.success(request, f"Deleted '{asset.name}'.")
        return redirect("trained-models")
    return render(request, "studio/trained_models.html", {
        "models": assets.filter(kind=Asset.Kind.TRAINED_MODEL), "transforms": assets.filter(kind=Asset.Kind.TRANSFORM),
        "section": "trained-models"})


@login_required
@require_GET
def web_service_endpoint(request: HttpRequest, service_id: int, name: str) -> HttpResponse:
    """An endpoint's page: API help (sample request/response, code in four languages), the Test form,
    usage and the request log (the last two filled in by dashboard.js from the API)."""
    service = get_object_or_404(web_services_of(request.user), pk=service_id)
    endpoint = get_object_or_404(service.endpoints, name=name)
    retraining = web_services_of(request.user).filter(workspace=service.workspace, kind=WebService.Kind.RETRAINING)
    names = [r["Name"] for r in updatable(service)]
    base = base_url(request)
    patch_url = f"{base}/workspaces/{service.workspace_id}/webservices/{service.pk}/endpoints/{endpoint.name}"
    return render(request, "studio/web_service_endpoint.html", {
        "service": service, "endpoint": endpoint, "body": endpoint_json(base, endpoint),
        "help": endpoint_help(base, endpoint), "section": "web-services",
        "schema": service.current.input_schema if service.current else {},
        "updatable": names, "retraining_services": retraining,
        "throttle_levels": Endpoint.Throttle.choices, "trace_levels": Endpoint.TraceLevel.choices,
        "patch_sample": patch_sample(patch_url, names[0]) if names else ""})


@require_GET
def web_service_swagger(request: HttpRequest, service_id: int, name: str) -> HttpResponse:
    """OpenAPI 3 for the endpoint: for a signed-in member, or with a key of the endpoint (as clients fetch it)."""
    from webservices.models import Endpoint

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
