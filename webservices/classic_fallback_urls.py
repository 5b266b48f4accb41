"""The classic API's answer for a path under /workspaces/ that no route takes: its JSON 404, never the studio's HTML
page (issue 17). Included last by studio/urls.py, after every app's routes."""

from django.urls import re_path

from . import endpoint_views

urlpatterns = [
    re_path(r"^workspaces(?:/(?P<rest>.*))?$", endpoint_views.unknown_route, name="classic-unknown"),
]
