"""The studio's own responses: health and the icon (its one page, workspace settings, is in pages.py). Feature
pages live in their apps (experiments/pages.py, webservices/pages.py)."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import OK, health_report


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    healthy = all(state == OK for state in report.values())
    return JsonResponse(report, status=200 if healthy else 503)


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and tools ask for on their own: the studio's icon (pages link its SVG)."""
    with open(str(finders.find("favicon.ico")), "rb") as icon:  # 1.5 KB
        response = HttpResponse(icon.read(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response
