from django.urls import path

from . import views

urlpatterns = [
    path("workspaces/<str:workspace_id>/services/<str:endpoint_id>/execute", views.execute, name="rrs-execute"),
]
