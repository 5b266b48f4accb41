"""Root URLs: the studio's own (health, icon, sign-in, admin, the API root) and each app's, included by name
so that the project package imports nothing from the apps (docs/ARCHITECTURE.md)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import pages, views
from .login import LoginForm

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("settings/", pages.workspace_settings, name="workspace-settings"),
    path("api/", include("studio.api.urls")),
    path("", include("webservices.urls")),
    path("", include("experiments.urls")),
    path("", include("webservices.page_urls")),
    path("", include("webservices.classic_fallback_urls")),  # last: unknown classic paths answer JSON, not HTML
]
