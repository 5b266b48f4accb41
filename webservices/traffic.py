"""Traffic split and shadow endpoints (issue 20, item 3): a web service shares its default endpoint's calls
between its endpoints (e.g. 90 % to the default, 10 % to a retrained candidate), and may copy each call to
shadow endpoints whose answers are compared with the callers' but never returned.

The split is stored on the WebService (`traffic`) and becomes part of the default endpoint's cached scoring
state (webservices/scoring/served.py): choosing the endpoint of a call is a random draw and a dict lookup,
with no database query. Setting it signals the default endpoint's change to every process, like a patch.
Plain functions; the API view and the dashboard page only call them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.http import QueryDict
from django.utils import timezone

from experiments.service_kinds import service_kind
from studio.errors import RequestRefused

from . import shadow
from .models import Endpoint, ShadowComparison, UsageBucket, WebService
from .services import signal_on_commit

SHADOW = "shadow"  # the body's key listing the shadow endpoints
SPLIT = "split"  # optional: the shares as an object of their own (then any endpoint name can take a share)
USAGE_MINUTES = 60


class TrafficError(RequestRefused):
    """A traffic body refused: 400 naming the endpoint, the share or the sum at fault."""


def traffic_clean(service: WebService, body: Any) -> dict[str, Any]:
    """The stored form of a body {"default": 90, "candidate": 10, "shadow": ["other"]}: shares are whole
    percentages of the default endpoint's calls, keyed by endpoint name, adding up to 100 (no share at all:
    everything stays on the default endpoint). {} when all calls go to the default endpoint with no shadow."""
    if not isinstance(body, dict):
        raise TrafficError('The body must be a JSON object, e.g. {"default": 90, "candidate": 10, "shadow": []}.')
    if not service_kind(service.kind).scores_requests:
        raise TrafficError(f"A {service.get_kind_display().lower()} web service answers no request-response calls: "
                           "it has no traffic to split.")
    endpoints = {endpoint.name: endpoint for endpoint in service.endpoints.all()}
    default = next((name for name, endpoint in endpoints.items() if endpoint.is_default), None)
    if default is None:
        raise TrafficError("This web service has no default endpoint: there are no calls to split.")
    names = ", ".join(sorted(endpoints))

    def known(name: Any, where: str) -> str:
        if not isinstance(name, str) or name not in endpoints:
            raise TrafficError(f"{where}: this web service has no endpoint named {name!r} (its endpoints: {names}).",
                               target=str(name))
        return name

    given_shares = _given_shares(body)
    shares: dict[str, int] = {}
    for name, share in given_shares.items():
        known(name, "Traffic split")
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
            raise TrafficError(f"The share of endpoint '{name}' must be a whole percentage from 0 to 100 "
                               f"(got {share!r}).", target=name)
        if share:
            shares[name] = share
    total = sum(shares.values())
    if given_shares and total != 100:
        given = ", ".join(f"{name} {share}" for name, share in given_shares.items())
        raise TrafficError(f"The shares must add up to 100; they add up to {total} ({given}).", target="sum")
    raw_shadow = body.get(SHADOW) or []
    if not isinstance(raw_shadow, list):
        raise TrafficError(f"'{SHADOW}' must be a list of endpoint names (got {raw_shadow!r}).", target=SHADOW)
    shadows: list[str] = []
    for name in raw_shadow:
        known(name, "Shadow")
        if name in shares:
            raise TrafficError(f"Endpoint '{name}' has a share of the calls and is listed as a shadow: a shadow "
                               "endpoint only receives copies (give it a share of 0, or take it off the list).",
                               target=name)
        if name in shadows:
            raise TrafficError(f"Endpoint '{name}' is listed twice as a shadow.", target=name)
        shadows.append(name)
    if not shares:
        shares = {default: 100}
    if shares == {default: 100} and not shadows:
        return {}
    return {"split": shares, "shadow": shadows}


def _given_shares(body: dict[str, Any]) -> dict[str, Any]:
    """The shares as given: the body's endpoint keys ({"default": 90, "candidate": 10, "shadow": [...]}), or
    the object under "split" ({"split": {"default": 90, "shadow": 10}, "shadow": [...]}, the form GET returns,
    which also lets endpoints named "split" or "shadow" take a share)."""
    if isinstance(body.get(SPLIT), dict):
        extra = sorted(body.keys() - {SPLIT, SHADOW})
        if extra:
            raise TrafficError(f"With \"{SPLIT}\" give the shares only inside it (also found: "
                               f"{', '.join(extra)}).", target=extra[0])
        return dict(body[SPLIT])
    return {name: share for name, share in body.items() if name != SHADOW}


def traffic_set(*, service: WebService, body: Any) -> dict[str, Any]:
    """Validate and store the split; every process serves it from its next call. The shadow comparisons start
    again from zero (they describe the split as it is now)."""
    cleaned = traffic_clean(service, body)
    with transaction.atomic():
        WebService.objects.filter(pk=service.pk).update(traffic=cleaned)
        service.traffic = cleaned
        ShadowComparison.objects.filter(endpoint__service=service).delete()
        signal_on_commit(list(service.endpoints.filter(is_default=True).values_list("endpoint_id", flat=True)))
    return cleaned


def traffic_forget(endpoint: Endpoint) -> None:
    """An endpoint is being deleted: its share of the calls goes back to the default endpoint, and it is no
    longer a shadow (inside the deletion's transaction)."""
    service = endpoint.service
    traffic = service.traffic or {}
    split, shadows = dict(traffic.get("split") or {}), list(traffic.get("shadow") or [])
    if endpoint.name not in split and endpoint.name not in shadows:
        return
    default = service.endpoints.filter(is_default=True).first()
    if default is None:  # nothing can be routed anyway
        return
    share = split.pop(endpoint.name, 0)
    if share:
        split[default.name] = split.get(default.name, 0) + share
    shadows = [name for name in shadows if name != endpoint.name]
    service.traffic = {} if split == {default.name: 100} and not shadows else {"split": split, "shadow": shadows}
    WebService.objects.filter(pk=service.pk).update(traffic=service.traffic)
    signal_on_commit([default.endpoint_id])


def traffic_form_body(form: QueryDict, endpoints: list[Endpoint]) -> dict[str, Any]:
    """The dashboard form's fields (share-<endpoint>, shadow checkboxes) as the API's body; an empty share is
    none."""
    shares: dict[str, int] = {}
    for endpoint in endpoints:
        raw = (form.get(f"share-{endpoint.name}") or "").strip()
        if not raw:
            continue
        if not raw.isdigit():
            raise TrafficError(f"The share of endpoint '{endpoint.name}' must be a whole percentage from 0 to 100 "
                               f"(got {raw!r}).", target=endpoint.name)
        shares[endpoint.name] = int(raw)
    return {SPLIT: shares, SHADOW: form.getlist("shadow")}


def traffic_json(service: WebService) -> dict[str, Any]:
    """The split, each endpoint's share and calls in the last hour, and the shadow comparisons."""
    traffic = service.traffic or {}
    endpoints = list(service.endpoints.all())
    default = next((endpoint.name for endpoint in endpoints if endpoint.is_default), None)
    split = traffic.get("split") or ({default: 100} if default is not None else {})
    shadows = traffic.get("shadow") or []
    since = timezone.now() - timedelta(minutes=USAGE_MINUTES)
    calls = dict(UsageBucket.objects.filter(endpoint__service=service, minute__gte=since)
                 .values("endpoint__name").annotate(total=Sum("calls")).values_list("endpoint__name", "total"))
    return {"split": split, "shadow": shadows,
            "endpoints": [{"name": endpoint.name, "default": endpoint.is_default,
                           "share": split.get(endpoint.name, 0), "shadow": endpoint.name in shadows,
                           "calls_last_hour": calls.get(endpoint.name, 0)} for endpoint in endpoints],
            "comparison": shadow.report(service)}
