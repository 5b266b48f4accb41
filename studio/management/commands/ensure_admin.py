"""Ensure the superuser `admin` exists (SPEC §1): password from ATELIER_ADMIN_PASSWORD, else generated once."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"


def admin_password_file() -> Path:
    return Path(settings.VAR_DIR) / "admin-password"


def admin_password() -> tuple[str, bool]:
    """The password to use and whether it was generated just now."""
    from_env = settings.ATELIER_ADMIN_PASSWORD
    if from_env:
        return from_env, False
    path = admin_password_file()
    if path.is_file():
        return path.read_text().strip(), False
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password, True


class Command(BaseCommand):
    help = "Create the superuser 'admin' if missing; keep its password in step with ATELIER_ADMIN_PASSWORD."

    def handle(self, *args: Any, **options: Any) -> None:
        password, generated = admin_password()
        users = get_user_model()
        user = users.objects.filter(username=USERNAME).first()
        if user is None:
            users.objects.create_superuser(USERNAME, email="", password=password)
            self.stdout.write(f"Created superuser '{USERNAME}'.")
        elif settings.ATELIER_ADMIN_PASSWORD and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(f"Updated the password of '{USERNAME}' from ATELIER_ADMIN_PASSWORD.")
        if generated:
            self.stdout.write(
                f"Generated a password for '{USERNAME}': {password}  (kept in {admin_password_file()})"
            )
