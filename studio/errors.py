"""The one error base of the studio. It imports nothing from Django or DRF, so the engine, the modules and
the scoring package can raise it anywhere; it is translated once for the studio API (studio/api/errors.py)
and once for the classic wire (webservices)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class AtelierError(Exception):
    """What every refusal of the studio carries: a message for people, a stable code for programs, the HTTP
    status it answers with, and the target (a node, parameter, column or input) it is about.

    Subclasses set the class defaults; raising sites pass the message and, where they know it, the target.
    Both translations (studio API here, classic wire in webservices) read these four and nothing else."""

    code: str = "invalid"
    status: int = 400
    target: str | None = None

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None,
                 target: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if target is not None:
            self.target = target

    def __str__(self) -> str:
        return self.message or super().__str__()

    def problems(self) -> list[dict[str, Any]]:
        """The {"errors": [...]} list of the studio API: one problem, about the target if there is one."""
        problem: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.target is not None:
            problem["target"] = self.target
        return [problem]


class RequestRefused(AtelierError, ValueError):
    """A request refused because of one of its fields (`target`, "" when about the whole request), listed in
    the studio API's problem shape (SPEC §2: {"parameter", "message"}). The classic wire reads the same four
    attributes; a ValueError still, for callers that catch that."""

    target: str = ""

    def __init__(self, message: str, status: int = 400, target: str = "") -> None:
        super().__init__(message, status=status, target=target)

    def problems(self) -> list[dict[str, Any]]:
        return [{"parameter": self.target, "message": self.message}] if self.target else []


def near_miss(name: str, names: Iterable[str]) -> str | None:
    """The one of `names` that `name` was probably meant to be: the same but for case or surrounding spaces, else
    a close spelling; None when nothing is close. Refusals naming a column add it ("did you mean ...?")."""
    candidates = [candidate for candidate in names if candidate != name]
    folded = name.strip().casefold()
    same = next((candidate for candidate in candidates if candidate.strip().casefold() == folded), None)
    if same is not None:
        return same
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.8)
    return close[0] if close else None


def did_you_mean(name: str, names: Iterable[str], holder: str = "the input") -> str:
    """"; the input has 'Age' (column names are case-sensitive)" for a near miss among `names`, '' otherwise."""
    meant = near_miss(name, names)
    if meant is None:
        return ""
    case = meant.strip().casefold() == name.strip().casefold()
    return f"; {holder} has '{meant}'" + (" (column names are case-sensitive)" if case else "")
