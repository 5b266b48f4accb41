"""The studio's own page: workspace settings (issue 17) — each of the user's workspaces with its id and its two
authorization tokens, which classic management clients send as `Authorization: Bearer <token>`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .selectors import workspaces_of
from .workspace_tokens import WHICH, workspace_token_regenerate, workspace_tokens_of


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request: HttpRequest) -> HttpResponse:
    """GET: the settings of every workspace the user is a member of. POST {workspace, regenerate: primary|secondary}:
    a new token (the old one stops working at once), then back to the page."""
    if request.method == "POST":
        workspace = get_object_or_404(workspaces_of(request.user), pk=request.POST.get("workspace", ""))
        which = request.POST.get("regenerate", "")
        if which not in WHICH:
            return HttpResponse("'regenerate' must be primary or secondary.", status=400)
        workspace_token_regenerate(workspace=workspace, which=which)
        messages.success(request, f"Regenerated the {which} authorization token of '{workspace.name}': scripts that "
                                  "used the old one must use the new one.")
        return redirect("workspace-settings")
    workspaces = [{"workspace": w, "tokens": workspace_tokens_of(w)} for w in workspaces_of(request.user)]
    return render(request, "studio/workspace_settings.html", {"workspaces": workspaces, "section": "settings"})
