"""Studio JSON API for modules, datasets, experiments and runs (SPEC §2). Views parse, call, format."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from experiments import services
from experiments.assets import AssetInUse, SaveError, SharedSample, asset_delete, dataset_delete, output_save
from experiments.conversion import ConversionError
from experiments.datasets import OUT_OF_MEMORY, DatasetError, UploadOptions, dataset_upload, lines_adjusted
from experiments.engine import store
from experiments.export import ExportError, export_file_stem, mlflow_zip, notebook, python_script
from experiments.models import Asset, CacheEntry, Dataset, Experiment, NodeRun, Run
from experiments.modules.framework.registry import registry
from experiments.run_queue import run_nudge
from experiments.runner import all_ports_json
from experiments.selectors import assets_of, datasets_of, experiments_of, runs_of
from experiments.setup import setup_web_service
from experiments.visualize import visualize
from studio.api.errors import ProblemsError
from studio.selectors import default_workspace_of, workspaces_of

from .serializers import (
    AssetSerializer,
    DatasetSerializer,
    DatasetUploadSerializer,
    ExperimentSerializer,
    RunRequestSerializer,
    SaveAsSerializer,
    SaveOutputSerializer,
    SetupSerializer,
    node_log_json,
    run_json,
)


def problems_error(error: services.InvalidGraph) -> ProblemsError:
    return ProblemsError(error.detail, [problem.as_json() for problem in error.problems])


class ModuleCatalogueView(APIView):
    """Every module a canvas can place, with ports and parameters as JSON Schema."""

    @extend_schema(responses=OpenApiResponse(description="The module catalogue"))
    def get(self, request: Request) -> Response:
        return Response(registry.catalogue())


def workspace_for(request: Request, workspace_id: str | None) -> Any:
    if workspace_id:
        return get_object_or_404(workspaces_of(request.user), pk=workspace_id)
    workspace = default_workspace_of(request.user)
    if workspace is None:
        raise ProblemsError("You are not a member of any workspace.", [], status_code=403)
    return workspace


class DatasetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Saved datasets: the samples and the caller's workspaces' uploads (CSV, TSV, Parquet, JSON lines);
    delete one that nothing uses (409 naming its users otherwise)."""

    serializer_class = DatasetSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self) -> QuerySet[Dataset]:
        return datasets_of(self.request.user)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from experiments.datasets import dataset_head
        from experiments.visualize import table_view

        dataset = self.get_object()
        body = DatasetSerializer(dataset).data
        body["sample"] = table_view(dataset_head(dataset, 20), offset=0, limit=20)["preview"]
        return Response(body)

    @extend_schema(request=DatasetUploadSerializer, responses=DatasetSerializer)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = DatasetUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        given = upload.validated_data
        file = given["file"]
        try:
            options = UploadOptions.of(missing=given.get("missing"), decimal=given.get("decimal"),
                                       true=given.get("true"), false=given.get("false"),
                                       separator=given.get("separator"), lenient=given.get("lenient", False))
            dataset = dataset_upload(workspace=workspace_for(request, given.get("workspace")),
                                     name=given.get("name", ""), file=file, filename=file.name,
                                     created_by=request.user, options=options)
        except DatasetError as error:
            line = {"line": error.line} if error.line else {}
            raise ProblemsError(str(error), [{"parameter": "file", **line, "message": str(error)}]) from None
        except MemoryError:  # reading is chunked; still, never a 500 for a file the server can't hold
            raise ProblemsError(OUT_OF_MEMORY, [{"parameter": "file", "message": OUT_OF_MEMORY}],
                                status_code=503) from None
        body = DatasetSerializer(dataset).data
        body["adjusted"] = lines_adjusted(dataset)  # what a lenient read padded or skipped, in words
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Dataset) -> None:
        try:
            dataset_delete(instance)
        except AssetInUse as error:
            status_code = 403 if isinstance(error, SharedSample) else 409
            raise ProblemsError(str(error), [], status_code=status_code) from None


NOTEBOOK_TYPE = "application/x-ipynb+json"  # the media type Jupyter serves .ipynb files as


class FormatIsTheExport(DefaultContentNegotiation):
    """`?format=` names the export (python, notebook, mlflow), not a renderer: answers (errors included) are JSON."""

    def select_renderer(self, request: Request, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class ExperimentViewSet(viewsets.ModelViewSet):
    """Experiments in the caller's workspaces, with their graph and its validation problems."""

    serializer_class = ExperimentSerializer

    def get_queryset(self) -> QuerySet[Experiment]:
        return experiments_of(self.request.user)

    def perform_create(self, serializer: ExperimentSerializer) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = services.experiment_create(
                workspace=workspace_for(self.request, data.get("workspace")), name=data.get("name", ""),
                created_by=self.request.user, graph=data.get("graph"))
        except services.InvalidGraph as error:
            raise problems_error(error) from None

    def perform_update(self, serializer: ExperimentSerializer) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = services.experiment_update(experiment=serializer.instance, name=data.get("name"),
                                                             graph=data.get("graph"))
        except services.InvalidGraph as error:
            raise problems_error(error) from None

    @extend_schema(parameters=[OpenApiParameter("force", OpenApiTypes.BOOL, description="Delete even though web "
                                                "services were deployed from it (they keep running)")],
                   responses={204: None, 409: OpenApiResponse(description="Web services depend on it: named")})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refused with 409 naming the web services deployed from it (or its predictive experiment) unless the
        call confirms with ?force=1; the services keep running either way."""
        force = request.query_params.get("force", "").lower() in ("1", "true", "yes")
        try:
            services.experiment_delete(experiment=self.get_object(), force=force)
        except services.ExperimentDeployed as error:
            raise ProblemsError(f"{error.detail} Send the DELETE again with ?force=1 to delete it anyway.",
                                [{"web_service": service.pk, "message": f"Web service {service.label}"}
                                 for service in error.services], status_code=409) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RunRequestSerializer, responses={202: OpenApiResponse(description='{"run": id}')})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        body = RunRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        try:
            run = services.run_start(experiment=self.get_object(), nodes=body.validated_data.get("nodes"),
                                     created_by=request.user)
        except services.InvalidGraph as error:
            raise problems_error(error) from None
        return Response({"run": run.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=OpenApiResponse(description="The experiment's runs, newest first"))
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, pk: str | None = None) -> Response:
        """Run history: every run of the experiment, newest first (open one with GET /api/runs/{id}/)."""
        runs = self.get_object().runs.order_by("-created").values("id", "status", "created", "started", "finished")
        return Response(list(runs[:100]))

    @extend_schema(responses=OpenApiResponse(description='{node: {port: [{"name", "kind", "role"}]}}'))
    @action(detail=True, methods=["get"])
    def schemas(self, request: Request, pk: str | None = None) -> Response:
        """The columns each output will have, where they can be known without running (the column selector)."""
        return Response(services.experiment_schemas(self.get_object()))

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["python", "notebook", "mlflow"], default="python",
                                     description="python: a standalone script (text/x-python); notebook: the same "
                                                 "code as a Jupyter notebook (.ipynb, nbformat 4); mlflow: a zip "
                                                 "of an MLflow model directory (pyfunc flavor)")],
        responses={(200, "text/x-python"): OpenApiResponse(OpenApiTypes.STR, description="The script (attachment)"),
                   (200, NOTEBOOK_TYPE): OpenApiResponse(OpenApiTypes.OBJECT,
                                                         description="The notebook, nbformat 4 JSON (attachment)"),
                   (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY,
                                                             description="The MLflow model directory, zipped"),
                   (400, "application/json"): OpenApiResponse(
                       OpenApiTypes.OBJECT, description='{"detail", "errors": [{"node", "message"}]}: not finished, '
                                                        "or a module with no code form (named)")})
    @action(detail=True, methods=["get"], content_negotiation_class=FormatIsTheExport)
    def export(self, request: Request, pk: str | None = None) -> HttpResponse:
        """Export as code: the last finished run as a standalone Python script (pandas, numpy, scikit-learn) that
        reproduces its scored rows, the same code as a Jupyter notebook, or the trained predictive pipeline as
        an MLflow model."""
        experiment = self.get_object()
        kind = request.query_params.get("format", "python")
        try:
            if kind == "python":
                body, content_type, name = python_script(experiment).encode(), "text/x-python", ".py"
            elif kind == "notebook":
                body, content_type, name = notebook(experiment).encode(), NOTEBOOK_TYPE, ".ipynb"
            elif kind == "mlflow":
                body, content_type, name = mlflow_zip(experiment), "application/zip", "-mlflow.zip"
            else:
                raise ExportError(f"Unknown export format '{kind}'; choose python, notebook or mlflow.")
        except ExportError as error:
            raise ProblemsError(str(error), [{"node": error.node, "message": str(error)}] if error.node else [],
                                ) from None
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{export_file_stem(experiment)}{name}"'
        return response

    @extend_schema(request=SaveAsSerializer, responses={201: ExperimentSerializer})
    @extend_schema(request=SetupSerializer, responses=OpenApiResponse(
        description='{"experiment": id, "created": bool, "summary": [{"node", "action", "message"}]}'))
    @action(detail=True, methods=["post"], url_path="setup-web-service")
    def setup_web_service(self, request: Request, pk: str | None = None) -> Response:
        """Set Up Web Service: the linked predictive experiment (created or rebuilt), or retraining input and
        outputs added to this one. The summary says, node by node, what was replaced, removed and added."""
        body = SetupSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        try:
            done = setup_web_service(experiment=self.get_object(), kind=body.validated_data["kind"],
                                     train_node=body.validated_data.get("train_node") or None, user=request.user)
        except (ConversionError, SaveError) as error:
            raise ProblemsError(str(error), getattr(error, "problems", [])) from None
        return Response({"experiment": done.experiment.pk, "created": done.created,
                         "summary": [change.as_json() for change in done.summary]})

    @action(detail=True, methods=["post"], url_path="save-as")
    def save_as(self, request: Request, pk: str | None = None) -> Response:
        experiment = self.get_object()  # first: an outsider gets 404 whatever the body (no existence oracle)
        body = SaveAsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        copy = services.experiment_save_as(experiment=experiment, name=body.validated_data["name"],
                                           created_by=request.user)
        return Response(ExperimentSerializer(copy).data, status=status.HTTP_201_CREATED)


class RunViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A run's state, node by node; cancel; and the visualisation of any output port."""

    def get_queryset(self) -> QuerySet[Run]:
        return runs_of(self.request.user)

    @extend_schema(responses=OpenApiResponse(description="The run and its nodes' states"))
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        run = services.run_reap_if_stale(self.get_object())
        if run.status == Run.Status.QUEUED:  # its turn may have come, or its message been lost: send it now
            run_nudge(run)
            run.refresh_from_db()
        return Response(run_json(run, all_ports_json(run)))

    @extend_schema(request=None, responses=OpenApiResponse(description="The run, cancelled or cancelling"))
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        run = services.run_cancel(run=self.get_object())
        return Response(run_json(run, all_ports_json(run)))

    @extend_schema(request=SaveOutputSerializer,
                   responses=OpenApiResponse(description='{"kind": "dataset|trained_model|transform", "id", "name"}'))
    @action(detail=True, methods=["post"], url_path=r"nodes/(?P<node>[^/]+)/outputs/(?P<port>[^/]+)/save")
    def save_output(self, request: Request, pk: str | None = None, node: str = "", port: str = "") -> Response:
        """Save as Dataset / Save as Trained Model / Save as Transform, as on the classic canvas."""
        run = self.get_object()  # first: an outsider gets 404 whatever the body (no existence oracle)
        body = SaveOutputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            saved = output_save(run=run, node=node, port=port, created_by=request.user,
                                **body.validated_data)
        except SaveError as error:
            raise ProblemsError(str(error), [{"node": node, "message": str(error)}]) from None
        kind = "dataset" if isinstance(saved, Dataset) else saved.kind
        return Response({"kind": kind, "id": saved.pk, "name": saved.name}, status=status.HTTP_201_CREATED)

    @extend_schema(responses=OpenApiResponse(description='A node\'s output log: {"queued", "started", "finished", '
                                             '"duration_ms", "error", "traceback", "entries": [{"stream", "text"}]}'))
    @action(detail=True, methods=["get"], url_path=r"nodes/(?P<node>[^/]+)/log")
    def log(self, request: Request, pk: str | None = None, node: str = "") -> Response:
        """View output log: what one node printed, warned and logged while it ran, with its timings and error."""
        node_run = NodeRun.objects.filter(run=self.get_object(), node_id=node).first()
        if node_run is None:
            raise ProblemsError(f"Node {node} is not part of run {pk}.", [{"node": node, "message": "not in this run"}],
                                status_code=404)
        return Response(node_log_json(node_run))

    @extend_schema(responses=OpenApiResponse(description="Visualisation of one output port"))
    @action(detail=True, methods=["get"], url_path=r"nodes/(?P<node>[^/]+)/outputs/(?P<port>[^/]+)")
    def output(self, request: Request, pk: str | None = None, node: str = "", port: str = "") -> Response:
        run = self.get_object()
        node_run = get_object_or_404(NodeRun, run=run, node_id=node)
        entry = CacheEntry.objects.filter(pk=node_run.cache_key).first() if node_run.cache_key else None
        if entry is None or node_run.status not in (NodeRun.Status.FINISHED, NodeRun.Status.CACHED):
            raise ProblemsError(f"Node {node} has no outputs in run {run.pk} (status: {node_run.status}).", [],
                                status_code=404)
        if port not in entry.outputs:
            raise ProblemsError(f"Node {node} has no output port '{port}'.", [], status_code=404)
        offset, limit = _int_arg(request, "offset", 0), _int_arg(request, "limit", 100)
        return Response(visualize(store.load_output(entry.outputs[port]), offset=offset, limit=limit))


class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                   mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Saved trained models and transforms (`?kind=trained_model|transform`); rename or delete them."""

    serializer_class = AssetSerializer

    def get_queryset(self) -> QuerySet[Asset]:
        assets = assets_of(self.request.user)
        kind = self.request.query_params.get("kind")
        if kind is not None and kind not in Asset.Kind.values:
            raise ProblemsError(f"'kind' must be one of {', '.join(Asset.Kind.values)}; got {kind!r}.",
                                [{"parameter": "kind", "message": "unknown kind"}])
        return assets.filter(kind=kind) if kind else assets

    def perform_destroy(self, instance: Asset) -> None:
        try:
            asset_delete(instance)
        except AssetInUse as error:
            raise ProblemsError(str(error), [], status_code=409) from None


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, str(default))
    if not raw.isdigit():
        raise ProblemsError(f"'{name}' must be a non-negative integer; got {raw!r}.",
                            [{"parameter": name, "message": "must be a non-negative integer"}])
    return int(raw)
