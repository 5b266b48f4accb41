from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from .views import MeView, RedocView, WorkspaceViewSet

router = DefaultRouter()
router.register("workspaces", WorkspaceViewSet, basename="workspace")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from our own static files, its set-up script from ?script: no CDN, no inline script (CSP holds).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="studio/api_docs.html"),
         name="api-docs"),
    # ReDoc, the same way: its bundle from our static files, read from the <redoc> element (no inline script);
    # its policy allows two inline style contents by hash (RedocView).
    path("redoc/", RedocView.as_view(url_name="api-schema", template_name="studio/api_redoc.html"),
         name="api-redoc"),
    path("", include("experiments.api.urls")),
    path("", include("webservices.api.urls")),
    path("", include(router.urls)),
]
