"""Telling twins apart (issue 15): where a list holds two things of the same name, each shows its id too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def twin_names(items: Iterable[Any]) -> set[str]:
    """The names held by more than one of `items` (`{% with twins=services|twin_names %}`)."""
    counts = Counter(item.name for item in items)
    return {name for name, count in counts.items() if count > 1}


@register.simple_tag
def twin_suffix(item: Any, twins: set[str]) -> str:
    """' #12' (muted) after the name of an item that has a twin in its list; nothing otherwise."""
    if item.name not in twins:
        return ""
    return format_html(' <small class="twin-id" data-testid="twin-id">#{}</small>', item.pk)
