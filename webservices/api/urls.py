from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import DeployView, WebServiceViewSet

router = SimpleRouter()
router.register("web-services", WebServiceViewSet, basename="web-service")

urlpatterns = [path("experiments/<int:pk>/deploy/", DeployView.as_view(), name="api-deploy"), *router.urls]
