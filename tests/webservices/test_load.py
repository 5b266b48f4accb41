"""A bounded load check inside `make test` (issue 8; the 60 s, 200-connection run is `make load`): 100
concurrent connections of one-row RRS calls for 5 s against the real server, with the endpoint's limit at
200: every answer is a 200 and no connection fails."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from webservices.models import Endpoint

pytestmark = pytest.mark.django_db(transaction=True)
CONNECTIONS, SECONDS = 100, 5.0


async def hammer(url: str, body: dict, key: str) -> list[int]:
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(limits=limits, timeout=30, headers={"Authorization": f"Bearer {key}"}) as client:
        deadline = time.monotonic() + SECONDS

        async def connection() -> None:
            while time.monotonic() < deadline:
                try:
                    statuses.append((await client.post(url, json=body)).status_code)
                except httpx.HTTPError as error:
                    statuses.append(-1)
                    raise AssertionError(f"a call failed at the connection level: {error!r}") from None

        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))
    return statuses


def test_a_hundred_connections_for_five_seconds_get_only_200s(api, owner, income, studio_server):  # noqa: F811
    training, _ = income
    predictive, _, deployed = publish(api, owner, training)
    Endpoint.objects.update(max_concurrent_calls=200, version=2)
    url = studio_server.url + urlsplit(deployed["endpoint"]["ApiLocation"]).path + "?api-version=2.0"
    body = {"Inputs": {"input1": predictive.web_services.get().current.sample["input1"]}}
    statuses = asyncio.run(hammer(url, body, deployed["endpoint"]["PrimaryKey"]))
    assert len(statuses) > 200, f"only {len(statuses)} calls in {SECONDS} s"
    assert set(statuses) == {200}, {code: statuses.count(code) for code in set(statuses)}
