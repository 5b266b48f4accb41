"""Atelier's Django project package and its small `studio` app (workspaces, auth, shell pages)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
