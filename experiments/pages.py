"""The experiments app's pages: the experiments list, the canvas shell, datasets and trained models.
Logic lives in services and selectors; these only read the request and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from studio.models import Workspace
from studio.selectors import default_workspace_of, signed_in, workspaces_of

from .assets import AssetInUse, asset_delete, dataset_delete
from .datasets import OUT_OF_MEMORY, DatasetError, UploadOptions, dataset_table, dataset_upload, lines_adjusted
from .lineage import asset_lineage, lineage_text
from .models import Asset
from .selectors import assets_of, datasets_of, experiments_of, experiments_with_last_run, storage_files_of
from .services import (
    ExperimentDeployed,
    experiment_create,
    experiment_delete,
    experiment_delete_warning,
    experiment_save_as,
    experiment_update,
)
from .visualize import table_view


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
                                  created_by=signed_in(request))
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
    workspace: Workspace | None
    if workspace_id:
        workspace = get_object_or_404(workspaces_of(request.user), pk=workspace_id)
    else:
        workspace = default_workspace_of(signed_in(request))
    if workspace is None:
        return HttpResponse("You are not a member of any workspace.", status=403)
    experiment = experiment_create(
        workspace=workspace, name=request.POST.get("name", ""), created_by=signed_in(request)
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
    """Saved datasets, then the files of each workspace's storage (what Import Data, Export Data, batch jobs and
    the storage call share)."""
    listed = datasets_of(request.user).select_related("workspace").order_by("source", "name")
    return render(request, "studio/datasets.html", {"datasets": listed, "storage": storage_files_of(request.user),
                                                    "section": "datasets"})


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
    workspace = default_workspace_of(signed_in(request))
    if upload is None or workspace is None:
        messages.error(request, "Choose a file to upload.")
        return redirect("datasets")
    form = request.POST
    try:
        options = UploadOptions.of(missing=form.get("missing"), decimal=form.get("decimal") or None,
                                   true=form.get("true"), false=form.get("false"),
                                   separator=form.get("separator") or None, lenient=form.get("lenient") == "on")
        dataset = dataset_upload(workspace=workspace, name=form.get("name", ""), file=upload,
                                 filename=upload.name or "", created_by=signed_in(request), options=options)
    except DatasetError as error:
        messages.error(request, f"{upload.name}: {error}")
    except MemoryError:
        messages.error(request, f"{upload.name}: {OUT_OF_MEMORY}")
    else:
        adjusted = lines_adjusted(dataset)
        messages.success(request, f"Uploaded '{dataset.name}': {dataset.rows} rows, {len(dataset.columns)} columns."
                         + (f" {adjusted}" if adjusted else ""))
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
    listed = list(assets)
    for asset in listed:  # where each came from: its recorded lineage (rebuilt from its run when older)
        asset.lineage_view = asset_lineage(asset)  # type: ignore[attr-defined]
        asset.lineage_line = lineage_text(asset.lineage_view) if asset.lineage_view else ""  # type: ignore[attr-defined]
    return render(request, "studio/trained_models.html", {
        "models": [a for a in listed if a.kind == Asset.Kind.TRAINED_MODEL],
        "transforms": [a for a in listed if a.kind == Asset.Kind.TRANSFORM], "section": "trained-models"})
