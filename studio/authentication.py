"""`Authorization: Token <key>` for the studio API (DRF's scheme and keyword), against hashed keys."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .selectors import api_token_of


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's TokenAuthentication, but the database holds only each key's SHA-256 (studio.models.ApiToken)."""

    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = api_token_of(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
