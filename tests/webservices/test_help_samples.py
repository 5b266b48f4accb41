"""The help page's code samples with hostile column names and values (issue 14, finding 8): every sample
language sends exactly the intended JSON and nothing in the data is ever run.

The curl samples are run by bash (with curl replaced by a function that records its argv, then with the real
curl against the real server), the Python sample by Python, the JavaScript sample by Node, the R sample by
Rscript (httr against a local server that records the request, then against the real server); C# has no
compiler here, so its literals are read back by a faithful reader of C# verbatim strings.
"""

from __future__ import annotations

import ast
import html
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

from webservices.samples import KEY_PLACEHOLDER, code_samples, patch_sample


def hostile(canary: Path) -> list[str]:
    """Strings that end or escape a literal in some language; the shell ones would create `canary`."""
    return [f"$(touch {canary})", f"`touch {canary}`", "O'Brien", '"; rm -rf ~/victim; "', f"'; touch {canary}; '",
            "back\\slash\\", "new\nline", "tab\there", "ünïcødé ☃ \U0001d518", "${HOME}", "\\'\\\"", '@"verbatim""',
            "\u2028line separator\u2029", "</pre><script>alert(1)</script>", "%s {0} !!",
            ")", ")---", "r)----"]  # the last three, at the end of a JSON string, would close an R raw string


def hostile_body(canary: Path) -> dict:
    names = hostile(canary)
    return {"Inputs": {"input1": {"ColumnNames": names, "Values": [list(reversed(names)), [None] * len(names)]}},
            "GlobalParameters": {"flag": True, "nothing": None, "ratio": 0.5}}


def sandbox(tmp_path: Path) -> dict[str, str]:
    """A scratch HOME with a victim directory: a command that got out of its quotes would show here."""
    (tmp_path / "home" / "victim").mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(tmp_path / "home")}


def untouched(tmp_path: Path, canary: Path) -> None:
    assert not canary.exists(), "a command hidden in the data ran"
    assert (tmp_path / "home" / "victim").is_dir(), "a command hidden in the data removed a directory"


def curl_argv(script: str, tmp_path: Path) -> list[str]:
    """Run the shell sample with curl replaced by a function that writes its arguments, NUL-separated."""
    (tmp_path / "sample.sh").write_text(script)
    assert subprocess.run(["bash", "-n", str(tmp_path / "sample.sh")]).returncode == 0
    argv_file = tmp_path / "argv"
    runner = 'curl() { printf "%s\\0" "$@" > "$ARGV_FILE"; }; source ./sample.sh'
    done = subprocess.run(["bash", "-c", runner], cwd=tmp_path, env={**sandbox(tmp_path), "ARGV_FILE": str(argv_file)},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return argv_file.read_bytes().decode().split("\0")[:-1]


def sent_body(argv: list[str]) -> object:
    assert argv.count("--data-binary") == 1, argv
    return json.loads(argv[argv.index("--data-binary") + 1])


def python_assignments(code: str) -> dict[str, object]:
    """The sample's top-level `name = literal` lines, evaluated as Python reads them."""
    tree = ast.parse(code)
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.Dict, ast.List))}


def csharp_verbatim(code: str, variable: str) -> str:
    """Read `var <variable> = @"...";` as the C# compiler does: only a doubled quote is an escape, and the
    literal must be followed by the statement's end (nothing of the data left outside it)."""
    start = code.index(f'var {variable} = @"') + len(f'var {variable} = @"')
    value, at = [], start
    while True:
        if code[at] == '"':
            if code[at + 1:at + 2] == '"':
                value.append('"')
                at += 2
                continue
            assert code[at + 1] == ";", f"the literal of {variable} ended early: {code[at:at + 40]!r}"
            return "".join(value)
        value.append(code[at])
        at += 1


NODE_FETCH_STUB = """globalThis.fetch = async (url, init) => {
  process.stdout.write(JSON.stringify({url, init}) + "\\n");
  return {ok: true, status: 200, json: async () => ({Results: {}}), text: async () => ""};
};
"""


def node_fetch(code: str, tmp_path: Path) -> dict:
    (tmp_path / "sample.mjs").write_text(NODE_FETCH_STUB + code)
    done = subprocess.run(["node", str(tmp_path / "sample.mjs")], capture_output=True, text=True, timeout=60,
                          env=sandbox(tmp_path))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.split("\n")[0])


URL = "http://testserver/workspaces/ws/services/0123abcd/execute?api-version=2.0&details=true"


def rscript() -> str:
    """R with httr and jsonlite, as `make test` installs them (scripts/ensure-system-packages.sh)."""
    found = shutil.which("Rscript")
    if found is None:
        pytest.fail("Rscript is not installed; `make test` installs it (Debian: apt-get install r-base-core "
                    "r-cran-httr r-cran-jsonlite).")
    return found


def run_r(code: str, tmp_path: Path, locale: str | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sample.R").write_text(code)
    env = sandbox(tmp_path) | ({"LC_ALL": locale, "LANG": locale} if locale else {})
    return subprocess.run([rscript(), "sample.R"], cwd=tmp_path, env=env, capture_output=True, encoding="utf-8",
                          timeout=60)


class Recorder(BaseHTTPRequestHandler):
    """Records each request (method, path, headers, body) and answers `answer` as JSON."""

    requests: list[dict] = []
    answer: bytes = b"{}"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body})
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(type(self).answer)))
        self.end_headers()
        self.wfile.write(type(self).answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, type[Recorder]]]:
    """A local HTTP server (a real socket) that records what a sample sends."""
    handler = type("Recording", (Recorder,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_the_curl_sample_sends_hostile_names_and_values_as_data_and_runs_nothing(tmp_path):
    canary = tmp_path / "pwned"
    body = hostile_body(canary)
    argv = curl_argv(code_samples(URL, body)["curl"], tmp_path)
    untouched(tmp_path, canary)
    assert argv[:4] == ["-s", "-X", "POST", URL]
    assert argv[argv.index("-H") + 1] == f"Authorization: Bearer {KEY_PLACEHOLDER}"
    assert sent_body(argv) == body


def test_the_update_resource_sample_quotes_a_hostile_resource_name(tmp_path):
    canary = tmp_path / "pwned"
    for name in hostile(canary):
        argv = curl_argv(patch_sample(URL, f"{name} [trained model]"), tmp_path)
        assert argv[:4] == ["-s", "-X", "PATCH", URL]
        assert sent_body(argv)["Resources"][0]["Name"] == f"{name} [trained model]"
    untouched(tmp_path, canary)


def test_the_python_javascript_and_csharp_samples_hold_the_exact_body(tmp_path):
    canary = tmp_path / "pwned"
    body = hostile_body(canary)
    code = code_samples(URL, body)

    python = python_assignments(code["Python"])
    compile(code["Python"], "sample.py", "exec")
    assert python["body"] == body and python["url"] == URL and python["api_key"] == KEY_PLACEHOLDER

    sent = node_fetch(code["JavaScript"], tmp_path)
    assert sent["url"] == URL and json.loads(sent["init"]["body"]) == body
    assert sent["init"]["headers"]["Authorization"] == f"Bearer {KEY_PLACEHOLDER}"

    assert json.loads(csharp_verbatim(code["C#"], "body")) == body
    assert csharp_verbatim(code["C#"], "url") == URL and csharp_verbatim(code["C#"], "apiKey") == KEY_PLACEHOLDER
    untouched(tmp_path, canary)


def test_the_r_sample_sends_the_exact_hostile_body_and_prints_the_results_as_data(recorder, tmp_path):
    canary = tmp_path / "pwned"
    body = hostile_body(canary)
    names = hostile(canary)
    base, handler = recorder
    results = {"output1": {"type": "table", "value": {"ColumnNames": names, "ColumnTypes": ["String"] * len(names),
                                                      "Values": [names, [None, 0.25, True, *names[3:]]]}},
               "empty": {"list": [], "object": {}, "one": ["single"]}}
    handler.answer = json.dumps({"Results": results}).encode()
    url = base + "/workspaces/ws/services/0123abcd/execute?api-version=2.0&details=true"
    code = code_samples(url, body)["R"]
    assert 'r"-----(' in code  # ")---" and "r)----" in the data: the delimiter got longer than both

    for locale in ("C.UTF-8", "C"):  # in a C locale too, the non-ASCII strings go and come back whole
        done = run_r(code, tmp_path, locale)
        assert done.returncode == 0, done.stderr
        sent = handler.requests.pop()
        assert sent["path"] == "/workspaces/ws/services/0123abcd/execute?api-version=2.0&details=true"
        assert sent["headers"]["Authorization"] == f"Bearer {KEY_PLACEHOLDER}"
        assert sent["headers"]["Content-Type"] == "application/json"
        assert json.loads(sent["body"]) == body
        assert json.loads(done.stdout) == results, locale
    assert handler.requests == []
    untouched(tmp_path, canary)


# --- The help page of a real service trained on hostile data, its samples run against the real server -------


@pytest.fixture
def hostile_service(api, owner, tmp_path):
    """A service whose input columns and sample values are the hostile strings, deployed through the studio."""
    from experiments.datasets import dataset_store
    from experiments.engine.graph import edge_json as edge
    from experiments.engine.graph import node_json as node
    from experiments.models import Experiment
    from experiments.modules.framework.datatable import DataTable
    from tests.experiments.helpers import run_now
    from tests.webservices.test_deploy import publish
    from webservices.models import WebService

    canary = tmp_path / "pwned"
    names = hostile(canary)
    rows = 40
    frame = pd.DataFrame({name: [float((i * (k + 3)) % 11) for i in range(rows)] for k, name in enumerate(names[1:])})
    frame[names[0]] = [names[i % len(names)] for i in range(rows)]  # a text column of hostile values
    frame["label"] = ["yes" if i % 3 else "no" for i in range(rows)]
    dataset = dataset_store(table=DataTable(frame), name="hostile", workspace=owner.workspace, source="upload")
    graph = {"nodes": [node("data", "dataset", dataset=dataset.pk), node("learner", "two-class-logistic-regression"),
                       node("train", "train-model", label_column=["label"]), node("score", "score-model")],
             "edges": [edge("data", "dataset", "train", "dataset"),
                       edge("learner", "untrained_model", "train", "untrained_model"),
                       edge("train", "trained_model", "score", "trained_model"),
                       edge("data", "dataset", "score", "dataset")]}
    training = Experiment.objects.create(workspace=owner.workspace, name=f"Model of {names[2]} {names[3]}", graph=graph)
    run_now(owner.workspace, graph, experiment=training)
    answer = publish(api, owner, training)[2]
    return WebService.objects.get(pk=answer["web_service"]), answer["endpoint"], canary


pytestmark_db = pytest.mark.django_db(transaction=True)


@pytestmark_db
def test_the_help_pages_samples_score_hostile_columns_against_the_running_studio(hostile_service, owner_client,
                                                                                 studio_server, tmp_path):
    service, endpoint, canary = hostile_service
    page = owner_client.get(f"/web-services/{service.pk}/endpoints/default/")
    help_ = page.context["help"]
    assert help_["status"] == 200, help_["response"]
    assert set(help_["request"]["Inputs"]["input1"]["ColumnNames"]) >= set(hostile(canary))
    path = urlsplit(help_["url"]).path

    def runnable(language: str) -> str:
        return help_["code"][language].replace(KEY_PLACEHOLDER, endpoint["PrimaryKey"]).replace(
            f"http://testserver{path}", studio_server.url + path)

    (tmp_path / "sample.sh").write_text(runnable("curl"))
    done = subprocess.run(["bash", str(tmp_path / "sample.sh")], cwd=tmp_path, env=sandbox(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    scored = json.loads(done.stdout)["Results"]["output1"]["value"]
    assert scored["ColumnNames"][-2:] == ["Scored Labels", "Scored Probabilities"]
    assert set(hostile(canary)) <= set(scored["ColumnNames"])

    (tmp_path / "sample.py").write_text(runnable("Python"))
    done = subprocess.run([sys.executable, str(tmp_path / "sample.py")], cwd=tmp_path, env=sandbox(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output1"]["value"]["ColumnNames"][-1] == "Scored Probabilities"

    (tmp_path / "sample.mjs").write_text(runnable("JavaScript"))
    done = subprocess.run(["node", str(tmp_path / "sample.mjs")], cwd=tmp_path, env=sandbox(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output1"]["value"]["ColumnNames"][-1] == "Scored Probabilities"

    done = run_r(runnable("R"), tmp_path)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)["output1"]["value"]
    assert printed == scored  # the same Results as curl got: every hostile name and value back as data
    untouched(tmp_path, canary)


@pytestmark_db
def test_the_update_resource_sample_of_a_hostile_model_name_runs_nothing(hostile_service, api, owner_client,
                                                                        tmp_path):
    service, _, canary = hostile_service
    assert api.put(f"/api/web-services/{service.pk}/endpoints/second/", {}, format="json").status_code in (200, 201)
    page = owner_client.get(f"/web-services/{service.pk}/endpoints/second/")
    shown = re.search(r'<pre data-testid="patch-sample">(.*?)</pre>', page.content.decode(), re.S)
    argv = curl_argv(html.unescape(shown.group(1)), tmp_path)
    assert sent_body(argv)["Resources"][0]["Name"] == page.context["updatable"][0]
    assert "O'Brien" in page.context["updatable"][0]
    untouched(tmp_path, canary)
