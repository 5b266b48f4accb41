"""Where things are: the studio's base URL as a request reached it, and the URLs of an endpoint's calls and
help page (SPEC §3). The one place webservices builds them."""

from __future__ import annotations

from typing import Protocol

from .models import Endpoint


class Addressed(Protocol):
    """A request as Django and DRF both have it."""

    def build_absolute_uri(self, location: str | None = None) -> str: ...


def base_url(request: Addressed) -> str:
    """The scheme and host the caller used, without a trailing slash: every URL handed back starts with it."""
    return request.build_absolute_uri("/").rstrip("/")


def api_location(base: str, endpoint: Endpoint) -> str:
    """The classic service base URL (`ApiLocation`): classic clients append `/execute?api-version=2.0&details=true`
    (RRS) or `/jobs?api-version=2.0` (BES) to it themselves."""
    return f"{base}/workspaces/{endpoint.service.workspace_id}/services/{endpoint.endpoint_id}"


def rrs_location(base: str, endpoint: Endpoint) -> str:
    """RRS: the request-response URL clients POST to (with `?api-version=2.0&details=true`)."""
    return f"{api_location(base, endpoint)}/execute"


def batch_location(base: str, endpoint: Endpoint) -> str:
    """BES: where batch jobs are submitted (with `?api-version=2.0`)."""
    return f"{api_location(base, endpoint)}/jobs"


def help_location(base: str, endpoint: Endpoint) -> str:
    """The endpoint's page in the studio (help, Test form, usage)."""
    return f"{base}/web-services/{endpoint.service_id}/endpoints/{endpoint.name}/"
