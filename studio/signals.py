"""Give each new user a default workspace (SPEC: every user works inside one from the first login)."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .services import workspace_ensure_default


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="studio.default_workspace")
def create_default_workspace(
    sender: type, instance: object, created: bool, raw: bool = False, **kwargs: object
) -> None:
    if created and not raw:
        workspace_ensure_default(user=instance)  # type: ignore[arg-type]
