from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .login import LoginForm

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("studio.api.urls")),
    path("", include("webservices.urls")),
    path("", views.home, name="home"),
    path("experiments/new/", views.experiment_new, name="experiment-new"),
    path("experiments/<int:experiment_id>/", views.experiment_canvas, name="experiment-canvas"),
    path("experiments/<int:experiment_id>/<slug:action>/", views.experiment_action, name="experiment-action"),
    path("web-services/", views.web_services, name="web-services"),
    path("web-services/<int:service_id>/", views.web_service, name="web-service"),
    path("web-services/<int:service_id>/delete/", views.web_service_remove, name="web-service-delete"),
    path("web-services/<int:service_id>/endpoints/<str:name>/", views.web_service_endpoint,
         name="web-service-endpoint"),
    path("web-services/<int:service_id>/endpoints/<str:name>/swagger.json", views.web_service_swagger,
         name="web-service-swagger"),
    path("datasets/", views.datasets, name="datasets"),
    path("datasets/new/", views.dataset_new, name="dataset-new"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset-detail"),
    path("datasets/<int:dataset_id>/delete/", views.dataset_remove, name="dataset-delete"),
    path("trained-models/", views.trained_models, name="trained-models"),
]
