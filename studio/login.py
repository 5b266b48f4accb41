"""Sign-in with a lockout (issue 14, finding 10): after ATELIER_LOGIN_MAX_FAILURES wrong passwords for one
username, or ATELIER_LOGIN_MAX_FAILURES_PER_ADDRESS from one address, within ATELIER_LOGIN_WINDOW_SECONDS,
every attempt (the right password too) is refused for ATELIER_LOGIN_LOCKOUT_SECONDS. Unknown usernames
are counted like real ones, so the lockout says nothing about which accounts exist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from .throttle import FailureLimit, request_address

by_username = FailureLimit("login-user", limit="ATELIER_LOGIN_MAX_FAILURES", window="ATELIER_LOGIN_WINDOW_SECONDS",
                           lockout="ATELIER_LOGIN_LOCKOUT_SECONDS")
by_address = FailureLimit("login-address", limit="ATELIER_LOGIN_MAX_FAILURES_PER_ADDRESS",
                          window="ATELIER_LOGIN_WINDOW_SECONDS", lockout="ATELIER_LOGIN_LOCKOUT_SECONDS")


def locked_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return (f"Too many failed sign-ins for this account or from this address. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}.")


class ThrottledLogin:
    """Mixin for Django's authentication forms: the lockout is checked before the password is."""

    request: Any
    cleaned_data: dict[str, Any]
    throttled = ""  # the lockout message, for the template (the form's errors don't carry their codes there)

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "").strip().lower()
        address = request_address(self.request) if self.request is not None else ""
        wait = max(by_username.locked_for(username), by_address.locked_for(address))
        if wait:
            raise self._locked(wait)
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError as error:
            if getattr(error, "code", None) == "invalid_login":
                wait = max(by_username.failed(username), by_address.failed(address))
                if wait:
                    raise self._locked(wait) from None
            raise
        by_username.succeeded(username)
        return cleaned

    def _locked(self, seconds: int) -> forms.ValidationError:
        self.throttled = locked_message(seconds)
        return forms.ValidationError(self.throttled, code="throttled")


class LoginForm(ThrottledLogin, AuthenticationForm):
    """The studio's /login/ form."""


class AdminLoginForm(ThrottledLogin, AdminAuthenticationForm):
    """The admin's sign-in form: the same lockout (it checks passwords too)."""
