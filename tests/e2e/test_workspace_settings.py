"""The workspace settings page (issue 17): reached from the studio's navigation, it shows the workspace id and
its two authorization tokens; Regenerate asks first, then shows a new token and the old one stops working."""

from __future__ import annotations

import httpx
import pytest

from studio.workspace_tokens import workspace_for_token
from tests.e2e.test_canvas_mount import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_member_reads_and_regenerates_the_workspace_tokens(page, owner, studio_server):
    sign_in(page, studio_server, owner)
    page.get_by_test_id("nav-settings").click()
    section = page.get_by_test_id(f"workspace-settings-{owner.workspace.pk}")
    assert section.get_by_test_id("workspace-id").inner_text() == owner.workspace.pk
    old = section.get_by_test_id("primary-token").inner_text()
    assert workspace_for_token(old) == owner.workspace.pk
    listed = httpx.get(f"{studio_server.url}/workspaces/{owner.workspace.pk}/webservices",
                       headers={"Authorization": f"Bearer {old}"})
    assert listed.status_code == 200 and listed.json() == []

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    section.get_by_test_id("regenerate-primary").click()
    page.get_by_role("status").wait_for()
    new = page.get_by_test_id(f"workspace-settings-{owner.workspace.pk}").get_by_test_id("primary-token").inner_text()
    assert questions and "stop working" in questions[0]
    assert new != old and workspace_for_token(new) == owner.workspace.pk and workspace_for_token(old) is None
    refused = httpx.get(f"{studio_server.url}/workspaces/{owner.workspace.pk}/webservices",
                        headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401
