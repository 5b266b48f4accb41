"""Where things are: the studio's base URL as a request reached it, and the URLs of an endpoint's calls and
help page (SPEC §3). The one place webservices builds them."""

from __future__ import annotations

from typing import Protocol

from .help_access import help_token
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


def help_pages(base: str, endpoint: Endpoint) -> str:
    """The endpoint's help pages, the classic form (`/apihelp/workspaces/{ws}/webservices/{service}/endpoints/
    {endpoint id}`, then `/score`, `/jobs`, `/apidocument`): for a key holder or a signed-in member."""
    return (f"{base}/apihelp/workspaces/{endpoint.service.workspace_id}/webservices/{endpoint.service_id}"
            f"/endpoints/{endpoint.endpoint_id}")


def help_location(base: str, endpoint: Endpoint) -> str:
    """`HelpLocation`: the help pages under a signed segment (webservices/help_access.py), readable without
    credentials by whoever was handed it, as the R AzureML package reads `{HelpLocation}/apidocument`."""
    plain = help_pages(base, endpoint)
    return f"{base}/apihelp/{help_token(endpoint)}{plain[len(base) + len('/apihelp'):]}"


def storage_location(base: str, workspace_id: str) -> str:
    """The workspace storage (SPEC §3), without a trailing slash: `PUT {it}/{container}/{path}` uploads a file."""
    return f"{base}/workspaces/{workspace_id}/storage"
