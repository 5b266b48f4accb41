"""Every studio page works offline (issue 15, item 9): in headless Chromium, no page asks another host for
anything (Swagger UI and ReDoc come from the installed packages' static files), and nothing a page loads is
missing: no 404 for a sub-resource, the favicon included."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from experiments.models import Asset, Dataset
from tests.e2e.test_canvas_mount import sign_in
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.models import WebService

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def studio_pages(training, service) -> list[tuple[str, str]]:
    """(page, what shows it is drawn) for every page of the studio."""
    dataset = Dataset.objects.filter(workspace__isnull=False).first() or Dataset.objects.first()
    default = service.endpoints.get(is_default=True)
    help_pages = f"/apihelp/workspaces/{service.workspace_id}/webservices/{service.pk}/endpoints/{default.endpoint_id}"
    return [
        ("/", "[data-testid=experiments-list]"),
        (f"/experiments/{training.pk}/", "[data-testid=node-train]"),
        ("/datasets/", "[data-testid=datasets-list]"),
        (f"/datasets/{dataset.pk}/", "h1"),
        ("/trained-models/", "[data-testid=trained-models-list]"),
        ("/web-services/", "[data-testid=web-services-list]"),
        (f"/web-services/{service.pk}/", "[data-testid=endpoints-list]"),
        (f"/web-services/{service.pk}/endpoints/default/", "[data-testid=endpoint-name]"),
        ("/settings/", "[data-testid=workspace-id]"),
        (f"{help_pages}/score", "[data-testid=help-rrs-url]"),
        (f"{help_pages}/jobs", "[data-testid=help-bes-url]"),
        ("/api/docs/", ".opblock"),
        ("/api/redoc/", "[role=menu] >> text=web-services"),
    ]


def test_no_page_asks_another_host_for_anything_and_nothing_it_loads_is_missing(page, api, owner, income,  # noqa: F811
                                                                                studio_server, worker):
    """With the worker running: the canvas asks /healthz, which answers 503 without one."""
    training, _ = income
    publish(api, owner, training)
    service = WebService.objects.get()
    assert Asset.objects.exists()  # the trained models page lists something
    here = urlsplit(studio_server.url).netloc
    off_site: list[str] = []
    missing: list[str] = []
    page.on("request", lambda request: off_site.append(f"{page.url} -> {request.url}")
            if urlsplit(request.url).scheme in ("http", "https", "ws", "wss") and urlsplit(request.url).netloc != here
            else None)
    page.on("response", lambda response: missing.append(f"{page.url} -> {response.status} {response.url}")
            if response.status == 404 or response.status >= 500 else None)

    page.goto(studio_server.url + "/login/")
    page.wait_for_load_state("networkidle")
    sign_in(page, studio_server, owner)
    for path, drawn in studio_pages(training, service):
        page.goto(studio_server.url + path)
        page.locator(drawn).first.wait_for(timeout=30000)
        page.wait_for_load_state("networkidle")
        icons = page.locator("link[rel~=icon]").evaluate_all("links => links.map(link => link.href)")
        assert icons, f"{path} names no icon"
        for icon in icons:  # fetched by the browser only when it wants to: asked for here
            answer = page.request.get(icon)
            assert answer.ok and answer.headers["content-type"].startswith("image/"), (path, icon, answer.status)

    assert off_site == [], "requests to another host:\n" + "\n".join(off_site)
    assert missing == [], "sub-resources missing or failing:\n" + "\n".join(missing)


def test_favicon_ico_is_served_to_anyone(studio_server):
    """Browsers and tools ask for /favicon.ico on their own, signed in or not."""
    answer = httpx.get(studio_server.url + "/favicon.ico", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/x-icon"
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in answer.headers["cache-control"]


def test_redoc_runs_no_inline_script_and_its_policy_relaxes_only_two_style_hashes(owner_client):
    """ReDoc's page: its bundle from our static files; its policy is the studio's plus exactly two style hashes."""
    from django.conf import settings

    from studio.api.views import REDOC_STYLE_HASHES

    response = owner_client.get("/api/redoc/")
    assert response.status_code == 200
    page = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in references
    assert all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) and "<style" not in page and "fonts.g" not in page
    policy = response.headers["Content-Security-Policy"]
    relaxed = "style-src 'self' " + " ".join(REDOC_STYLE_HASHES)
    assert policy == settings.ATELIER_CSP.replace("style-src 'self'", relaxed)
    assert "unsafe" not in policy and "script-src 'self';" in policy and len(REDOC_STYLE_HASHES) == 2
    assert owner_client.get("/api/docs/").headers["Content-Security-Policy"] == settings.ATELIER_CSP  # only ReDoc's
