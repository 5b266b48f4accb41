"""The API's Swagger UI (/api/docs/, issue 14 finding 10): served from the studio's own static files, no CDN,
under the studio's Content-Security-Policy (`script-src 'self'`, no inline script), and it still renders."""

import re

import pytest

from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_loads_nothing_from_another_host_and_runs_no_inline_script(owner_client):
    response = owner_client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert references and all(ref.startswith("/") and not ref.startswith("//") for ref in references), references
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script"
    assert "<style" not in page
    assert "script-src 'self';" in response.headers["Content-Security-Policy"]
    script = next(ref for ref in references if "script=" in ref)
    setup = owner_client.get(script.replace("&amp;", "&"))
    assert setup.status_code == 200 and setup["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in setup.content.decode()


def test_swagger_ui_renders_the_operations_without_breaking_the_policy(page, owner, studio_server):
    """The `page` fixture fails the test on any Content-Security-Policy violation."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, studio_server, owner)
    page.goto(studio_server.url + "/api/docs/")
    page.locator(".opblock-summary-path", has_text="/api/datasets/").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert requested and all(url.startswith(studio_server.url) for url in requested), requested
