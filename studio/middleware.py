"""Response headers Django's SecurityMiddleware doesn't set: a Content-Security-Policy on the studio's pages."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# The admin brings its own scripts; every other page (the canvas and the API's Swagger UI included) runs only
# the studio's own files: no inline scripts, no eval, no other origins.
EXEMPT_PREFIXES = ("/admin/",)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html") and not request.path.startswith(EXEMPT_PREFIXES):
            response.setdefault("Content-Security-Policy", settings.ATELIER_CSP)
            response.setdefault("Referrer-Policy", "same-origin")
        return response
