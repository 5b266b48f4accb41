"""SQLite under concurrent writers (issue 8): the server's request threads and another process write at
once. WAL, a busy timeout and immediate transactions (studio/settings.py) must make every write succeed —
no "database is locked", no 500 — and leave the database intact."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from experiments.models import Experiment
from studio.services import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_many_writers_at_once_all_succeed_and_the_database_stays_intact(owner, studio_server):
    if connection.vendor != "sqlite":
        pytest.skip("this checks SQLite's locking; the database here is " + connection.vendor)
    _, token = api_token_create(user=owner.user)

    def create(index: int) -> int:
        with studio_server.client(headers={"Authorization": f"Token {token}"}) as http:
            return http.post("/api/experiments/", json={"name": f"concurrent {index}",
                                                         "graph": {"nodes": [], "edges": []}}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = pool.map(create, range(60))
        for index in range(30):  # meanwhile, this process writes too
            Experiment.objects.create(workspace=owner.workspace, name=f"direct {index}",
                                      graph={"nodes": [], "edges": []})
        statuses = list(answers)
    assert statuses == [201] * 60
    assert Experiment.objects.filter(workspace=owner.workspace, name__startswith="concurrent ").count() == 60
    assert Experiment.objects.filter(workspace=owner.workspace, name__startswith="direct ").count() == 30
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        assert cursor.fetchone()[0] == "ok"
