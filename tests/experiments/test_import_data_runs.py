"""Import Data from a URL in real runs (issue 14): the worker refuses loopback like every other fetch, and a
URL is fetched again on every run, its content deciding whether it and what follows come from the cache."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Experiment
from tests.experiments.helpers import node_states, output_frame, run_now, run_on_worker


class Source:
    """A web server on loopback whose one file the test may change; it counts the requests it answers."""

    def __init__(self) -> None:
        self.body, self.requests = b"a\n1\n2\n", 0
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                source.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(source.body)))
                self.end_headers()
                self.wfile.write(source.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/data.csv"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture
def source() -> Iterator[Source]:
    served = Source()
    yield served
    served.httpd.shutdown()
    served.httpd.server_close()
    served.thread.join(timeout=5)


def url_graph(url: str) -> dict[str, Any]:
    return {"nodes": [node("import", "import-data", url=url), node("text", "convert-to-csv")],
            "edges": [edge("import", "dataset", "text", "dataset")]}


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_refuses_a_loopback_url_with_the_one_text(owner, worker, source):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="ssrf", graph=url_graph(source.url))
    run = run_on_worker(experiment)
    assert node_states(run) == {"import": "failed", "text": "skipped"}
    assert run.node_runs.get(node_id="import").error == (
        f"Could not fetch {source.url}: the address is not allowed, or the server did not answer.")
    assert source.requests == 0


@pytest.mark.django_db
def test_a_url_is_fetched_once_per_run_and_reused_downstream_while_its_bytes_are_unchanged(owner, settings, source):
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    experiment = Experiment.objects.create(workspace=owner.workspace, name="url", graph=url_graph(source.url))
    first = run_now(owner.workspace, {}, experiment=experiment)
    unchanged = run_now(owner.workspace, {}, experiment=experiment)
    source.body = b"a\n3\n4\n"
    changed = run_now(owner.workspace, {}, experiment=experiment)

    assert node_states(first) == {"import": "finished", "text": "finished"}
    assert node_states(unchanged) == {"import": "cached", "text": "cached"}
    assert node_states(changed) == {"import": "finished", "text": "finished"}
    assert output_frame(changed, "text", "results_dataset")["a"].tolist() == ["3", "4"]
    assert source.requests == 3  # one fetch per run: what was hashed is what was read
