"""`manage.py drf_create_token <username>` (SPEC §2), as DRF's command, for hashed tokens: every call makes a
new token and prints its key, which is shown only then (DRF's reprinted a stored key)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from studio.services import api_token_create


class Command(BaseCommand):
    help = "Make a studio API token for a user and print its key (only its hash is stored: copy it now)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("-r", "--reset", action="store_true", help="Revoke the user's other tokens first.")

    def handle(self, *args: Any, username: str, reset: bool, **options: Any) -> None:
        users = get_user_model()
        try:
            user = users._default_manager.get_by_natural_key(username)
        except users.DoesNotExist:
            raise CommandError(f"Cannot create the Token: user {username} does not exist") from None
        _, key = api_token_create(user=user, replace=reset)
        self.stdout.write(f"Generated token {key} for user {username}")
