"""Batch jobs from the studio's pages (issue 15): submit and start, watch, cancel, and apply a retraining job's
model to an endpoint. Mixed into the web services viewset, so every route is scoped to the caller's workspaces
(another workspace's service, endpoint or job answers 404). Views parse, call webservices.studio_jobs, format."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api.errors import ProblemsError
from webservices.batch import job_cancel
from webservices.endpoints import resource_history
from webservices.locations import base_url
from webservices.models import BatchJob, Endpoint
from webservices.selectors import web_services_of
from webservices.studio_jobs import job_apply, job_targets, studio_job_json, studio_job_start

ENDPOINT = r"endpoints/(?P<name>[^/]+)"
JOB = ENDPOINT + r"/jobs/(?P<job>[0-9a-f]{1,32})"
RECENT_JOBS = 10


class StudioJobsMixin:
    """Actions of WebServiceViewSet (which gives get_object: the caller's service, else 404)."""

    get_object: Any

    def _endpoint(self, name: str) -> Endpoint:
        return get_object_or_404(self.get_object().endpoints, name=name)  # type: ignore[no-any-return]

    def _job(self, name: str, job: str) -> BatchJob:
        return get_object_or_404(BatchJob.objects.select_related("endpoint__service"), endpoint=self._endpoint(name),
                                 job_id=job)

    @extend_schema(methods=["GET"], operation_id="web_services_endpoint_jobs_list",
                   responses=OpenApiResponse(description="The endpoint's latest jobs"))
    @extend_schema(methods=["POST"], request={"application/json": OpenApiTypes.OBJECT},
                   operation_id="web_services_endpoint_jobs_create",
                   responses=OpenApiResponse(description="The job just submitted and started"))
    @action(detail=True, methods=["get", "post"], url_path=ENDPOINT + "/jobs")
    def jobs(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """GET: the endpoint's latest jobs. POST a BES body ({"Inputs": {"input1": {"RelativeLocation": ...}}}):
        submit and start a job as the studio, whose members reach every file of the workspace storage."""
        endpoint = self._endpoint(name)
        base = base_url(request)
        if request.method == "GET":
            return Response([studio_job_json(base, job) for job in endpoint.jobs.all()[:RECENT_JOBS]])
        job = studio_job_start(endpoint=endpoint, body=request.data)
        return Response(studio_job_json(base, job), status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None, operation_id="web_services_endpoint_job_retrieve",
                   responses=OpenApiResponse(description="The job: status, progress, outputs"))
    @extend_schema(methods=["DELETE"], request=None, operation_id="web_services_endpoint_job_cancel",
                   responses=OpenApiResponse(description="The job, cancelled"))
    @action(detail=True, methods=["get", "delete"], url_path=JOB)
    def job(self, request: Request, pk: str | None = None, name: str = "", job: str = "") -> Response:
        """GET: the job's status and progress, with download URLs once finished; DELETE: cancel it."""
        found = self._job(name, job)
        if request.method == "DELETE":
            found = job_cancel(found)
        return Response(studio_job_json(base_url(request), found))

    @extend_schema(responses=OpenApiResponse(description="Predictive services the job's model could be applied to"))
    @action(detail=True, methods=["get"], url_path=JOB + "/targets")
    def job_targets(self, request: Request, pk: str | None = None, name: str = "", job: str = "") -> Response:
        """The predictive services of the workspace whose model the finished job's could replace, with fit."""
        return Response(job_targets(self._job(name, job), web_services_of(request.user)))

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT},
                   responses=OpenApiResponse(description="The version now served and the endpoint's history"))
    @action(detail=True, methods=["post"], url_path=JOB + "/apply")
    def job_apply(self, request: Request, pk: str | None = None, name: str = "", job: str = "") -> Response:
        """Apply the job's trained model to a non-default endpoint of a predictive service of the same workspace
        ({"web_service": id, "endpoint": name[, "resource": name]}): Update Resource, all its checks included."""
        found = self._job(name, job)
        body = request.data if isinstance(request.data, dict) else {}
        target, endpoint_name = body.get("web_service"), body.get("endpoint")
        if not isinstance(target, int) or isinstance(target, bool) or not isinstance(endpoint_name, str):
            raise ProblemsError("Give the predictive service's id as 'web_service' and the endpoint's name as "
                                "'endpoint'.", [{"parameter": "web_service", "message": "required"}])
        service = web_services_of(request.user).filter(workspace_id=found.endpoint.service.workspace_id,
                                                       pk=target).first()
        endpoint = service.endpoints.filter(name=endpoint_name).first() if service is not None else None
        if endpoint is None:
            raise ProblemsError(f"No endpoint '{endpoint_name}' of a web service {target} in this workspace.",
                                [{"parameter": "endpoint", "message": "not found"}], status_code=404)
        resource = body.get("resource")
        version = job_apply(job=found, endpoint=endpoint, base=base_url(request),
                            resource=resource if isinstance(resource, str) else None)
        return Response({"web_service": service.pk, "name": service.name,  # type: ignore[union-attr]
                         "endpoint": endpoint.name,
                         "version": next(v for v in resource_history(endpoint) if v["id"] == version.pk),
                         "history": resource_history(endpoint),
                         "page": f"/web-services/{service.pk}/endpoints/{endpoint.name}/"})  # type: ignore[union-attr]
