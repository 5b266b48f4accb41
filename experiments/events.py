"""Live events for open canvases: everything watching an experiment joins its channel group."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def experiment_group(experiment_id: int) -> str:
    return f"experiment-{experiment_id}"


def experiment_event_send(experiment_id: int, payload: dict[str, Any]) -> None:
    """Send `payload` (SPEC §2 WebSocket event) to every canvas of the experiment, from any process."""
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(experiment_group(experiment_id), {"type": "experiment.event", "payload": payload})
