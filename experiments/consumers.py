"""WebSocket /ws/experiments/{id}/: live run and node status for an open canvas (SPEC §2)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .events import experiment_group
from .selectors import experiment_visible_to

CLOSE_FORBIDDEN = 4403


class ExperimentConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        user = self.scope.get("user")
        experiment_id = int(self.scope["url_route"]["kwargs"]["experiment_id"])
        if user is None or not await database_sync_to_async(experiment_visible_to)(user, experiment_id):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = experiment_group(experiment_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The canvas only listens; anything it sends is ignored (changes travel as graph saves)."""

    async def experiment_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])
