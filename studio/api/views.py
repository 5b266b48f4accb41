from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.models import Workspace
from studio.selectors import workspaces_of

from .serializers import MeSerializer, WorkspaceSerializer


class WorkspaceViewSet(viewsets.ReadOnlyModelViewSet):
    """The workspaces the caller is a member of."""

    serializer_class = WorkspaceSerializer

    def get_queryset(self) -> QuerySet[Workspace]:
        return workspaces_of(self.request.user).select_related("owner")


class MeView(APIView):
    """Who the caller is, and their workspaces."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)
