"""Import Data from a URL in real runs (issue 14): the worker refuses loopback like every other fetch, and a
URL is fetched again on every run, its content deciding whether it and what follows come from the cache. A
ragged CSV fails the run naming the line, as an upload is refused, unless the node is lenient."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Experiment, NodeRun, Run
from experiments.services import run_execute
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


def url_graph(url: str, **params: Any) -> dict[str, Any]:
    return {"nodes": [node("import", "import-data", url=url, **params), node("text", "convert-to-csv")],
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


def run_failing(experiment: Experiment) -> Run:
    """Run the graph in the test process as the worker does, without insisting it finished."""
    run = Run.objects.create(experiment=experiment, graph=experiment.graph)
    NodeRun.objects.bulk_create([NodeRun(run=run, node_id=n["id"], module=n["module"])
                                 for n in experiment.graph["nodes"]])
    run_execute(run_id=run.pk, worker="test")
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_a_ragged_csv_fails_the_run_naming_the_url_and_the_line(owner, api, settings, source):
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    source.body = b"a,b\n1,2\n3\n4,5\n"
    experiment = Experiment.objects.create(workspace=owner.workspace, name="ragged", graph=url_graph(source.url))
    run = run_failing(experiment)

    assert run.status == "failed" and node_states(run) == {"import": "failed", "text": "skipped"}
    shown = api.get(f"/api/runs/{run.pk}/").json()["nodes"]["import"]  # what the canvas shows on the node
    assert shown["error"].startswith(f"Could not import {source.url}: Line 3 has 1 field; the header has 2. ")
    assert "turn on 'Pad short lines, skip long lines'" in shown["error"] and shown["parameter"] == "lenient"


@pytest.mark.django_db
def test_a_lenient_node_pads_the_short_line_and_its_log_says_so(owner, api, settings, source):
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    source.body = b"a,b\n1,2\n3\n4,5\n"
    run = run_now(owner.workspace, url_graph(source.url, lenient=True))

    assert output_frame(run, "text", "results_dataset").to_dict("list") == {"a": ["1", "3", "4"],
                                                                           "b": ["2.0", "", "5.0"]}
    log = api.get(f"/api/runs/{run.pk}/").json()["nodes"]["import"]["log"]
    assert f"{source.url}: 1 short line padded with missing values (line 3)." in log


@pytest.mark.django_db
def test_a_well_formed_csv_imports_as_before_with_nothing_said_about_lines(owner, api, settings, source):
    settings.ATELIER_OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    source.body = b"a,b\n1,x\n2,\n"
    strict = run_now(owner.workspace, url_graph(source.url))
    lenient = run_now(owner.workspace, url_graph(source.url, lenient=True), name="lenient")

    for run in (strict, lenient):
        assert output_frame(run, "text", "results_dataset").to_dict("list") == {"a": ["1", "2"], "b": ["x", ""]}
        assert "padded" not in api.get(f"/api/runs/{run.pk}/").json()["nodes"]["import"]["log"]
