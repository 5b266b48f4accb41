from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from .views import MeView, WorkspaceViewSet

router = DefaultRouter()
router.register("workspaces", WorkspaceViewSet, basename="workspace")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI from our own static files, its set-up script from ?script: no CDN, no inline script (CSP holds).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="studio/api_docs.html"),
         name="api-docs"),
    path("", include("experiments.api.urls")),
    path("", include("webservices.api.urls")),
    path("", include(router.urls)),
]
