"""Who may read an endpoint's help pages and API document, in one place (`help_reader_allowed`).

Readers: a caller with a key of the endpoint or an authorization token of its workspace (`Authorization: Bearer
<key or token>`, checked by the one key comparison and its failure throttle; a member's studio `Token` too), a
signed-in member of the endpoint's workspace (a browser with a studio session), and
whoever holds the endpoint's `HelpLocation` as the management API lists it. That last form exists because the R
AzureML package fetches `{HelpLocation}/apidocument` with no credentials at all (`endpointHelp`, called by
`consume()` for the output types), as the classic service allowed: the `HelpLocation` handed to callers who may
manage the workspace (the same callers who get the keys) carries a signature of the endpoint and its current
primary key, so the bare address of the pages still answers 401, and regenerating the primary key revokes it.
"""

from __future__ import annotations

import hmac

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from studio.throttle import request_address

from .models import Endpoint
from .scoring.keys import Refusal, check
from .selectors import web_services_of

HELP_SALT = "webservices.help_access"  # the HMAC key salt (Django salted_hmac), not a secret


def help_token(endpoint: Endpoint) -> str:
    """The signed segment of the endpoint's HelpLocation: the endpoint and its primary key's hash, under the
    settings secret (a new primary key, or a rotated secret, gives a new one)."""
    value = f"{endpoint.endpoint_id}:{endpoint.primary_key_hash}"
    return salted_hmac(HELP_SALT, value, algorithm="sha256").hexdigest()[:40]


def help_reader_allowed(request: HttpRequest, endpoint: Endpoint | None, token: str = "") -> Refusal | None:
    """None when the request may read the endpoint's help (see the module docstring); else the refusal: 401 JSON
    (counted towards the address's key lockout, 429 beyond it). A missing endpoint refuses like a wrong key."""
    if endpoint is not None:
        if token and hmac.compare_digest(token, help_token(endpoint)):
            return None
        user = request.user
        if user.is_authenticated and web_services_of(user).filter(pk=endpoint.service_id).exists():
            return None
    return check(request_address(request), request.headers.get("Authorization", ""),
                 [endpoint] if endpoint is not None else [],
                 "Missing or wrong API key: send 'Authorization: Bearer <key>' with a key of this endpoint or a "
                 "workspace authorization token, open the endpoint's HelpLocation, or sign in to the studio as a "
                 "member of its workspace.", members_of=endpoint.service.workspace_id if endpoint is not None else None)
