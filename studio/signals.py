"""Give each new user a default workspace (SPEC: every user works inside one from the first login), and each new
workspace its authorization tokens."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Workspace
from .services import workspace_ensure_default
from .workspace_tokens import workspace_tokens_ensure


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="studio.default_workspace")
def create_default_workspace(
    sender: type, instance: object, created: bool, raw: bool = False, **kwargs: object
) -> None:
    if created and not raw:
        workspace_ensure_default(user=instance)  # type: ignore[arg-type]


@receiver(post_save, sender=Workspace, dispatch_uid="studio.workspace_tokens")
def give_workspace_tokens(sender: type, instance: Workspace, created: bool, raw: bool = False,
                          **kwargs: object) -> None:
    """Every workspace has its two authorization tokens from the start (issue 17)."""
    if created and not raw:
        workspace_tokens_ensure(instance)
