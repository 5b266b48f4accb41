"""The endpoint-change signal crosses hosts (issue 19): a change published on Redis by any process, on any machine,
makes this process reload the endpoint on its next request, without a file in a shared var dir and without waiting
for the once-a-second database check."""

from __future__ import annotations

import redis
from django.conf import settings

from studio import processes
from tests.webservices.test_deploy import income, publish  # noqa: F401 (fixture)
from tests.webservices.test_lifecycle import pytestmark  # noqa: F401 (transactional database)
from webservices.models import Endpoint
from webservices.scoring import served as scoring


def test_a_change_published_by_another_host_is_seen_on_the_next_request(api, owner, income, monkeypatch):  # noqa: F811
    monkeypatch.setattr(scoring, "REVALIDATE_SECONDS", 3600.0)  # only the signal can tell this process
    publish(api, owner, income[0])
    endpoint = Endpoint.objects.get(is_default=True)
    scoring.forget_all()
    state = scoring.served(endpoint.endpoint_id)
    assert state is not None and scoring.cached(endpoint.endpoint_id) is state
    assert processes.wait_until(lambda: scoring._listener_pid != 0, timeout=1)

    Endpoint.objects.filter(pk=endpoint.pk).update(diagnostics_trace_level="All")  # another host's change
    other_host = redis.Redis.from_url(settings.REDIS_URL)
    try:
        assert processes.wait_until(lambda: other_host.publish(scoring.CHANNEL, "some other endpoint") >= 1,
                                    timeout=5)  # this process's subscriber is listening
        assert scoring.cached(endpoint.endpoint_id) is state  # another endpoint's change reloads nothing here
        other_host.publish(scoring.CHANNEL, endpoint.endpoint_id)
    finally:
        other_host.close()

    assert processes.wait_until(lambda: scoring.cached(endpoint.endpoint_id) is None, timeout=2)
    assert scoring.served(endpoint.endpoint_id).trace_level == "All"
    assert scoring.cached(endpoint.endpoint_id) is not None
