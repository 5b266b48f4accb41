from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView
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


# ReDoc styles itself with styled-components, which inserts its rules through the CSSOM into an *empty* <style>
# element, and with one fixed <style> (perfect-scrollbar's rules) injected by its bundle. `style-src 'self'`
# refuses both, and ReDoc then stops with an error. On this one page the policy also allows exactly these two
# contents by hash: the empty string, and that stylesheet as the installed bundle writes it. No 'unsafe-inline':
# no other inline style runs, and scripts stay 'self' only. (After a drf-spectacular-sidecar upgrade changes the
# stylesheet, the browser names the new hash; tests/e2e/test_offline_pages.py fails on the violation.)
REDOC_STYLE_HASHES = ("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # "" (styled-components)
                      "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='")  # perfect-scrollbar's rules


def redoc_policy() -> str:
    """The studio's Content-Security-Policy with ReDoc's two inline style contents allowed by hash."""
    return settings.ATELIER_CSP.replace("style-src 'self'", f"style-src 'self' {' '.join(REDOC_STYLE_HASHES)}", 1)


class RedocView(SpectacularRedocView):
    """The API reference as ReDoc renders it, from the installed package's static files (no CDN)."""

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = redoc_policy()
        return response
