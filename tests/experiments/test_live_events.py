"""A canvas's WebSocket receives what a task on the real worker sends through the Redis channel layer."""

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from experiments.models import Experiment
from experiments.tasks import experiment_event_publish
from tests.conftest import session_cookie_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def websocket_url(server, experiment_id):
    return server.url.replace("http://", "ws://") + f"/ws/experiments/{experiment_id}/"


async def receive_one(url, headers, send_event):
    async with websockets.connect(url, additional_headers=headers, open_timeout=10) as socket:
        await asyncio.to_thread(send_event)
        return json.loads(await asyncio.wait_for(socket.recv(), timeout=15))


def test_event_from_a_task_on_the_worker_reaches_the_canvas_websocket(owner, studio_server, worker):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Live")
    event = {"type": "node", "run": 12, "node": "n3", "status": "running", "progress": 0.5}
    headers = {"Cookie": "sessionid=" + session_cookie_for(owner.user)["sessionid"], "Origin": studio_server.url}

    def send_from_worker():
        experiment_event_publish.delay(experiment.pk, event).get(timeout=15)

    received = asyncio.run(receive_one(websocket_url(studio_server, experiment.pk), headers, send_from_worker))
    assert received == event


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_websocket_of_an_experiment_is_refused_to_anyone_outside_its_workspace(who, owner, outsider, studio_server):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Private")
    headers = {"Origin": studio_server.url}
    if who == "outsider":
        headers["Cookie"] = "sessionid=" + session_cookie_for(outsider.user)["sessionid"]

    async def connect():
        async with websockets.connect(websocket_url(studio_server, experiment.pk), additional_headers=headers) as ws:
            await ws.recv()

    with pytest.raises((InvalidStatus, ConnectionClosed)):
        asyncio.run(connect())
