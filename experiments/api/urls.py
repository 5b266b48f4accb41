from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AssetViewSet, DatasetViewSet, ExperimentViewSet, ModuleCatalogueView, RunViewSet

router = SimpleRouter()
router.register("experiments", ExperimentViewSet, basename="experiment")
router.register("datasets", DatasetViewSet, basename="dataset")
router.register("runs", RunViewSet, basename="run")
router.register("assets", AssetViewSet, basename="asset")

urlpatterns = [path("modules/", ModuleCatalogueView.as_view(), name="api-modules"), *router.urls]
