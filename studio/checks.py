"""System checks of the studio's own configuration (stable ids, as Django's checks have)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register()
def env_file_not_read(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """studio.W001: a development `.env` is present but production (DEBUG off) does not read it; say what it
    would have set, so nothing the operator meant for production is silently missing."""
    ignored = getattr(settings, "ENV_FILE_IGNORED", [])
    if not ignored:
        return []
    return [Warning(
        f"{settings.ENV_FILE} was not read: it is the development settings file and DEBUG is off. It sets "
        f"{', '.join(ignored)}; none of these apply.",
        hint="Set what production needs in the environment (not in .env), or remove the file.",
        id="studio.W001")]
