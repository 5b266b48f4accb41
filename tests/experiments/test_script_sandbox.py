"""Execute Python Script on the real worker (issue 14, finding 4): from inside a script, none of the worker's
secrets can be read and nothing of the studio answers; a script still computes its result."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from studio.services import api_token_create
from tests.experiments.test_runs import create, wait_for_run

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Each probe returns what it got (a leak) or raises (refused). The worker's environment holds REDIS_URL and
# DATABASE_URL (tests/conftest.py service_env); its pid, given by the test, means nothing in the script's PID
# namespace, so every process the script can see is scanned too.
PROBES = '''
import os, socket
import pandas as pd


def worker_environ(pid):
    text = open(f"/proc/{pid}/environ", "rb").read()
    if b"REDIS_URL=" not in text:
        raise LookupError(f"process {pid} is not the worker")
    return text[:60]


def any_environ():
    leaks = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            leaks += [pid] if b"REDIS_URL=" in open(f"/proc/{pid}/environ", "rb").read() else []
        except OSError:
            pass
    if not leaks:
        raise LookupError(f"no visible process has the worker's environment (pids: {os.listdir('/proc')[-5:]})")
    return leaks


def root():
    if os.getuid() != 0:
        raise PermissionError(f"uid {os.getuid()}")
    return "uid 0"


def attempt(name, action):
    try:
        return name, "leaked", repr(action())[:120]
    except Exception as error:
        return name, "refused", f"{type(error).__name__}: {error}"[:200]


def azureml_main(dataframe1=None, dataframe2=None):
    probes = [("worker environ", lambda: worker_environ(WORKER_PID)), ("any environ", any_environ),
              (".env", lambda: open(ENV_FILE).read()), ("database", lambda: open(DATABASE, "rb").read(16)),
              ("storage", lambda: os.listdir(STORAGE)),
              ("redis", lambda: socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=3).getpeername()),
              ("root", root)]
    return pd.DataFrame([attempt(name, action) for name, action in probes], columns=["probe", "outcome", "detail"])
'''


@pytest.fixture
def http(owner, studio_server):
    _, token = api_token_create(user=owner.user)
    with studio_server.client(headers={"Authorization": f"Token {token}"}) as client:
        yield client


def probes_script(worker_pid: int) -> str:
    redis = urlparse(settings.REDIS_URL)
    values = {"WORKER_PID": worker_pid, "ENV_FILE": str(Path(settings.BASE_DIR) / ".env"),
              "DATABASE": str(settings.DATABASES["default"]["NAME"]), "STORAGE": str(settings.MEDIA_ROOT),
              "REDIS_HOST": redis.hostname, "REDIS_PORT": redis.port}
    return "".join(f"{name} = {value!r}\n" for name, value in values.items()) + PROBES


def test_a_script_on_the_worker_reads_none_of_its_secrets_and_reaches_nothing(http, worker):
    # What the probes look for is there to be found, so a refusal means the sandbox hid it.
    assert (Path(settings.BASE_DIR) / ".env").is_file(), "make setup writes the checkout's .env"
    assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    assert Path(settings.DATABASES["default"]["NAME"]).is_file()
    os.makedirs(settings.MEDIA_ROOT, exist_ok=True)
    graph = {"nodes": [node("data", "enter-data-manually", data="a\n1\n"),
                       node("script", "execute-python-script", python_script=probes_script(worker.managed.pid))],
             "edges": [edge("data", "dataset", "script", "dataframe1")]}
    experiment = create(http, "Sandbox probes", graph)
    run = wait_for_run(http, http.post(f"/api/experiments/{experiment['id']}/run/").json()["run"])
    assert run["status"] == "finished", run
    preview = http.get(f"/api/runs/{run['id']}/nodes/script/outputs/result_dataset/?limit=20").json()["preview"]
    outcomes = {probe: (outcome, detail) for probe, outcome, detail in preview["Values"]}
    assert sorted(outcomes) == sorted(["worker environ", "any environ", ".env", "database", "storage", "redis",
                                       "root"])
    leaks = {probe: detail for probe, (outcome, detail) in outcomes.items() if outcome != "refused"}
    assert leaks == {}, f"read from inside a script on the worker: {leaks}"
