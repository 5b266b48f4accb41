"""Studio JSON API for deploying and managing web services (SPEC §2). Views parse, call, format."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from experiments.selectors import experiments_of
from studio.api.errors import ProblemsError
from webservices.dashboard import endpoint_test, endpoint_usage
from webservices.definition import definition_apply, definition_json
from webservices.deletion import web_service_delete
from webservices.drift import report as drift_report
from webservices.endpoints import (
    endpoint_delete,
    endpoint_put,
    resource_history,
    resource_patch,
    resource_rollback,
    updatable,
)
from webservices.lineage import endpoint_lineage, lineage_line
from webservices.locations import base_url
from webservices.management_json import endpoint_json, service_json
from webservices.models import WebService
from webservices.schedules import attempt_run_now, schedule_create, schedules_json
from webservices.selectors import web_services_of
from webservices.services import deploy, key_regenerate
from webservices.traffic import traffic_json, traffic_set

from .job_views import StudioJobsMixin
from .schemas import EndpointSerializer, WebServiceSerializer


class DeploySerializer(serializers.Serializer):
    web_service = serializers.IntegerField(required=False, allow_null=True)


class RegenerateSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["primary", "secondary"])


class DeployView(APIView):
    """Deploy Web Service: publish the experiment's last finished run as a new service, or update its service."""

    @extend_schema(request=DeploySerializer, responses=OpenApiResponse(
        description='{"web_service": id, "endpoint": {"Name", "Id", "PrimaryKey", "SecondaryKey", "ApiLocation", '
                    '"BatchLocation"}} (201 new; 200 redeploy)'))
    def post(self, request: Request, pk: int) -> Response:
        experiment = get_object_or_404(experiments_of(request.user), pk=pk)
        body = DeploySerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        service = None
        if body.validated_data.get("web_service") is not None:
            service = get_object_or_404(web_services_of(request.user), pk=body.validated_data["web_service"])
        done = deploy(experiment=experiment, web_service=service, user=request.user)  # DeployError: a 400
        return Response({"web_service": done.service.pk, "version": done.service.current.version,  # type: ignore[union-attr]
                         "endpoint": endpoint_json(base_url(request), done.endpoint)},
                        status=status.HTTP_201_CREATED if done.created else status.HTTP_200_OK)


class WebServiceViewSet(StudioJobsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                        viewsets.GenericViewSet):
    """Web services of the caller's workspaces, with their schemas and endpoints (keys included: members manage
    them, issue 17); DELETE
    removes one: its keys stop working at once, its experiments, saved models and files stay."""

    def get_queryset(self) -> QuerySet[WebService]:
        return web_services_of(self.request.user)

    @extend_schema(responses=OpenApiResponse(WebServiceSerializer(many=True), description="Web services"))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response([service_json(base_url(request), service) for service in self.get_queryset()])

    @extend_schema(responses=OpenApiResponse(WebServiceSerializer, description="One web service: each endpoint "
                                             "with the Lineage of the model it serves"))
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(service_json(base_url(request), self.get_object()))

    @extend_schema(responses={204: OpenApiResponse(description="Deleted: endpoints and keys gone, unfinished batch "
                                                               "jobs cancelled, schedules removed; experiments kept")})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        web_service_delete(service=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT},
                   responses=OpenApiResponse(description="The new-style web service definition"))
    @action(detail=True, methods=["get", "put"])
    def definition(self, request: Request, pk: str | None = None) -> Response:
        """The service as Azure's new-style definition JSON; PUT an edited one to update the service."""
        service = self.get_object()
        if request.method == "PUT":
            service = definition_apply(service=service, definition=request.data, user=request.user)
            service = self.get_queryset().get(pk=service.pk)
        return Response(definition_json(base_url(request), service))

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT},
                   responses=OpenApiResponse(description="The RRS response for the body"))
    @action(detail=True, methods=["post"], url_path=r"endpoints/(?P<name>[^/]+)/test")
    def test(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """The dashboard's Test form: score a classic RRS body as a signed-in member, without a key."""
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        status_code, body = endpoint_test(endpoint, request.body)
        return Response(body, status=status_code)

    @extend_schema(responses=OpenApiResponse(description="Usage per minute and the request log"))
    @action(detail=True, methods=["get"], url_path=r"endpoints/(?P<name>[^/]+)/usage")
    def usage(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        raw = request.query_params.get("minutes", "60")
        if not raw.isdigit() or not 1 <= int(raw) <= 7 * 24 * 60:
            raise ProblemsError("'minutes' must be a whole number from 1 to 10080.",
                                [{"parameter": "minutes", "message": "out of range"}])
        return Response(endpoint_usage(endpoint, int(raw)))

    @extend_schema(responses=OpenApiResponse(description='Input drift: {"columns": [{"name", "psi", "flagged", '
                                             '"buckets", "expected", "observed", ...}], "rows_seen", "threshold"}'))
    @action(detail=True, methods=["get"], url_path=r"endpoints/(?P<name>[^/]+)/drift")
    def drift(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """How the inputs the endpoint scored compare with its training data, per column (PSI, flagged)."""
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        return Response(drift_report(endpoint))

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT}, responses=OpenApiResponse(description=(
        'PUT {"default": 90, "candidate": 10, "shadow": ["other"]} (endpoint names: whole percentages of the '
        'default endpoint\'s calls adding up to 100; shadow endpoints get copies), or the same shares under '
        '"split": {"split": {"default": 90, "shadow": 10}, "shadow": []} (any endpoint name). Answers '
        '{"split", "shadow", '
        '"endpoints": [{"name", "share", "shadow", "calls_last_hour"}], "comparison": [{"endpoint", "calls", '
        '"identical_share", "mean_abs_diff", ...}]}; each RRS answer names its endpoint in X-Atelier-Endpoint.')))
    @action(detail=True, methods=["get", "put"])
    def traffic(self, request: Request, pk: str | None = None) -> Response:
        """The traffic split between the service's endpoints and the shadow comparisons; PUT sets the split."""
        service = self.get_object()
        if request.method == "PUT":
            traffic_set(service=service, body=request.data)  # a TrafficError: 400 naming the endpoint or the sum
        return Response(traffic_json(service))

    @extend_schema(request=RegenerateSerializer, responses=OpenApiResponse(description='{"PrimaryKey": "..."}'))
    @action(detail=True, methods=["post"], url_path=r"endpoints/(?P<name>[^/]+)/regenerate-key")
    def regenerate_key(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        body = RegenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        which = body.validated_data["key"]
        key = key_regenerate(endpoint=endpoint, which=which)
        # the dashboard's Key column, updated at once
        hint = endpoint_json(base_url(request), endpoint, with_keys=False)["KeyHint"]
        return Response({f"{which.capitalize()}Key": key, "KeyHint": hint})

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT},
                   responses=OpenApiResponse(EndpointSerializer, description="The endpoint, with its keys"))
    @action(detail=True, methods=["put", "patch", "delete"], url_path=r"endpoints/(?P<name>[^/]+)")
    def endpoint(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """PUT: add the endpoint (or change its settings); PATCH: update resource; DELETE: remove it. The
        dashboard's versions of SPEC §3's management calls, for a signed-in member."""
        service = self.get_object()  # an EndpointError answers its own status (the studio API's handler)
        if request.method == "PUT":
            added = endpoint_put(service=service, name=name, body=request.data)
            return Response(endpoint_json(base_url(request), added.endpoint),
                            status=status.HTTP_201_CREATED if added.created else status.HTTP_200_OK)
        existing = get_object_or_404(service.endpoints, name=name)
        if request.method == "PATCH":
            resource_patch(endpoint=existing, body=request.data)
            return Response(endpoint_json(base_url(request), service.endpoints.get(pk=existing.pk)))
        endpoint_delete(existing)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=OpenApiResponse(description='{"updatable": [names], "patchable", "history": [...], '
                                                         '"lineage": the endpoint\'s lineage line}'))
    @action(detail=True, methods=["get"], url_path=r"endpoints/(?P<name>[^/]+)/resources")
    def resources(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """The endpoint's Update Resource facts: what may be patched and every model it has served."""
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        return Response({"updatable": [r["Name"] for r in updatable(endpoint.service)],
                         "patchable": not endpoint.is_default, "history": resource_history(endpoint),
                         "lineage": lineage_line(endpoint_lineage(endpoint))})

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT},
                   responses=OpenApiResponse(description="The history after the rollback"))
    @action(detail=True, methods=["post"], url_path=r"endpoints/(?P<name>[^/]+)/rollback")
    def rollback(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """Roll back: serve an earlier model from the endpoint's history ({"version": id})."""
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        version = request.data.get("version") if isinstance(request.data, dict) else None
        if not isinstance(version, int):
            raise ProblemsError("'version' must be the id of an entry of the endpoint's resource history.",
                                [{"parameter": "version", "message": "required"}])
        resource_rollback(endpoint=endpoint, version_id=version)
        return Response({"history": resource_history(endpoint)})

    @extend_schema(request={"application/json": OpenApiTypes.OBJECT},
                   responses=OpenApiResponse(description="The endpoint's retraining schedules and their attempts"))
    @action(detail=True, methods=["get", "post"], url_path=r"endpoints/(?P<name>[^/]+)/schedules")
    def schedules(self, request: Request, pk: str | None = None, name: str = "") -> Response:
        """GET: schedules with their latest attempts; POST {"cron", "retraining_service", "input", "metric",
        "margin"}: retrain on a schedule and patch this endpoint when the promotion gate passes."""
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        if request.method == "POST":
            schedule_create(endpoint=endpoint, body=request.data)
        return Response(schedules_json(endpoint),
                        status=status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK)

    @extend_schema(request=None, responses=OpenApiResponse(description="The schedules after the deletion"))
    @action(detail=True, methods=["delete"], url_path=r"endpoints/(?P<name>[^/]+)/schedules/(?P<schedule>[0-9]+)")
    def schedule(self, request: Request, pk: str | None = None, name: str = "", schedule: str = "") -> Response:
        """Remove a retraining schedule (its attempts go with it)."""
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        get_object_or_404(endpoint.schedules, pk=int(schedule)).delete()
        return Response(schedules_json(endpoint))

    @extend_schema(request=None, responses=OpenApiResponse(description="The schedules with the new attempt"))
    @action(detail=True, methods=["post"], url_path=r"endpoints/(?P<name>[^/]+)/schedules/(?P<schedule>[0-9]+)/run")
    def schedule_run(self, request: Request, pk: str | None = None, name: str = "", schedule: str = "") -> Response:
        """Run now: start an attempt at once (the promotion gate applies as when scheduled)."""
        endpoint = get_object_or_404(self.get_object().endpoints, name=name)
        attempt_run_now(get_object_or_404(endpoint.schedules, pk=int(schedule)))
        return Response(schedules_json(endpoint))
