"""Secrets kept so that they can be shown again (endpoint keys, workspace authorization tokens, issue 17): sealed
with Fernet (AES-128-CBC + HMAC-SHA256) under keys derived from `ATELIER_SEALING_SECRETS`, newest first. Checking
a presented secret never comes here: that compares hashes (webservices/scoring/keys.py, workspace_tokens.py);
sealing is only for the management calls and pages that hand a secret back to someone allowed to manage it."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

CONTEXT = b"atelier sealed secrets v1"


def _derived(secret: str) -> Fernet:
    """A Fernet key from a settings secret: HKDF-SHA256, so the raw secret (also Django's signing key by
    default) is never used as an encryption key itself."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=CONTEXT).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@functools.lru_cache(maxsize=4)
def _sealer(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([_derived(secret) for secret in secrets])


def sealer() -> MultiFernet:
    """The current secrets' MultiFernet: the first encrypts, every one decrypts (read at call time, so tests and a
    rotation in progress see the setting as it is now)."""
    return _sealer(tuple(settings.ATELIER_SEALING_SECRETS))


def seal(secret: str) -> str:
    return sealer().encrypt(secret.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The secret, or None when nothing was sealed (made before issue 17) or no configured secret opens it."""
    if not sealed:
        return None
    try:
        return sealer().decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def reseal(sealed: str) -> str:
    """The same secret sealed with the newest key ('' stays ''); raises InvalidToken if no key opens it."""
    return sealer().rotate(sealed.encode()).decode() if sealed else ""
