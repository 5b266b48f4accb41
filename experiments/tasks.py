"""Celery tasks of the experiments app: take ids, stay small, call services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .events import experiment_event_send


@shared_task(name="experiments.publish_event")
def experiment_event_publish(experiment_id: int, payload: dict[str, Any]) -> None:
    """Deliver an event to an experiment's canvases from the worker tier (so callers never block on Redis)."""
    experiment_event_send(experiment_id, payload)
